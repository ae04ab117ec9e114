"""Fault matrix, raw archive: damage is detected before anything is replaced, paths stay inside
the archive, a killed crawl is never loaded as ok, a broken curated file stops the run at once.

Each test reproduces one failure of the fault matrix (issue 10) on the recorded crawl."""
from __future__ import annotations

import errno
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline import cli
from pipeline.config import ConfigError, load_sources
from pipeline.errors import ArchiveError, LedgerError, StorageError, as_storage_error
from pipeline.process import process_pending
from pipeline.raw import CrawlInfo, FetchInfo, RawArchive
from tests.crawl_helpers import copy_crawl, newest_recorded, page_body, replace_body
from warehouse.connection import connect

DAY1 = datetime(2026, 6, 4, 6, 0, tzinfo=UTC)
DAY2 = datetime(2026, 6, 5, 6, 0, tzinfo=UTC)
SOURCES = ["cloudflare-workers-ai", "aws-bedrock", "openai"]
CF_URL = "workers-ai/platform/pricing"


def snapshot(con) -> list[tuple]:
    return con.execute("""SELECT model_id, provider_id, variant, input_usd_per_mtok, output_usd_per_mtok,
                                 valid_from, valid_to FROM offer_versions ORDER BY ALL""").fetchall()


@pytest.fixture()
def loaded(tmp_path: Path):
    """A warehouse holding two crawls (three sources each), and its archive."""
    raw = tmp_path / "raw"
    copy_crawl(newest_recorded(), raw, "day1", DAY1, sources=SOURCES)
    copy_crawl(newest_recorded(), raw, "day2", DAY2, sources=SOURCES)
    archive = RawArchive(raw)
    con = connect(tmp_path / "ledger.duckdb")
    process_pending(con, archive, load_sources(), "first")
    yield con, archive
    con.close()


def rebuild(con, archive, **kw):
    return process_pending(con, archive, load_sources(), "rebuild", rebuild=True, **kw)


def refused(con, archive, *needles: str) -> str:
    before = snapshot(con)
    with pytest.raises(ArchiveError) as e:
        rebuild(con, archive)
    message = str(e.value)
    for needle in needles:
        assert needle in message, message
    assert snapshot(con) == before  # nothing replaced
    return message


# -- damage: detected, named, nothing replaced -------------------------------------------------

def test_a_flipped_byte_in_a_body_stops_the_rebuild(loaded):
    con, archive = loaded
    body = page_body(archive.crawl_dir("day1") / "aws-bedrock", "")
    data = bytearray(body.read_bytes())
    i = data.index(b'"USD": "0.') + len(b'"USD": "0.')  # a published price: 0.22 -> 0.92 went unnoticed before
    data[i] = ord("9") if data[i] != ord("9") else ord("8")
    body.write_bytes(bytes(data))
    refused(con, archive, str(body), "does not match its sha256", "--skip-damaged")


def test_an_emptied_body_stops_the_rebuild(loaded):
    con, archive = loaded
    body = page_body(archive.crawl_dir("day2") / "cloudflare-workers-ai", CF_URL)
    body.write_bytes(b"")
    refused(con, archive, str(body), "does not match its sha256")


def test_a_deleted_crawl_json_is_noticed_by_the_warehouse_that_loaded_it(loaded):
    con, archive = loaded
    (archive.crawl_dir("day1") / "crawl.json").unlink()
    refused(con, archive, "day1", "crawl.json", "the warehouse loaded this crawl")


def test_a_deleted_fetch_json_is_noticed(loaded):
    con, archive = loaded
    fetch = archive.crawl_dir("day2") / "openai" / "fetch.json"
    fetch.unlink()
    refused(con, archive, str(fetch), "missing")


def test_a_zeroed_sha256_is_noticed(loaded):
    con, archive = loaded
    pages = archive.crawl_dir("day2") / "openai" / "pages.jsonl"
    lines = pages.read_text().splitlines()
    first = json.loads(lines[0])
    first["sha256"] = "0" * 64
    pages.write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n")
    refused(con, archive, "openai", "does not match its sha256")


