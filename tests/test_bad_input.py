"""Bad input: the source is reported failed or partial with source, URL and what was wrong; the
run goes on with the other sources; nothing already in the warehouse is retired or overwritten."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from pipeline.config import load_sources
from pipeline.process import process_pending
from pipeline.raw import RawArchive
from tests.crawl_helpers import copy_crawl, newest_recorded, replace_body
from warehouse.connection import connect

LLAMA_1B = "meta/llama-3.2-1b-instruct"
DAY1 = datetime(2026, 6, 4, 6, 0, tzinfo=UTC)
DAY2 = datetime(2026, 6, 5, 6, 0, tzinfo=UTC)
CF_URL = "workers-ai/platform/pricing"
MISTRAL_7B = "mistral/mistral-7b-instruct-v0.1"
MISTRAL_CF = "@cf/mistral/mistral-7b-instruct-v0.1"


@pytest.fixture()
def archive(tmp_path: Path) -> RawArchive:
    copy_crawl(newest_recorded(), tmp_path / "raw", "day1", DAY1)
    return RawArchive(tmp_path / "raw")


def load(tmp_path: Path, archive: RawArchive):
    con = connect(tmp_path / "ledger.duckdb")
    reports = process_pending(con, archive, load_sources(), "test-run")
    return con, reports


def snapshot(con) -> list[tuple]:
    return con.execute("""SELECT model_id, provider_id, provider_model_id, variant, input_usd_per_mtok,
                                 output_usd_per_mtok, valid_from FROM offer_versions WHERE valid_to IS NULL
                          ORDER BY ALL""").fetchall()


def health(report, source_id: str):
    return next(s for s in report.sources if s.source_id == source_id)


def damaged_day2(tmp_path: Path, archive: RawArchive, **kw) -> None:
    day2 = copy_crawl(newest_recorded(), archive.root, "day2", DAY2)
    for source_id, (url_part, changes) in kw.items():
        replace_body(day2 / source_id.replace("_", "-"), url_part, **changes)


def test_layout_change_fails_the_source_and_retires_nothing(tmp_path, archive):
    con, _ = load(tmp_path, archive)
    before = snapshot(con)
    damaged_day2(tmp_path, archive, cloudflare_workers_ai=(CF_URL, {"new": b"<html><body><h1>Pricing moved</h1></body></html>"}))
    (report,) = process_pending(con, archive, load_sources(), "run-2")
    cf = health(report, "cloudflare-workers-ai")
    assert cf.health == "failed"
    assert "cloudflare-workers-ai" in str(cf.errors[0]) and CF_URL in cf.errors[0].url
    assert health(report, "openrouter").health == "ok"  # the others go on
    assert snapshot(con) == before  # nothing retired, nothing overwritten


def test_broken_json_fails_openrouter_and_keeps_its_offers(tmp_path, archive):
    con, _ = load(tmp_path, archive)
    before = snapshot(con)
    damaged_day2(tmp_path, archive, openrouter=("/api/v1/models", {"new": b'{"data": [ {"id": "broken'}))
    (report,) = process_pending(con, archive, load_sources(), "run-2")
    orr = health(report, "openrouter")
    assert orr.health in ("failed", "partial")
    assert any("api/v1/models" in p.url for p in orr.errors)
    assert snapshot(con) == before


def test_http_error_is_reported_and_retires_nothing(tmp_path, archive):
    con, _ = load(tmp_path, archive)
    before = snapshot(con)
    damaged_day2(tmp_path, archive, cloudflare_workers_ai=(CF_URL, {"status": 503}))
    (report,) = process_pending(con, archive, load_sources(), "run-2")
    cf = health(report, "cloudflare-workers-ai")
    assert cf.health == "failed" and "HTTP 503" in cf.reason
    assert snapshot(con) == before


def test_malformed_price_makes_the_source_partial_and_keeps_the_good_price(tmp_path, archive):
    con, _ = load(tmp_path, archive)
    damaged_day2(tmp_path, archive,
                 cloudflare_workers_ai=(CF_URL, {"old": "$0.027 per M input tokens", "to": "$abc per M input tokens"}))
    (report,) = process_pending(con, archive, load_sources(), "run-2")
    cf = health(report, "cloudflare-workers-ai")
    assert cf.health == "partial"
    problem = next(p for p in cf.errors if p.field == "input_usd_per_mtok")
    assert CF_URL in problem.url and "abc" in problem.message
    # Cloudflare's one route keeps its prices: its own page's bad cell keeps the last good value,
    # and OpenRouter's report of the same route (a claim about the same offer) agrees
    rows = con.execute("""SELECT provider_model_id, input_usd_per_mtok, output_usd_per_mtok FROM offers_current
                          WHERE model_id = ? AND provider_id = 'cloudflare-workers-ai' ORDER BY ALL""",
                       [LLAMA_1B]).fetchall()
    assert rows == [("@cf/meta/llama-3.2-1b-instruct", Decimal("0.027"), Decimal("0.201"))]


def test_a_healthy_crawl_that_stops_listing_an_offer_retires_it(tmp_path, archive):
    """The other side of the absence rule: only a healthy crawl of the offer's own source retires it.
    The offer dropped here is one only Cloudflare's page lists (the 1B Instruct's @cf offer is also
    listed by catalogs, which keep claiming it); the same model's route via OpenRouter stays."""
    con, _ = load(tmp_path, archive)
    day2 = copy_crawl(newest_recorded(), archive.root, "day2", DAY2)
    body = (day2 / "cloudflare-workers-ai")
    from tests.crawl_helpers import page_body
    text = page_body(body, CF_URL).read_text()
    start = text.index(MISTRAL_CF)
    row_start = text.rindex("\n", 0, start) + 1  # the markdown table row: its whole line
    row_end = text.index("\n", start) + 1
    assert text[row_start:row_end].startswith("|")
    replace_body(body, CF_URL, text[:row_start].encode() + text[row_end:].encode())
    (report,) = process_pending(con, archive, load_sources(), "run-2")
    assert health(report, "cloudflare-workers-ai").health == "ok"
    closed = con.execute("""SELECT provider_id, provider_model_id, closed_by FROM offer_versions WHERE model_id = ?
                            ORDER BY ALL""", [MISTRAL_7B]).fetchall()
    assert closed == [("cloudflare-workers-ai", MISTRAL_CF, "day2"),
                      ("openrouter", "mistralai/mistral-7b-instruct-v0.1", None)]


def test_a_source_that_collapses_to_a_few_rows_is_partial_and_retires_nothing(tmp_path, archive):
    import json

    from tests.crawl_helpers import page_body

    con, _ = load(tmp_path, archive)
    before = snapshot(con)
    day2 = copy_crawl(newest_recorded(), archive.root, "day2", DAY2)
    body = page_body(day2 / "litellm", "model_prices")
    entries = json.loads(body.read_text())
    kept = dict(list(entries.items())[:3])  # a changed export that silently lost most entries
    replace_body(day2 / "litellm", "model_prices", json.dumps(kept).encode())
    (report,) = process_pending(con, archive, load_sources(), "run-2")
    lite = health(report, "litellm")
    assert lite.health == "partial"
    assert "where the last healthy crawl had" in lite.reason
    assert snapshot(con) == before  # a partial source retires nothing
