"""Fault matrix, source health: data is never lost while a source is judged healthy.

A small page that shrinks or is cut off, placeholders ("N/A") where prices were, renamed price
keys: each kept known prices and offers on HEAD 9b157f0 only by luck or not at all (issue 10)."""
from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from pipeline.config import load_sources
from pipeline.process import process_pending
from pipeline.raw import RawArchive
from tests.crawl_helpers import copy_crawl, newest_recorded, page_body, replace_body
from warehouse.connection import connect

DAY1 = datetime(2026, 6, 4, 6, 0, tzinfo=UTC)
DAY2 = datetime(2026, 6, 5, 6, 0, tzinfo=UTC)
CF = "cloudflare-workers-ai"
CF_URL = "workers-ai/platform/pricing"


def offers(con, provider: str | None = None) -> list[tuple]:
    sql = """SELECT model_id, provider_id, variant, input_usd_per_mtok, output_usd_per_mtok FROM offers_current"""
    params: list[object] = []
    if provider:
        sql += " WHERE provider_id = ?"
        params.append(provider)
    return con.execute(sql + " ORDER BY ALL", params).fetchall()


def models(con) -> list[str]:
    return [r[0] for r in con.execute("SELECT model_id FROM models_current ORDER BY 1").fetchall()]


def day2_with(tmp_path: Path, sources: list[str], change) -> tuple:
    raw = tmp_path / "raw"
    copy_crawl(newest_recorded(), raw, "day1", DAY1, sources=sources)
    archive = RawArchive(raw)
    con = connect(tmp_path / "ledger.duckdb")
    process_pending(con, archive, load_sources(), "day1")
    before = (offers(con), models(con))
    day2 = copy_crawl(newest_recorded(), raw, "day2", DAY2, sources=sources)
    change(day2)
    (report,) = process_pending(con, archive, load_sources(), "day2")
    return con, report, before


def health(report, source_id: str):
    return next(s for s in report.sources if s.source_id == source_id)


# -- a small source that shrinks ------------------------------------------------------------

def _cf_rows(text: str) -> list[tuple[int, int]]:
    """(start, end) of every row line (its newline included) of the markdown "LLM model pricing"
    table that names a Workers AI model (``@cf/`` or ``@hf/``)."""
    section = text.index("## LLM model pricing")
    section_end = text.find("\n#", section + 1)
    section_end = len(text) if section_end < 0 else section_end
    rows = []
    pos = section
    while pos < section_end:
        end = text.find("\n", pos, section_end)
        end = section_end if end < 0 else end + 1
        line = text[pos:end]
        if line.lstrip().startswith("|") and ("@cf/" in line or "@hf/" in line):
            rows.append((pos, end))
        pos = end
    return rows


def _in_output_price(text: str, row: tuple[int, int]) -> int:
    """An offset inside a row's price cell, in its output price after ``$`` and three characters
    (``$4.8`` of ``$4.881``): a cut there would read as a wrong, smaller price."""
    line = text[row[0]:row[1]]
    output = line.index(" per M output tokens")
    return row[0] + line.rindex("$", 0, output) + 4


def test_cloudflare_showing_one_of_its_seven_rows_retires_nothing(tmp_path):
    def one_row(day2: Path) -> None:
        text = page_body(day2 / CF, CF_URL).read_text()
        rows = _cf_rows(text)
        assert len(rows) >= 7
        kept = text[: rows[1][0]] + text[rows[-1][1]:]  # rows 2..7 gone, the page otherwise whole
        replace_body(day2 / CF, CF_URL, kept.encode())

    con, report, (offers_before, models_before) = day2_with(tmp_path, [CF], one_row)
    cf = health(report, CF)
    assert cf.health == "partial" and "items where the last healthy crawl had" in cf.reason
    assert offers(con) == offers_before and models(con) == models_before


@pytest.mark.parametrize("row", [2, 4, 7])
def test_cloudflare_page_cut_off_inside_an_llm_row_retires_nothing(tmp_path, row):
    """A markdown body cut inside an LLM row's price cell (``$4.8`` of ``$4.881``) still parses
    as a table: the short row is an error, never a price, and nothing is retired or changed."""
    def cut(day2: Path) -> None:
        body = page_body(day2 / CF, CF_URL).read_text()
        rows = _cf_rows(body)
        assert len(rows) == 7
        at = _in_output_price(body, rows[row - 1])
        replace_body(day2 / CF, CF_URL, body[:at].encode())

    con, report, (offers_before, models_before) = day2_with(tmp_path, [CF], cut)
    cf = health(report, CF)
    assert cf.health in ("partial", "failed")
    assert any("cut off" in p.message for p in cf.errors)
    assert offers(con) == offers_before and models(con) == models_before


