"""Golden fixture tests of the litellm parser (tests/fixtures/parse/litellm/, see tests/parse_helpers.py),
and the recorded crawls of the litellm source (spiders/recorded/2026*/litellm/, see PLAN.md)."""
from __future__ import annotations

import hashlib
from decimal import Decimal

import pytest

from pipeline.config import load_sources
from pipeline.models import Problem
from pipeline.parse import parse_page
from tests.parse_helpers import (
    FIXTURES, GOLDEN_MODELS, REAL_PAGES, load_page, model_facts, offer_facts, recorded, run_case,
)

SOURCE = "litellm"
URL = "https://raw.githubusercontent.com/BerriAI/litellm/main/model_prices_and_context_window.json"


# --- the cases, spelled out ----------------------------------------------------------------------

CASES = FIXTURES / SOURCE


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
    assert offer_facts(result, "azure-openai", "o3-mini")["input_usd_per_mtok"] == ("known", "1.21")
    assert offer_facts(result, "fireworks-ai", "accounts/fireworks/models/llama-v3p2-1b")["input_usd_per_mtok"] == ("known", "0.1")
    # the Replicate version hash is not part of the id
    assert offer_facts(result, "replicate", "meta/llama-2-70b-chat")["output_usd_per_mtok"] == ("known", "2.75")
    ids = {(o.provider_id, o.model_id) for o in result.observations if o.entity == "offer"}
    assert ("fireworks-ai", "meta/llama-3.2-1b") in ids  # the BASE model: no "-instruct" in Fireworks' id
    assert ("aws-bedrock", "meta/llama-3.2-1b-instruct") in ids


def test_region_segment_of_a_key_is_the_offer_variant():
    result = run_case(CASES / "price_file")
    bedrock = offer_facts(result, "aws-bedrock", "meta.llama3-2-1b-instruct-v1:0", "us-west-2")
    assert bedrock["input_usd_per_mtok"] == ("known", "0.1") and bedrock["max_input_tokens"] == ("known", "128000")
    assert not offer_facts(result, "aws-bedrock", "meta.llama3-2-1b-instruct-v1:0", "")


def test_batch_flex_and_priority_prices_are_offers_of_their_own():
    result = run_case(CASES / "price_file")
    assert offer_facts(result, "openai", "gpt-4o-mini")["input_usd_per_mtok"] == ("known", "0.15")
    assert offer_facts(result, "openai-batch", "gpt-4o-mini") == {
        "input_usd_per_mtok": ("known", "0.075"), "output_usd_per_mtok": ("known", "0.3")}
    assert offer_facts(result, "openai", "o3", "flex")["output_usd_per_mtok"] == ("known", "4")
    assert offer_facts(result, "openai", "o3", "priority")["output_usd_per_mtok"] == ("known", "14")
    assert offer_facts(result, "openai", "o3")["output_usd_per_mtok"] == ("known", "8")  # base price untouched
    # no batch offer where the file states no batch price
    assert not offer_facts(result, "openai-batch", "o3-mini")


def test_long_context_price_is_a_tier_never_the_base_price():
    gemini = offer_facts(run_case(CASES / "price_file"), "google-gemini", "gemini-2.5-pro")
    assert (gemini["input_usd_per_mtok"], gemini["output_usd_per_mtok"]) == (("known", "1.25"), ("known", "10"))
    assert gemini["tier_threshold_tokens"] == ("known", "200000")
    assert gemini["input_usd_per_mtok_above_tier"] == ("known", "2.5")
    assert gemini["output_usd_per_mtok_above_tier"] == ("known", "15")


def test_legacy_max_tokens_is_not_read():
    # the bedrock entry states max_tokens 128000 and max_output_tokens 4096: only the latter is the output limit
    bedrock = offer_facts(run_case(CASES / "price_file"), "aws-bedrock", "meta.llama3-2-1b-instruct-v1:0", "us-west-2")
    assert bedrock["max_output_tokens"] == ("known", "4096")


def test_capabilities_come_from_the_creators_own_entry_first():
    # azure/o3-mini says supports_vision true; OpenAI's own o3-mini entry says false and wins
    o3_mini = model_facts(run_case(CASES / "price_file"), "openai/o3-mini")
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
    by_field: dict[str, Problem] = {}
    for p in result.problems:
        if p.severity == "error" and p.field:
            by_field.setdefault(p.field, p)  # the first problem of each field
    price = by_field["input_usd_per_mtok"]
    assert (price.source_id, price.url) == (SOURCE, load_page(case).url)
    assert "o3-mini" in price.message and "'0.0000011O'" in price.message
    assert "'-1'" in by_field["output_usd_per_mtok"].message
    assert "'about a million'" in by_field["max_input_tokens"].message
    assert "'no'" in by_field["supports_vision"].message
    # the rest of each entry is still read; a null price is unknown, never zero
    assert offer_facts(result, "openai", "o3-mini")["output_usd_per_mtok"] == ("known", "4.4")
    assert "input_usd_per_mtok" not in offer_facts(result, "openai", "o3-mini")
    assert offer_facts(result, "openai", "gpt-4.1-mini")["cached_input_usd_per_mtok"] == ("unknown", None)
    assert not [o for o in result.observations
                if (o.entity, o.model_id, o.field) == ("model", "openai/o3-mini", "supports_vision")]


