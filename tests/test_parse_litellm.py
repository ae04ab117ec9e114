"""Golden fixture tests of the litellm parser (tests/fixtures/parse/litellm/, see tests/parse_helpers.py),
and the recorded crawls of the litellm source (spiders/recorded/2026*/litellm/, see PLAN.md)."""
from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import pytest

from pipeline.config import load_sources
from pipeline.models import ParseResult
from pipeline.parse import parse_page
from pipeline.raw import RawArchive, verify
from tests.parse_helpers import (
    FIXTURES, load_page, run_case,
)

SOURCE = "litellm"
URL = "https://raw.githubusercontent.com/BerriAI/litellm/main/model_prices_and_context_window.json"


# --- the cases, spelled out ----------------------------------------------------------------------

CASES = FIXTURES / SOURCE


def _offer(result: ParseResult, provider_id: str, pmid: str, variant: str = "") -> dict[str, tuple[str, str | None]]:
    return {o.field: (o.status, o.value) for o in result.observations
            if o.entity == "offer" and (o.provider_id, o.provider_model_id, o.variant) == (provider_id, pmid, variant)}


def _model(result: ParseResult, model_id: str) -> dict[str, str | None]:
    return {o.field: o.value for o in result.observations if o.entity == "model" and o.model_id == model_id}


@pytest.mark.parametrize(("provider_id", "pmid", "variant", "field", "raw", "value"), [
    ("cloudflare-workers-ai", "@cf/meta/llama-3.2-1b-instruct", "", "input_usd_per_mtok", "2.7e-08", "0.027"),
    ("cloudflare-workers-ai", "@cf/meta/llama-3.2-1b-instruct", "", "output_usd_per_mtok", "2.01e-07", "0.201"),
    ("azure-openai", "gpt-4o-mini-2024-07-18", "eu", "input_usd_per_mtok", "1.65e-07", "0.165"),
    ("azure-openai", "gpt-4o-mini-2024-07-18", "eu", "cached_input_usd_per_mtok", "8.3e-08", "0.083"),
    ("deepinfra", "meta-llama/Llama-3.2-3B-Instruct", "", "input_usd_per_mtok", "1.234567e-08", "0.01234567"),
    ("deepinfra", "meta-llama/Llama-3.2-3B-Instruct", "", "output_usd_per_mtok", "0.00000002", "0.02"),
    ("openai", "o3", "priority", "cached_input_usd_per_mtok", "8.75e-07", "0.875"),
])
def test_per_token_prices_become_exact_decimals_per_million(provider_id, pmid, variant, field, raw, value):
    (obs,) = [o for o in run_case(CASES / "price_file").observations
              if (o.provider_id, o.provider_model_id, o.variant, o.field) == (provider_id, pmid, variant, field)]
    assert (obs.raw, obs.value) == (raw, value)
    assert Decimal(obs.value) == Decimal(raw) * 1_000_000  # exact, no float on the way


def test_keys_lose_the_routing_prefix_and_name_the_canonical_provider():
    result = run_case(CASES / "price_file")
    assert _offer(result, "azure-openai", "o3-mini")["input_usd_per_mtok"] == ("known", "1.21")
    assert _offer(result, "fireworks-ai", "accounts/fireworks/models/llama-v3p2-1b")["input_usd_per_mtok"] == ("known", "0.1")
    # the Replicate version hash is not part of the id
    assert _offer(result, "replicate", "meta/llama-2-70b-chat")["output_usd_per_mtok"] == ("known", "2.75")
    ids = {(o.provider_id, o.model_id) for o in result.observations if o.entity == "offer"}
    assert ("fireworks-ai", "meta/llama-3.2-1b") in ids  # the BASE model: no "-instruct" in Fireworks' id
    assert ("aws-bedrock", "meta/llama-3.2-1b-instruct") in ids


def test_region_segment_of_a_key_is_the_offer_variant():
    result = run_case(CASES / "price_file")
    bedrock = _offer(result, "aws-bedrock", "meta.llama3-2-1b-instruct-v1:0", "us-west-2")
    assert bedrock["input_usd_per_mtok"] == ("known", "0.1") and bedrock["max_input_tokens"] == ("known", "128000")
    assert not _offer(result, "aws-bedrock", "meta.llama3-2-1b-instruct-v1:0", "")


def test_batch_flex_and_priority_prices_are_offers_of_their_own():
    result = run_case(CASES / "price_file")
    assert _offer(result, "openai", "gpt-4o-mini")["input_usd_per_mtok"] == ("known", "0.15")
    assert _offer(result, "openai-batch", "gpt-4o-mini") == {
        "input_usd_per_mtok": ("known", "0.075"), "output_usd_per_mtok": ("known", "0.3")}
    assert _offer(result, "openai", "o3", "flex")["output_usd_per_mtok"] == ("known", "4")
    assert _offer(result, "openai", "o3", "priority")["output_usd_per_mtok"] == ("known", "14")
    assert _offer(result, "openai", "o3")["output_usd_per_mtok"] == ("known", "8")  # base price untouched
    # no batch offer where the file states no batch price
    assert not _offer(result, "openai-batch", "o3-mini")


