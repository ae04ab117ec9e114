"""Golden fixture tests of the huggingface parser (tests/fixtures/parse/huggingface/, see tests/parse_helpers.py)."""
from __future__ import annotations


from tests.parse_helpers import (
    FIXTURES, run_case,
)

SOURCE = "huggingface"


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


def test_vendor_benchmarks_come_from_this_cards_column_of_its_kinds_table():
    def scores(case):
        return {o.benchmark_id: o.value for o in run_case(CASES / case).observations
                if o.entity == "benchmark" and o.field == "score"}
    assert scores("readme_llama_1b_instruct") == {"mmlu": "49.3", "ifeval": "59.5", "gpqa": "27.2"}
    assert scores("readme_llama_3b_instruct") == {"mmlu": "63.4", "ifeval": "77.4", "gpqa": "32.8"}
    assert scores("readme_llama_1b_base") == {"mmlu": "32.2"}  # the pretrained table, not the instruct one


def test_a_text_generation_repo_states_no_vision_and_a_vision_repo_states_nothing():
    def caps(case):
        return {o.field: o.value for o in run_case(CASES / case).observations if o.field.startswith("supports_")}
    assert caps("api_llama_1b_instruct") == {"supports_vision": "false", "supports_multimodal": "false"}
    assert caps("api_vision_model") == {}


def test_moe_label_comes_from_the_repo_name_and_active_parameters_from_the_card():
    api = {o.field: o.value for o in run_case(CASES / "api_mixtral_8x22b").observations}
    card = {o.field: o.value for o in run_case(CASES / "readme_mixtral_8x22b").observations}
    assert (api["parameters_label"], api["parameters_total"]) == ("8x22B", "140630071296")
    assert card["parameters_active"] == "39000000000" and "parameters_total" not in card


def test_gated_config_401_is_a_skip_not_an_error():
    from pipeline.models import RawPage
    from pipeline.parse import parse_page
    from tests.parse_helpers import FETCHED_AT, _registry
    page = RawPage(source_id=SOURCE, url="https://huggingface.co/meta-llama/Llama-3.2-3B-Instruct/raw/main/config.json",
                   status=401, fetched_at=FETCHED_AT, sha256="0" * 64, body_file="none")
    result = parse_page(page, _registry().get(SOURCE))
    assert not result.observations and [p.severity for p in result.problems] == ["skip"]