def test_a_price_no_per_token_price_reaches_is_refused_and_an_exponent_limit_is_read():
    result = run_case(CASES / "malformed_values")
    wandb = [p for p in result.problems if p.message.startswith("wandb/openai/gpt-oss-120b")]
    assert {p.field for p in wandb} == {"input_usd_per_mtok", "output_usd_per_mtok"}
    assert all(p.severity == "error" and "not a per-token price" in p.message for p in wandb)
    assert "$15000 per 1M" in wandb[0].message
    # the rest of the entry stands; xAI's "2e6" is 2,000,000 tokens
    assert offer_facts(result, "wandb", "openai/gpt-oss-120b") == {"max_input_tokens": ("known", "131072")}
    grok = offer_facts(result, "xai", "grok-4-fast-reasoning")
    assert grok["max_input_tokens"] == grok["max_output_tokens"] == ("known", "2000000")


@pytest.mark.parametrize(("case", "words"), [
    ("layout_changed", "no entry states a 'litellm_provider'"), ("broken_json", "not valid JSON"),
])
def test_a_changed_layout_makes_the_page_unusable(case, words):
    result = run_case(CASES / case)
    (problem,) = result.problems
    assert "page unusable" in problem.message and words in problem.message
    assert (problem.source_id, problem.url, problem.severity) == (SOURCE, URL, "error")
    assert not result.observations and result.items == 0


# --- the recorded crawls (spiders/recorded/PLAN.md: 04-15, 04-24, 06-04; tests/test_parse_recorded.py) ---

CRAWLS = ["20260415T060000Z", "20260424T060000Z", "20260604T060000Z"]


def golden_offers(crawl: str) -> dict[str, dict[tuple[str, str, str], dict[str, str | None]]]:
    """model -> offer key -> field -> value, for the golden models only."""
    out: dict[str, dict[tuple[str, str, str], dict[str, str | None]]] = {}
    for o in recorded(SOURCE, crawl).observations:
        if o.entity == "offer" and o.model_id in GOLDEN_MODELS:
            out.setdefault(o.model_id, {}).setdefault((o.provider_id, o.provider_model_id, o.variant), {})[o.field] = o.value
    return out


@pytest.mark.parametrize("crawl", CRAWLS)
def test_recorded_sample_spec_and_embeddings_are_skipped(crawl):
    skips = [p.message for p in recorded(SOURCE, crawl).problems if p.severity == "skip"]
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


# --- the real price file (../shared/real/, skipped when absent) -------------------------------------

REAL_FILE = REAL_PAGES.parent / "litellm-1.77.7-model_prices_and_context_window.json"


@pytest.mark.skipif(not REAL_FILE.exists(), reason=f"{REAL_FILE} (LiteLLM's real price file, outside the repo) is absent")
def test_real_price_file():
    page = load_page(FIXTURES / SOURCE / "price_file").model_copy(update={
        "sha256": hashlib.sha256(REAL_FILE.read_bytes()).hexdigest(), "body_file": REAL_FILE.name,
        "base_dir": REAL_FILE.parent})  # the fixture's URL and headers, the real file's body
    result = parse_page(page, load_sources().get(SOURCE))
    assert result.items == 1293
    # the only errors: W&B's 14 entries and Azure AI's jais-30b-chat, whose "per-token" prices
    # ($5,000 to $540,000 per 1M) are in a unit the file does not state: refused, never stored
    errors = [p for p in result.problems if p.severity == "error"]
    assert len(errors) == 30 and all("not a per-token price" in p.message or "outside the plausible range" in p.message
                                     for p in errors)
    assert {p.message.split(":")[0] for p in errors} == {
        *(f"wandb/{m}" for m in (
            "openai/gpt-oss-120b", "openai/gpt-oss-20b", "zai-org/GLM-4.5", "Qwen/Qwen3-235B-A22B-Instruct-2507",
            "Qwen/Qwen3-Coder-480B-A35B-Instruct", "Qwen/Qwen3-235B-A22B-Thinking-2507", "moonshotai/Kimi-K2-Instruct",
            "meta-llama/Llama-3.1-8B-Instruct", "deepseek-ai/DeepSeek-V3.1", "deepseek-ai/DeepSeek-R1-0528",
            "deepseek-ai/DeepSeek-V3-0324", "meta-llama/Llama-3.3-70B-Instruct",
            "meta-llama/Llama-4-Scout-17B-16E-Instruct", "microsoft/Phi-4-mini-instruct")),
        "azure_ai/jais-30b-chat"}
    assert not [o for o in result.observations if o.provider_id == "wandb" and o.field.endswith("usd_per_mtok")]
    assert max(Decimal(o.value) for o in result.observations
               if o.field.endswith("_usd_per_mtok") and o.status == "known") == Decimal(600)  # o1-pro's output
    o3 = offer_facts(result, "openai", "o3-mini")
    assert (o3["input_usd_per_mtok"], o3["output_usd_per_mtok"], o3["cached_input_usd_per_mtok"]) == (
        ("known", "1.1"), ("known", "4.4"), ("known", "0.55"))
    sonnet = offer_facts(result, "anthropic", "claude-sonnet-4-5")
    assert (sonnet["tier_threshold_tokens"], sonnet["input_usd_per_mtok_above_tier"],
            sonnet["output_usd_per_mtok_above_tier"]) == (("known", "200000"), ("known", "6"), ("known", "22.5"))
    grok = offer_facts(result, "xai", "grok-4-fast-reasoning")  # "2e6" in the file
    assert grok["max_input_tokens"] == ("known", "2000000") and grok["input_usd_per_mtok"] == ("known", "0.2")
    assert model_facts(result, "openai/o3-mini")["max_input_tokens"] == "200000"