def test_long_context_price_is_a_tier_never_the_base_price():
    gemini = _offer(run_case(CASES / "price_file"), "google-gemini", "gemini-2.5-pro")
    assert (gemini["input_usd_per_mtok"], gemini["output_usd_per_mtok"]) == (("known", "1.25"), ("known", "10"))
    assert gemini["tier_threshold_tokens"] == ("known", "200000")
    assert gemini["input_usd_per_mtok_above_tier"] == ("known", "2.5")
    assert gemini["output_usd_per_mtok_above_tier"] == ("known", "15")


def test_legacy_max_tokens_is_not_read():
    # the bedrock entry states max_tokens 128000 and max_output_tokens 4096: only the latter is the output limit
    bedrock = _offer(run_case(CASES / "price_file"), "aws-bedrock", "meta.llama3-2-1b-instruct-v1:0", "us-west-2")
    assert bedrock["max_output_tokens"] == ("known", "4096")


def test_capabilities_come_from_the_creators_own_entry_first():
    # azure/o3-mini says supports_vision true; OpenAI's own o3-mini entry says false and wins
    o3_mini = _model(run_case(CASES / "price_file"), "openai/o3-mini")
    assert o3_mini["supports_vision"] == "false"
    assert (o3_mini["supports_reasoning"], o3_mini["supports_structured_outputs"]) == ("true", "true")


def test_non_chat_entries_and_sample_spec_are_skipped_with_counted_reasons():
    result = run_case(CASES / "price_file")
    skips = [p.message for p in result.problems if p.severity == "skip"]
    assert any(m.startswith("sample_spec:") for m in skips)
    assert any("text-embedding-3-small" in m and "'embedding'" in m for m in skips)
    assert any("dall-e-3" in m and "'image_generation'" in m for m in skips)
    assert any("1-month-commitment" in m and "provisioned throughput" in m for m in skips)
    models = {o.model_id for o in result.observations}
    assert not {m for m in models if "embedding" in m or "dall-e" in m}
    # a provider no curated file names is still a provider (its slug): nothing skipped for want of a map
    assert {o.provider_id for o in result.observations if "sonar" in o.model_id} == {"perplexity"}
    assert result.providers["perplexity"] == "Perplexity"
    assert all(p.source_id == SOURCE and p.url == URL for p in result.problems)


def test_malformed_values_are_problems_naming_source_url_field_and_text():
    case = CASES / "malformed_values"
    result = run_case(case)
    by_field = {p.field: p for p in result.problems if p.severity == "error" and p.field}
    price = by_field["input_usd_per_mtok"]
    assert (price.source_id, price.url) == (SOURCE, load_page(case).url)
    assert "o3-mini" in price.message and "'0.0000011O'" in price.message
    assert "'-1'" in by_field["output_usd_per_mtok"].message
    assert "'about a million'" in by_field["max_input_tokens"].message
    assert "'no'" in by_field["supports_vision"].message
    # the rest of each entry is still read; a null price is unknown, never zero
    assert _offer(result, "openai", "o3-mini")["output_usd_per_mtok"] == ("known", "4.4")
    assert "input_usd_per_mtok" not in _offer(result, "openai", "o3-mini")
    assert _offer(result, "openai", "gpt-4.1-mini")["cached_input_usd_per_mtok"] == ("unknown", None)
    assert "supports_vision" not in _model(result, "openai/o3-mini")


@pytest.mark.parametrize(("case", "words"), [
    ("layout_changed", "no entry states a 'litellm_provider'"), ("broken_json", "not valid JSON"),
])
def test_a_changed_layout_makes_the_page_unusable(case, words):
    result = run_case(CASES / case)
    (problem,) = result.problems
    assert "page unusable" in problem.message and words in problem.message
    assert (problem.source_id, problem.url, problem.severity) == (SOURCE, URL, "error")
    assert not result.observations and result.items == 0


# --- the recorded crawls (spiders/recorded/PLAN.md: 04-15, 04-24, 06-04) --------------------------

RECORDED = Path(__file__).resolve().parents[1] / "spiders" / "recorded"
CRAWLS = ["20260415T060000Z", "20260424T060000Z", "20260604T060000Z"]
GOLDEN_MODELS = {"meta/llama-3.2-1b-instruct", "meta/llama-3.2-1b", "meta/llama-3.2-3b-instruct", "openai/o3-mini",
                 "openai/o4-mini", "openai/gpt-4.1-mini", "openai/gpt-5.3-codex", "mistral/mixtral-8x22b-instruct-v0.3"}


@lru_cache(maxsize=None)
def recorded(crawl: str) -> ParseResult:
    source = load_sources().get(SOURCE)
    out = ParseResult()
    for page in RawArchive(RECORDED).pages(crawl, SOURCE):
        out.extend(parse_page(page, source))
    return out


