"""Normalizers: what a source writes -> exact typed values. Pure functions, no I/O.

Every function raises NormalizeError (a ValueError) with the offending text when it cannot
read its input; callers turn that into a Problem naming source, URL and field.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

PriceUnit = Literal["token", "ktok", "mtok"]


class NormalizeError(ValueError):
    pass


# Texts that mean "no value stated" (the observation's status is then `unknown`).
UNKNOWN_MARKERS: frozenset[str] = frozenset()


def is_unknown(text: object) -> bool:
    """True for None, blank, "-", "—", "–", "not-yet-sourced", "n/a", "unknown", "tbd" (any case/spaces)."""
    raise NotImplementedError


def price_per_mtok(value: str | int | Decimal, unit: PriceUnit) -> Decimal:
    """Exact USD per 1M tokens from a number in ``unit`` (never via float).

    "0.000000027" per token -> Decimal("0.027"); "0.027" per mtok -> Decimal("0.027").
    Result is normalized (no trailing zeros beyond what is needed: 1.10 -> 1.1).
    Negative values (OpenRouter's "-1" for dynamic pricing) raise NormalizeError.
    """
    raise NotImplementedError


def parse_price_text(text: str) -> Decimal:
    """USD per 1M tokens from price prose: "$0.027 per M input tokens", "$0.05 / MTok",
    "$1.10 / 1M tokens", "$0.0011 per 1K tokens", "0.50", "$2". Raises on anything else
    (another currency, no number, per image/second)."""
    raise NotImplementedError


def parse_tokens(text: str | int) -> int:
    """Token counts: "128K"/"128k" -> 128000, "131,072" -> 131072, "1M" -> 1000000,
    "1,047,576" -> 1047576, "1.5M" -> 1500000, 65536 -> 65536, "200k tokens" -> 200000."""
    raise NotImplementedError


def token_label(tokens: int) -> str:
    """Display label: 131072 -> "128K", 128000 -> "128K", 65536 -> "64K", 200000 -> "200K",
    1047576 -> "1M", 1000000 -> "1M", 60000 -> "60K", 2000000 -> "2M"."""
    raise NotImplementedError


@dataclass(frozen=True)
class Parameters:
    total: int | None  # exact or as stated; None when only a MoE shape ("8x22B") is given
    experts: int | None = None
    expert_size: int | None = None
    label: str = ""


def parse_parameters(text: str | int) -> Parameters:
    """"1.23B" -> total 1_230_000_000 (label "1.23B"); 1235814400 -> total 1235814400;
    "8x22B" -> total None, experts 8, expert_size 22_000_000_000, label "8x22B";
    "405B", "70M", "1.5T", "7b"."""
    raise NotImplementedError


def parameters_label(total: int) -> str:
    """1235814400 -> "1.23B" (three significant digits, truncated as model cards write them),
    3212749824 -> "3.21B", 70553706496 -> "70.5B", 141000000000 -> "141B", 494032768 -> "494M"."""
    raise NotImplementedError


def parse_date(text: str | int) -> date:
    """"2024-09-25", "2024-09-25T00:00:00Z", "September 25, 2024", "Sep 25, 2024", "25 September 2024",
    a unix timestamp (int or digit string) -> date (UTC)."""
    raise NotImplementedError


def parse_partial_date(text: str) -> str:
    """Knowledge cutoffs: "2023-12" -> "2023-12", "December 2023" -> "2023-12", "Dec 2023" -> "2023-12",
    "2024-05-31" -> "2024-05-31", "2023/12" -> "2023-12". Raises on anything else."""
    raise NotImplementedError


def normalize_license(text: str) -> str:
    """Canonical license names: "llama3.2" / "llama 3.2 community license" -> "Llama 3.2 Community License",
    "llama3.1" -> "Llama 3.1 Community License", "apache-2.0" -> "Apache 2.0", "mit" -> "MIT",
    "cc-by-4.0" -> "CC BY 4.0", "proprietary" -> "Proprietary"; unknown ids are returned stripped as given."""
    raise NotImplementedError


def price_label(usd: Decimal) -> str:
    """Display label, rounded half-up to cents: 0.027 -> "$0.03", 0.201 -> "$0.20", 1.1 -> "$1.10",
    14 -> "$14.00", 0.01 -> "$0.01"; below a cent keep 3 significant digits: 0.004 -> "$0.004"."""
    raise NotImplementedError


def decimal_text(d: Decimal) -> str:
    """Canonical text of an exact decimal, no exponent, no trailing zeros: Decimal("1.10") -> "1.1",
    Decimal("2.7E-8") -> "0.000000027", Decimal("100") -> "100"."""
    raise NotImplementedError
