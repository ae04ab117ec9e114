"""Golden fixture tests of the huggingface parser (tests/fixtures/parse/huggingface/, see tests/parse_helpers.py)."""
from __future__ import annotations

import pytest

from tests.parse_helpers import (
    FIXTURES, case_params, check_items, check_no_extra_observations, check_observation, check_problems,
    observation_params, run_case,
)

SOURCE = "huggingface"


@pytest.mark.parametrize(("case_dir", "exp"), observation_params(SOURCE))
def test_observation(case_dir, exp):
    check_observation(case_dir, exp)


@pytest.mark.parametrize("case_dir", case_params(SOURCE))
def test_no_unexpected_observations(case_dir):
    check_no_extra_observations(case_dir)


@pytest.mark.parametrize("case_dir", case_params(SOURCE))
def test_problems(case_dir):
    check_problems(case_dir)


@pytest.mark.parametrize("case_dir", case_params(SOURCE))
def test_items(case_dir):
    check_items(case_dir)


# --- the failure cases and card quirks, spelled out ------------------------------------------------


CASES = FIXTURES / SOURCE


def test_broken_json_makes_the_page_unusable():
    (problem,) = run_case(CASES / "api_broken_json").problems
    assert problem.severity == "error" and "page unusable" in problem.message


def test_readme_without_front_matter_is_not_a_model_card():
    (problem,) = run_case(CASES / "readme_no_front_matter").problems
    assert "page unusable" in problem.message and "front matter" in problem.message


def test_http_500_is_a_problem_not_a_parse():
    assert [p.message for p in run_case(CASES / "http_500").problems] == ["HTTP 500"]


def test_card_row_is_chosen_by_the_repo_size_and_blank_cells_state_nothing():
    """Meta's table lists 1B and 3B; the 3B row leaves "Knowledge cutoff" blank (same as above)."""
    obs = {o.field: o for o in run_case(CASES / "readme_llama_3b_instruct").observations}
    assert obs["parameters_label"].value == "3.21B"
    assert obs["knowledge_cutoff"].status == "unknown" and obs["knowledge_cutoff"].value is None


def test_base_and_instruct_are_different_models():
    assert {o.model_id for o in run_case(CASES / "api_base_model").observations} == {"meta/llama-guard-3-1b"}
    base = next(o for o in run_case(CASES / "api_base_model").observations if o.field == "base_model")
    assert base.value == "meta/llama-3.2-1b"