def test_an_invalid_pages_line_names_the_file_and_line(loaded):
    con, archive = loaded
    pages = archive.crawl_dir("day2") / "openai" / "pages.jsonl"
    pages.write_text(pages.read_text() + '{"url": "https://x.test/", "broken\n')
    message = refused(con, archive, str(pages), "line")
    assert "ValidationError" not in message and "pydantic" not in message


def test_an_invalid_crawl_json_names_the_file(loaded):
    con, archive = loaded
    crawl_json = archive.crawl_dir("day2") / "crawl.json"
    crawl_json.write_text('{"crawl_id": "day2"')
    refused(con, archive, str(crawl_json))
    with pytest.raises(ArchiveError, match="crawl.json"):
        archive.crawls()


def test_skip_damaged_rebuilds_without_the_damaged_crawl_and_reports_it(loaded):
    con, archive = loaded
    body = page_body(archive.crawl_dir("day1") / "cloudflare-workers-ai", CF_URL)
    body.write_bytes(body.read_bytes() + b"tampered")
    reports = rebuild(con, archive, skip_damaged=True)
    skipped = [r for r in reports if r.damage]
    assert [r.crawl_id for r in skipped] == ["day1"]
    assert str(body) in str(skipped[0].damage[0])
    assert [r.crawl_id for r in reports if not r.damage] == ["day2"]
    assert con.execute("SELECT list(crawl_id ORDER BY crawl_id) FROM crawls").fetchone()[0] == ["day2"]


def test_the_cli_rebuild_exits_non_zero_naming_the_file_and_skip_damaged_reports_it(loaded, tmp_path):
    con, archive = loaded
    con.close()
    body = page_body(archive.crawl_dir("day1") / "openai", "")
    body.write_bytes(b"x" + body.read_bytes()[1:])
    runner = CliRunner()
    result = runner.invoke(cli.app, ["rebuild", "--data-dir", str(tmp_path), "--no-export"])
    assert result.exit_code == 1
    assert "does not match its sha256" in result.output and body.name in result.output
    assert "Traceback" not in result.output
    result = runner.invoke(cli.app, ["rebuild", "--data-dir", str(tmp_path), "--no-export", "--skip-damaged"])
    assert result.exit_code == 0, result.output
    assert "skipped damaged crawl day1" in result.output


# -- paths stay inside the archive ---------------------------------------------------------

def test_a_body_file_outside_the_crawl_folder_is_refused(loaded, tmp_path):
    con, archive = loaded
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0")
    pages = archive.crawl_dir("day2") / "openai" / "pages.jsonl"
    lines = pages.read_text().splitlines()
    first = json.loads(lines[0])
    first["body_file"] = "../../../secret.txt"
    pages.write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n")
    refused(con, archive, "points outside")
    with pytest.raises(ArchiveError, match="points outside"):
        list(archive.pages("day2", "openai"))
    first["body_file"] = str(secret)  # an absolute path too
    pages.write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n")
    with pytest.raises(ArchiveError, match="points outside"):
        list(archive.pages("day2", "openai"))
    assert con.execute("SELECT count(*) FROM raw_pages WHERE body_file LIKE '%secret%'").fetchone()[0] == 0


# -- a killed crawl is never loaded as ok --------------------------------------------------

def test_a_seal_notices_a_source_folder_edited_after_the_crawl(tmp_path):
    raw = tmp_path / "raw"
    copy_crawl(newest_recorded(), raw, "day1", DAY1, sources=SOURCES)
    archive = RawArchive(raw)
    info = archive.publish_crawl("day1", DAY1, mode="test")
    assert sorted(info.sources or {}) == sorted(SOURCES)
    assert archive.verify_crawl("day1") == []
    pages = raw / "day1" / "openai" / "pages.jsonl"
    pages.write_text(pages.read_text().splitlines()[0] + "\n")  # a page dropped from the index
    assert "does not match the sha256 sealed in crawl.json (edited after the crawl)" in [
        d.message for d in archive.verify_crawl("day1")]
    fetch = raw / "day1" / "openai" / "fetch.json"
    fetch.write_text(fetch.read_text().replace('"ok"', '"failed"'))
    assert any(d.path == fetch and "sealed" in d.message for d in archive.verify_crawl("day1"))
    import shutil
    shutil.rmtree(raw / "day1" / "aws-bedrock")
    assert any("sealed in crawl.json is missing" in d.message for d in archive.verify_crawl("day1"))