def test_cloudflare_page_cut_off_after_the_llm_table_keeps_every_llm_offer(tmp_path):
    """Cut after the LLM table (here inside the heading of the next section), the markdown body
    truthfully holds every LLM row: the source is ok and every Cloudflare offer stays as it was."""
    def cut(day2: Path) -> None:
        body = page_body(day2 / CF, CF_URL).read_text()
        at = body.index("## Embeddings model pricing") + len("## Embed")
        assert _cf_rows(body)[-1][1] < at
        replace_body(day2 / CF, CF_URL, body[:at].encode())

    con, report, (offers_before, models_before) = day2_with(tmp_path, [CF], cut)
    cf = health(report, CF)
    assert cf.health == "ok" and not cf.errors and cf.items == 7
    assert offers(con) == offers_before and models(con) == models_before
    assert len(offers(con, CF)) == 7


# -- placeholders and renamed keys ------------------------------------------------------------

def _rewrite_json(day2: Path, source: str, url_part: str, edit) -> None:
    body = page_body(day2 / source, url_part)
    doc = json.loads(body.read_text())
    edit(doc)
    replace_body(day2 / source, url_part, json.dumps(doc).encode())


def test_openrouter_prices_written_na_keep_the_known_prices_and_are_logged_held(tmp_path):
    def na(doc: dict) -> None:
        for m in doc["data"]:
            for k in list(m.get("pricing") or {}):
                m["pricing"][k] = "N/A"

    con, report, (offers_before, _) = day2_with(
        tmp_path, ["openrouter"], lambda d: _rewrite_json(d, "openrouter", "/api/v1/models", na))
    after = offers(con)
    # every offer keeps its prices (a router priced per request, once "-1" and skipped, now
    # reads as an offer with unknown prices: new, not a loss)
    assert set(offers_before) <= set(after)
    known_before = sum(1 for o in offers_before if o[3] is not None)
    assert known_before >= 10 and sum(1 for o in after if o[3] is not None) == known_before
    held = con.execute("""SELECT count(*) FROM conflict_log WHERE crawl_id = 'day2' AND severity = 'held'
                          AND field = 'input_usd_per_mtok' AND rule LIKE 'held: the source now gives no value%'""").fetchone()[0]
    assert held >= 5  # one per models-list price the endpoints pages do not also state


def test_litellm_prices_written_na_keep_the_known_prices(tmp_path):
    def na(doc: dict) -> None:
        for k, e in doc.items():
            if isinstance(e, dict):
                for key in list(e):
                    if "cost_per_token" in key:
                        e[key] = "N/A"

    con, report, (offers_before, _) = day2_with(
        tmp_path, ["litellm"], lambda d: _rewrite_json(d, "litellm", "model_prices", na))
    assert offers(con) == offers_before
    assert sum(1 for o in offers_before if o[3] is not None) >= 9


def test_litellm_price_keys_renamed_is_a_layout_problem_and_loses_nothing(tmp_path):
    def rename(doc: dict) -> None:
        for k, e in doc.items():
            if isinstance(e, dict):
                for key in [key for key in e if key.endswith("_cost_per_token")]:
                    e[key.replace("_cost_per_token", "_cost_per_tok")] = e.pop(key)

    con, report, (offers_before, models_before) = day2_with(
        tmp_path, ["litellm"], lambda d: _rewrite_json(d, "litellm", "model_prices", rename))
    lite = health(report, "litellm")
    assert lite.health != "ok"
    assert any("price keys changed" in p.message and "input_cost_per_token" in p.message for p in lite.errors)
    assert offers(con) == offers_before and models(con) == models_before