def golden_offers(crawl: str) -> dict[str, dict[tuple[str, str, str], dict[str, str | None]]]:
    """model -> offer key -> field -> value, for the golden models only."""
    out: dict[str, dict[tuple[str, str, str], dict[str, str | None]]] = {}
    for o in recorded(crawl).observations:
        if o.entity == "offer" and o.model_id in GOLDEN_MODELS:
            out.setdefault(o.model_id, {}).setdefault((o.provider_id, o.provider_model_id, o.variant), {})[o.field] = o.value
    return out


def test_the_source_is_recorded_on_its_plan_dates():
    assert sorted(p.parent.parent.name for p in RECORDED.glob(f"*/{SOURCE}/pages.jsonl")) == CRAWLS


@pytest.mark.parametrize("crawl", CRAWLS)
def test_recorded_folder_is_sealed_dated_and_fetched_from_the_start_url(crawl):
    assert verify(RECORDED / crawl / SOURCE) == []
    (fetch,) = [f for f in RawArchive(RECORDED).fetches(crawl) if f.source_id == SOURCE]
    pages = list(RawArchive(RECORDED).pages(crawl, SOURCE))
    day = f"{crawl[:4]}-{crawl[4:6]}-{crawl[6:8]}"
    assert (fetch.status, fetch.errors, fetch.pages) == ("ok", [], len(pages))
    assert fetch.started_at.date().isoformat() == day
    assert [p.url for p in pages] == load_sources().get(SOURCE).start_urls
    assert all(p.status == 200 and p.fetched_at.date().isoformat() == day for p in pages)


@pytest.mark.parametrize("crawl", CRAWLS)
def test_every_recorded_page_parses_without_errors(crawl):
    result = recorded(crawl)
    assert not [str(p) for p in result.problems if p.severity == "error"]
    assert result.items >= 10
    skips = [p.message for p in result.problems if p.severity == "skip"]
    assert any(m.startswith("sample_spec:") for m in skips) and any("'embedding'" in m for m in skips)


def test_recorded_2026_04_15_golden_offers():
    offers = golden_offers(CRAWLS[0])
    assert offers["meta/llama-3.2-1b"] == {("fireworks-ai", "accounts/fireworks/models/llama-v3p2-1b", ""): {
        "input_usd_per_mtok": "0.1", "output_usd_per_mtok": "0.1", "max_input_tokens": "131072", "max_output_tokens": "16384"}}
    (mixtral,) = offers["mistral/mixtral-8x22b-instruct-v0.3"].items()
    assert mixtral[0] == ("replicate", "mistralai/mixtral-8x22b-instruct-v0.3", "")
    assert (mixtral[1]["input_usd_per_mtok"], mixtral[1]["output_usd_per_mtok"], mixtral[1]["max_input_tokens"]) == ("2", "2", "65536")
    assert set(offers["openai/o3-mini"]) == {("openai", "o3-mini", ""), ("azure-openai", "o3-mini", "")}
    assert set(offers) == {"meta/llama-3.2-1b", "mistral/mixtral-8x22b-instruct-v0.3", "openai/o3-mini"}


def test_recorded_2026_04_24_adds_replicate_o4_mini_only():
    offers = golden_offers(CRAWLS[1])
    # o4-mini: Replicate at 0.50/2.00, and no context window (it is "not-yet-sourced" on 04-24)
    assert offers["openai/o4-mini"] == {("replicate", "openai/o4-mini", ""): {
        "input_usd_per_mtok": "0.5", "output_usd_per_mtok": "2"}}
    before = golden_offers(CRAWLS[0])
    assert {m: o for m, o in offers.items() if m != "openai/o4-mini"} == before


def test_recorded_2026_06_04_adds_cloudflare_llama_1b_instruct_only():
    offers = golden_offers(CRAWLS[2])
    assert offers["meta/llama-3.2-1b-instruct"] == {("cloudflare-workers-ai", "@cf/meta/llama-3.2-1b-instruct", ""): {
        "input_usd_per_mtok": "0.027", "output_usd_per_mtok": "0.201", "max_input_tokens": "60000", "max_output_tokens": "60000"}}
    before = golden_offers(CRAWLS[1])
    assert {m: o for m, o in offers.items() if m != "meta/llama-3.2-1b-instruct"} == before


@pytest.mark.parametrize("crawl", CRAWLS)
def test_recorded_providers_of_the_golden_models_stay_within_plan(crawl):
    """No litellm entry adds a provider PLAN.md does not name for a golden model at that date."""
    allowed = {"meta/llama-3.2-1b": {"fireworks-ai"}, "mistral/mixtral-8x22b-instruct-v0.3": {"replicate"},
               "openai/o3-mini": {"openai", "azure-openai"}, "openai/o4-mini": {"replicate"},
               "meta/llama-3.2-1b-instruct": {"cloudflare-workers-ai"}}
    for model_id, offers in golden_offers(crawl).items():
        assert {k[0] for k in offers} <= allowed[model_id], model_id
    assert "openai/gpt-4.1-mini" not in golden_offers(crawl) and "openai/gpt-5.3-codex" not in golden_offers(crawl)
