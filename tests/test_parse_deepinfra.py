"""Golden fixture tests of the deepinfra parser (tests/fixtures/parse/deepinfra/, see tests/parse_helpers.py),
and the recorded crawl of the deepinfra source (spiders/recorded/20260604T060000Z/deepinfra/, see PLAN.md)."""
from __future__ import annotations

from decimal import Decimal

import pytest

from tests.parse_helpers import (
    FIXTURES, GOLDEN_MODELS, load_page, offer_facts, parse_real, recorded, run_case,
)

SOURCE = PROVIDER = "deepinfra"
URL = "https://api.deepinfra.com/models/list"


# --- the cases, spelled out ----------------------------------------------------------------------

CASES = FIXTURES / SOURCE


@pytest.mark.parametrize(("pmid", "field", "cents_per_token", "usd_per_mtok"), [
    ("meta-llama/Llama-3.2-3B-Instruct", "input_usd_per_mtok", "0.000001", "0.01"),
    ("meta-llama/Llama-3.2-3B-Instruct", "output_usd_per_mtok", "0.000002", "0.02"),
    ("meta-llama/Llama-3.3-70B-Instruct-Turbo", "input_usd_per_mtok", "1.3e-05", "0.13"),
    ("meta-llama/Llama-3.3-70B-Instruct-Turbo", "output_usd_per_mtok", "0.0000395", "0.395"),
    ("Qwen/Qwen2.5-72B-Instruct", "input_usd_per_mtok", "0.0000123456", "0.123456"),
])
def test_cents_per_token_become_exact_dollars_per_million(pmid, field, cents_per_token, usd_per_mtok):
    (obs,) = [o for o in run_case(CASES / "models_list").observations
              if (o.provider_model_id, o.field) == (pmid, field)]
    assert (obs.raw, obs.value) == (cents_per_token, usd_per_mtok)
    assert Decimal(obs.value) == Decimal(cents_per_token) / 100 * 1_000_000


def test_offer_of_the_3b_instruct_model():
    result = run_case(CASES / "models_list")
    assert offer_facts(result, PROVIDER, "meta-llama/Llama-3.2-3B-Instruct") == {
        "input_usd_per_mtok": ("known", "0.01"), "output_usd_per_mtok": ("known", "0.02"),
        "context_window": ("known", "128000"), "quantization": ("known", "bfloat16")}
    assert {o.model_id for o in result.observations if o.provider_model_id == "meta-llama/Llama-3.2-3B-Instruct"} == {
        "meta/llama-3.2-3b-instruct"}


def test_a_turbo_id_names_a_model_of_its_own_unless_an_alias_says_otherwise():
    # "-turbo" names another product (gpt-4-turbo is not gpt-4): never folded by a rule (issue 9)
    (model_id,) = {o.model_id for o in run_case(CASES / "models_list").observations
                   if o.provider_model_id == "meta-llama/Llama-3.3-70B-Instruct-Turbo"}
    assert model_id == "meta/llama-3.3-70b-instruct-turbo"


def test_not_stated_limits_are_not_invented():
    assert "context_window" not in offer_facts(run_case(CASES / "models_list"), PROVIDER, "Qwen/Qwen2.5-72B-Instruct")


def test_other_types_deprecated_time_priced_and_repeated_entries_are_skipped():
    result = run_case(CASES / "models_list")
    skips = [p.message for p in result.problems if p.severity == "skip"]
    assert any("BAAI/bge-m3" in m and "'embeddings'" in m for m in skips)
    assert any("FLUX-1-schnell" in m and "'text-to-image'" in m for m in skips)
    assert any("Meta-Llama-3-70B-Instruct: deprecated" in m and "Llama-3.3-70B" in m for m in skips)
    assert any("Llama-Guard-3-8B-Timed" in m and "'time'" in m for m in skips)
    assert any("listed twice" in m for m in skips)
    # the repeated 3B entry (0.09) does not replace the first one
    assert offer_facts(result, PROVIDER, "meta-llama/Llama-3.2-3B-Instruct")["input_usd_per_mtok"] == ("known", "0.01")
    assert result.items == 3


def test_text_generation_is_priced_by_tokens_and_embeddings_by_input_tokens():
    # the real listing's shape: "tokens" (input and output per token) for text generation;
    # "input_tokens" is how it prices embeddings, which are skipped by their type
    body = (CASES / "models_list" / "body.json").read_text()
    assert '"type": "tokens"' in body and '"type": "input_tokens"' in body
    assert run_case(CASES / "models_list").items == 3


