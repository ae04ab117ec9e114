"""Benchmarks: the canonical ids and display names, and the name canonicalizer.

Sources write one benchmark many ways ("MMLU PRO", "MMLU-Pro", "mmlu_pro"; "GPQA",
"GPQA Diamond", "Google-Proof Q&A"). Parsers map what they read with :func:`canonical_benchmark`
onto one id (``Observation.benchmark_id``) and one display name. A name it does not know gives
``None``: the parser then skips that score with a reason, it never invents a benchmark id.

Matching is on the name with case, spaces and punctuation removed ("MMLU-Pro" == "mmlu_pro"), and
exact otherwise: a protocol in the name ("MMLU (CoT)", "MMLU-Pro 5-shot") is not the plain
benchmark, so it is unknown rather than merged.
"""
from __future__ import annotations

import re

# canonical id -> display name
BENCHMARKS: dict[str, str] = {
    "mmlu": "MMLU",
    "mmlu-pro": "MMLU-Pro",
    "gpqa": "GPQA",
    "ifeval": "IFEval",
    "bfcl": "BFCL",
}

# How sources write them, keyed by _key(name): lower-case letters and digits only.
_SPELLINGS: dict[str, str] = {
    "mmlu": "mmlu",
    "massivemultitasklanguageunderstanding": "mmlu",
    "mmlupro": "mmlu-pro",
    "gpqa": "gpqa",
    "gpqadiamond": "gpqa",  # the leaderboards' GPQA is its Diamond set
    "googleproofqa": "gpqa",  # "Google-Proof Q&A", as the comparison pages call it
    "googleproofqanda": "gpqa",
    "ifeval": "ifeval",
    "bfcl": "bfcl",
    # The leaderboard's overall accuracy, whichever release of the leaderboard published it.
    "bfclv2": "bfcl",
    "bfclv3": "bfcl",
    "bfclv4": "bfcl",
    "berkeleyfunctioncallingleaderboard": "bfcl",
}


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", name.lower())


def canonical_benchmark(name: str | None) -> tuple[str, str] | None:
    """``"MMLU PRO"`` -> ``("mmlu-pro", "MMLU-Pro")``; ``"Google-Proof Q&A"`` -> ``("gpqa", "GPQA")``;
    an unknown name (or blank) -> ``None``."""
    if not isinstance(name, str) or not name.strip():
        return None
    bid = _SPELLINGS.get(_key(name))
    return (bid, BENCHMARKS[bid]) if bid else None


def benchmark_name(benchmark_id: str) -> str:
    """The display name of a canonical id (KeyError for an unknown id)."""
    return BENCHMARKS[benchmark_id]
