"""Faults of the export found by the fault matrix, each kept as a test that reproduces it.

(9) A rebuild of the same raw archive gave other bytes in 53 of 73 export files (provenance keys in
    the order rows arrived, a wall-clock generated_at and a run id in the manifest).
(11) A killed export left `.tmp-*` folders forever, and a reader polling the export folder saw
    files vanish mid-read (`latest` was a folder renamed away and deleted under it).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import jsonschema
import pytest

import pipeline.export as export_module
from pipeline.config import load_sources
from pipeline.export import export
from pipeline.run import rebuild_warehouse, run
from warehouse.connection import connect

REPO = Path(__file__).resolve().parents[1]
AS_OF = date(2026, 6, 4)
# the published layout of an export folder (README: Exports)
LATEST, VERSIONS_DIR, PUBLISH_LOG = "latest", "versions", "publish-log.jsonl"


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir loaded incrementally by `run` over the recorded crawls, with the run's export."""
    d = tmp_path_factory.mktemp("faults-export")
    run(d, load_sources())
    return d


def file_digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def export_to(data_dir: Path, out: Path, as_of: date | None = AS_OF, **kw) -> Path:
    con = connect(data_dir / "ledger.duckdb", read_only=True)
    try:
        return export(con, out, "test-run", as_of, **kw).folder
    finally:
        con.close()


# --- (9) reproducible bytes ----------------------------------------------------------------------

