"""Golden fixture tests of the artificial_analysis parser (tests/fixtures/parse/artificial-analysis/)."""
from __future__ import annotations

from decimal import Decimal


from pipeline.parse import parse_page
from tests.parse_helpers import (
    FIXTURES, _registry, load_page, run_case,
)

SOURCE = "artificial-analysis"
CASES = FIXTURES / SOURCE


# --- the quirks, spelled out -----------------------------------------------------------------------


def scores(case: str) -> dict[tuple[str, str], str]:
    return {(o.model_id, o.benchmark_id): o.value for o in run_case(CASES / case).observations if o.field == "score"}


def test_fractions_become_percent_exactly():
    got = scores("models")
    assert got[("openai/o3-mini", "mmlu-pro")] == "79.1" and got[("openai/o3-mini", "gpqa")] == "79.7"
    assert Decimal(got[("meta/llama-3.2-1b-instruct", "mmlu-pro")]) == Decimal("20.0")
    assert got[("meta/llama-3.2-1b-instruct", "gpqa")] == "25.6"


def test_a_null_evaluation_states_nothing():
    """o4-mini's gpqa is null: no observation at all (not an 'unknown' score)."""
    assert ("openai/o4-mini", "mmlu-pro") in scores("models")
    assert not [o for o in run_case(CASES / "models").observations
                if o.model_id == "openai/o4-mini" and o.benchmark_id == "gpqa"]


def test_unmapped_slugs_are_skipped_never_guessed():
    result = run_case(CASES / "models")
    assert "openai/o3-mini-high" not in {o.model_id for o in result.observations}
    skipped = [p.message for p in result.problems if "not mapped" in p.message]
    assert len(skipped) == 3 and any(m.startswith("o3-mini-high") for m in skipped)


def test_pricing_is_not_read_and_only_benchmarks_are_observed():
    assert {o.entity for o in run_case(CASES / "models").observations} == {"benchmark"}


def test_the_slug_map_is_curated_and_options_add_to_it():
    from pipeline.curated import load_map
    assert load_map("benchmark_slugs")["llama-3-2-instruct-1b"] == "meta/llama-3.2-1b-instruct"
    source = _registry().get(SOURCE)
    more = source.model_copy(update={"options": {**source.options, "models": {"o3-mini-high": "openai/o3-mini-high"}}})
    got = {o.model_id for o in parse_page(load_page(CASES / "models"), more).observations}
    assert "openai/o3-mini-high" in got and "meta/llama-3.2-1b-instruct" in got


def test_every_mapped_slug_names_a_canonical_model():
    from pipeline.curated import load_map
    for slug, model_id in load_map("benchmark_slugs").items():
        assert model_id.count("/") == 1 and model_id == model_id.lower(), slug
