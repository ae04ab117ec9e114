"""Golden fixture tests of the cloudflare-workers-ai parser (tests/fixtures/parse/cloudflare-workers-ai/, see tests/parse_helpers.py)."""
from __future__ import annotations


from tests.parse_helpers import (
    FIXTURES, load_page, run_case,
)

SOURCE = "cloudflare-workers-ai"


# --- the failure cases, spelled out -------------------------------------------------------------


CASES = FIXTURES / SOURCE
URL = "https://developers.cloudflare.com/workers-ai/platform/pricing/"


def test_layout_change_makes_the_page_unusable():
    result = run_case(CASES / "layout_changed")
    (problem,) = result.problems
    assert problem.severity == "error" and "page unusable" in problem.message and problem.url == URL
    assert not result.observations


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
    assert len(skips) == 3 and all(p.message for p in skips)
    assert not [o for o in run_case(CASES / "pricing_page").observations if "bge" in o.provider_model_id]
