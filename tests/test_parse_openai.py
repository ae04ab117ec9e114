"""Golden fixture tests of the openai parser (tests/fixtures/parse/openai/, see tests/parse_helpers.py),
and the recorded crawls of the openai source (spiders/recorded/*/openai/, see spiders/recorded/PLAN.md)."""
from __future__ import annotations

import pytest

from pipeline.models import Observation
from tests.parse_helpers import (
    FIXTURES,
    load_page,
    model_facts,
    offer_facts,
    parse_real,
    recorded,
    run_case,
)

SOURCE = "openai"


# --- the cases, spelled out ----------------------------------------------------------------------


CASES = FIXTURES / SOURCE
PRICING = "https://developers.openai.com/api/docs/pricing.md"
MD = "text/markdown; charset=utf-8"


def test_batch_rows_are_offers_of_the_batch_route_with_the_same_model_id():
    result = run_case(CASES / "pricing_page")
    assert offer_facts(result, "openai", "o4-mini") == {
        "input_usd_per_mtok": ("known", "1.1"), "cached_input_usd_per_mtok": ("known", "0.275"),
        "output_usd_per_mtok": ("known", "4.4")}
    assert offer_facts(result, "openai-batch", "o4-mini") == {
        "input_usd_per_mtok": ("known", "0.55"), "cached_input_usd_per_mtok": ("known", "0.1375"),
        "output_usd_per_mtok": ("known", "2.2")}
    assert {o.model_id for o in result.observations if o.provider_model_id == "o4-mini"} == {"openai/o4-mini"}
    # no batch row, no batch offer
    assert not offer_facts(result, "openai-batch", "o3-mini") and not offer_facts(result, "openai-batch", "gpt-4.1-mini")


def test_flex_and_priority_are_variants_of_the_openai_offer():
    result = run_case(CASES / "pricing_page")
    assert offer_facts(result, "openai", "o4-mini", "flex")["input_usd_per_mtok"] == ("known", "0.55")
    assert offer_facts(result, "openai", "gpt-5.4", "priority")["output_usd_per_mtok"] == ("known", "30")
    assert {(o.provider_id, o.variant) for o in result.observations} == {
        ("openai", ""), ("openai-batch", ""), ("openai", "flex"), ("openai", "priority")}


def test_long_context_prices_are_the_tier_above_the_stated_threshold():
    result = run_case(CASES / "pricing_page")
    for provider_id, tier in (("openai", ("272000", "5", "22.5")), ("openai-batch", ("272000", "2.5", "11.25"))):
        facts = offer_facts(result, provider_id, "gpt-5.4")
        assert (facts["tier_threshold_tokens"][1], facts["input_usd_per_mtok_above_tier"][1],
                facts["output_usd_per_mtok_above_tier"][1]) == tier
    # "-" in every long context cell: no tier at all; long context cached input has no field
    assert "tier_threshold_tokens" not in offer_facts(result, "openai", "o4-mini")
    assert "tier_threshold_tokens" not in offer_facts(result, "openai-batch", "gpt-5.4-pro")
    assert any("long context cached input prices (gpt-5.4)" in p.message for p in result.problems)


def test_a_dash_cell_is_an_unknown_price_not_a_zero():
    result = run_case(CASES / "pricing_page")
    for provider_id in ("openai", "openai-batch"):
        assert offer_facts(result, provider_id, "gpt-5.4-pro")["cached_input_usd_per_mtok"] == ("unknown", None)


def test_category_column_and_rows_missing_their_leading_cell_are_read_as_shown():
    result = run_case(CASES / "pricing_page")
    assert offer_facts(result, "openai", "gpt-5.3-codex")["output_usd_per_mtok"] == ("known", "14")
    assert offer_facts(result, "openai-batch", "o4-mini-deep-research")["input_usd_per_mtok"] == ("known", "1")


def test_multimodal_tool_and_finetuning_prices_are_skipped_with_reasons():
    result = run_case(CASES / "pricing_page")
    skips = [p.message for p in result.problems if p.severity == "skip"]
    assert [m.split(":")[0] for m in skips if "not text token prices" in m] == [
        "Multimodal models / Realtime and audio generation models", "Tools", "Finetuning"]
    assert not [o for o in result.observations if o.provider_model_id in ("gpt-realtime", "o4-mini-2025-04-16")]


def test_layout_change_makes_the_pricing_page_unusable():
    result = run_case(CASES / "pricing_layout_changed")
    (problem,) = result.problems
    assert problem.severity == "error" and "page unusable" in problem.message and problem.url == PRICING
    assert not result.observations


def test_malformed_price_names_field_text_and_url_and_keeps_the_rest_of_the_row():
    case = CASES / "pricing_malformed_price"
    result = run_case(case)
    problem = next(p for p in result.problems if "$1.1O" in p.message)
    assert (problem.field, problem.url, problem.severity) == ("input_usd_per_mtok", load_page(case).url, "error")
    assert offer_facts(result, "openai", "o4-mini") == {
        "cached_input_usd_per_mtok": ("known", "0.275"), "output_usd_per_mtok": ("known", "4.4")}
    euro = next(p for p in result.problems if "€2.20" in p.message)
    assert euro.field == "output_usd_per_mtok" and "Batch" in euro.message


