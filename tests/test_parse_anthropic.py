"""Golden fixture tests of the anthropic parser (tests/fixtures/parse/anthropic/, see tests/parse_helpers.py),
the recorded crawl of the anthropic source (spiders/recorded/20260604T060000Z/anthropic/, see PLAN.md)
and the real copies of both pages (../shared/real/pages/anthropic/, skipped when absent)."""
from __future__ import annotations

from collections import Counter

import pytest

from pipeline.config import load_sources
from pipeline.models import ParseResult
from pipeline.parse.anthropic import api_alias, names_in_text, output_tokens
from tests.parse_helpers import (
    FIXTURES,
    GOLDEN_MODELS,
    load_page,
    model_facts,
    offer_facts,
    parse_real,
    recorded,
    run_case,
)

SOURCE = PROVIDER = "anthropic"
CASES = FIXTURES / SOURCE
DOCS = "https://platform.claude.com/docs/en/about-claude"
MD = "text/markdown; charset=utf-8"


# --- the quirks, spelled out ----------------------------------------------------------------------

@pytest.mark.parametrize(("name", "alias"), [
    ("Claude Sonnet 4.5", "claude-sonnet-4-5"), ("Claude Opus 4.1", "claude-opus-4-1"), ("Claude Opus 4", "claude-opus-4"),
    ("Claude Haiku 3.5", "claude-3-5-haiku"), ("Claude Haiku 3", "claude-3-haiku"),
])
def test_display_names_map_to_api_aliases(name, alias):
    assert api_alias(name) == alias


@pytest.mark.parametrize(("prose", "names"), [
    ("When using Claude Sonnet 4 or Sonnet 4.5 with the 1M token context window",
     ["Claude Sonnet 4", "Claude Sonnet 4.5"]),
    ("only available for Claude Sonnet 4 and Sonnet 4.5. Claude Sonnet 4 again", ["Claude Sonnet 4", "Claude Sonnet 4.5"]),
    ("Claude 3.7 Sonnet and Claude Opus 4.1", ["Claude Sonnet 3.7", "Claude Opus 4.1"]),
    ("the 1M token context window of Claude 4 models", []),
])
def test_a_sentence_names_every_model_it_lists(prose, names):
    assert names_in_text(prose) == names


@pytest.mark.parametrize(("raw", "value"), [
    # The API's numbers: Claude 3 Haiku 4,096, Claude 3.5 Haiku 8,192; Opus 4 32,000; Sonnet 3.7 and
    # 4.5 64,000 (128,000 with the beta header); a figure written in full is read as written.
    ("4K tokens", "4096"), ("8K tokens", "8192"), ("32K tokens", "32000"), ("64K tokens", "64000"),
    ("128K tokens", "128000"), ("8192 tokens", "8192"), ("64000 tokens", "64000"),
])
def test_output_limits_read_as_the_api_states_them(raw, value):
    assert output_tokens(raw) == value


def test_pricing_row_is_one_offer_with_cache_prices():
    assert offer_facts(run_case(CASES / "pricing_page"), PROVIDER, "claude-haiku-4-5") == {
        "input_usd_per_mtok": ("known", "1"), "cache_write_usd_per_mtok": ("known", "1.25"),
        "cached_input_usd_per_mtok": ("known", "0.1"), "output_usd_per_mtok": ("known", "5")}


@pytest.mark.parametrize("pmid", ["claude-sonnet-4-5", "claude-sonnet-4"])
def test_a_shared_long_context_row_is_a_tier_of_every_model_it_names(pmid):
    offer = offer_facts(run_case(CASES / "pricing_page"), PROVIDER, pmid)
    assert offer["input_usd_per_mtok"] == ("known", "3") and offer["output_usd_per_mtok"] == ("known", "15")
    assert offer["tier_threshold_tokens"] == ("known", "200000")
    assert offer["input_usd_per_mtok_above_tier"] == ("known", "6")
    assert offer["output_usd_per_mtok_above_tier"] == ("known", "22.5")


def test_long_context_prices_are_never_the_base_price_of_other_models():
    assert "tier_threshold_tokens" not in offer_facts(run_case(CASES / "pricing_page"), PROVIDER, "claude-haiku-4-5")


def test_deprecated_marker_is_not_part_of_the_name():
    assert offer_facts(run_case(CASES / "pricing_page"), PROVIDER, "claude-3-5-haiku")["input_usd_per_mtok"] == ("known", "0.8")


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
    sonnet = offer_facts(result, PROVIDER, "claude-sonnet-4-5")
    assert sonnet == {"input_usd_per_mtok": ("known", "3"), "cache_write_usd_per_mtok": ("known", "3.75"),
                      "output_usd_per_mtok": ("known", "15")}
    assert offer_facts(result, PROVIDER, "claude-haiku-4-5")["cached_input_usd_per_mtok"] == ("unknown", None)


