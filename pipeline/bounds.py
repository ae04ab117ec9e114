"""Plausibility ranges of every numeric and date field, stated once, and the safety rule for ids.

Used in two places so that no value outside a range can reach the warehouse:

- the normalizers (``pipeline.normalize``) refuse an out-of-range value where they read it, with a
  NormalizeError naming the field and the value;
- ``pipeline.models.check_value`` (run by every ``Observation`` and curated override) refuses it again,
  as the last line for parsers that build values without a normalizer.

Each range is wider than any real value seen (the "why" says by how much) and narrower than what
the warehouse stores: prices are ``DECIMAL(18,9)`` (integer part < 1e9, 9 fractional digits),
counts are ``BIGINT`` (< 9.2e18). An out-of-range value is a misread (a wrong unit, a thousands
separator read as a decimal point, a timestamp in milliseconds), never a fact to store.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import Union


@dataclass(frozen=True)
class DecimalRange:
    lo: Decimal  # smallest nonzero value (0 itself is allowed when zero_ok)
    hi: Decimal
    unit: str
    zero_ok: bool  # an exact 0 is a real value (a free price), not a misread
    places: int | None  # fractional digits the warehouse keeps (see round_to_places)
    why: str


@dataclass(frozen=True)
class IntRange:
    lo: int
    hi: int
    unit: str
    why: str


@dataclass(frozen=True)
class DateRange:
    lo: date
    years_ahead: int  # upper bound: this many years after today (UTC)
    why: str

    def hi(self) -> date:
        today = datetime.now(timezone.utc).date()
        try:
            return today.replace(year=today.year + self.years_ahead)
        except ValueError:  # 29 February
            return today.replace(year=today.year + self.years_ahead, day=28)


Range = Union[DecimalRange, IntRange, DateRange]

# ---------------------------------------------------------------------------------------------
# THE TABLE (one place; tests/test_faults_normalize.py checks every numeric/date field has a row)

PRICE = DecimalRange(
    lo=Decimal("0.000000001"), hi=Decimal(100_000), unit="USD per 1M tokens", zero_ok=True, places=9,
    why="the dearest list price seen is $600 per 1M tokens (o1-pro output); 100,000 (10 cents a "
        "token) leaves 150x headroom. Below 1e-9 a nonzero price would be stored as 0 (DECIMAL(18,9)) "
        "and read as free: refused. More than 9 decimals: see round_to_places",
)
TOKENS = IntRange(
    lo=1, hi=100_000_000, unit="tokens",
    why="the largest advertised windows are 10M (Llama 4 Scout) and 100M (Magic LTM-2, research); "
        "above that a count is a misread unit or a byte count",
)
PARAMETERS = IntRange(
    lo=1_000, hi=100_000_000_000_000, unit="parameters",
    why="the largest disclosed models have ~2T parameters (Kimi K2 1T, GPT-4 reportedly 1.8T); 100T "
        "leaves 50x headroom. Below 1K it is not a language model (or 'B' was dropped)",
)
EXPERTS = IntRange(
    lo=1, hi=100_000, unit="experts",
    why="fine-grained MoEs have 256 (DeepSeek-V3) to a few thousand experts",
)
SCORE = DecimalRange(
    lo=Decimal(0), hi=Decimal(100), unit="percent", zero_ok=True, places=None,
    why="benchmark scores are stored as percent (pipeline.parse: fractions are scaled by 100). Extra "
        "decimals of a float-derived score are harmlessly rounded by DECIMAL(18,9), so not refused",
)
DATES = DateRange(
    lo=date(2015, 1, 1), years_ahead=2,
    why="no tracked language model was released, or has a knowledge cutoff, before 2015 (GPT-1 and "
        "BERT are 2018); a page may announce a date ahead, not two years ahead. Outside: a misread "
        "timestamp (milliseconds, 0001-01-01 placeholders)",
)

# field name -> range (the same name means the same quantity on models and offers)
FIELD_RANGES: dict[str, Range] = {
    "input_usd_per_mtok": PRICE,
    "output_usd_per_mtok": PRICE,
    "cached_input_usd_per_mtok": PRICE,
    "cache_write_usd_per_mtok": PRICE,
    "input_usd_per_mtok_above_tier": PRICE,
    "output_usd_per_mtok_above_tier": PRICE,
    "context_window": TOKENS,
    "max_input_tokens": TOKENS,
    "max_output_tokens": TOKENS,
    "tier_threshold_tokens": TOKENS,
    "parameters_total": PARAMETERS,
    "parameters_active": PARAMETERS,
    "experts_total": EXPERTS,
    "experts_active": EXPERTS,
    "release_date": DATES,
    "knowledge_cutoff": DATES,
    "score": SCORE,
}

# The generic names the normalizers use when the caller does not say which field it reads.
KIND_RANGES: dict[str, Range] = {
    "price": PRICE, "token count": TOKENS, "parameter count": PARAMETERS, "experts": EXPERTS,
    "date": DATES, "partial date": DATES, "score": SCORE,
}

# What the warehouse can hold at all: the check for a value whose field has no row above.
_DECIMAL_STORABLE = DecimalRange(lo=Decimal("0.000000001"), hi=Decimal("999999999.999999999"), unit="",
                                 zero_ok=True, places=9, why="DECIMAL(18,9)")
_BIGINT_STORABLE = IntRange(lo=0, hi=2**63 - 1, unit="", why="BIGINT")


def range_of(name: str) -> Range | None:
    """The range of a field (``context_window``) or of a normalizer's kind (``token count``)."""
    return FIELD_RANGES.get(name) or KIND_RANGES.get(name)


