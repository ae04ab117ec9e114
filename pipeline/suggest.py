"""Closest spellings (rapidfuzz): "did you mean" for a mistyped model or source id, and the
similarity of two ids for the identity review list (`llm-ledger unmatched`)."""
from __future__ import annotations

from collections.abc import Iterable

from rapidfuzz import fuzz, process, utils

# WRatio on lower-cased alphanumerics: "llama-3.2-1b-instruct" finds "meta/llama-3.2-1b-instruct",
# "openroutr" finds "openrouter"; an unrelated id ("xyz") finds nothing. Only the choices within
# NEAR points of the best are offered: "openroutr" is not also "openai".
CUTOFF = 70
NEAR = 5


def closest(word: str, choices: Iterable[str], limit: int = 3) -> list[str]:
    """Up to ``limit`` choices spelled like ``word``, best first."""
    found = process.extract(word, list(choices), scorer=fuzz.WRatio, processor=utils.default_process,
                            limit=limit, score_cutoff=CUTOFF)
    return [choice for choice, score, _ in found if score >= found[0][1] - NEAR]


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """"; did you mean 'a' or 'b'?", or "" when nothing is close."""
    found = closest(word, choices)
    return f"; did you mean {' or '.join(repr(c) for c in found)}?" if found else ""


def similarity(a: str, b: str) -> float:
    """0..1, the share of characters two ids have in common in order (as difflib's ratio)."""
    return fuzz.ratio(a, b) / 100
