"""Golden fixture tests of the bfcl parser (tests/fixtures/parse/bfcl/)."""
from __future__ import annotations

from tests.parse_helpers import FIXTURES, parse_real, run_case

SOURCE = "bfcl"
CASES = FIXTURES / SOURCE


# --- the quirks, spelled out -----------------------------------------------------------------------


def scores(case: str) -> dict[str, str]:
    return {o.model_id: o.value for o in run_case(CASES / case).observations if o.field == "score"}


def test_mode_suffix_is_stripped_and_the_name_goes_through_identity():
    got = scores("overall")
    assert got["meta/llama-3.2-1b-instruct"] == "10.8"
    assert got["openai/o4-mini"] == "53.2"  # "o4-mini-2025-04-16 (FC)": dated snapshot, FC mode


def test_fc_row_is_preferred_over_a_better_scored_prompt_row():
    """o4-mini's Prompt row (58.35%) ranks above its FC row (53.2%): FC is read, not the best score."""
    assert scores("overall")["openai/o4-mini"] == "53.2"
    # "GPT-4o-2024-11-20 (FC)": an ISO-dated OpenAI snapshot is a model of its own (issue 9)
    assert scores("overall")["openai/gpt-4o-2024-11-20"] == "74.31"


def test_a_model_with_only_a_prompt_row_is_read():
    assert scores("overall")["qwen/qwen2.5-72b-instruct"] == "62.79"


def test_every_observation_is_of_benchmark_bfcl():
    assert {(o.entity, o.benchmark_id) for o in run_case(CASES / "overall").observations} == {("benchmark", "bfcl")}


def test_layout_change_makes_the_page_unusable():
    (problem,) = run_case(CASES / "layout_changed").problems
    assert problem.severity == "error" and "page unusable" in problem.message


def test_problems_name_the_line_of_the_file_even_after_blank_lines(tmp_path):
    """Blank lines are skipped but still counted: line 4 below is the short row."""
    import hashlib

    from pipeline.models import RawPage
    from pipeline.parse import parse_page
    from tests.parse_helpers import FETCHED_AT, _registry

    body = b"Rank,Overall Acc,Model,Organization\n1,53.2%,o4-mini-2025-04-16 (FC),OpenAI\n\n2,10.8%\n"
    (tmp_path / "body.csv").write_bytes(body)
    page = RawPage(source_id=SOURCE, url="https://gorilla.cs.berkeley.edu/data_overall.csv", status=200, headers={},
                   fetched_at=FETCHED_AT, sha256=hashlib.sha256(body).hexdigest(), body_file="body.csv",
                   base_dir=tmp_path)
    result = parse_page(page, _registry().get(SOURCE))
    assert [o.value for o in result.observations if o.field == "score"] == ["53.2"]
    (problem,) = result.problems
    assert problem.severity == "error" and problem.message.startswith("line 4: 2 cells")


def test_real_leaderboard_copy():
    """The real data_overall.csv (V4 columns, 2025-12-16, ../shared/real; skipped when absent)."""
    result = parse_real(SOURCE, "data_overall.csv", "https://gorilla.cs.berkeley.edu/data_overall.csv", "text/csv")
    assert [p.message for p in result.problems if p.severity == "error"] == []
    assert result.items == 82
    got = {o.model_id: (o.raw, o.value) for o in result.observations if o.field == "score"}
    assert got["anthropic/claude-opus-4.5"] == ("77.47%", "77.47")
    assert got["anthropic/claude-haiku-4.5"] == ("68.70%", "68.7")
    assert got["openai/o4-mini"] == ("53.24%", "53.24")
    assert got["meta/llama-3.2-1b-instruct"] == ("10.82%", "10.82")
    # Gemini 3 Pro's Prompt row (72.51%, rank 3) ranks above its FC row: FC is read
    assert got["google/gemini-3-pro-preview"] == ("68.14%", "68.14")