def test_a_cached_price_ratio_is_named_never_stated_as_a_price():
    result = run_case(CASES / "models_list")
    assert "cached_input_usd_per_mtok" not in offer_facts(result, PROVIDER, "Qwen/Qwen2.5-72B-Instruct")
    (skip,) = [p for p in result.problems if p.field == "cached_input_usd_per_mtok"]
    assert skip.severity == "skip" and "ratio of the input price" in skip.message
    assert "$0.030864 per 1M" in skip.message  # 0.25 x $0.123456, said, not stored


def test_an_unknown_pricing_type_is_an_error_and_a_discount_is_never_silently_applied():
    result = run_case(CASES / "malformed_values")
    (unknown,) = [p for p in result.problems if "DeepSeek-V3-0324" in p.message]
    assert unknown.severity == "error" and "'tokens_per_batch'" in unknown.message
    assert not [o for o in result.observations if o.provider_model_id == "deepseek-ai/DeepSeek-V3-0324"]
    (discount,) = [p for p in result.problems if "discount" in p.message]
    assert discount.severity == "error" and "'0.2'" in discount.message and discount.model_id == "qwen/qwen2.5-72b-instruct"
    # the listed prices stand, undiscounted
    assert offer_facts(result, PROVIDER, "Qwen/Qwen2.5-72B-Instruct")["input_usd_per_mtok"] == ("known", "0.12")


def test_malformed_values_are_problems_naming_source_url_field_and_text():
    case = CASES / "malformed_values"
    result = run_case(case)
    price = next(p for p in result.problems if "'0.00000l'" in p.message)
    assert (price.source_id, price.url, price.field, price.severity) == (
        SOURCE, load_page(case).url, "input_usd_per_mtok", "error")
    assert "meta-llama/Llama-3.2-3B-Instruct" in price.message
    by_field = {p.field: p.message for p in result.problems if "Meta-Llama-3.1-8B" in p.message}
    assert "cents_per_output_token" in by_field["output_usd_per_mtok"] and "'131072.5'" in by_field["context_window"]
    assert any("Mistral-Small-24B" in p.message and p.field == "input_usd_per_mtok" for p in result.problems)
    assert any("models[3] has no model_name" in p.message for p in result.problems)
    # the readable values of the same entries are kept
    assert offer_facts(result, PROVIDER, "meta-llama/Llama-3.2-3B-Instruct")["output_usd_per_mtok"] == ("known", "0.02")
    assert "input_usd_per_mtok" not in offer_facts(result, PROVIDER, "meta-llama/Llama-3.2-3B-Instruct")


def test_a_changed_layout_makes_the_page_unusable():
    result = run_case(CASES / "layout_changed")
    (problem,) = result.problems
    assert "page unusable" in problem.message and (problem.source_id, problem.url) == (SOURCE, URL)
    assert not result.observations


# --- the recorded crawl (spiders/recorded/PLAN.md: 2026-06-04 only; tests/test_parse_recorded.py) -----

def test_recorded_llama_3b_instruct_offer_and_no_other_golden_model():
    assert offer_facts(recorded(SOURCE), PROVIDER, "meta-llama/Llama-3.2-3B-Instruct") == {
        "input_usd_per_mtok": ("known", "0.01"), "output_usd_per_mtok": ("known", "0.02"),
        "context_window": ("known", "128000"), "quantization": ("known", "bfloat16")}
    golden = {o.model_id for o in recorded(SOURCE).observations} & GOLDEN_MODELS
    assert golden == {"meta/llama-3.2-3b-instruct"}  # NOT the 1B Instruct
    assert {o.provider_id for o in recorded(SOURCE).observations} == {"deepinfra"}


# --- the real listing (../shared/real/pages/deepinfra/, skipped when absent) ----------------------

def test_real_listing_kimi_k2_5():
    result = parse_real(SOURCE, "models-list-entry-2026-05-12.json", URL, "application/json")
    assert offer_facts(result, PROVIDER, "moonshotai/Kimi-K2.5") == {
        "input_usd_per_mtok": ("known", "0.45"), "output_usd_per_mtok": ("known", "2.25"),
        "context_window": ("known", "262144"), "quantization": ("known", "fp4")}
    assert {o.model_id for o in result.observations} == {"moonshotai/kimi-k2.5"}
    assert {o.raw for o in result.observations if o.field.endswith("_usd_per_mtok")} == {"4.5e-05", "0.000225"}
    assert result.items == 1 and not [p for p in result.problems if p.severity == "error"]
    # the cached rate is a ratio of the input price (0.15555556 x $0.45 ~ $0.07): named, not stored
    (skip,) = result.problems
    assert (skip.severity, skip.field) == ("skip", "cached_input_usd_per_mtok") and "$0.070000002" in skip.message
