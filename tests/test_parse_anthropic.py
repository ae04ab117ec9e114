"""Golden fixture tests of the anthropic parser (tests/fixtures/parse/anthropic/, see tests/parse_helpers.py),
and the recorded crawl of the anthropic source (spiders/recorded/20260604T060000Z/anthropic/, see PLAN.md)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest

from pipeline.config import load_sources
from pipeline.models import ParseResult
from pipeline.parse import parse_page
from pipeline.parse.anthropic import api_alias
from pipeline.raw import RawArchive, verify
from tests.parse_helpers import (
    FIXTURES, load_page, run_case,
)

SOURCE = "anthropic"


# --- the cases, spelled out ----------------------------------------------------------------------

CASES = FIXTURES / SOURCE


def _offer(result: ParseResult, pmid: str) -> dict[str, tuple[str, str | None]]:
    return {o.field: (o.status, o.value) for o in result.observations
            if o.entity == "offer" and (o.provider_id, o.provider_model_id) == ("anthropic", pmid)}


@pytest.mark.parametrize(("name", "alias"), [
    ("Claude Sonnet 4.5", "claude-sonnet-4-5"), ("Claude Opus 4.1", "claude-opus-4-1"), ("Claude Opus 4", "claude-opus-4"),
    ("Claude Haiku 3.5", "claude-3-5-haiku"), ("Claude Haiku 3", "claude-3-haiku"),
])
def test_display_names_map_to_api_aliases(name, alias):
    assert api_alias(name) == alias


def test_pricing_row_is_one_offer_with_cache_prices():
    assert _offer(run_case(CASES / "pricing_page"), "claude-haiku-4-5") == {
        "input_usd_per_mtok": ("known", "1"), "cache_write_usd_per_mtok": ("known", "1.25"),
        "cached_input_usd_per_mtok": ("known", "0.1"), "output_usd_per_mtok": ("known", "5")}


def test_long_context_prices_are_a_tier_never_the_base_price():
    sonnet = _offer(run_case(CASES / "pricing_page"), "claude-sonnet-4-5")
    assert sonnet["input_usd_per_mtok"] == ("known", "3") and sonnet["output_usd_per_mtok"] == ("known", "15")
    assert sonnet["tier_threshold_tokens"] == ("known", "200000")
    assert sonnet["input_usd_per_mtok_above_tier"] == ("known", "6")
    assert sonnet["output_usd_per_mtok_above_tier"] == ("known", "22.5")
    assert "tier_threshold_tokens" not in _offer(run_case(CASES / "pricing_page"), "claude-haiku-4-5")


def test_deprecated_marker_is_not_part_of_the_name():
    assert _offer(run_case(CASES / "pricing_page"), "claude-3-5-haiku")["input_usd_per_mtok"] == ("known", "0.8")


def test_batch_and_tool_tables_are_skipped_with_reasons():
    skips = [p.message for p in run_case(CASES / "pricing_page").problems if p.severity == "skip"]
    assert any("Batch API" in m for m in skips) and any("Tool choice" in m for m in skips)
    assert "1.5" not in {o.value for o in run_case(CASES / "pricing_page").observations}


def test_malformed_price_names_field_text_and_url_and_keeps_the_rest_of_the_row():
    case = CASES / "pricing_malformed_price"
    result = run_case(case)
    problem = next(p for p in result.problems if "$0.3O" in p.message)
    assert (problem.field, problem.url, problem.severity) == ("cached_input_usd_per_mtok", load_page(case).url, "error")
    # the problem row's other prices, and the dash cells of the next row (unknown, not zero)
    sonnet = _offer(result, "claude-sonnet-4-5")
    assert sonnet == {"input_usd_per_mtok": ("known", "3"), "cache_write_usd_per_mtok": ("known", "3.75"),
                      "output_usd_per_mtok": ("known", "15")}
    assert _offer(result, "claude-haiku-4-5")["cached_input_usd_per_mtok"] == ("unknown", None)


def test_layout_change_makes_the_pricing_page_unusable():
    result = run_case(CASES / "pricing_layout_changed")
    (problem,) = result.problems
    assert "page unusable" in problem.message and problem.url.endswith("/pricing.md") and not result.observations


def test_overview_facts():
    result = run_case(CASES / "overview_page")
    sonnet = {o.field: o.value for o in result.observations if o.model_id == "anthropic/claude-sonnet-4.5"}
    assert sonnet["context_window"] == "200000"  # not the 1M beta window
    assert (sonnet["max_output_tokens"], sonnet["knowledge_cutoff"]) == ("64000", "2025-01")
    assert (sonnet["supports_vision"], sonnet["supports_reasoning"], sonnet["name"]) == ("true", "true", "Claude Sonnet 4.5")
    assert (sonnet["license"], sonnet["open_weights"]) == ("Proprietary", "false")
    assert "Jul 2025" not in {o.raw for o in result.observations}  # training data cutoff is not read


def test_overview_and_pricing_name_the_same_models():
    over = {o.model_id for o in run_case(CASES / "overview_page").observations}
    prices = {o.model_id for o in run_case(CASES / "pricing_page").observations}
    assert prices - over == {"anthropic/claude-haiku-4.5"}  # not in the small overview fixture
    assert {"anthropic/claude-sonnet-4.5", "anthropic/claude-3.5-haiku"} <= over & prices


def test_bad_overview_values_are_problems_naming_field_and_text():
    result = run_case(CASES / "overview_bad_values")
    by_field = {p.field: p.message for p in result.problems}
    assert "'about 200K tokens'" in by_field["context_window"] and "'Partial'" in by_field["supports_vision"]
    assert not [o for o in result.observations if "instant" in o.model_id]


def test_overview_without_its_table_is_unusable():
    (problem,) = run_case(CASES / "overview_layout_changed").problems
    assert "page unusable" in problem.message and "comparison table" in problem.message


# --- the recorded crawl (spiders/recorded/PLAN.md: 2026-06-04 only) --------------------------------

RECORDED = Path(__file__).resolve().parents[1] / "spiders" / "recorded"
CRAWL = "20260604T060000Z"
GOLDEN_MODELS = {"meta/llama-3.2-1b-instruct", "meta/llama-3.2-1b", "meta/llama-3.2-3b-instruct", "openai/o3-mini",
                 "openai/o4-mini", "openai/gpt-4.1-mini", "openai/gpt-5.3-codex", "mistral/mixtral-8x22b-instruct-v0.3"}


@lru_cache(maxsize=None)
def recorded() -> ParseResult:
    source = load_sources().get(SOURCE)
    out = ParseResult()
    for page in RawArchive(RECORDED).pages(CRAWL, SOURCE):
        out.extend(parse_page(page, source))
    return out


def facts(entity: str, model_id: str) -> dict[str, str | None]:
    return {o.field: o.value for o in recorded().observations if (o.entity, o.model_id) == (entity, model_id)}


def test_the_source_is_recorded_only_on_its_plan_date():
    assert sorted(p.parent.parent.name for p in RECORDED.glob(f"*/{SOURCE}/pages.jsonl")) == [CRAWL]


def test_recorded_folder_is_sealed_dated_and_fetched_from_the_start_urls():
    assert verify(RECORDED / CRAWL / SOURCE) == []
    (fetch,) = [f for f in RawArchive(RECORDED).fetches(CRAWL) if f.source_id == SOURCE]
    pages = list(RawArchive(RECORDED).pages(CRAWL, SOURCE))
    assert (fetch.status, fetch.errors, fetch.pages) == ("ok", [], len(pages))
    assert fetch.started_at.date().isoformat() == "2026-06-04" == fetch.finished_at.date().isoformat()
    assert [p.url for p in pages] == load_sources().get(SOURCE).start_urls
    assert all(p.status == 200 and p.fetched_at.date().isoformat() == "2026-06-04" and len(p.body()) < 30_000
               for p in pages)


def test_every_recorded_page_parses_without_errors():
    source = load_sources().get(SOURCE)
    for page in RawArchive(RECORDED).pages(CRAWL, SOURCE):
        result = parse_page(page, source)
        errors = [str(p) for p in result.problems if p.severity == "error"]
        assert not errors, errors
        assert result.observations and result.items >= 1, page.url


@pytest.mark.parametrize(("model_id", "input_price", "output_price"), [
    ("anthropic/claude-opus-4.1", "15", "75"), ("anthropic/claude-sonnet-4.5", "3", "15"),
    ("anthropic/claude-haiku-4.5", "1", "5"), ("anthropic/claude-3.5-haiku", "0.8", "4"),
])
def test_recorded_prices(model_id, input_price, output_price):
    offer = facts("offer", model_id)
    assert (offer["input_usd_per_mtok"], offer["output_usd_per_mtok"]) == (input_price, output_price)


def test_recorded_model_facts():
    sonnet = facts("model", "anthropic/claude-sonnet-4.5")
    assert (sonnet["context_window"], sonnet["max_output_tokens"], sonnet["knowledge_cutoff"]) == ("200000", "64000", "2025-01")
    assert facts("offer", "anthropic/claude-sonnet-4.5")["input_usd_per_mtok_above_tier"] == "6"
    assert facts("model", "anthropic/claude-opus-4.1")["max_output_tokens"] == "32000"
    # every priced model is described by the overview (both pages key models the same way)
    priced = {o.model_id for o in recorded().observations if o.entity == "offer"}
    described = {o.model_id for o in recorded().observations if o.entity == "model"}
    assert priced == described and len(priced) == 8


def test_recorded_crawl_touches_no_golden_model():
    assert {o.model_id for o in recorded().observations}.isdisjoint(GOLDEN_MODELS)
    assert {o.provider_id for o in recorded().observations if o.entity == "offer"} == {"anthropic"}
