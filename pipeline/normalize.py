"""Normalizers: what a source writes -> exact typed values. Pure functions, no I/O.

Every function raises NormalizeError (a ValueError) with the offending text when it cannot
read its input; callers turn that into a Problem naming source, URL and field.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import Literal
from pipeline.errors import LedgerError

PriceUnit = Literal["token", "ktok", "mtok"]


class NormalizeError(LedgerError, ValueError):
    pass


# Texts that mean "no value stated" (the observation's status is then `unknown`).
# Compared after strip(), lower() and collapsing inner whitespace.
UNKNOWN_MARKERS: frozenset[str] = frozenset({
    "", "-", "—", "–", "not-yet-sourced", "not yet sourced", "n/a", "na", "unknown", "tbd", "?",
})


def _fail(what: str, value: object) -> NormalizeError:
    """An error whose message contains the offending input verbatim."""
    return NormalizeError(f'{what}: "{value}"')


# ---------------------------------------------------------------------------------------------
# exact decimal helpers (no context arithmetic: nothing here can round)

def _to_decimal(value: object, what: str) -> Decimal:
    """int / Decimal / numeric str -> finite Decimal. Floats and bools are refused."""
    if isinstance(value, bool) or not isinstance(value, (int, str, Decimal)):
        raise _fail(f"{what}: expected int, Decimal or str, got {type(value).__name__}", value)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise _fail(f"{what}: empty", value)
        try:
            d = Decimal(text)
        except InvalidOperation:
            raise _fail(f"{what}: not a number", value) from None
    else:
        d = value
    if not d.is_finite():
        raise _fail(f"{what}: not a finite number", value)
    return d


def _canonical(d: Decimal) -> Decimal:
    """Same value; fraction's trailing zeros removed, integers with exponent 0 (1.10 -> 1.1, 1E+2 -> 100).

    Built from the digit tuple, so it is exact whatever the decimal context's precision.
    """
    sign, digits, exp = d.as_tuple()
    assert isinstance(exp, int)
    if not any(digits):
        return Decimal(0)
    ds = list(digits)
    if exp >= 0:
        ds += [0] * exp
        exp = 0
    else:
        while exp < 0 and ds[-1] == 0:
            ds.pop()
            exp += 1
    return Decimal((sign, tuple(ds), exp))


def _shift(d: Decimal, places: int) -> Decimal:
    """d * 10**places, exactly."""
    sign, digits, exp = d.as_tuple()
    assert isinstance(exp, int)
    return Decimal((sign, digits, exp + places))


def _exact_int(d: Decimal) -> int | None:
    """The integer equal to d, or None when d has a fractional part."""
    c = _canonical(d)
    if c.as_tuple().exponent != 0:
        return None
    return int(c)


# ---------------------------------------------------------------------------------------------

def is_unknown(text: object) -> bool:
    """True for None, blank, "-", "—", "–", "not-yet-sourced", "n/a", "unknown", "tbd" (any case/spaces)."""
    if text is None:
        return True
    if not isinstance(text, str):
        return False
    return " ".join(text.split()).lower() in UNKNOWN_MARKERS


_UNIT_SHIFT = {"token": 6, "ktok": 3, "mtok": 0}


def price_per_mtok(value: str | int | Decimal, unit: PriceUnit) -> Decimal:
    """Exact USD per 1M tokens from a number in ``unit`` (never via float).

    "0.000000027" per token -> Decimal("0.027"); "0.027" per mtok -> Decimal("0.027").
    Result is normalized (no trailing zeros beyond what is needed: 1.10 -> 1.1).
    Negative values (OpenRouter's "-1" for dynamic pricing) raise NormalizeError.
    """
    if unit not in _UNIT_SHIFT:
        raise _fail("unknown price unit", unit)
    d = _to_decimal(value, "price")
    if d.is_signed():  # also "-0": a minus sign is a marker, not a price
        raise _fail("negative price (dynamic/unknown pricing marker)", value)
    return _plausible(_shift(d, _UNIT_SHIFT[unit]), value)


def _plausible(price: Decimal, original: object) -> Decimal:
    """Canonical price; refuses absurd exponents ("1e999999999") that would blow up decimal_text."""
    if price and price.adjusted() > 12:
        raise _fail("price out of any plausible range", original)
    price = _canonical(price)
    exp = price.as_tuple().exponent
    assert isinstance(exp, int)
    if exp < -30:
        raise _fail("price has more decimal places than any plausible price", original)
    return price


_NUMBER = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+"
_PRICE_RE = re.compile(
    r"(?:usd\s*)?\$?\s*(?:usd\s*)?"
    rf"(?P<num>{_NUMBER})"
    r"\s*(?:usd)?\s*"
    r"(?:"
    r"(?:/|per)\s*(?:1\s*)?"
    r"(?P<scale>mtok|ktok|m|k|million|thousand|1,000,000|1000000|1,000|1000)"
    r"\s*(?:(?:cached\s+)?input|output|prompt|completion)?"
    r"\s*(?:tokens?|tok)?"
    r")?"
)
_SCALE_SHIFT = {
    None: 0, "m": 0, "mtok": 0, "million": 0, "1,000,000": 0, "1000000": 0,
    "k": 3, "ktok": 3, "thousand": 3, "1,000": 3, "1000": 3,
}
_OTHER_CURRENCY = re.compile(r"[€£¥₹₩]|\b(?:eur|gbp|jpy|cny|rmb|inr|chf|cad|aud)\b")


def parse_price_text(text: str) -> Decimal:
    """USD per 1M tokens from price prose: "$0.027 per M input tokens", "$0.05 / MTok",
    "$1.10 / 1M tokens", "$0.0011 per 1K tokens", "0.50", "$2". Raises on anything else
    (another currency, no number, per image/second)."""
    if not isinstance(text, str):
        raise _fail("price text: expected str", text)
    s = " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split()).lower()
    if _OTHER_CURRENCY.search(s):
        raise _fail("price is not in USD", text)
    if re.search(r"[-−]\s*\$?\s*\d", s) and not re.search(r"\d\s*[-–—]\s*\$?\d", s):
        raise _fail("negative price", text)
    m = _PRICE_RE.fullmatch(s)
    if m is None:
        raise _fail("cannot read a USD per-token price", text)
    d = Decimal(m.group("num").replace(",", ""))
    return _plausible(_shift(d, _SCALE_SHIFT[m.group("scale")]), text)


_TOKENS_RE = re.compile(
    r"(?P<num>\d{1,3}(?:([,_ ])\d{3})?(?:\2\d{3})*(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
    r"\s*(?P<suffix>[km])?\s*(?:tokens?)?"
)


def parse_tokens(text: str | int) -> int:
    """Token counts: "128K"/"128k" -> 128000, "131,072" -> 131072, "1M" -> 1000000,
    "1,047,576" -> 1047576, "1.5M" -> 1500000, 65536 -> 65536, "200k tokens" -> 200000."""
    if isinstance(text, bool) or not isinstance(text, (int, str)):
        raise _fail(f"token count: expected int or str, got {type(text).__name__}", text)
    if isinstance(text, int):
        n = text
    else:
        s = " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split()).lower()
        m = _TOKENS_RE.fullmatch(s)
        if m is None:
            raise _fail("cannot read a token count", text)
        d = Decimal(re.sub(r"[,_ ]", "", m.group("num")))
        d = _shift(d, {None: 0, "k": 3, "m": 6}[m.group("suffix")])
        got = _exact_int(d)
        if got is None:
            raise _fail("token count is not a whole number", text)
        n = got
    if n <= 0:
        raise _fail("token count must be positive", text)
    return n


def _half_up(d: Decimal, places: int) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = max(28, len(d.as_tuple().digits) + places + 2)
        return d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def token_label(tokens: int) -> str:
    """Display label: 131072 -> "128K", 128000 -> "128K", 65536 -> "64K", 200000 -> "200K",
    1047576 -> "1M", 1000000 -> "1M", 60000 -> "60K", 2000000 -> "2M"."""
    if isinstance(tokens, bool) or not isinstance(tokens, int) or tokens <= 0:
        raise _fail("token count must be a positive int", tokens)
    if tokens >= 1_000_000:
        millions = _shift(Decimal(tokens), -6)
        nearest = _half_up(millions, 0)
        # "within 5%" measured against the count itself, so the label is never >5% off
        if abs(millions - nearest) <= millions * Decimal("0.05"):
            return f"{decimal_text(nearest)}M"
        return f"{decimal_text(_half_up(millions, 1))}M"
    if tokens % 1000 == 0:  # 128000 -> "128K" (checked first: 128000 is also 125 * 1024)
        return f"{tokens // 1000}K"
    if tokens % 1024 == 0:  # 131072 -> "128K"
        return f"{tokens // 1024}K"
    if tokens < 1000:
        return str(tokens)
    thousands = _shift(Decimal(tokens), -3)
    # Below 10K a whole-K label can be >5% off (1500 -> "2K"), so keep one decimal there.
    k = _half_up(thousands, 1 if tokens < 10_000 else 0)
    if k >= 1000:
        return "1M"
    return f"{decimal_text(k)}K"


@dataclass(frozen=True)
class Parameters:
    total: int | None  # exact or as stated; None when only a MoE shape ("8x22B") is given
    experts: int | None = None
    expert_size: int | None = None
    label: str = ""


_PARAM_UNIT_SHIFT = {"k": 3, "m": 6, "b": 9, "t": 12}
_PARAM_NUM = r"\d+(?:\.\d+)?|\.\d+"
_PARAM_RE = re.compile(rf"(?P<num>{_PARAM_NUM})\s*(?P<unit>[kmbt])")
_MOE_RE = re.compile(rf"(?P<experts>\d+)\s*[x×]\s*(?P<num>{_PARAM_NUM})\s*(?P<unit>[kmbt])")
_PLAIN_INT_RE = re.compile(r"\d{1,3}(?:([,_])\d{3})(?:\1\d{3})*|\d+")


def parse_parameters(text: str | int) -> Parameters:
    """"1.23B" -> total 1_230_000_000 (label "1.23B"); 1235814400 -> total 1235814400;
    "8x22B" -> total None, experts 8, expert_size 22_000_000_000, label "8x22B";
    "405B", "70M", "1.5T", "7b"."""
    if isinstance(text, bool) or not isinstance(text, (int, str)):
        raise _fail(f"parameter count: expected int or str, got {type(text).__name__}", text)
    if isinstance(text, int):
        if text <= 0:
            raise _fail("parameter count must be positive", text)
        return Parameters(total=text, label=parameters_label(text))
    s = text.strip().lower()
    if _PLAIN_INT_RE.fullmatch(s):
        total = int(re.sub(r"[,_]", "", s))
        if total <= 0:
            raise _fail("parameter count must be positive", text)
        return Parameters(total=total, label=parameters_label(total))
    m = _MOE_RE.fullmatch(s)
    if m is not None:
        experts = int(m.group("experts"))
        size = _exact_int(_shift(Decimal(m.group("num")), _PARAM_UNIT_SHIFT[m.group("unit")]))
        if size is None:
            raise _fail("expert size is not a whole number of parameters", text)
        if experts <= 0 or size <= 0:
            raise _fail("parameter count must be positive", text)
        label = f"{m.group('experts')}x{m.group('num')}{m.group('unit').upper()}"
        return Parameters(total=None, experts=experts, expert_size=size, label=label)
    m = _PARAM_RE.fullmatch(s)
    if m is not None:
        total = _exact_int(_shift(Decimal(m.group("num")), _PARAM_UNIT_SHIFT[m.group("unit")]))
        if total is None:
            raise _fail("parameter count is not a whole number", text)
        if total <= 0:
            raise _fail("parameter count must be positive", text)
        return Parameters(total=total, label=f"{m.group('num')}{m.group('unit').upper()}")
    raise _fail("cannot read a parameter count", text)


def parameters_label(total: int) -> str:
    """1235814400 -> "1.23B" (three significant digits, truncated as model cards write them),
    3212749824 -> "3.21B", 70553706496 -> "70.5B", 141000000000 -> "141B", 494032768 -> "494M"."""
    if isinstance(total, bool) or not isinstance(total, int) or total <= 0:
        raise _fail("parameter count must be a positive int", total)
    digits = str(total)
    for unit, exp in (("T", 12), ("B", 9), ("M", 6), ("K", 3), ("", 0)):
        if total >= 10**exp:
            break
    whole = len(digits) - exp  # digits before the point in the chosen unit
    if whole >= 3:
        return f"{digits[:whole]}{unit}"
    text = f"{digits[:whole]}.{digits[whole:3]}".rstrip("0").rstrip(".")
    return f"{text}{unit}"


_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
    "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8,
    "sep": 9, "sept": 9, "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11,
    "dec": 12, "december": 12,
}
_MONTH = r"(?P<month>[a-z]+)\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4})"
_ISO_DATE_RE = re.compile(r"(?P<year>\d{4})[-/](?P<month>\d{1,2})[-/](?P<day>\d{1,2})")
_TEXT_DATE_RES = (
    re.compile(rf"{_MONTH}\s+{_DAY},?\s+{_YEAR}"),  # September 25, 2024 / Sept 25 2024
    re.compile(rf"{_DAY}\s+{_MONTH},?\s+{_YEAR}"),  # 25 September 2024
)


def _month_number(name: str, original: object) -> int:
    if name.isdigit():
        return int(name)
    if name not in _MONTHS:
        raise _fail("unknown month name", original)
    return _MONTHS[name]


def _make_date(year: str, month: int, day: str, original: object) -> date:
    try:
        return date(int(year), month, int(day))
    except ValueError:
        raise _fail("not a valid calendar date", original) from None


def _text_date(s: str, original: object) -> date | None:
    """Full dates written as text or ISO; None when the text is not shaped like one."""
    m = _ISO_DATE_RE.fullmatch(s)
    if m is None:
        for rx in _TEXT_DATE_RES:
            m = rx.fullmatch(s)
            if m is not None:
                break
    if m is None:
        return None
    return _make_date(m.group("year"), _month_number(m.group("month"), original), m.group("day"), original)


_EARLIEST_TIMESTAMP = 946_684_800  # 2000-01-01T00:00:00Z


def parse_date(text: str | int) -> date:
    """"2024-09-25", "2024-09-25T00:00:00Z", "September 25, 2024", "Sep 25, 2024", "25 September 2024",
    a unix timestamp (int or digit string) -> date (UTC)."""
    if isinstance(text, bool) or not isinstance(text, (int, str)):
        raise _fail(f"date: expected int or str, got {type(text).__name__}", text)
    if isinstance(text, str) and text.strip().isdigit() and text.strip().isascii():
        stamp: int | None = int(text.strip())
    elif isinstance(text, int):
        stamp = text
    else:
        stamp = None
    if stamp is not None:
        # Digit strings like "2024" or "20240925" would otherwise land silently in 1970.
        if stamp < _EARLIEST_TIMESTAMP:
            raise _fail("unix timestamp before 2000-01-01 (not a timestamp?)", text)
        try:
            return datetime.fromtimestamp(stamp, tz=timezone.utc).date()
        except (OverflowError, OSError, ValueError):
            raise _fail("unix timestamp out of range", text) from None
    assert isinstance(text, str)
    s = " ".join(text.split()).lower()
    found = _text_date(s, text)
    if found is not None:
        return found
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}[t ]\d{2}:\d{2}.*", s):
        try:
            dt = datetime.fromisoformat(text.strip())
        except ValueError:
            raise _fail("not a valid ISO date-time", text) from None
        if dt.tzinfo is not None:
            dt = dt.astimezone(timezone.utc)
        return dt.date()
    raise _fail("cannot read a date", text)


_ISO_MONTH_RE = re.compile(r"(?P<year>\d{4})[-/](?P<month>\d{1,2})")
_TEXT_MONTH_RE = re.compile(rf"{_MONTH},?\s+{_YEAR}")


def parse_partial_date(text: str) -> str:
    """Knowledge cutoffs: "2023-12" -> "2023-12", "December 2023" -> "2023-12", "Dec 2023" -> "2023-12",
    "2024-05-31" -> "2024-05-31", "2023/12" -> "2023-12". Raises on anything else."""
    if not isinstance(text, str):
        raise _fail("partial date: expected str", text)
    s = " ".join(text.split()).lower()
    full = _text_date(s, text)
    if full is not None:
        return full.isoformat()
    m = _ISO_MONTH_RE.fullmatch(s) or _TEXT_MONTH_RE.fullmatch(s)
    if m is None:
        raise _fail("cannot read a year-month or date", text)
    month = _month_number(m.group("month"), text)
    if not 1 <= month <= 12:
        raise _fail("month out of range", text)
    year = int(m.group("year"))
    if year < 1:
        raise _fail("year out of range", text)
    return f"{year:04d}-{month:02d}"


def _license_key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


_LICENSES: dict[str, str] = {}


def _license(canonical: str, *spellings: str) -> None:
    for spelling in (canonical, *spellings):
        _LICENSES[_license_key(spelling)] = canonical


for _v in ("2", "3", "3.1", "3.2", "3.3", "4"):
    _license(f"Llama {_v} Community License", f"llama{_v}", f"llama {_v} license",
             f"llama {_v} community license agreement")
_license("Gemma Terms of Use", "gemma", "gemma license")
_license("Apache 2.0", "apache-2.0", "apache license 2.0", "apache license version 2.0",
         "apache license, version 2.0", "apache 2", "apache")
_license("MIT", "mit license")
_license("CC BY 4.0", "cc-by-4.0")
_license("CC BY-SA 4.0", "cc-by-sa-4.0")
_license("CC BY-NC 4.0", "cc-by-nc-4.0")
_license("CC BY-NC-SA 4.0", "cc-by-nc-sa-4.0")
_license("Proprietary", "proprietary license")
del _v


def normalize_license(text: str) -> str:
    """Canonical license names: "llama3.2" / "llama 3.2 community license" -> "Llama 3.2 Community License",
    "llama3.1" -> "Llama 3.1 Community License", "apache-2.0" -> "Apache 2.0", "mit" -> "MIT",
    "cc-by-4.0" -> "CC BY 4.0", "proprietary" -> "Proprietary"; unknown ids are returned stripped as given."""
    if not isinstance(text, str) or not text.strip():
        raise _fail("license: expected a non-empty str", text)
    return _LICENSES.get(_license_key(text), text.strip())


_CENT = Decimal("0.01")


def price_label(usd: Decimal) -> str:
    """Display label, rounded half-up to cents: 0.027 -> "$0.03", 0.201 -> "$0.20", 1.1 -> "$1.10",
    14 -> "$14.00", 0.01 -> "$0.01"; below a cent keep 3 significant digits: 0.004 -> "$0.004"."""
    d = _to_decimal(usd, "price")
    if d == 0:
        return "$0.00"
    if d < 0:
        raise _fail("negative price", usd)
    if 0 < d < _CENT:
        # three significant digits, truncated so a sub-cent price never displays as a cent
        places = -d.adjusted() + 2
        with localcontext() as ctx:
            ctx.prec = max(28, places + 2)
            return f"${decimal_text(d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_DOWN))}"
    return f"${format(_half_up(d, 2), ',.2f')}"


def decimal_text(d: Decimal) -> str:
    """Canonical text of an exact decimal, no exponent, no trailing zeros: Decimal("1.10") -> "1.1",
    Decimal("2.7E-8") -> "0.000000027", Decimal("100") -> "100"."""
    if not isinstance(d, Decimal):
        raise _fail(f"expected Decimal, got {type(d).__name__}", d)
    if not d.is_finite():
        raise _fail("not a finite number", d)
    sign, digits, exp = _canonical(d).as_tuple()
    assert isinstance(exp, int)
    body = "".join(map(str, digits))
    if exp < 0:
        body = body.rjust(-exp + 1, "0")
        body = f"{body[:exp]}.{body[exp:]}"
    return f"-{body}" if sign else body