def test_the_cli_crawl_publishes_crawl_json_only_after_every_source_finished(tmp_path, monkeypatch):
    """run --live wrote crawl.json before fetching: a kill mid-fetch left a crawl the next run loaded."""
    import spiders.runner
    from pipeline.run import crawl

    archive = RawArchive(tmp_path / "raw")
    seen: list[bool] = []

    def fake_crawl_sources(sources, root, crawl_id, **kw):
        seen.append((Path(root) / crawl_id / "crawl.json").exists())
        folder = Path(root) / crawl_id / sources[0].id
        folder.mkdir(parents=True)
        (folder / "pages.jsonl").write_text("")
        info = FetchInfo(source_id=sources[0].id, started_at=DAY1, finished_at=DAY1, status="failed")
        (folder / "fetch.json").write_text(info.model_dump_json())
        return [info]

    monkeypatch.setattr(spiders.runner, "crawl_sources", fake_crawl_sources)
    registry = load_sources()
    crawl_id, _ = crawl(archive, [registry.get("openai")])
    assert seen == [False]  # nothing published while fetching
    info = CrawlInfo.model_validate_json((archive.crawl_dir(crawl_id) / "crawl.json").read_text())
    assert info.sources is not None and list(info.sources) == ["openai"]


def test_an_unfinished_crawl_folder_is_not_loaded(loaded):
    con, archive = loaded
    before = snapshot(con)
    killed = copy_crawl(newest_recorded(), archive.root, "day3", datetime(2026, 6, 6, tzinfo=UTC), sources=["openai"])
    (killed / "crawl.json").unlink()  # killed before publishing: an unfinished folder
    (killed / "openai" / "pages.jsonl").write_text("")
    assert archive.unfinished() == [killed]
    assert process_pending(con, archive, load_sources(), "next") == []
    assert snapshot(con) == before


def test_a_fetch_without_finished_at_is_never_ok_and_retires_nothing(loaded):
    con, archive = loaded
    before = con.execute("SELECT model_id, provider_id FROM offers_current ORDER BY ALL").fetchall()
    day3 = copy_crawl(newest_recorded(), archive.root, "day3", datetime(2026, 6, 6, tzinfo=UTC), sources=["openai"])
    fetch = day3 / "openai" / "fetch.json"
    info = FetchInfo.model_validate_json(fetch.read_text())
    fetch.write_text(info.model_copy(update={"finished_at": None, "status": "ok"}).model_dump_json())
    # a fragment: the first page only
    pages = day3 / "openai" / "pages.jsonl"
    pages.write_text(pages.read_text().splitlines()[0] + "\n")
    (report,) = process_pending(con, archive, load_sources(), "next")
    (openai,) = report.sources
    assert openai.health in ("partial", "failed") and "did not finish" in openai.reason
    assert con.execute("SELECT model_id, provider_id FROM offers_current ORDER BY ALL").fetchall() == before


# -- configuration: fail fast, naming the file ---------------------------------------------

def test_a_broken_curated_file_stops_the_run_before_any_source_is_parsed(loaded, tmp_path, monkeypatch):
    import pipeline.identity

    con, archive = loaded
    broken = tmp_path / "aliases.yaml"
    text = pipeline.identity.ALIASES_FILE.read_text()
    broken.write_text(text.replace("creators:", "creators:\nunused_empty_block:", 1) + "\nfamilies:\n")
    monkeypatch.setattr(pipeline.identity, "ALIASES_FILE", broken)
    copy_crawl(newest_recorded(), archive.root, "day3", datetime(2026, 6, 6, tzinfo=UTC), sources=["openai"])
    with pytest.raises(ConfigError) as e:
        process_pending(con, archive, load_sources(), "next")
    assert str(broken) in str(e.value)
    assert con.execute("SELECT count(*) FROM crawl_sources WHERE crawl_id = 'day3'").fetchone()[0] == 0