def _fmt(x: Decimal | int) -> str:
    if isinstance(x, int):
        return f"{x:,}"
    return format(x, ",f") if x >= 1 else format(x, "f")


def _range_text(r: DecimalRange | IntRange) -> str:
    text = f"{_fmt(r.lo)}..{_fmt(r.hi)}"
    if isinstance(r, DecimalRange) and r.zero_ok and r.lo > 0:
        text = f"0 (free) or {text}"
    return text


# Rounding to the warehouse's decimals is accepted only when it changes the value by less than
# this fraction of it: float noise in catalogs (models.dev's 0.49299999999999994 per 1M is 0.493)
# passes, a value that would lose real precision (1.5e-9 -> 2e-9) or read as free (1e-10 -> 0)
# does not.
ROUNDING_TOLERANCE = Decimal("0.000001")


def round_to_places(d: Decimal, places: int) -> Decimal | None:
    """``d`` rounded half-even to ``places`` decimals (what DECIMAL(18,9) would store), or None when
    that changes it by more than ROUNDING_TOLERANCE of its value. ``d`` must be finite and bounded."""
    if fraction_digits(d) <= places:
        return d
    with localcontext() as ctx:
        ctx.prec = max(28, d.adjusted() + places + 3)
        q = d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
        ctx.prec = len(d.as_tuple().digits) + places + 10  # |q - d| exactly
        if abs(q - d) > abs(d) * ROUNDING_TOLERANCE:
            return None
    return q


def fraction_digits(d: Decimal) -> int:
    """Digits after the point once trailing zeros are dropped (1.10 -> 1, 2.7E-8 -> 9, 1E+2 -> 0).

    Read from the digit tuple: Decimal.normalize() would round to the context's 28 digits.
    """
    _, digits, exp = d.as_tuple()
    assert isinstance(exp, int)
    if exp >= 0:
        return 0
    zeros = 0  # trailing zero digits (counted on the tuple: every price passes here twice)
    for digit in reversed(digits):
        if digit:
            break
        zeros += 1
    return max(0, -exp - zeros)


