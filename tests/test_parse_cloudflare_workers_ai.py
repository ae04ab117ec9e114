"""Golden fixture tests of the cloudflare-workers-ai parser (tests/fixtures/parse/cloudflare-workers-ai/, see
tests/parse_helpers.py), and the real copy of the page's MDX source (../shared/real/pages/cloudflare-workers-ai/,
skipped when absent)."""
from __future__ import annotations

from collections import Counter

import pytest

from pipeline.parse.cloudflare_workers_ai import price_lines
from tests.parse_helpers import (
    FIXTURES,
    load_page,
    offer_facts,
    parse_real,
    recorded,
    run_case,
)

SOURCE = "cloudflare-workers-ai"
CASES = FIXTURES / SOURCE
URL = "https://developers.cloudflare.com/workers-ai/platform/pricing/index.md"


@pytest.mark.parametrize(("cell", "lines"), [
    # the MDX source, and the served markdown (a <br> in a table cell becomes a space)
    ("$0.027 per M input tokens <br/> $0.201 per M output tokens", ["$0.027 per M input tokens", "$0.201 per M output tokens"]),
    ("$0.027 per M input tokens $0.201 per M output tokens", ["$0.027 per M input tokens", "$0.201 per M output tokens"]),
    ("$0.0000528 per 512x512 tile<br>$0.0001056 per step", ["$0.0000528 per 512x512 tile", "$0.0001056 per step"]),
    ("$0.020 per M input tokens", ["$0.020 per M input tokens"]),
    ("", []),
])
def test_a_price_cell_states_one_price_per_unit(cell, lines):
    assert price_lines(cell) == lines


def test_layout_change_makes_the_page_unusable():
    result = run_case(CASES / "layout_changed")
    (problem,) = result.problems
    assert problem.severity == "error" and "page unusable" in problem.message and problem.url == URL
    assert not result.observations


def test_an_llm_table_without_rows_is_a_layout_problem_not_a_quiet_page():
    result = run_case(CASES / "llm_table_empty")
    (problem,) = result.problems
    assert problem.severity == "error" and "page unusable" in problem.message and not result.observations


def test_a_body_cut_mid_row_is_an_error_never_a_shorter_price():
    result = run_case(CASES / "cut_off")
    (error,) = [p for p in result.problems if p.severity == "error"]
    assert "cut off" in error.message and "fp8-fast" in error.message
    assert not [o for o in result.observations if "fp8-fast" in o.provider_model_id]


def test_malformed_price_names_field_and_url_and_keeps_the_other_price():
    case = CASES / "malformed_price"
    result = run_case(case)
    problem = next(p for p in result.problems if "abc" in p.message)
    assert (problem.field, problem.url, problem.severity) == ("input_usd_per_mtok", load_page(case).url, "error")
    llama = {o.field: o.value for o in result.observations if o.provider_model_id == "@cf/meta/llama-3.2-1b-instruct"}
    assert llama == {"output_usd_per_mtok": "0.201"}


def test_http_500_is_a_problem_not_a_parse():
    assert [p.message for p in run_case(CASES / "http_500").problems] == ["HTTP 500"]


def test_non_llm_rows_are_skipped_with_reasons():
    skips = [p for p in run_case(CASES / "pricing_page").problems if p.severity == "skip"]
    assert len(skips) == 4 and all(p.message for p in skips)
    assert not [o for o in run_case(CASES / "pricing_page").observations if "bge" in o.provider_model_id]


def test_a_quantized_id_is_the_same_model_with_its_variant():
    offer = offer_facts(run_case(CASES / "pricing_page"), SOURCE, "@cf/meta/llama-3.1-8b-instruct-fp8-fast", "fp8-fast")
    assert offer == {"input_usd_per_mtok": ("known", "0.045"), "output_usd_per_mtok": ("known", "0.384")}
    assert {o.model_id for o in run_case(CASES / "pricing_page").observations if o.variant == "fp8-fast"} == {
        "meta/llama-3.1-8b-instruct"}


def test_recorded_crawl_reads_the_markdown_page():
    result = recorded(SOURCE)
    assert result.items == 7 and not [p for p in result.problems if p.severity == "error"]
    assert offer_facts(result, SOURCE, "@cf/meta/llama-3.2-1b-instruct") == {
        "input_usd_per_mtok": ("known", "0.027"), "output_usd_per_mtok": ("known", "0.201")}


# --- the real copy: the page's MDX source (early 2025), read as the served markdown ---------------

def _real():
    return parse_real(SOURCE, "pricing.mdx", URL, "text/markdown; charset=utf-8")


def test_real_page_reads_all_14_llm_rows_without_errors():
    result = _real()
    severities = Counter(p.severity for p in result.problems)
    # skips: the plans table (no per-model price) and the 8 rows of "Other model pricing"
    assert (result.items, severities["error"], severities["skip"]) == (14, 0, 9)
    offers = {(o.provider_model_id, o.variant) for o in result.observations}
    assert len(offers) == 14 and all(pmid.startswith("@cf/") for pmid, _ in offers)


@pytest.mark.parametrize(("pmid", "variant", "model_id", "input_price", "output_price"), [
    ("@cf/meta/llama-3.2-1b-instruct", "", "meta/llama-3.2-1b-instruct", "0.027", "0.201"),
    ("@cf/meta/llama-3.2-3b-instruct", "", "meta/llama-3.2-3b-instruct", "0.051", "0.335"),
    ("@cf/meta/llama-3.3-70b-instruct-fp8-fast", "fp8-fast", "meta/llama-3.3-70b-instruct", "0.293", "2.253"),
    ("@cf/mistral/mistral-7b-instruct-v0.1", "", "mistral/mistral-7b-instruct-v0.1", "0.11", "0.19"),
    ("@cf/meta/llama-3.1-8b-instruct-awq", "awq", "meta/llama-3.1-8b-instruct", "0.123", "0.266"),
    ("@cf/meta/llama-2-7b-chat-fp16", "fp16", "meta/llama-2-7b-chat", "0.556", "6.667"),
])
def test_real_page_prices(pmid, variant, model_id, input_price, output_price):
    result = _real()
    assert offer_facts(result, SOURCE, pmid, variant) == {
        "input_usd_per_mtok": ("known", input_price), "output_usd_per_mtok": ("known", output_price)}
    assert {o.model_id for o in result.observations if o.provider_model_id == pmid} == {model_id}


def test_real_page_other_models_are_skipped_never_read():
    result = _real()
    skipped = {p.message.split(":")[0] for p in result.problems if "not an LLM" in p.message}
    assert {"@cf/meta/m2m100-1.2b", "@cf/baai/bge-large-en-v1.5", "@cf/openai/whisper"} <= skipped
    assert not [o for o in result.observations if "m2m100" in o.provider_model_id]