def test_rebuild_exports_the_same_bytes_as_the_incremental_run(data, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(data, copy, symlinks=True, ignore=shutil.ignore_patterns("exports"))
    rebuild_warehouse(copy, load_sources())  # re-parses the same raw archive, then exports
    by_run = file_digests(data / "exports" / LATEST)
    by_rebuild = file_digests(copy / "exports" / LATEST)
    assert len(by_run) > 70 and "manifest.json" in by_run
    assert sorted(by_run) == sorted(by_rebuild)
    differing = sorted(name for name in by_run if by_run[name] != by_rebuild[name])
    assert differing == [], f"{len(differing)} of {len(by_run)} files differ after a rebuild: {differing[:10]}"
    # the same state is the same version: the same folder name under versions/
    assert os.readlink(data / "exports" / LATEST) == os.readlink(copy / "exports" / LATEST)


def test_a_later_export_of_the_same_state_is_identical(data, tmp_path):
    first = export_to(data, tmp_path / "one")
    time.sleep(1.1)  # a wall-clock time to the second would differ now
    second = export_to(data, tmp_path / "two")
    assert file_digests(first) == file_digests(second)
    manifest = json.loads((first / "manifest.json").read_text())
    assert "run_id" not in manifest
    assert manifest["generated_at"] == "2026-06-04T06:00:00Z"  # the newest crawl's start, not the clock
    assert manifest["newest_crawl_id"] == "20260604T060000Z"
    # exporting the same state into the same folder writes nothing new and keeps every byte
    again = tmp_path / "one"
    before = {p: p.stat().st_mtime_ns for p in first.rglob("*") if p.is_file()}
    con = connect(data / "ledger.duckdb", read_only=True)
    try:
        result = export(con, again, "test-run-2", AS_OF)
    finally:
        con.close()
    assert result.reused and result.folder == first
    assert {p: p.stat().st_mtime_ns for p in first.rglob("*") if p.is_file()} == before
    assert [p.name for p in (again / VERSIONS_DIR).iterdir()] == [first.name]


def _scramble(db: Path) -> None:
    """What a different load path may store for the same facts: provenance keys in another order
    and rows in another physical order."""
    con = connect(db)
    try:
        for table in ("model_versions", "offer_versions", "benchmark_versions"):
            con.execute(f"""UPDATE {table} SET provenance = to_json(map_from_entries(list_reverse(list_sort(
                            map_entries(CAST(provenance AS MAP(VARCHAR, JSON)))))))
                            WHERE json_type(provenance) = 'OBJECT'""")
        for table in ("model_versions", "offer_versions", "benchmark_versions", "conflict_log"):
            con.execute(f"CREATE TEMP TABLE shuffled AS SELECT * FROM {table}")
            con.execute(f"DELETE FROM {table}")
            con.execute(f"INSERT INTO {table} SELECT * FROM shuffled ORDER BY hash(shuffled::VARCHAR) DESC")
            con.execute("DROP TABLE shuffled")
        reversed_keys = con.execute("""SELECT count(*) FROM offer_versions
            WHERE json_type(provenance) = 'OBJECT' AND len(json_keys(provenance)) > 1
              AND json_keys(provenance) <> list_sort(json_keys(provenance))""").fetchone()[0]
        assert reversed_keys > 10  # the scramble did change the stored order
    finally:
        con.close()


def test_export_is_canonical_whatever_order_the_warehouse_stored(data, tmp_path):
    db = tmp_path / "scrambled" / "ledger.duckdb"
    db.parent.mkdir()
    shutil.copy(data / "ledger.duckdb", db)
    _scramble(db)
    plain = file_digests(export_to(data, tmp_path / "plain"))
    scrambled = file_digests(export_to(db.parent, tmp_path / "scrambled-out"))
    differing = sorted(name for name in plain if plain[name] != scrambled.get(name))
    assert differing == [], f"{len(differing)} of {len(plain)} files differ: {differing[:10]}"
    record = json.loads((tmp_path / "plain" / LATEST / "offers.json").read_text())["records"][0]
    assert list(record["provenance"]) == sorted(record["provenance"])


def test_the_manifest_validates_against_its_published_schema(data, tmp_path):
    folder = export_to(data, tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    jsonschema.validate(manifest, json.loads((folder / "schema" / "manifest.schema.json").read_text()))
    assert manifest["version"] == folder.name and manifest["version"].startswith("2026-06-04_")
    assert manifest["files"] == {k: v for k, v in file_digests(folder).items() if k != "manifest.json"}


# --- (11) leftovers and readers -------------------------------------------------------------------

KILLED_EXPORT = """
import sys, time
from datetime import date
from pathlib import Path
import pipeline.export as ex
from warehouse.connection import connect

write = ex._write_json
def slow_write(path, payload):  # a slow disk: the export is still writing when it is killed
    write(path, payload)
    time.sleep(0.05)
ex._write_json = slow_write
con = connect(Path(sys.argv[1]), read_only=True)
ex.export(con, Path(sys.argv[2]), "killed-run", date.fromisoformat(sys.argv[3]))
"""


def test_a_killed_export_leaves_leftovers_the_next_export_removes(data, tmp_path):
    out = tmp_path / "exports"
    before = export_to(data, out, date(2026, 4, 24))
    proc = subprocess.Popen([sys.executable, "-c", KILLED_EXPORT, str(data / "ledger.duckdb"), str(out),
                             AS_OF.isoformat()], cwd=REPO)
    try:
        deadline = time.monotonic() + 60
        while not any(p.name.startswith(".tmp-") and (p / "models").is_dir() for p in out.iterdir()):
            assert proc.poll() is None, "the export ended before it could be killed"
            assert time.monotonic() < deadline, "the export never started writing"
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    left = sorted(p.name for p in out.iterdir() if p.name.startswith(".tmp-"))
    assert left, "the kill left nothing to clean"
    # the killed export changed nothing a reader sees
    assert (out / LATEST).resolve() == before.resolve()
    assert [p.name for p in (out / VERSIONS_DIR).iterdir()] == [before.name]
    # leftovers of the layout before versions/ too
    (out / ".latest.old-0123abcd").mkdir()
    (out / ".latest.old-0123abcd" / "models.json").write_text("{}")
    os.symlink("versions/nowhere", out / ".tmp-link-dangling")

    con = connect(data / "ledger.duckdb", read_only=True)
    try:
        result = export(con, out, "next-run", AS_OF)  # the kernel dropped the killed writer's lock
    finally:
        con.close()
    assert not [p.name for p in out.iterdir() if p.name.startswith((".tmp-", ".latest.old-"))]
    assert set(result.stale_removed) == {*left, ".latest.old-0123abcd", ".tmp-link-dangling"}
    logged = [json.loads(line) for line in (out / PUBLISH_LOG).read_text().splitlines()]
    assert logged[-1]["run_id"] == "next-run" and set(logged[-1]["stale_removed"]) == set(result.stale_removed)
    assert (out / LATEST).resolve() == result.folder.resolve()


def test_a_reader_mid_read_keeps_reading_the_export_it_started(data, tmp_path):
    """Deterministic form of the race: a reader between its manifest and its files while `latest` moves on."""
    out = tmp_path / "exports"
    export_to(data, out, date(2026, 4, 24))
    resolved = Path(os.path.realpath(out / LATEST))  # resolve `latest` once ...
    manifest = json.loads((resolved / "manifest.json").read_bytes())
    with open(resolved / "offers.json", "rb") as half_read:
        start = half_read.read(100)
        export_to(data, out, AS_OF)  # ... the next export switches `latest` meanwhile
        assert start + half_read.read() == (resolved / "offers.json").read_bytes()
    assert Path(os.path.realpath(out / LATEST)) != resolved
    differing = sorted(name for name, sha in manifest["files"].items()
                       if hashlib.sha256((resolved / name).read_bytes()).hexdigest() != sha)
    assert differing == []  # every file as the manifest the reader read lists it
    assert (out / VERSIONS_DIR / manifest["version"]).resolve() == resolved.resolve()


READER = """
import hashlib, json, os, sys, time
from pathlib import Path

out, stop = Path(sys.argv[1]), Path(sys.argv[2])
polls, problems = 0, []

def check(root, files):
    for name, sha in files.items():
        if hashlib.sha256((root / name).read_bytes()).hexdigest() != sha:
            problems.append(f"{root.name}/{name} does not match the manifest it was listed in")

while not stop.exists():
    try:
        # the manifest through `latest` is always there and complete
        manifest_bytes = (out / "latest" / "manifest.json").read_bytes()
        manifest = json.loads(manifest_bytes)
        # a reader resolves `latest` once, then reads below the resolved folder
        resolved = Path(os.path.realpath(out / "latest"))
        check(resolved, json.loads((resolved / "manifest.json").read_bytes())["files"])
        polls += 1
        if polls % 4 == 0:  # or reads the version the manifest names, below versions/
            folder = out / "versions" / manifest["version"]
            if (folder / "manifest.json").read_bytes() != manifest_bytes:
                problems.append(f"versions/{manifest['version']}/manifest.json is not the manifest read")
            check(folder, manifest["files"])
    except Exception as e:  # FileNotFoundError, a half-written manifest: the faults
        problems.append(f"{type(e).__name__}: {e}")
    time.sleep(0.005)
print(json.dumps({"polls": polls, "problems": problems}))
"""


def test_readers_never_see_a_file_vanish_or_change_while_exports_run(data, tmp_path, monkeypatch):
    monkeypatch.setattr(export_module, "KEEP_EXPORTS", 3, raising=False)  # prune while the reader reads
    out = tmp_path / "exports"
    days = [date(2026, 4, 15) + timedelta(days=i) for i in range(6)] + [AS_OF]  # 7 different states
    export_to(data, out, days[0])
    stop = tmp_path / "stop"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(out), str(stop)], stdout=subprocess.PIPE, text=True)
    con = connect(data / "ledger.duckdb", read_only=True)
    try:
        time.sleep(0.2)
        results = [export(con, out, f"run-{i}", day) for i, day in enumerate(days[1:])]
    finally:
        con.close()
        stop.touch()
        seen = json.loads(reader.communicate(timeout=60)[0])
    problems = seen["problems"]
    assert problems == [], f"{len(problems)} problems in {seen['polls']} polls: {problems[:5]}"
    assert seen["polls"] >= 20
    print(f"{seen['polls']} polls during {len(results)} exports, no problem")
    # retention: the 3 newest kept, the rest removed (after `latest` had moved on), no link dangles
    assert sum(len(r.pruned) for r in results) == len(days) - 3
    kept = sorted(p.name for p in (out / VERSIONS_DIR).iterdir())
    assert len(kept) == 3 and (out / LATEST).resolve().name == results[-1].version
    links = [p for p in out.iterdir() if p.is_symlink()]
    assert all(p.exists() for p in links) and {Path(os.readlink(p)).name for p in links} <= set(kept)