def test_layout_change_makes_the_pricing_page_unusable():
    result = run_case(CASES / "pricing_layout_changed")
    (problem,) = result.problems
    assert "page unusable" in problem.message and problem.url == f"{DOCS}/pricing.md" and not result.observations


def test_overview_facts():
    result = run_case(CASES / "overview_page")
    sonnet = model_facts(result, "anthropic/claude-sonnet-4.5")
    assert sonnet["context_window"] == "200000"  # not the 1M beta window
    assert (sonnet["max_output_tokens"], sonnet["knowledge_cutoff"]) == ("64000", "2025-01")
    assert (sonnet["supports_vision"], sonnet["supports_reasoning"], sonnet["name"]) == ("true", "true", "Claude Sonnet 4.5")
    assert (sonnet["license"], sonnet["open_weights"]) == ("Proprietary", "false")
    assert "Jul 2025" not in {o.raw for o in result.observations}  # training data cutoff is not read


def test_overview_beta_limits_are_skipped_and_the_ga_limit_read():
    result = run_case(CASES / "overview_page")
    assert model_facts(result, "anthropic/claude-3.7-sonnet")["max_output_tokens"] == "64000"
    assert model_facts(result, "anthropic/claude-3.5-haiku")["max_output_tokens"] == "8192"
    skips = {(p.field, p.severity) for p in result.problems}
    assert skips == {("context_window", "skip"), ("max_output_tokens", "skip")}
    assert not {"128000", "1000000"} & {o.value for o in result.observations}


def test_a_table_without_a_vision_row_states_nothing_of_vision():
    legacy = model_facts(run_case(CASES / "overview_page"), "anthropic/claude-3.7-sonnet")
    assert "supports_vision" not in legacy and "supports_multimodal" not in legacy


def test_overview_and_pricing_name_the_same_models():
    over = {o.model_id for o in run_case(CASES / "overview_page").observations}
    prices = {o.model_id for o in run_case(CASES / "pricing_page").observations}
    assert prices - over == {"anthropic/claude-haiku-4.5", "anthropic/claude-sonnet-4"}  # not in the small overview
    assert {"anthropic/claude-sonnet-4.5", "anthropic/claude-3.5-haiku"} <= over & prices


def test_bad_overview_values_are_problems_naming_field_and_text():
    result = run_case(CASES / "overview_bad_values")
    by_field = {p.field: p.message for p in result.problems}
    assert "'about 200K tokens'" in by_field["context_window"] and "'Partial'" in by_field["supports_vision"]
    assert "'96K tokens (preview)'" in by_field["max_output_tokens"]
    assert not [o for o in result.observations if "instant" in o.model_id]


def test_overview_without_its_table_is_unusable():
    (problem,) = run_case(CASES / "overview_layout_changed").problems
    assert "page unusable" in problem.message and "comparison table" in problem.message


# --- the recorded crawl (spiders/recorded/PLAN.md: 2026-06-04 only; tests/test_parse_recorded.py) -----

def test_the_recorded_pages_are_the_markdown_docs():
    """tests/test_parse_recorded.py checks the pages are the start URLs: these are the markdown copies."""
    assert load_sources().get(SOURCE).start_urls == [f"{DOCS}/models/overview.md", f"{DOCS}/pricing.md"]


@pytest.mark.parametrize(("pmid", "input_price", "output_price"), [
    ("claude-opus-4-1", "15", "75"), ("claude-sonnet-4-5", "3", "15"),
    ("claude-haiku-4-5", "1", "5"), ("claude-3-5-haiku", "0.8", "4"),
])
def test_recorded_prices(pmid, input_price, output_price):
    offer = offer_facts(recorded(SOURCE), PROVIDER, pmid)
    assert (offer["input_usd_per_mtok"], offer["output_usd_per_mtok"]) == (("known", input_price), ("known", output_price))


