"""Golden fixture tests of the openrouter parser (tests/fixtures/parse/openrouter/, see tests/parse_helpers.py)."""
from __future__ import annotations

from decimal import Decimal

from tests.parse_helpers import (
    FIXTURES, load_page, model_facts, offer_facts, parse_real, run_case,
)

SOURCE = "openrouter"


# --- the failure cases, spelled out -------------------------------------------------------------


CASES = FIXTURES / SOURCE


def test_broken_json_makes_the_page_unusable():
    (problem,) = run_case(CASES / "broken_json").problems
    assert problem.severity == "error" and "page unusable" in problem.message and "JSON" in problem.message
    assert problem.url == "https://openrouter.ai/api/v1/models"


def test_http_500_is_a_problem_not_a_parse():
    result = run_case(CASES / "http_500")
    assert [p.message for p in result.problems] == ["HTTP 500"] and not result.observations


def test_dynamic_pricing_is_skipped_with_a_reason_and_no_price():
    result = run_case(CASES / "dynamic_pricing")
    assert not [o for o in result.observations if o.model_id == "openrouter/auto"]
    (skip,) = [p for p in result.problems if p.severity == "skip"]
    assert "openrouter/auto" in skip.message and "dynamic pricing" in skip.message


def test_malformed_price_names_the_field_and_keeps_the_rest_of_the_row():
    case = CASES / "malformed_price"
    result = run_case(case)
    (problem,) = result.problems
    assert (problem.field, problem.severity, problem.url) == ("input_usd_per_mtok", "error", load_page(case).url)
    fields = {o.field for o in result.observations if o.entity == "offer"}
    assert "input_usd_per_mtok" not in fields and {"output_usd_per_mtok", "context_window"} <= fields


def test_missing_completion_price_is_skipped_for_that_field_only():
    result = run_case(CASES / "models_list")
    (skip,) = [p for p in result.problems if "mistral-7b" in p.message]
    assert (skip.field, skip.severity) == ("output_usd_per_mtok", "skip")
    got = {o.field for o in result.observations if o.model_id == "mistral/mistral-7b-instruct-v0.1"}
    assert "input_usd_per_mtok" in got and "output_usd_per_mtok" not in got


def test_context_length_is_the_routes_limit_and_a_catalog_claim_about_the_model():
    # on the models list: the route's serving limit (offer) and a catalog's model-level claim, which
    # reconcile weighs against the others (the largest claim of equal authority is the model's)
    llama = [o for o in run_case(CASES / "models_list").observations
             if o.model_id == "meta/llama-3.2-1b-instruct" and o.field == "context_window"]
    assert {(o.entity, o.value) for o in llama} == {("offer", "60000"), ("model", "60000")}
    # an endpoints page speaks of routes only
    assert not [o for o in run_case(CASES / "endpoints_llama_1b").observations if o.entity == "model"]


def test_absent_capabilities_state_nothing():
    llama = [o for o in run_case(CASES / "models_list").observations
             if o.model_id == "meta/llama-3.2-1b-instruct" and o.field.startswith("supports_")]
    assert {o.field: o.value for o in llama} == {"supports_structured_outputs": "true", "supports_vision": "false"}


# --- endpoints: offers of the upstream providers ---------------------------------------------------


def test_endpoints_are_offers_of_the_upstream_provider_not_variants_of_openrouter():
    result = run_case(CASES / "endpoints_llama_1b")
    offers = {(o.provider_id, o.provider_model_id, o.variant) for o in result.observations}
    # OpenRouter names the route by its own id, not the upstream's: no provider model id is claimed,
    # so its report meets Cloudflare's own page on one offer (model, provider, variant)
    assert offers == {("cloudflare-workers-ai", None, ""), ("deepinfra", None, "")}
    assert result.providers == {"cloudflare-workers-ai": "Cloudflare", "deepinfra": "DeepInfra"}
    assert all(o.entity == "offer" and o.source_id == "openrouter" for o in result.observations)


def test_tag_suffix_is_the_quantization_and_keeps_two_endpoints_of_one_upstream_apart():
    result = run_case(CASES / "endpoints_upstreams")
    deepinfra = {(o.variant, o.value) for o in result.observations
                 if o.provider_id == "deepinfra" and o.field == "quantization"}
    assert deepinfra == {("bf16", "bf16"), ("fp8", "fp8")}


def test_an_upstream_no_curated_file_names_is_a_provider_of_its_own():
    result = run_case(CASES / "endpoints_upstreams")
    mystery = {o.field: o.value for o in result.observations if o.provider_id == "mystery-gpu"}
    assert mystery["input_usd_per_mtok"] == "0.01" and "mystery-gpu" in result.providers
    assert not [p for p in result.problems if "mystery-gpu" in p.message]
    assert not [o for o in result.observations if o.provider_id == "openrouter"]


def test_upstream_tags_resolve_through_the_curated_provider_spellings():
    from pipeline.providers import canonical_provider
    assert [canonical_provider(t) for t in ("cloudflare", "fireworks", "amazon-bedrock", "google-ai-studio",
                                            "together", "azure", "deepinfra")] == [
        "cloudflare-workers-ai", "fireworks-ai", "aws-bedrock", "google-gemini", "together-ai",
        "azure-openai", "deepinfra"]


def test_route_tags_are_variants_and_only_a_precision_is_a_quantization():
    result = run_case(CASES / "endpoints_routes_and_tiers")
    offers = {(o.provider_id, o.variant) for o in result.observations}
    assert offers == {("fireworks-ai", ""), ("fireworks-ai", "fast"), ("morph", "fast"),
                      ("google-vertex", "global"), ("deepinfra", "")}
    quant = {(o.provider_id, o.variant): o.value for o in result.observations if o.field == "quantization"}
    # "fast" and "global" name routes, never a quantization; Morph's own field says fp4
    assert quant == {("morph", "fast"): "fp4", ("deepinfra", ""): "bf16"}