def test_unlabelled_tables_and_unstated_units_are_errors_never_guesses():
    result = run_case(CASES / "pricing_malformed_price")
    errors = [p.message for p in result.problems if p.severity == "error"]
    assert "Flagship models: no tier label (Standard, Batch, Flex, Priority) above the table: not read" in errors
    assert "the 'Specialized models' part does not say its prices are per 1M tokens: not read" in errors
    assert not [o for o in result.observations if o.provider_model_id in ("o3", "gpt-5.3-codex")]


def test_model_page_facts_and_capabilities():
    result = run_case(CASES / "model_o3_mini")
    facts = {o.field: o.value for o in result.observations}
    assert facts["context_window"] == "200000" and facts["max_output_tokens"] == "100000"
    assert facts["release_date"] == "2025-01-31" and facts["name"] == "o3-mini"
    assert (facts["license"], facts["open_weights"]) == ("Proprietary", "false")
    caps = {f.removeprefix("supports_"): v for f, v in facts.items() if f.startswith("supports_")}
    assert caps == {"reasoning": "true", "function_calling": "true", "tool_use": "true", "code_execution": "true",
                    "structured_outputs": "true", "vision": "false", "multimodal": "false", "computer_use": "false"}


def test_gpt_4_1_mini_takes_images_and_states_its_cutoff():
    facts = {o.field: o.value for o in run_case(CASES / "model_gpt_4_1_mini").observations}
    assert (facts["supports_vision"], facts["supports_multimodal"]) == ("true", "true")
    assert facts["knowledge_cutoff"] == "2024-05-31" and facts["context_window"] == "1047576"
    assert "supports_reasoning" not in facts  # no "Reasoning token support" line: nothing stated


def test_unreadable_status_is_a_problem_naming_field_and_text():
    result = run_case(CASES / "model_bad_status")
    fc = next(p for p in result.problems if p.field == "supports_function_calling")
    assert "'Beta'" in fc.message and fc.url.endswith("/api/docs/models/o4-mini.md")
    assert "supports_function_calling" not in {o.field for o in result.observations}
    assert {o.field for o in result.observations} >= {"context_window", "supports_structured_outputs"}


def test_the_platform_page_a_plain_client_gets_is_named_as_such_and_never_parsed():
    (problem,) = run_case(CASES / "model_script_shell").problems
    assert problem.severity == "error" and problem.url.startswith("https://platform.openai.com/")
    assert "page unusable" in problem.message and "needs JavaScript" in problem.message


def test_unknown_url_path_is_unusable():
    (problem,) = run_case(CASES / "unknown_path").problems
    assert "page unusable" in problem.message and "/api/docs/guides/text.md" in problem.message


# --- the real copy (../shared/real/pages/openai/, a browser rendering of the pricing page) -------

def test_real_pricing_page_reads_every_tier_and_the_long_context_prices():
    result = parse_real(SOURCE, "pricing-rendered-2026-05-08.md", PRICING, MD)
    assert [str(p) for p in result.problems if p.severity == "error"] == []
    price = lambda pmid, provider_id="openai", variant="": tuple(  # noqa: E731
        offer_facts(result, provider_id, pmid, variant).get(f, (None, None))[1]
        for f in ("input_usd_per_mtok", "cached_input_usd_per_mtok", "output_usd_per_mtok",
                  "input_usd_per_mtok_above_tier", "output_usd_per_mtok_above_tier"))
    assert price("gpt-5.5") == ("5", "0.5", "30", "10", "45")
    assert price("gpt-5.5", "openai-batch") == ("2.5", "0.25", "15", "5", "22.5")
    assert price("gpt-5.5", variant="flex") == ("2.5", "0.25", "15", "5", "22.5")
    assert price("gpt-5.5", variant="priority") == ("12.5", "1.25", "75", None, None)
    assert price("gpt-5.4") == ("2.5", "0.25", "15", "5", "22.5")
    assert price("gpt-5.4", "openai-batch") == ("1.25", "0.13", "7.5", "2.5", "11.25")
    assert price("gpt-5.4-mini") == ("0.75", "0.075", "4.5", None, None)
    assert price("gpt-5.4-pro") == ("30", None, "180", "60", "270")  # cached input "-": unknown
    assert price("gpt-5.5-pro", "openai-batch") == ("15", None, "90", None, None)  # "- - -": no long context
    assert price("gpt-5.3-codex") == ("1.75", "0.175", "14", None, None)
    assert price("gpt-5.3-codex", variant="priority") == ("3.5", "0.35", "28", None, None)
    assert price("o4-mini-deep-research", "openai-batch") == ("1", None, "4", None, None)
    # the page names no long context threshold: the tier is stated, where it starts is unknown
    assert offer_facts(result, "openai", "gpt-5.5")["tier_threshold_tokens"] == ("unknown", None)
    # image, audio, video, transcription, tools and fine-tuning prices are not text token prices
    assert not [o for o in result.observations if o.provider_model_id.startswith(("gpt-image", "sora", "gpt-realtime"))]
    assert result.items == 27


