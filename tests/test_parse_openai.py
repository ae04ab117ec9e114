"""Golden fixture tests of the openai parser (tests/fixtures/parse/openai/, see tests/parse_helpers.py),
and the recorded crawls of the openai source (spiders/recorded/*/openai/, see spiders/recorded/PLAN.md)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest

from pipeline.config import load_sources
from pipeline.models import Observation, ParseResult
from pipeline.parse import parse_page
from pipeline.raw import RawArchive, verify
from tests.parse_helpers import (
    FIXTURES, load_page, run_case,
)

SOURCE = "openai"


# --- the cases, spelled out ----------------------------------------------------------------------


CASES = FIXTURES / SOURCE
PRICING = "https://platform.openai.com/docs/pricing"


def _offer(result: ParseResult, provider_id: str, pmid: str) -> dict[str, tuple[str, str | None]]:
    return {o.field: (o.status, o.value) for o in result.observations
            if o.entity == "offer" and (o.provider_id, o.provider_model_id) == (provider_id, pmid)}


def test_batch_rows_are_offers_of_the_batch_route_with_the_same_model_id():
    result = run_case(CASES / "pricing_page")
    assert _offer(result, "openai", "o4-mini") == {
        "input_usd_per_mtok": ("known", "1.1"), "cached_input_usd_per_mtok": ("known", "0.275"),
        "output_usd_per_mtok": ("known", "4.4")}
    assert _offer(result, "openai-batch", "o4-mini") == {
        "input_usd_per_mtok": ("known", "0.55"), "cached_input_usd_per_mtok": ("known", "0.1375"),
        "output_usd_per_mtok": ("known", "2.2")}
    assert {o.model_id for o in result.observations if o.provider_model_id == "o4-mini"} == {"openai/o4-mini"}
    # no batch row, no batch offer
    assert not _offer(result, "openai-batch", "o3-mini") and not _offer(result, "openai-batch", "gpt-4.1-mini")


def test_a_dash_cell_is_an_unknown_price_not_a_zero():
    result = run_case(CASES / "pricing_page")
    for provider_id in ("openai", "openai-batch"):
        assert _offer(result, provider_id, "o1-pro")["cached_input_usd_per_mtok"] == ("unknown", None)


def test_flex_audio_and_tool_prices_are_skipped_with_reasons():
    result = run_case(CASES / "pricing_page")
    skips = [p.message for p in result.problems if p.severity == "skip"]
    assert len(skips) == 3 and all(skips)
    assert not [o for o in result.observations if o.provider_model_id == "gpt-realtime"]
    assert {o.provider_id for o in result.observations} == {"openai", "openai-batch"}


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
    assert _offer(result, "openai", "o4-mini") == {
        "cached_input_usd_per_mtok": ("known", "0.275"), "output_usd_per_mtok": ("known", "4.4")}
    euro = next(p for p in result.problems if "€2.20" in p.message)
    assert euro.field == "output_usd_per_mtok" and "Batch" in euro.message


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
    assert "'Beta'" in fc.message and fc.url.endswith("/docs/models/o4-mini")
    assert "supports_function_calling" not in {o.field for o in result.observations}
    assert {o.field for o in result.observations} >= {"context_window", "supports_structured_outputs"}


def test_a_script_only_shell_is_named_as_such_and_never_parsed():
    (problem,) = run_case(CASES / "model_script_shell").problems
    assert problem.severity == "error"
    assert "page unusable" in problem.message and "needs JavaScript" in problem.message


def test_unknown_url_path_is_unusable():
    (problem,) = run_case(CASES / "unknown_path").problems
    assert "page unusable" in problem.message and "/docs/guides/text" in problem.message


# --- the recorded crawls (spiders/recorded/PLAN.md) -----------------------------------------------

RECORDED = Path(__file__).resolve().parents[1] / "spiders" / "recorded"
CRAWLS = {"20260424T060000Z": "2026-04-24", "20260604T060000Z": "2026-06-04"}


@lru_cache(maxsize=None)
def recorded(crawl_id: str) -> ParseResult:
    source = load_sources().get(SOURCE)
    out = ParseResult()
    for page in RawArchive(RECORDED).pages(crawl_id, SOURCE):
        out.extend(parse_page(page, source))
    return out


def facts(crawl_id: str, entity: str, model_id: str, provider_id: str | None = None) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for o in recorded(crawl_id).observations:
        if (o.entity, o.model_id, o.provider_id) == (entity, model_id, provider_id):
            assert o.field not in found or found[o.field] == o.value, o
            found[o.field] = o.value
    return found


def test_the_source_is_recorded_only_on_its_plan_dates():
    dated = sorted(p.parent.parent.name for p in RECORDED.glob(f"*/{SOURCE}/pages.jsonl"))
    assert dated == sorted(CRAWLS)


@pytest.mark.parametrize("crawl_id", sorted(CRAWLS))
def test_recorded_folder_is_sealed_and_dated(crawl_id):
    assert verify(RECORDED / crawl_id / SOURCE) == []
    (fetch,) = [f for f in RawArchive(RECORDED).fetches(crawl_id) if f.source_id == SOURCE]
    pages = list(RawArchive(RECORDED).pages(crawl_id, SOURCE))
    assert (fetch.status, fetch.errors, fetch.pages) == ("ok", [], len(pages))
    assert fetch.started_at.date().isoformat() == CRAWLS[crawl_id] == fetch.finished_at.date().isoformat()
    for page in pages:
        assert page.status == 200 and page.fetched_at.date().isoformat() == CRAWLS[crawl_id]
        assert len(page.body()) < 30_000


@pytest.mark.parametrize("crawl_id", sorted(CRAWLS))
def test_every_recorded_page_parses_without_errors(crawl_id):
    source = load_sources().get(SOURCE)
    for page in RawArchive(RECORDED).pages(crawl_id, SOURCE):
        result = parse_page(page, source)
        errors = [str(p) for p in result.problems if p.severity == "error"]
        assert not errors, errors
        assert result.observations and result.items >= 1, page.url


def test_recorded_urls_are_the_start_urls():
    starts = load_sources().get(SOURCE).start_urls
    urls = {c: [p.url for p in RawArchive(RECORDED).pages(c, SOURCE)] for c in CRAWLS}
    assert urls["20260604T060000Z"] == starts
    # 04-24: no o4-mini model page (its context window is "not-yet-sourced" that day)
    assert urls["20260424T060000Z"] == [u for u in starts if not u.endswith("/models/o4-mini")]


@pytest.mark.parametrize("crawl_id", sorted(CRAWLS))
def test_recorded_prices(crawl_id):
    prices = lambda model, provider: {k: v for k, v in facts(crawl_id, "offer", model, provider).items()  # noqa: E731
                                      if k in ("input_usd_per_mtok", "output_usd_per_mtok")}
    assert prices("openai/o4-mini", "openai") == {"input_usd_per_mtok": "1.1", "output_usd_per_mtok": "4.4"}
    assert prices("openai/o4-mini", "openai-batch") == {"input_usd_per_mtok": "0.55", "output_usd_per_mtok": "2.2"}
    assert prices("openai/o3-mini", "openai") == {"input_usd_per_mtok": "1.1", "output_usd_per_mtok": "4.4"}
    assert prices("openai/gpt-4.1-mini", "openai") == {"input_usd_per_mtok": "0.4", "output_usd_per_mtok": "1.6"}
    # the golden provider lists are exact: no batch route for o3-mini or gpt-4.1-mini, no gpt-5.3-codex
    assert not facts(crawl_id, "offer", "openai/o3-mini", "openai-batch")
    assert not facts(crawl_id, "offer", "openai/gpt-4.1-mini", "openai-batch")
    assert not [o for o in recorded(crawl_id).observations if "5.3" in o.model_id]
    assert {o.provider_id for o in recorded(crawl_id).observations if o.entity == "offer"} == {"openai", "openai-batch"}
    assert not [o for o in recorded(crawl_id).observations if not o.model_id.startswith("openai/")]


def test_recorded_2026_04_24_has_no_o4_mini_model_facts():
    assert facts("20260424T060000Z", "model", "openai/o4-mini") == {}
    assert facts("20260424T060000Z", "model", "openai/o3-mini")["context_window"] == "200000"


def test_recorded_2026_06_04_model_facts():
    o3 = facts("20260604T060000Z", "model", "openai/o3-mini")
    assert (o3["context_window"], o3["max_output_tokens"], o3["release_date"]) == ("200000", "100000", "2025-01-31")
    assert (o3["license"], o3["open_weights"]) == ("Proprietary", "false")
    for cap in ("reasoning", "function_calling", "tool_use", "code_execution", "structured_outputs"):
        assert o3[f"supports_{cap}"] == "true", cap
    for cap in ("vision", "multimodal", "computer_use"):
        assert o3[f"supports_{cap}"] == "false", cap
    assert "supports_ide_integration" not in o3 and "supports_parallel_agents" not in o3
    mini = facts("20260604T060000Z", "model", "openai/gpt-4.1-mini")
    assert (mini["name"], mini["context_window"], mini["max_output_tokens"]) == ("GPT-4.1 mini", "1047576", "32768")
    assert (mini["knowledge_cutoff"], mini["release_date"]) == ("2024-05-31", "2025-04-14")
    assert (mini["supports_vision"], mini["supports_multimodal"]) == ("true", "true")
    o4 = facts("20260604T060000Z", "model", "openai/o4-mini")
    assert (o4["name"], o4["context_window"], o4["release_date"]) == ("o4-mini", "200000", "2025-04-16")


def test_recorded_observations_are_valid_models():
    for crawl_id in CRAWLS:
        assert all(isinstance(o, Observation) and o.source_id == SOURCE for o in recorded(crawl_id).observations)
