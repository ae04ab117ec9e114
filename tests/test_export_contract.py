"""The export contract: atomic folders, reproducible bytes, safe file names, JSON Schema, and a
refusal to publish records that do not validate. (Faults found by the fault matrix: test_faults_export.py.)"""
from __future__ import annotations

import hashlib
import json
import os
from datetime import date
from pathlib import Path

import jsonschema
import pytest

from pipeline.config import load_sources
from pipeline.export import ExportError, export, safe_name
from pipeline.run import run
from warehouse.connection import connect

AS_OF = date(2026, 6, 4)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("export")
    run(d, load_sources(), do_export=False)
    return d


def digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_state_same_bytes(data, tmp_path):
    con = connect(data / "ledger.duckdb", read_only=True)
    try:
        first = export(con, tmp_path / "one", "run-1", AS_OF, update_latest=False)
        second = export(con, tmp_path / "two", "run-2", AS_OF, update_latest=False)
    finally:
        con.close()
    # every file, the manifest too: no clock and no run id inside an export
    assert digest(first.folder) == digest(second.folder)
    assert len(digest(first.folder)) > 10
    assert first.version == second.version == first.folder.name == second.folder.name
    manifest = json.loads((first.folder / "manifest.json").read_text())
    assert manifest["version"] == first.version and "run_id" not in manifest
    assert manifest["files"] == {k: v for k, v in digest(first.folder).items() if k != "manifest.json"}
    # the run id is logged beside the exports
    assert json.loads((tmp_path / "one" / "publish-log.jsonl").read_text())["run_id"] == "run-1"


def test_layout_versions_and_links(data, tmp_path):
    con = connect(data / "ledger.duckdb", read_only=True)
    try:
        result = export(con, tmp_path, "run", AS_OF)
    finally:
        con.close()
    assert result.folder == tmp_path / "versions" / result.version
    assert result.version.startswith(f"{AS_OF.isoformat()}_")
    for link in (tmp_path / "latest", tmp_path / AS_OF.isoformat()):
        assert link.is_symlink() and os.readlink(link) == f"versions/{result.version}"  # relative: movable
        assert (link / "manifest.json").read_bytes() == (result.folder / "manifest.json").read_bytes()
    assert result.latest == tmp_path / "latest" and result.dated == tmp_path / AS_OF.isoformat()


def test_every_dataset_is_written_with_counts(data, tmp_path):
    con = connect(data / "ledger.duckdb", read_only=True)
    try:
        folder = export(con, tmp_path, "run", AS_OF, update_latest=False).folder
    finally:
        con.close()
    for name in ("models", "offers", "benchmarks", "price_history", "conflicts", "comparisons"):
        assert (folder / f"{name}.parquet").exists(), name
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["counts"]["comparisons"] > 0
    index = json.loads((folder / "index.json").read_text())
    assert {m["model_id"] for m in index["models"]} == {
        r["model_id"] for r in json.loads((folder / "models.json").read_text())["records"]}
    for entry in index["models"] + index["comparisons"]:
        assert (folder / entry["path"]).is_file(), entry
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp")]  # no half export left behind


def test_json_records_validate_against_the_published_schema(data, tmp_path):
    con = connect(data / "ledger.duckdb", read_only=True)
    try:
        folder = export(con, tmp_path, "run", AS_OF, update_latest=False).folder
    finally:
        con.close()
    index = json.loads((folder / "index.json").read_text())
    schema = json.loads((folder / "schema" / "comparison.schema.json").read_text())
    assert index["comparisons"], "no configured comparison was written"
    for entry in index["comparisons"]:
        record = json.loads((folder / entry["path"]).read_text())
        jsonschema.validate(record, schema)
        assert isinstance(record["a"]["cheapest_input"]["usd_per_mtok"], str)  # exact decimals as strings
    model_schema = json.loads((folder / "schema" / "model_file.schema.json").read_text())
    for entry in index["models"][:5]:
        jsonschema.validate(json.loads((folder / entry["path"]).read_text()), model_schema)


@pytest.mark.parametrize("model_id", ["../../etc/passwd", "evil/..", "a/b/c/../../d", "méta/llama-3.2-1b",
                                      "/abs/path", "x/" + "y" * 300, "..", "meta/llama-3.2-1b-instruct"])
def test_safe_names_stay_in_their_folder(tmp_path, model_id):
    name = safe_name(model_id)
    assert "/" not in name and name not in (".", "..") and not name.startswith(".")
    assert (tmp_path / f"{name}.json").resolve().parent == tmp_path.resolve()
    assert len(name) <= 150


def test_hostile_model_ids_are_exported_inside_the_folder(data, tmp_path):
    db = tmp_path / "copy.duckdb"
    db.write_bytes((data / "ledger.duckdb").read_bytes())
    con = connect(db)
    try:
        con.execute("""INSERT INTO model_versions (model_id, name, row_hash, valid_from, opened_by)
                       VALUES ('../../escape', 'x', 'h', TIMESTAMPTZ '2026-06-01', 'manual'),
                              ('evil/../../../tmp/x', 'y', 'h', TIMESTAMPTZ '2026-06-01', 'manual')""")
        folder = export(con, tmp_path / "out", "run", AS_OF, update_latest=False).folder
    finally:
        con.close()
    # every file is in the export's folder, but the export folder's own lock and publication log
    top = {p.name for p in (tmp_path / "out").iterdir() if p.is_file() and not p.is_symlink()}
    assert top == {".lock", "publish-log.jsonl"}
    written = [p.resolve() for p in (tmp_path / "out" / "versions").rglob("*") if p.is_file()]
    assert written and all(p.is_relative_to(folder.resolve()) for p in written)
    assert {p.name for p in (tmp_path / "out").iterdir() if p.is_symlink()} == {AS_OF.isoformat()}  # no `latest`: update_latest=False
    index = json.loads((folder / "index.json").read_text())
    assert {"../../escape", "evil/../../../tmp/x"} <= {m["model_id"] for m in index["models"]}


def test_a_record_that_does_not_validate_is_refused(data, tmp_path):
    db = tmp_path / "copy.duckdb"
    db.write_bytes((data / "ledger.duckdb").read_bytes())
    con = connect(db)
    try:
        # a negative price can only come from a bug upstream: the export must refuse it
        con.execute("""UPDATE offer_versions SET input_usd_per_mtok = -1 WHERE valid_to IS NULL
                       AND provider_id = 'cloudflare-workers-ai'""")
        with pytest.raises(ExportError, match="does not validate"):
            export(con, tmp_path / "out", "run", AS_OF, update_latest=False)
    finally:
        con.close()
    assert not (tmp_path / "out" / AS_OF.isoformat()).exists()
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".tmp")]
