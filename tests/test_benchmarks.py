"""The benchmark name canonicalizer (pipeline/benchmarks.py)."""
from __future__ import annotations

import pytest

from pipeline.benchmarks import BENCHMARKS, benchmark_name, canonical_benchmark


@pytest.mark.parametrize(("name", "expected"), [
    ("MMLU PRO", ("mmlu-pro", "MMLU-Pro")),
    ("MMLU-Pro", ("mmlu-pro", "MMLU-Pro")),
    ("mmlu_pro", ("mmlu-pro", "MMLU-Pro")),
    ("  mmlu-pro ", ("mmlu-pro", "MMLU-Pro")),
    ("Google-Proof Q&A", ("gpqa", "GPQA")),
    ("GPQA Diamond", ("gpqa", "GPQA")),
    ("gpqa", ("gpqa", "GPQA")),
    ("GPQA", ("gpqa", "GPQA")),
    ("BFCL", ("bfcl", "BFCL")),
    ("BFCL v2", ("bfcl", "BFCL")),
    ("BFCL V2", ("bfcl", "BFCL")),
    ("Berkeley Function Calling Leaderboard", ("bfcl", "BFCL")),
    ("IFEval", ("ifeval", "IFEval")),
    ("ifeval", ("ifeval", "IFEval")),
    ("MMLU", ("mmlu", "MMLU")),
])
def test_known_names(name, expected):
    assert canonical_benchmark(name) == expected


@pytest.mark.parametrize("name", [
    "", "   ", None, "HellaSwag", "ARC-C", "MMLU (CoT)", "MMLU-Pro (CoT)", "hle", "livecodebench",
    "artificial_analysis_intelligence_index", "GSM8K", "Nexus", "Overall Acc",
])
def test_unknown_names_give_none(name):
    assert canonical_benchmark(name) is None


def test_mmlu_and_mmlu_pro_stay_apart():
    assert canonical_benchmark("MMLU")[0] != canonical_benchmark("MMLU-Pro")[0]


def test_every_id_has_a_display_name_and_is_reachable_by_it():
    for bid, name in BENCHMARKS.items():
        assert benchmark_name(bid) == name
        assert canonical_benchmark(name) == (bid, name)
        assert canonical_benchmark(bid) == (bid, name)


@pytest.mark.parametrize("module", ["huggingface", "artificial_analysis", "bfcl"])
def test_every_parser_with_scores_uses_this_canonicalizer(module):
    """One mapping of names to ids for vendor tables and leaderboards alike, so a score from a
    model card and one from a leaderboard meet under the same benchmark id."""
    import importlib

    parser = importlib.import_module(f"pipeline.parse.{module}")
    assert parser.canonical_benchmark is canonical_benchmark