def test_recorded_model_facts():
    sonnet = model_facts(recorded(SOURCE), "anthropic/claude-sonnet-4.5")
    assert (sonnet["context_window"], sonnet["max_output_tokens"], sonnet["knowledge_cutoff"]) == ("200000", "64000", "2025-01")
    for pmid in ("claude-sonnet-4-5", "claude-sonnet-4"):
        assert offer_facts(recorded(SOURCE), PROVIDER, pmid)["input_usd_per_mtok_above_tier"] == ("known", "6")
    assert model_facts(recorded(SOURCE), "anthropic/claude-opus-4.1")["max_output_tokens"] == "32000"
    assert model_facts(recorded(SOURCE), "anthropic/claude-3.5-haiku")["max_output_tokens"] == "8192"
    assert model_facts(recorded(SOURCE), "anthropic/claude-3-haiku")["max_output_tokens"] == "4096"
    # every priced model is described by the overview (both pages key models the same way)
    priced = {o.model_id for o in recorded(SOURCE).observations if o.entity == "offer"}
    described = {o.model_id for o in recorded(SOURCE).observations if o.entity == "model"}
    assert priced == described and len(priced) == 8


def test_recorded_crawl_touches_no_golden_model():
    assert {o.model_id for o in recorded(SOURCE).observations}.isdisjoint(GOLDEN_MODELS)
    assert {o.provider_id for o in recorded(SOURCE).observations if o.entity == "offer"} == {"anthropic"}


# --- the real copies (late 2025, before the move to platform.claude.com) ---------------------------

def _real(name: str, path: str) -> ParseResult:
    return parse_real(SOURCE, name, f"{DOCS}/{path}", MD)


def test_real_overview_reads_every_model_without_errors():
    result = _real("models-overview.md", "models/overview.md")
    severities = Counter(p.severity for p in result.problems)
    assert (result.items, severities["error"], severities["skip"]) == (9, 0, 3)  # 1M context x2, 128K output beta
    models = {o.model_id for o in result.observations}
    assert len(models) == 9 and {"anthropic/claude-3.7-sonnet", "anthropic/claude-opus-4.5", "anthropic/claude-3-haiku"} <= models


@pytest.mark.parametrize(("model_id", "context", "max_output", "cutoff"), [
    ("anthropic/claude-sonnet-4.5", "200000", "64000", "2025-01"),
    ("anthropic/claude-3.7-sonnet", "200000", "64000", "2024-10"),  # "64K tokens / 128K tokens (beta)"
    ("anthropic/claude-3.5-haiku", "200000", "8192", None),  # "8K tokens"; its cutoff cell is a footnote only
    ("anthropic/claude-3-haiku", "200000", "4096", None),
    ("anthropic/claude-opus-4.1", "200000", "32000", "2025-01"),
])
def test_real_overview_limits(model_id, context, max_output, cutoff):
    facts = model_facts(_real("models-overview.md", "models/overview.md"), model_id)
    assert (facts["context_window"], facts["max_output_tokens"], facts.get("knowledge_cutoff")) == (context, max_output, cutoff)
    assert "supports_vision" not in facts  # the real page has no Vision row: nothing stated


def test_real_pricing_reads_every_model_and_both_long_context_tiers():
    result = _real("pricing.md", "pricing.md")
    severities = Counter(p.severity for p in result.problems)
    # skips: the 1h cache column, 10 batch rows, the tool use / text editor / computer use tables
    assert (result.items, severities["error"], severities["skip"]) == (10, 0, 14)
    for pmid in ("claude-sonnet-4-5", "claude-sonnet-4"):
        offer = offer_facts(result, PROVIDER, pmid)
        assert (offer["input_usd_per_mtok"], offer["output_usd_per_mtok"]) == (("known", "3"), ("known", "15"))
        assert offer["tier_threshold_tokens"] == ("known", "200000")
        assert (offer["input_usd_per_mtok_above_tier"], offer["output_usd_per_mtok_above_tier"]) == (
            ("known", "6"), ("known", "22.5"))
    tiered = {o.provider_model_id for o in result.observations if o.field == "tier_threshold_tokens"}
    assert tiered == {"claude-sonnet-4-5", "claude-sonnet-4"}


@pytest.mark.parametrize(("pmid", "prices"), [
    ("claude-opus-4-5", ("5", "6.25", "0.5", "25")), ("claude-3-5-haiku", ("0.8", "1", "0.08", "4")),
    ("claude-3-7-sonnet", ("3", "3.75", "0.3", "15")), ("claude-3-opus", ("15", "18.75", "1.5", "75")),
    ("claude-3-haiku", ("0.25", "0.3", "0.03", "1.25")),
])
def test_real_pricing_rows(pmid, prices):
    offer = offer_facts(_real("pricing.md", "pricing.md"), PROVIDER, pmid)
    fields = ("input_usd_per_mtok", "cache_write_usd_per_mtok", "cached_input_usd_per_mtok", "output_usd_per_mtok")
    assert tuple(offer[f][1] for f in fields) == prices