# -- one exception base; storage errors say what happened ----------------------------------

def test_every_error_class_of_the_project_derives_from_one_base():
    import pipeline.export
    import pipeline.flows
    import pipeline.identity
    import pipeline.models
    import pipeline.normalize
    import pipeline.run
    import warehouse.connection

    classes = [ConfigError, ArchiveError, StorageError, pipeline.export.ExportError, pipeline.flows.CrawlFailed,
               pipeline.flows.RefreshFailed, pipeline.identity.IdentityError, pipeline.models.PageLayoutError,
               pipeline.normalize.NormalizeError, pipeline.run.RunError, warehouse.connection.WarehouseLocked,
               warehouse.connection.WarehouseMissing]
    assert all(issubclass(c, LedgerError) for c in classes)


def test_a_full_disk_is_a_clear_message_not_a_traceback(tmp_path, monkeypatch):
    import duckdb

    import pipeline.run

    assert "no space left on device" in str(as_storage_error(OSError(errno.ENOSPC, "No space left on device"), "x"))
    duck = duckdb.IOException('Could not write file "ledger.duckdb.wal": No space left on device')
    assert isinstance(as_storage_error(duck, "x"), StorageError)
    assert as_storage_error(ValueError("bad"), "x") is None

    def full(*a, **k):
        raise duck

    monkeypatch.setattr(pipeline.run, "export", full)
    result = CliRunner().invoke(cli.app, ["run", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "no space left on device" in result.output.lower() and str(tmp_path) in result.output
    assert "Traceback" not in result.output


# -- found by the fault matrix runner (bench/fault_matrix.py) --------------------------------

def test_repeated_page_lines_and_a_deleted_pages_index_are_damage(loaded):
    con, archive = loaded
    pages = archive.crawl_dir("day2") / "openai" / "pages.jsonl"
    pages.write_text(pages.read_text() * 2)
    refused(con, archive, str(pages), "repeats line 1", "where fetch.json says")
    pages.unlink()
    refused(con, archive, str(pages), "pages.jsonl is missing")


def test_a_replayed_crawl_is_sealed_on_import_so_an_edited_fetch_json_is_noticed(tmp_path):
    from pipeline.run import replay_recorded

    archive = RawArchive(tmp_path / "raw")
    imported = replay_recorded(archive)
    assert imported and all(c.sources for c in archive.crawls())
    con = connect(tmp_path / "ledger.duckdb")
    process_pending(con, archive, load_sources(), "first")
    newest = archive.crawls()[-1].crawl_id
    fetch = archive.crawl_dir(newest) / "openrouter" / "fetch.json"
    info = FetchInfo.model_validate_json(fetch.read_text())
    fetch.write_text(info.model_copy(update={"finished_at": None}).model_dump_json())
    refused(con, archive, str(fetch), "sealed in crawl.json")
    con.close()


def test_a_broken_curated_file_stops_a_live_run_before_anything_is_fetched(tmp_path, monkeypatch):
    import pipeline.identity
    import pipeline.run

    broken = tmp_path / "aliases.yaml"
    broken.write_text(pipeline.identity.ALIASES_FILE.read_text() + "\nfamilies:\n")
    monkeypatch.setattr(pipeline.identity, "ALIASES_FILE", broken)
    fetched: list[object] = []
    monkeypatch.setattr(pipeline.run, "crawl", lambda *a, **k: fetched.append(a))
    with pytest.raises(ConfigError, match="aliases.yaml"):
        pipeline.run.run(tmp_path / "data", live=True, only=["openai"])
    assert fetched == [] and not (tmp_path / "data" / "raw").exists()
