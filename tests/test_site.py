"""The site builder without a browser: what it reads (the export only), what it refuses, what it
replaces, and the words it writes from a record (verdict, FAQ) when facts are unknown.
The pages in a real browser: test_site_browser.py."""
from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline import cli
from pipeline.records import ComparisonRecord
from pipeline.site import SITE_MARKER, SiteError, build_site, faq, read_export, score, verdict

PAIR = "compare/meta__llama-3.2-1b-instruct--vs--openai__o3-mini.html"
LLAMA_FILE = "models/meta__llama-3.2-1b-instruct.json"


@pytest.fixture(scope="module")
def exports(recorded_exports) -> dict[str, Path]:
    return {day: recorded_exports(date.fromisoformat(day)) for day in ("2026-04-24", "2026-06-04")}


def copy(folder: Path, dest: Path) -> Path:
    shutil.copytree(folder, dest)
    return dest


def test_the_site_needs_the_export_only(exports, tmp_path):
    """An export copied where no warehouse is renders whole: the JSON files are the contract."""
    export = copy(exports["2026-06-04"], tmp_path / "elsewhere" / "export")
    result = build_site(export, tmp_path / "site")
    index = json.loads((export / "index.json").read_text())
    assert result.pages == 2 + len(index["models"]) + len(index["comparisons"])
    page = (tmp_path / "site" / PAIR).read_text()
    assert "$71.85" in page and 'value="0.027"' in page
    assert (tmp_path / "site" / SITE_MARKER).read_text().strip() == result.export_version


def test_an_earlier_site_is_replaced_whole_and_a_foreign_folder_is_refused(exports, tmp_path):
    out = tmp_path / "site"
    build_site(exports["2026-06-04"], out)
    (out / "models" / "stale.html").write_text("from an older export")
    build_site(exports["2026-04-24"], out)
    assert not (out / "models" / "stale.html").exists()
    assert "as of <time datetime=\"2026-04-24\">" in (out / "index.html").read_text()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]  # nothing left beside it

    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(SiteError, match="not a site llm-ledger built"):
        build_site(exports["2026-06-04"], foreign)
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"]


def test_a_broken_export_is_named_file_and_field_and_nothing_is_written(exports, tmp_path):
    export = copy(exports["2026-06-04"], tmp_path / "export")
    record = json.loads((export / LLAMA_FILE).read_text())
    record["routes"][0]["input_usd_per_mtok"] = "cheap"
    (export / LLAMA_FILE).write_text(json.dumps(record))
    with pytest.raises(SiteError, match=r"meta__llama-3.2-1b-instruct\.json: field routes\.0\.input_usd_per_mtok"):
        build_site(export, tmp_path / "site")
    assert not (tmp_path / "site").exists()

    old = copy(exports["2026-06-04"], tmp_path / "old")
    manifest = json.loads((old / "manifest.json").read_text())
    (old / "manifest.json").write_text(json.dumps({**manifest, "schema_version": "2"}))
    with pytest.raises(SiteError, match=r"manifest\.json: schema_version '2', this llm-ledger renders '3'"):
        read_export(old)


def test_unknown_facts_are_said_to_be_unknown(exports):
    """A side whose context window no source states (as o4-mini's on the seed page, "not-yet-sourced")
    and no price: the FAQ and verdict say unknown, with the record's reason, never a guess."""
    (path,) = exports["2026-04-24"].glob("comparisons/meta__llama-3.2-1b-instruct--vs--openai__o4-mini.json")
    record = ComparisonRecord.model_validate_json(path.read_text())
    assert verdict(record).startswith(
        "Llama 3.2 1B Instruct is ~1752% cheaper on input at $0.03/1M (o4-mini: $0.50/1M).")
    unknown_side = record.b.model_copy(update={
        "context_window": record.b.context_window.model_copy(update={"tokens": None, "label": None,
                                                                     "status": "unknown"}),
        "cheapest_input": None, "cheapest_output": None})
    reason = "b (openai/o4-mini) has no standard input price"
    unknown = record.model_copy(update={"b": unknown_side, "context_leader": None, "cheaper": None,
                                        "cheaper_pct": None, "null_reasons": {"cheaper": reason}})
    answers = dict(faq(unknown))
    assert answers["Which has a larger context window, Llama 3.2 1B Instruct or o4-mini?"] == (
        "Unknown: no source states the context window of o4-mini.")
    assert answers["Which is cheaper, Llama 3.2 1B Instruct or o4-mini?"] == f"Unknown: {reason}."
    assert verdict(unknown).startswith(f"Which is cheaper is unknown: {reason}.")


def test_scores_print_as_the_seed_pages_print_them():
    from decimal import Decimal
    assert [score(Decimal(x)) for x in ("20", "79.1", "10.82")] == ["20.0", "79.1", "10.82"]
    assert score(None) == "Unknown"


def test_the_cli_builds_exports_first_and_says_where_to_open(recorded_warehouse, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(recorded_warehouse, data / "ledger.duckdb")
    runner = CliRunner()
    missing = runner.invoke(cli.app, ["site", "--data-dir", str(data)])
    assert missing.exit_code == 1 and "no export in" in missing.output and "llm-ledger run" in missing.output

    made = runner.invoke(cli.app, ["site", "--data-dir", str(data), "--as-of", "2026-04-24"], env={"COLUMNS": "300"})
    assert made.exit_code == 0, made.output
    assert (data / "exports" / "2026-04-24" / "manifest.json").exists()  # exported from the warehouse first
    assert f"open: {data / 'site' / '2026-04-24' / 'index.html'}" in made.output

    before = runner.invoke(cli.app, ["site", "--data-dir", str(data), "--as-of", "2026-01-01"])
    assert before.exit_code == 1 and "before the first crawl" in before.output