def _decimal_violation(field: str, d: Decimal, r: DecimalRange) -> str | None:
    shown = f"{d}" if abs(d.adjusted()) > 30 else format(d, "f")
    where = f"{field}: {shown} {r.unit}".rstrip()
    if not d.is_finite():
        return f"{where} is not a finite number"
    if d.is_zero():
        return None if r.zero_ok else f"{where} is outside the plausible range {_range_text(r)}"
    # compare magnitudes first: a value like 1E+999999999 must not be expanded to its digits
    if d.is_signed() or d.adjusted() > r.hi.adjusted() or d > r.hi or d < r.lo:
        extra = ""
        if r.zero_ok and r.places is not None and not d.is_signed() and d < r.lo:
            extra = f" (stored with {r.places} decimals it would read as 0, i.e. free)"
        return f"{where} is outside the plausible range {_range_text(r)}{extra}"
    if r.places is not None and round_to_places(d, r.places) is None:
        return (f"{where} has {fraction_digits(d)} decimal places; the warehouse keeps {r.places}, "
                f"and rounding there would change it by more than {ROUNDING_TOLERANCE:%} of its value")
    return None


def _int_violation(field: str, n: int, r: IntRange) -> str | None:
    if r.lo <= n <= r.hi:
        return None
    shown = f"{n:,}" if n.bit_length() < 200 else f"~1e{int(n.bit_length() * 0.30103)}"  # str() of a huge int raises
    return f"{field}: {shown} {r.unit} is outside the plausible range {_range_text(r)}".replace("  ", " ")


def _date_violation(field: str, d: date, shown: str, r: DateRange) -> str | None:
    hi = r.hi()
    if r.lo <= d <= hi:
        return None
    return f"{field}: {shown} is outside the plausible date range {r.lo.isoformat()}..{hi.isoformat()}"


def violation(field: str, value: Decimal | int | date | str, fallback: Range | None = None) -> str | None:
    """Why ``value`` is not a plausible, storable value of ``field``; None when it is.

    ``value`` is a Decimal (prices, scores), an int (counts), a date, or the "YYYY-MM" /
    "YYYY-MM-DD" text of a partial date. A field with no row is checked against ``fallback``,
    else only against what the warehouse can store.
    """
    r = range_of(field) or fallback
    if isinstance(value, Decimal):
        return _decimal_violation(field, value, r if isinstance(r, DecimalRange) else _DECIMAL_STORABLE)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return _int_violation(field, value, r if isinstance(r, IntRange) else _BIGINT_STORABLE)
    if isinstance(value, date):
        return _date_violation(field, value, value.isoformat(), r) if isinstance(r, DateRange) else None
    if isinstance(value, str) and isinstance(r, DateRange):  # partial date: its first day must be in range
        m = re.fullmatch(r"([0-9]{4})-([0-9]{2})(?:-([0-9]{2}))?", value)
        if m is None:
            return f"{field}: {value!r} is not YYYY-MM or YYYY-MM-DD"
        try:
            first = date(int(m.group(1)), int(m.group(2)), int(m.group(3) or 1))
        except ValueError:
            return f"{field}: {value!r} is not a calendar date"
        return _date_violation(field, first, value, r)
    return None


# ---------------------------------------------------------------------------------------------
# ids: what may not appear in a model, provider or provider-model id

# Unicode categories refused in ids: controls (NUL, newline, ESC...), format characters (the bidi
# marks and overrides U+200E/F, U+202A-E, U+2066-9, zero-width characters, BOM), surrogates,
# private use, line/paragraph separators. They make two ids that look the same differ, or make a
# log line or a rendered page lie about what it shows.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})


def is_unsafe(ch: str) -> bool:
    """Whether the character may not appear in an id, a number or a date (see above)."""
    return unicodedata.category(ch) in _UNSAFE_CATEGORIES


def unsafe_chars(text: str) -> list[str]:
    """The code points (``U+202E``...) of ``text`` that may not appear in an id, in order, once each."""
    # Fast path (every id of every observation passes here): each refused category is also one
    # str.isprintable() refuses (same Unicode database), so a printable text holds none of them.
    if text.isprintable():
        return []
    seen: list[str] = []
    for ch in text:
        if is_unsafe(ch):
            code = f"U+{ord(ch):04X}"
            if code not in seen:
                seen.append(code)
    return seen


def id_violation(what: str, text: str) -> str | None:
    """Why ``text`` may not be used as an id (``what`` names it: "model id"); None when it may."""
    bad = unsafe_chars(text)
    if not bad:
        return None
    return f"{what} {text!r} contains control or bidirectional-formatting characters ({', '.join(bad)})"