def test_a_litellm_entry_with_none_of_the_known_fields_is_an_error_not_a_skip(tmp_path):
    from pipeline.models import RawPage
    from pipeline.parse import parse_page

    doc = {"gpt-4.1-mini": {"litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 4e-7,
                            "output_cost_per_token": 1.6e-6},
           "o3-mini": {"litellm_provider": "openai", "mode": "chat", "inp_cost": 1.1e-6, "outp_cost": 4.4e-6}}
    folder = tmp_path / "lite"
    (folder / "bodies").mkdir(parents=True)
    (folder / "bodies" / "0001").write_text(json.dumps(doc))
    page = RawPage(source_id="litellm", url="https://x.test/prices.json", status=200, fetched_at=DAY1,
                   sha256="0" * 64, body_file="bodies/0001", base_dir=folder)
    result = parse_page(page, load_sources().get("litellm"))
    problem = next(p for p in result.problems if "o3-mini" in p.message)
    assert problem.severity == "error" and "none of the fields" in problem.message
    assert {o.model_id for o in result.observations if o.entity == "offer"} == {"openai/gpt-4.1-mini"}


def test_an_unknown_after_a_known_value_is_released_when_the_source_states_a_value_again(tmp_path):
    """Holding is not freezing: the next known value the source states replaces the held one."""
    raw = tmp_path / "raw"
    copy_crawl(newest_recorded(), raw, "day1", DAY1, sources=[CF])
    archive = RawArchive(raw)
    con = connect(tmp_path / "ledger.duckdb")
    process_pending(con, archive, load_sources(), "day1")
    day2 = copy_crawl(newest_recorded(), raw, "day2", DAY2, sources=[CF])
    replace_body(day2 / CF, CF_URL, old="$0.027 per M input tokens", to="N/A per M input tokens")
    process_pending(con, archive, load_sources(), "day2")
    llama = "meta/llama-3.2-1b-instruct"
    price = "SELECT input_usd_per_mtok FROM offers_current WHERE model_id = ? AND provider_id = ?"
    assert con.execute(price, [llama, CF]).fetchone() == (Decimal("0.027"),)
    day3 = copy_crawl(newest_recorded(), raw, "day3", datetime(2026, 6, 6, tzinfo=UTC), sources=[CF])
    replace_body(day3 / CF, CF_URL, old="$0.027 per M input tokens", to="$0.03 per M input tokens")
    process_pending(con, archive, load_sources(), "day3")
    assert con.execute(price, [llama, CF]).fetchone() == (Decimal("0.03"),)


# -- out-of-range values are a problem of their item, never a blocked warehouse ---------------

def test_out_of_range_values_are_problems_of_their_item_and_the_rest_loads(tmp_path):
    """1e13 USD per token and a context of 1e30 overflowed DECIMAL(18,9)/BIGINT at load: a
    ConversionException naming nothing, and every later run failed the same way."""
    raw = tmp_path / "raw"
    day1 = copy_crawl(newest_recorded(), raw, "day1", DAY1, sources=["openrouter"])
    victims: list[str] = []

    def hostile(doc: dict) -> None:
        first, second, third = doc["data"][:3]
        first["pricing"]["prompt"] = "10000000000000"
        second["context_length"] = 10**30
        third["pricing"]["completion"] = "0.0000000000000001"  # 1e-16 per token: not "free"
        victims.extend(m["id"] for m in (first, second, third))

    _rewrite_json(day1, "openrouter", "/api/v1/models", hostile)
    archive = RawArchive(raw)
    con = connect(tmp_path / "ledger.duckdb")
    (report,) = process_pending(con, archive, load_sources(), "day1")
    orr = health(report, "openrouter")
    problems = {(p.field, p.url.endswith("/api/v1/models")) for p in orr.errors}
    assert {("input_usd_per_mtok", True), ("context_window", True), ("output_usd_per_mtok", True)} <= problems
    assert all(any(v in p.message for v in victims) for p in orr.errors)
    # the rest loaded, and nothing stored reads as free or overflowed
    assert len(offers(con, "openrouter")) >= 5
    assert con.execute("SELECT count(*) FROM offers_current WHERE input_usd_per_mtok > 100000 "
                       "OR output_usd_per_mtok > 100000").fetchone()[0] == 0
    # and the next run is not blocked
    copy_crawl(newest_recorded(), raw, "day2", DAY2, sources=["openrouter"])
    (report,) = process_pending(con, archive, load_sources(), "day2")
    assert health(report, "openrouter").health == "ok"