def test_a_long_context_override_is_a_price_tier_never_the_base_price():
    vertex = offer_facts(run_case(CASES / "endpoints_routes_and_tiers"), "google-vertex", None, "global")
    assert (vertex["input_usd_per_mtok"], vertex["output_usd_per_mtok"]) == (("known", "4"), ("known", "20"))
    # the lowest of the two thresholds (256000 before 512000, whatever their order)
    assert (vertex["tier_threshold_tokens"], vertex["input_usd_per_mtok_above_tier"],
            vertex["output_usd_per_mtok_above_tier"]) == (("known", "256000"), ("known", "8"), ("known", "40"))
    skips = [p.message for p in run_case(CASES / "endpoints_routes_and_tiers").problems if p.severity == "skip"]
    assert any("above 512000" in m for m in skips) and any("input_cache_read" in m for m in skips)


def test_an_override_it_cannot_read_and_a_discount_are_errors_never_silence():
    result = run_case(CASES / "endpoints_routes_and_tiers")
    errors = {p.message.split(": ", 1)[1][:24]: p for p in result.problems if p.severity == "error"}
    assert set(errors) == {"pricing.overrides[0] pri", "pricing states a discoun"}
    assert "utc_end, utc_start" in errors["pricing.overrides[0] pri"].message
    assert errors["pricing states a discoun"].provider_id == "deepinfra"
    deepinfra = offer_facts(result, "deepinfra", None)
    # the time-of-day prices are not folded into the base price; the listed price stands
    assert deepinfra["input_usd_per_mtok"] == ("known", "2.5") and "tier_threshold_tokens" not in deepinfra


def test_router_aliases_are_skipped_not_models():
    result = run_case(CASES / "models_list")
    assert not [o for o in result.observations if "o-mini-latest" in o.model_id + (o.provider_model_id or "")]
    assert any(p.severity == "skip" and p.message.startswith("~openai/o-mini-latest: a router alias")
               for p in result.problems)


# --- the real copies (../shared/real, skipped when absent) -----------------------------------------

JSON = "application/json"
KIMI_K3 = "https://openrouter.ai/api/v1/models/moonshotai/kimi-k3/endpoints"


def test_real_kimi_k3_endpoints():
    result = parse_real(SOURCE, "endpoints-moonshotai-kimi-k3-2026-08-25.json", KIMI_K3, JSON)
    assert result.items == 4 and not result.problems
    assert result.providers == {"fireworks-ai": "Fireworks", "alibaba": "Alibaba", "morph": "Morph"}
    prices = {(o.provider_id, o.variant): offer_facts(result, o.provider_id, None, o.variant)
              for o in result.observations}
    assert {k: (v["input_usd_per_mtok"][1], v["output_usd_per_mtok"][1], v["cached_input_usd_per_mtok"][1])
            for k, v in prices.items()} == {
        ("fireworks-ai", ""): ("3", "15", "0.3"),
        ("fireworks-ai", "fast"): ("4.5", "22.5", "0.45"),  # "fireworks/fast": a route, dearer
        ("alibaba", ""): ("3.45", "17.25", "0.345"),
        ("morph", "fast"): ("6", "22.5", "0.6"),
    }
    assert all(v["context_window"] == ("known", "1048576") for v in prices.values())
    assert prices[("alibaba", "")]["max_output_tokens"] == ("known", "1048576")
    assert prices[("fireworks-ai", "")]["max_output_tokens"] == ("unknown", None)
    # only Morph states a precision ("fp4"); "fast" is never a quantization; the copy has no tiers
    assert {(o.provider_id, o.value) for o in result.observations if o.field == "quantization"} == {("morph", "fp4")}
    assert not [o for o in result.observations if "tier" in o.field]
    assert {o.model_id for o in result.observations} == {"moonshotai/kimi-k3"}


def test_real_models_api():
    # the whole models list sits beside the page copies, in ../shared/real/
    result = parse_real(SOURCE, "../../openrouter-api-v1-models-2026-05.json", "https://openrouter.ai/api/v1/models", JSON)
    # 364 entries: 8 "~" router aliases and 3 priced per request or not text are skipped, 353 read
    assert result.items == 353 and not [p for p in result.problems if p.severity == "error"]
    skips = [p.message for p in result.problems if p.severity == "skip"]
    aliases = sorted(m.split(":")[0] for m in skips if "router alias" in m)
    assert len(skips) == 11 and len(aliases) == 8 and "~anthropic/claude-haiku-latest" in aliases
    assert not [o for o in result.observations if "~" in o.model_id or "~" in (o.provider_model_id or "")]
    o3 = offer_facts(result, "openrouter", "openai/o3-mini")
    assert o3["input_usd_per_mtok"] == ("known", "1.1") and o3["output_usd_per_mtok"] == ("known", "4.4")
    assert o3["context_window"] == ("known", "200000")  # OpenRouter's serving limit, on its offer
    llama = offer_facts(result, "openrouter", "meta-llama/llama-3.2-1b-instruct")
    assert (llama["input_usd_per_mtok"], llama["context_window"]) == (("known", "0.027"), ("known", "60000"))
    assert model_facts(result, "meta/llama-3.2-1b-instruct")["name"] == "Llama 3.2 1B Instruct"
    # dynamic prices ("-1") are counted skips, never a negative price
    assert all(Decimal(o.value) >= 0 for o in result.observations
               if o.field.endswith("_usd_per_mtok") and o.status == "known")
