"""Golden fixture tests of the openrouter parser (tests/fixtures/parse/openrouter/, see tests/parse_helpers.py)."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tests.parse_helpers import (
    FIXTURES, load_page, run_case,
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


# --- a real response of the models API, outside the repo (local smoke test) -----------------------

# ../shared/real beside the repo: present on the team's machines, absent elsewhere
REAL_MODELS = Path(__file__).resolve().parents[2] / "shared" / "real" / "openrouter-api-v1-models-2026-05.json"


@pytest.mark.skipif(not REAL_MODELS.exists(),
                    reason=f"{REAL_MODELS} (a real OpenRouter models API response, outside the repo) is absent")
def test_real_models_api_smoke():
    import hashlib
    from datetime import UTC, datetime

    from pipeline.config import load_sources
    from pipeline.models import RawPage
    from pipeline.parse import parse_page

    page = RawPage(source_id="openrouter", url="https://openrouter.ai/api/v1/models", status=200,
                   fetched_at=datetime(2026, 5, 1, tzinfo=UTC),
                   sha256=hashlib.sha256(REAL_MODELS.read_bytes()).hexdigest(),
                   body_file=REAL_MODELS.name, base_dir=REAL_MODELS.parent)
    result = parse_page(page, load_sources().get("openrouter"))
    assert result.items >= 350  # 364 models in the copy
    assert not [p for p in result.problems if "page unusable" in p.message]
    o3 = {o.field: (o.status, o.value) for o in result.observations
          if o.entity == "offer" and o.provider_id == "openrouter" and o.provider_model_id == "openai/o3-mini"}
    assert o3["input_usd_per_mtok"] == ("known", "1.1") and o3["output_usd_per_mtok"] == ("known", "4.4")
    assert o3["context_window"] == ("known", "200000")  # OpenRouter's serving limit, on its offer
    # dynamic prices ("-1") are counted skips, never a negative price
    assert all(Decimal(o.value) >= 0 for o in result.observations
               if o.field.endswith("_usd_per_mtok") and o.status == "known")