# --- the recorded crawls (spiders/recorded/PLAN.md; tests/test_parse_recorded.py) -------------------

CRAWLS = ["20260424T060000Z", "20260604T060000Z"]


@pytest.mark.parametrize("crawl_id", CRAWLS)
def test_recorded_prices(crawl_id):
    result = recorded(SOURCE, crawl_id)
    for provider_id, pmid, prices in (("openai", "o4-mini", ("1.1", "4.4")), ("openai-batch", "o4-mini", ("0.55", "2.2")),
                                      ("openai", "o3-mini", ("1.1", "4.4")), ("openai", "gpt-4.1-mini", ("0.4", "1.6"))):
        offer = offer_facts(result, provider_id, pmid)
        assert (offer["input_usd_per_mtok"], offer["output_usd_per_mtok"]) == (("known", prices[0]), ("known", prices[1]))
    # the golden provider lists are exact: no batch route for o3-mini or gpt-4.1-mini, no gpt-5.3-codex
    assert not offer_facts(result, "openai-batch", "o3-mini")
    assert not offer_facts(result, "openai-batch", "gpt-4.1-mini")
    assert not [o for o in result.observations if "5.3" in o.model_id]
    assert {o.provider_id for o in result.observations if o.entity == "offer"} == {"openai", "openai-batch"}
    # Flex and Priority rows are variants of the openai offer (the golden provider lists stay exact)
    flex = offer_facts(result, "openai", "o4-mini", "flex")
    assert (flex["input_usd_per_mtok"], flex["output_usd_per_mtok"]) == (("known", "0.55"), ("known", "2.2"))
    assert offer_facts(result, "openai", "o4-mini", "priority")["input_usd_per_mtok"] == ("known", "2")
    assert not offer_facts(result, "openai", "o3-mini", "flex")
    assert not [o for o in result.observations if not o.model_id.startswith("openai/")]
    # the golden models' pricing rows, one to one with their model ids
    for pmid in ("o4-mini", "o3-mini", "gpt-4.1-mini"):
        assert {o.model_id for o in result.observations if o.provider_model_id == pmid} == {f"openai/{pmid}"}
        assert {o.provider_model_id for o in result.observations
                if o.entity == "offer" and o.model_id == f"openai/{pmid}"} == {pmid}


def test_recorded_2026_04_24_has_no_o4_mini_model_facts():
    assert not [o for o in recorded(SOURCE, CRAWLS[0]).observations
                if (o.entity, o.model_id) == ("model", "openai/o4-mini")]
    assert model_facts(recorded(SOURCE, CRAWLS[0]), "openai/o3-mini")["context_window"] == "200000"


def test_recorded_2026_06_04_model_facts():
    o3 = model_facts(recorded(SOURCE, CRAWLS[1]), "openai/o3-mini")
    assert (o3["context_window"], o3["max_output_tokens"], o3["release_date"]) == ("200000", "100000", "2025-01-31")
    assert (o3["license"], o3["open_weights"]) == ("Proprietary", "false")
    for cap in ("reasoning", "function_calling", "tool_use", "code_execution", "structured_outputs"):
        assert o3[f"supports_{cap}"] == "true", cap
    for cap in ("vision", "multimodal", "computer_use"):
        assert o3[f"supports_{cap}"] == "false", cap
    assert not [o for o in recorded(SOURCE, CRAWLS[1]).observations if o.model_id == "openai/o3-mini"
                and o.field in ("supports_ide_integration", "supports_parallel_agents")]  # not stated at all
    mini = model_facts(recorded(SOURCE, CRAWLS[1]), "openai/gpt-4.1-mini")
    assert (mini["name"], mini["context_window"], mini["max_output_tokens"]) == ("GPT-4.1 mini", "1047576", "32768")
    assert (mini["knowledge_cutoff"], mini["release_date"]) == ("2024-05-31", "2025-04-14")
    assert (mini["supports_vision"], mini["supports_multimodal"]) == ("true", "true")
    o4 = model_facts(recorded(SOURCE, CRAWLS[1]), "openai/o4-mini")
    assert (o4["name"], o4["context_window"], o4["release_date"]) == ("o4-mini", "200000", "2025-04-16")


@pytest.mark.parametrize("crawl_id", CRAWLS)
def test_recorded_observations_are_valid_and_state_each_fact_once(crawl_id):
    stated: dict[tuple, set[str | None]] = {}
    for o in recorded(SOURCE, crawl_id).observations:
        assert isinstance(o, Observation) and o.source_id == SOURCE
        stated.setdefault((o.entity, o.model_id, o.provider_id, o.provider_model_id, o.variant, o.field), set()).add(o.value)
    assert not {k: v for k, v in stated.items() if len(v) > 1}  # no fact stated twice with two values