def test_the_target_of_latest_is_kept_beyond_retention(data, tmp_path):
    out = tmp_path / "exports"
    target = export_to(data, out, AS_OF, keep=2)
    for day in (date(2026, 4, 15), date(2026, 4, 24), date(2026, 5, 1)):
        export_to(data, out, day, update_latest=False, keep=2)
    # the 2 newest published, and the older target of `latest` besides
    assert (out / LATEST).resolve() == target.resolve()
    assert sorted(p.name for p in (out / VERSIONS_DIR).iterdir()) == sorted(
        [target.name, Path(os.readlink(out / "2026-04-24")).name, Path(os.readlink(out / "2026-05-01")).name])
    assert not (out / "2026-04-15").exists() and not (out / "2026-04-15").is_symlink()  # its link went first


def test_two_exports_at_once_are_serialized(data, tmp_path):
    out = tmp_path / "exports"
    con = connect(data / "ledger.duckdb", read_only=True)
    errors: list[BaseException] = []

    def one(day: date) -> None:
        cur = con.cursor()
        try:
            export(cur, out, f"run-{day}", day)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)
        finally:
            cur.close()

    try:
        threads = [threading.Thread(target=one, args=(d,)) for d in (date(2026, 4, 24), AS_OF)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    finally:
        con.close()
    assert errors == []
    assert len(list((out / VERSIONS_DIR).iterdir())) == 2
    assert not [p for p in out.iterdir() if p.name.startswith(".tmp-")]
    for link in (out / LATEST, out / "2026-04-24", out / AS_OF.isoformat()):
        folder = link.resolve()
        manifest = json.loads((folder / "manifest.json").read_text())
        assert {k: v for k, v in file_digests(folder).items() if k != "manifest.json"} == manifest["files"]


def test_the_layout_before_versions_is_taken_over(data, tmp_path):
    """A data dir exported by the previous layout: `latest` and `<as_of>` were folders (copies)."""
    out = tmp_path / "exports"
    for name in (LATEST, AS_OF.isoformat()):
        (out / name).mkdir(parents=True)
        (out / name / "manifest.json").write_text('{"run_id": "old"}')
    con = connect(data / "ledger.duckdb", read_only=True)
    try:
        result = export(con, out, "run", AS_OF)
    finally:
        con.close()
    assert (out / LATEST).is_symlink() and (out / AS_OF.isoformat()).is_symlink()
    assert (out / LATEST).resolve() == result.folder.resolve()
    legacy = sorted(p.name for p in (out / VERSIONS_DIR).iterdir() if p.name.startswith("legacy-"))
    assert len(legacy) == 2  # the old copies are kept as past versions, pruned by retention later
