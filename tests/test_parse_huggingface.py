"""Golden fixture tests of the huggingface parser (tests/fixtures/parse/huggingface/, see tests/parse_helpers.py)."""
from __future__ import annotations

import pytest

from tests.parse_helpers import FIXTURES, model_facts, parse_real, run_case

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


# --- the real copies (../shared/real/pages/huggingface/; skipped when absent) ------------------------

HF = "https://huggingface.co/meta-llama"
MD, JSON = "text/markdown; charset=utf-8", "application/json"
CURRENT_CARD = "Llama-3.2-1B-README-2025-11.md"


def _scores(result) -> dict[str, str]:
    return {o.benchmark_id: o.value for o in result.observations if o.entity == "benchmark" and o.field == "score"}


def _errors(result) -> list[str]:
    return [p.message for p in result.problems if p.severity == "error"]


def test_real_current_card_reads_the_bf16_column_and_skips_the_quantized_builds():
    """The 2025-11 card layout: "Llama 3.2 1B bf16 | ... Vanilla PTQ | ... Spin Quant | ... QLoRA". Meta
    publishes one card text for the 1B and 1B-Instruct repos; in the instruct repo the instruction-tuned
    table is this model's, and its bf16 column is the model as released."""
    result = parse_real(SOURCE, CURRENT_CARD, f"{HF}/Llama-3.2-1B-Instruct/raw/main/README.md", MD)
    assert _errors(result) == []
    assert _scores(result) == {"mmlu": "49.3", "ifeval": "59.5", "gpqa": "27.2", "bfcl": "25.7"}
    values = {o.value for o in result.observations}
    assert not values & {"43.3", "47.3", "49.0", "14.3", "15.9", "23.7"}  # MMLU / BFCL of the quantized builds
    quantized = [p.message for p in result.problems if "quantized build" in p.message]
    assert any("'Instruction Tuned Models'" in m and "Spin Quant" in m and "QLoRA" in m and "Vanilla PTQ" in m
               for m in quantized)
    # the information table's "Llama 3.2 Quantized" group (8k context) is a quantized build too
    assert any("'Llama 3.2 Quantized (text only)'" in m for m in quantized)
    facts = model_facts(result, "meta/llama-3.2-1b-instruct")
    assert (facts["context_window"], facts["parameters_label"], facts["knowledge_cutoff"]) == ("128000", "1.23B", "2023-12")


def test_real_current_base_card_reads_its_pretrained_table():
    result = parse_real(SOURCE, CURRENT_CARD, f"{HF}/Llama-3.2-1B/raw/main/README.md", MD)
    assert _errors(result) == [] and result.items == 1
    assert _scores(result) == {"mmlu": "32.2"}  # the base table's MMLU; its other rows are untracked benchmarks
    assert any("'Instruction Tuned Models' is for instruction-tuned models" in p.message for p in result.problems)
    facts = model_facts(result, "meta/llama-3.2-1b")
    assert facts["context_window"] == "128000" and facts["release_date"] == "2024-09-25"
    assert facts["license"] == "Llama 3.2 Community License"


def test_real_2024_09_instruct_card():
    result = parse_real(SOURCE, "Llama-3.2-1B-Instruct-README-2024-09.md", f"{HF}/Llama-3.2-1B-Instruct/raw/main/README.md", MD)
    assert _errors(result) == []
    assert _scores(result) == {"mmlu": "49.3", "ifeval": "59.5", "gpqa": "27.2", "bfcl": "25.7"}
    facts = model_facts(result, "meta/llama-3.2-1b-instruct")
    assert (facts["parameters_label"], facts["context_window"], facts["architecture"]) == ("1.23B", "128000", "decoder only")


@pytest.mark.parametrize(("filename", "repo", "model_id"), [
    ("Llama-3.2-1B-Instruct-config.json", "Llama-3.2-1B-Instruct", "meta/llama-3.2-1b-instruct"),
    ("Llama-3.2-1B-config.json", "Llama-3.2-1B", "meta/llama-3.2-1b"),
])
def test_real_config_json_states_the_context_window(filename, repo, model_id):
    result = parse_real(SOURCE, filename, f"{HF}/{repo}/raw/main/config.json", JSON)
    assert result.problems == []
    assert model_facts(result, model_id) == {"context_window": "131072", "architecture": "decoder only"}


def test_real_api_record():
    result = parse_real(SOURCE, "api-models-meta-llama-Llama-3.2-3B.json", "https://huggingface.co/api/models/meta-llama/Llama-3.2-3B", JSON)
    assert result.problems == [] and result.items == 1
    facts = model_facts(result, "meta/llama-3.2-3b")
    assert facts["parameters_total"] == "3212749824" and facts["gated"] == "true" and facts["open_weights"] == "true"
    assert (facts["name"], facts["creator"], facts["license"]) == ("Llama 3.2 3B", "Meta", "Llama 3.2 Community License")
    assert (facts["supports_vision"], facts["supports_multimodal"]) == ("false", "false")
