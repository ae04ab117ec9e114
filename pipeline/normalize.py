"""Normalizers: what a source writes -> exact typed values. Pure functions, no I/O.

Every public function either returns a correct value or raises NormalizeError (a ValueError)
naming the field and the offending text; nothing else escapes (tests/test_faults_normalize.py and
bench/fuzz_normalize.py hold them to that). Callers turn the error into a Problem naming source,
URL and field. Values outside the plausible range of their field (pipeline/bounds.py, the one
table) are refused here, where they are read, not at load time.

Reading rules that refuse rather than guess:
- digits are ASCII only ("١٢٣", fullwidth "１２８K" are refused), no "_" inside numbers ("1_0");
- prices: "1,234.5" and "1,234,567" are thousands separators; "0,027", "1,5", "1234,5" are a decimal
  comma (no thousands group can be read there); a lone "1,234" is ambiguous and refused;
- a price's unit "per N [k|m] tokens" is read as the whole divisor N x 1e3/1e6 ("per 11000 tokens"
  is per 11,000, never "per 1 1000"); the result must be exact ("$1 per 11000 tokens" is 90.90...
  per 1M: refused), and a divisor that is not one number ("per 1 1000 tokens") is refused.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import Literal

from pipeline import bounds
from pipeline.errors import LedgerError

PriceUnit = Literal["token", "ktok", "mtok"]


class NormalizeError(LedgerError, ValueError):
    pass


# Texts that mean "no value stated" (the observation's status is then `unknown`).
# Compared after strip(), lower() and collapsing inner whitespace.
UNKNOWN_MARKERS: frozenset[str] = frozenset({
    "", "-", "—", "–", "not-yet-sourced", "not yet sourced", "n/a", "na", "unknown", "tbd", "?",
})


# Longer texts are not a value a page writes; refusing them bounds regex, int() and Decimal work.
_MAX_TEXT = 1000


def _shown(value: object) -> str:
    """The input as an error shows it: verbatim, except control/format characters escaped (a NUL or
    a bidi override must not reach a log line raw) and very long texts cut."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 600:
        return f"<a {value.bit_length()}-bit int>"  # str() of a >4300-digit int raises ValueError
    text = value if isinstance(value, str) else repr(value) if isinstance(value, (bytes, float)) else str(value)
    if len(text) > 200:
        text = f"{text[:100]}...({len(text)} characters)"
    if any(bounds.is_unsafe(ch) for ch in text):
        text = "".join(ch.encode("unicode_escape").decode("ascii") if bounds.is_unsafe(ch) else ch for ch in text)
    return text


def _fail(what: str, value: object) -> NormalizeError:
    """An error whose message contains the offending input (verbatim when printable)."""
    return NormalizeError(f'{what}: "{_shown(value)}"')


def _check_text(text: str, what: str) -> None:
    """Refuse what no number, date or id may contain: control/format characters (NUL, bidi marks),
    non-ASCII digits (read by Python's int()/Decimal() as if ASCII), absurd lengths."""
    if len(text) > _MAX_TEXT:
        raise _fail(f"{what}: longer than {_MAX_TEXT} characters", text)
    for ch in text:
        if bounds.is_unsafe(ch) and ch not in "\t\n\r":
            raise _fail(f"{what}: contains a control or formatting character (U+{ord(ch):04X})", text)
        if not ch.isascii() and (ch.isdigit() or ch.isnumeric()):
            raise _fail(f"{what}: contains a non-ASCII digit ({ch!r}); only 0-9 are read", text)


def _named(field: str, kind: str, message: str) -> str:
    """``message``, prefixed by the field when the caller named one (the default kind is implied)."""
    return message if field == kind else f"{field}: {message}"


def _range(field: str, kind: str) -> bounds.Range:
    """``field``'s range, else the range of the normalizer's kind (a caller may name any field)."""
    r = bounds.range_of(field) or bounds.range_of(kind)
    assert r is not None, kind
    return r


def _bounded(field: str, value: Decimal | int | date | str, original: object, kind: str) -> None:
    """Raise NormalizeError when ``value`` is outside the plausible range of ``field`` (pipeline.bounds)."""
    why = bounds.violation(field, value, _range(field, kind))
    if why is not None:
        raise NormalizeError(f'{why} (read from "{_shown(original)}")')


# ---------------------------------------------------------------------------------------------
# exact decimal helpers (no context arithmetic: nothing here can round)

# What a plain decimal number looks like (Decimal() alone also takes "1_0", "Infinity", " ١٢ ").
_DECIMAL_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)


def _to_decimal(value: object, what: str) -> Decimal:
    """int / Decimal / numeric str -> finite Decimal. Floats and bools are refused."""
    if isinstance(value, bool) or not isinstance(value, (int, str, Decimal)):
        raise _fail(f"{what}: expected int, Decimal or str, got {type(value).__name__}", value)
    if isinstance(value, int):
        if value.bit_length() > 3000:  # ~900 digits: no price or count; Decimal(int) stays cheap below
            raise _fail(f"{what}: number too large", f"{value.bit_length()}-bit int")
        return Decimal(value)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise _fail(f"{what}: empty", value)
        _check_text(text, what)
        if _DECIMAL_TEXT.fullmatch(text) is None:
            raise _fail(f"{what}: not a number", value)
        try:
            d = Decimal(text)
        except InvalidOperation:  # an exponent beyond what Decimal holds ("1e9999999999999999999")
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
    """d * 10**places, exactly. Raises NormalizeError when the exponent leaves Decimal's range."""
    sign, digits, exp = d.as_tuple()
    assert isinstance(exp, int)
    try:
        return Decimal((sign, digits, exp + places))
    except (InvalidOperation, ValueError, OverflowError):
        raise _fail("number out of any representable range", d) from None


def _div_exact(n: Decimal, divisor: int) -> Decimal | None:
    """n / divisor exactly, or None when the quotient does not terminate (1 / 11000).

    Integer arithmetic only: a decimal context would round. n = c * 10**e; the quotient terminates
    iff the divisor's part prime to 10 divides c.
    """
    sign, digits, exp = n.as_tuple()
    assert isinstance(exp, int)
    rest, twos, fives = divisor, 0, 0
    while rest % 2 == 0:
        rest, twos = rest // 2, twos + 1
    while rest % 5 == 0:
        rest, fives = rest // 5, fives + 1
    c = int("".join(map(str, digits)) or "0")
    if c % rest:
        return None
    k = max(twos, fives)  # c / (2**twos * 5**fives) = c * 2**(k-twos) * 5**(k-fives) / 10**k
    q = (c // rest) * 2 ** (k - twos) * 5 ** (k - fives)
    return _shift(Decimal(-q if sign else q), exp - k)


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


def price_per_mtok(value: str | int | Decimal, unit: PriceUnit, *, field: str = "price") -> Decimal:
    """Exact USD per 1M tokens from a number in ``unit`` (never via float).

    "0.000000027" per token -> Decimal("0.027"); "0.027" per mtok -> Decimal("0.027").
    Result is normalized (no trailing zeros beyond what is needed: 1.10 -> 1.1).
    Negative values (OpenRouter's "-1" for dynamic pricing) raise NormalizeError, and so does a
    value outside ``field``'s plausible range (pipeline.bounds.PRICE): above 100,000 per 1M, a
    nonzero price that DECIMAL(18,9) would store as 0 ("1e-16" per token), or more than 9 decimals
    that rounding would change by more than a millionth (float noise such as 0.49299999999999994
    is rounded to 0.493, as the warehouse would store it).
    """
    if not isinstance(unit, str) or unit not in _UNIT_SHIFT:
        raise _fail("unknown price unit", unit)
    d = _to_decimal(value, field)
    if d.is_signed():  # also "-0": a minus sign is a marker, not a price
        raise _fail(_named(field, "price", "negative price (dynamic/unknown pricing marker)"), value)
    return _plausible(_shift(d, _UNIT_SHIFT[unit]), value, field)


def _plausible(price: Decimal, original: object, field: str = "price") -> Decimal:
    """The canonical price, when it is within ``field``'s range (checked before any digit expansion),
    at the warehouse's 9 decimals: float noise ("0.49299999999999994") is rounded there, as the load
    would; a rounding that changes the value (1e-16 per token -> 0, "free") was refused by the check."""
    _bounded(field, price, original, "price")
    r = _range(field, "price")
    if isinstance(r, bounds.DecimalRange) and r.places is not None:
        rounded = bounds.round_to_places(price, r.places)
        assert rounded is not None  # _bounded refused the others
        price = rounded
    return _canonical(price)


# The number and the unit are matched loosely and then read strictly (_price_number, _divisor):
# the old pattern "per (1 )?1000" read "per 11000" as "per 1 1000" (1000x off).
_PRICE_RE = re.compile(
    r"(?:usd\s*)?\$?\s*(?:usd\s*)?"
    r"(?P<num>[0-9][0-9,]*(?:\.[0-9]+)?|\.[0-9]+)"
    r"\s*(?:usd)?\s*"
    r"(?:"
    r"(?P<per>/|per)\s*"
    r"(?P<count>[0-9][0-9,]*)?\s*"
    r"(?P<scale>mtok|ktok|million|thousand|m|k)?"
    r"\s*(?:(?:cached\s+)?input|output|prompt|completion)?"
    r"\s*(?P<tok>tokens?|tok)?"
    r")?",
    re.ASCII,
)
_SCALE = {None: 1, "m": 10**6, "mtok": 10**6, "million": 10**6, "k": 10**3, "ktok": 10**3, "thousand": 10**3}
_OTHER_CURRENCY = re.compile(r"[€£¥₹₩]|\b(?:eur|gbp|jpy|cny|rmb|inr|chf|cad|aud)\b")
_THOUSANDS = re.compile(r"[1-9][0-9]{0,2}(?:,[0-9]{3})+", re.ASCII)
_AMBIGUOUS_COMMA = re.compile(r"[1-9][0-9]{0,2},[0-9]{3}", re.ASCII)
_DECIMAL_COMMA = re.compile(r"[0-9]+,[0-9]+", re.ASCII)
_WHOLE = re.compile(r"[1-9][0-9]{0,2}(?:,[0-9]{3})+|[1-9][0-9]*", re.ASCII)


def _price_number(num: str, original: str) -> Decimal:
    """The price's number with the comma rule of the module doc: thousands groups, or a decimal
    comma where no thousands reading exists; "1,234" alone (either reading) is refused."""
    if "," in num:
        whole, _, frac = num.partition(".")
        if frac or whole.count(",") >= 2:  # "1,234.5", "1,234,567": only a thousands reading
            if not _THOUSANDS.fullmatch(whole):
                raise _fail("malformed thousands separators in price", original)
            num = num.replace(",", "")
        elif _AMBIGUOUS_COMMA.fullmatch(num):
            raise _fail("ambiguous price: a comma followed by three digits may be a thousands separator "
                        "or a decimal comma", original)
        elif _DECIMAL_COMMA.fullmatch(num):  # "0,027", "1,5", "1234,5": a decimal comma
            num = num.replace(",", ".")
        else:
            raise _fail("malformed number in price", original)
    return Decimal(num)


def _divisor(m: re.Match[str], original: str) -> int | None:
    """How many tokens the price is for ("per 1M" -> 1_000_000, "/ 11000 tokens" -> 11_000), None when
    the text states no unit (then the number is per 1M tokens, as the pages' tables write it)."""
    if m.group("per") is None:
        return None
    count, scale, tok = m.group("count"), m.group("scale"), m.group("tok")
    if not (count or scale or tok):
        raise _fail("price unit: per what?", original)
    n = 1
    if count:
        if not _WHOLE.fullmatch(count):  # "per 0", "per 01000", "per 1,0000"
            raise _fail("price unit: not a whole number of tokens", original)
        n = int(count.replace(",", ""))
    return n * _SCALE[scale]


def parse_price_text(text: str, *, field: str = "price") -> Decimal:
    """USD per 1M tokens from price prose: "$0.027 per M input tokens", "$0.05 / MTok",
    "$1.10 / 1M tokens", "$0.0011 per 1K tokens", "$0.000002 per token", "0.50", "$2", "$ 0,027 per M".
    Raises on anything else (another currency, no number, per image/second, a unit that is not one
    number of tokens, a result that is not exact or outside ``field``'s plausible range)."""
    if not isinstance(text, str):
        raise _fail("price text: expected str", text)
    s = " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split()).lower()
    _check_text(s, field)
    if _OTHER_CURRENCY.search(s):
        raise _fail("price is not in USD", text)
    if re.search(r"[-−]\s*\$?\s*[0-9]", s) and not re.search(r"[0-9]\s*[-–—]\s*\$?[0-9]", s):
        raise _fail("negative price", text)
    m = _PRICE_RE.fullmatch(s)
    if m is None:
        raise _fail("cannot read a USD per-token price", text)
    d = _price_number(m.group("num"), text)
    divisor = _divisor(m, text)
    if divisor is None or divisor == 10**6:
        return _plausible(d, text, field)
    per_mtok = _div_exact(_shift(d, 6), divisor)
    if per_mtok is None:
        raise _fail(_named(field, "price", f"a price per {divisor:,} tokens has no exact value per 1M tokens"), text)
    return _plausible(per_mtok, text, field)


# A grouped number's first group never starts with 0 ("0,128" is no thousands grouping).
_TOKENS_RE = re.compile(
    r"(?P<num>[1-9][0-9]{0,2}(?:([,_ ])[0-9]{3})(?:\2[0-9]{3})*(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?|\.[0-9]+)"
    r"\s*(?P<suffix>[km])?\s*(?:tokens?)?",
    re.ASCII,
)


def parse_tokens(text: str | int, *, field: str = "token count") -> int:
    """Token counts: "128K"/"128k" -> 128000, "131,072" -> 131072, "1M" -> 1000000,
    "1,047,576" -> 1047576, "1.5M" -> 1500000, 65536 -> 65536, "200k tokens" -> 200000.
    Counts outside ``field``'s plausible range (pipeline.bounds.TOKENS: 1..100,000,000) are refused."""
    if isinstance(text, bool) or not isinstance(text, (int, str)):
        raise _fail(_named(field, "token count", f"expected int or str, got {type(text).__name__}"), text)
    if isinstance(text, int):
        n = text
    else:
        s = " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split()).lower()
        _check_text(s, field)
        m = _TOKENS_RE.fullmatch(s)
        if m is None:
            raise _fail(_named(field, "token count", "cannot read a token count"), text)
        d = Decimal(re.sub(r"[,_ ]", "", m.group("num")))
        if d and d.adjusted() > 30:  # far outside any range: refused before expanding its digits
            _bounded(field, 10**31, text, "token count")
        d = _shift(d, {None: 0, "k": 3, "m": 6}[m.group("suffix")])
        got = _exact_int(d)
        if got is None:
            raise _fail(_named(field, "token count", "token count is not a whole number"), text)
        n = got
    if n <= 0:
        raise _fail(_named(field, "token count", "token count must be positive"), text)
    _bounded(field, n, text, "token count")
    return n


_LABEL_MAX = 2**63 - 1  # labels render what the warehouse holds (BIGINT)


def _half_up(d: Decimal, places: int) -> Decimal:
    with localcontext() as ctx:
        # enough digits for the whole result: quantize raises InvalidOperation when it needs more
        ctx.prec = max(28, len(d.as_tuple().digits) + places + 2, d.adjusted() + places + 3)
        return d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def token_label(tokens: int) -> str:
    """Display label: 131072 -> "128K", 128000 -> "128K", 65536 -> "64K", 200000 -> "200K",
    1047576 -> "1M", 1000000 -> "1M", 60000 -> "60K", 2000000 -> "2M"."""
    if isinstance(tokens, bool) or not isinstance(tokens, int) or tokens <= 0:
        raise _fail("token count must be a positive int", tokens)
    if tokens > _LABEL_MAX:  # a label renders a stored count; this one could not be stored
        raise _fail(f"token count above {_LABEL_MAX:,} (BIGINT): not a count to label", tokens)
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
_PARAM_NUM = r"[0-9]{1,30}(?:\.[0-9]{1,30})?|\.[0-9]{1,30}"  # 30 digits: far past any range, cheap to read
_PARAM_RE = re.compile(rf"(?P<num>{_PARAM_NUM})\s*(?P<unit>[kmbt])", re.ASCII)
_MOE_RE = re.compile(rf"(?P<experts>[0-9]{{1,30}})\s*[x×]\s*(?P<num>{_PARAM_NUM})\s*(?P<unit>[kmbt])", re.ASCII)
# A grouped number's first group never starts with 0 ("0,128" is no thousands grouping).
_PLAIN_INT_RE = re.compile(r"[1-9][0-9]{0,2}(?:([,_])[0-9]{3})(?:\1[0-9]{3})*|[0-9]{1,40}", re.ASCII)


def _param_count(num: str, unit: str, what: str, field: str, original: object) -> int:
    """num x unit ("1.23", "b") as an exact whole number within ``field``'s range."""
    count = _exact_int(_shift(Decimal(num), _PARAM_UNIT_SHIFT[unit]))
    if count is None:
        raise _fail(_named(field, "parameter count", f"{what} is not a whole number of parameters"), original)
    if count <= 0:
        raise _fail(_named(field, "parameter count", f"{what} must be positive"), original)
    _bounded(field, count, original, "parameter count")
    return count


def parse_parameters(text: str | int, *, field: str = "parameter count") -> Parameters:
    """"1.23B" -> total 1_230_000_000 (label "1.23B"); 1235814400 -> total 1235814400;
    "8x22B" -> total None, experts 8, expert_size 22_000_000_000, label "8x22B";
    "405B", "70M", "1.5T", "7b". Counts outside ``field``'s plausible range (pipeline.bounds.PARAMETERS:
    1K..100T; experts 1..100,000) are refused."""
    if isinstance(text, bool) or not isinstance(text, (int, str)):
        raise _fail(_named(field, "parameter count", f"expected int or str, got {type(text).__name__}"), text)
    if isinstance(text, int):
        if text <= 0:
            raise _fail(_named(field, "parameter count", "parameter count must be positive"), text)
        _bounded(field, text, text, "parameter count")
        return Parameters(total=text, label=parameters_label(text))
    s = text.strip().lower()
    _check_text(s, field)
    if _PLAIN_INT_RE.fullmatch(s):
        total = int(re.sub(r"[,_]", "", s))
        if total <= 0:
            raise _fail(_named(field, "parameter count", "parameter count must be positive"), text)
        _bounded(field, total, text, "parameter count")
        return Parameters(total=total, label=parameters_label(total))
    m = _MOE_RE.fullmatch(s)
    if m is not None:
        experts = int(m.group("experts"))
        if experts <= 0:
            raise _fail(_named(field, "parameter count", "the number of experts must be positive"), text)
        _bounded("experts_total", experts, text, "experts")
        size = _param_count(m.group("num"), m.group("unit"), "expert size", field, text)
        label = f"{m.group('experts')}x{m.group('num')}{m.group('unit').upper()}"
        return Parameters(total=None, experts=experts, expert_size=size, label=label)
    m = _PARAM_RE.fullmatch(s)
    if m is not None:
        total = _param_count(m.group("num"), m.group("unit"), "parameter count", field, text)
        return Parameters(total=total, label=f"{m.group('num')}{m.group('unit').upper()}")
    raise _fail(_named(field, "parameter count", "cannot read a parameter count"), text)


def parameters_label(total: int) -> str:
    """1235814400 -> "1.23B" (three significant digits, truncated as model cards write them),
    3212749824 -> "3.21B", 70553706496 -> "70.5B", 141000000000 -> "141B", 494032768 -> "494M"."""
    if isinstance(total, bool) or not isinstance(total, int) or total <= 0:
        raise _fail("parameter count must be a positive int", total)
    if total > _LABEL_MAX:  # a label renders a stored count (BIGINT); str() of a huge int would raise
        raise _fail(f"parameter count above {_LABEL_MAX:,} (BIGINT): not a count to label", total)
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
_DAY = r"(?P<day>[0-9]{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>[0-9]{4})"
_ISO_DATE_RE = re.compile(r"(?P<year>[0-9]{4})[-/](?P<month>[0-9]{1,2})[-/](?P<day>[0-9]{1,2})", re.ASCII)
_TEXT_DATE_RES = (
    re.compile(rf"{_MONTH}\s+{_DAY},?\s+{_YEAR}", re.ASCII),  # September 25, 2024 / Sept 25 2024
    re.compile(rf"{_DAY}\s+{_MONTH},?\s+{_YEAR}", re.ASCII),  # 25 September 2024
)


def _month_number(name: str, original: object) -> int:
    if name.isascii() and name.isdigit():
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


_EPOCH = date(1970, 1, 1)


def _timestamp_date(stamp: int, field: str, original: object) -> date:
    """The UTC date of a unix timestamp in seconds, refused unless it falls in ``field``'s date range
    (checked on the number first: "99999999999" is the year 5138, milliseconds land in 50000+)."""
    r = _range(field, "date")
    assert isinstance(r, bounds.DateRange)
    lo = (r.lo - _EPOCH).days * 86_400
    hi = (r.hi() - _EPOCH).days * 86_400 + 86_399
    if not lo <= stamp <= hi:
        raise _fail(f"{field}: unix timestamp outside the plausible date range "
                           f"{r.lo.isoformat()}..{r.hi().isoformat()} (not a timestamp in seconds?)", original)
    return _EPOCH + timedelta(days=stamp // 86_400)


def parse_date(text: str | int, *, field: str = "date") -> date:
    """"2024-09-25", "2024-09-25T00:00:00Z", "September 25, 2024", "Sep 25, 2024", "25 September 2024",
    a unix timestamp (int or digit string) -> date (UTC). Dates outside ``field``'s plausible range
    (pipeline.bounds.DATES: 2015-01-01 .. two years from today) are refused ("0001-01-01")."""
    if isinstance(text, bool) or not isinstance(text, (int, str)):
        raise _fail(_named(field, "date", f"expected int or str, got {type(text).__name__}"), text)
    if isinstance(text, str):
        _check_text(text, field)
    if isinstance(text, str) and text.strip().isdigit() and text.strip().isascii():
        stamp: int | None = int(text.strip())
    elif isinstance(text, int):
        stamp = text
    else:
        stamp = None
    if stamp is not None:
        # Digit strings like "2024" or "20240925" are refused by the range, not read as 1970.
        return _timestamp_date(stamp, field, text)
    assert isinstance(text, str)
    s = " ".join(text.split()).lower()
    found = _text_date(s, text)
    if found is None and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[t ][0-9]{2}:[0-9]{2}.*", s, re.ASCII):
        try:
            dt = datetime.fromisoformat(text.strip())
        except ValueError:
            raise _fail(_named(field, "date", "not a valid ISO date-time"), text) from None
        if dt.tzinfo is not None:
            try:
                dt = dt.astimezone(timezone.utc)
            except OverflowError:  # 9999-12-31T23:00-05:00
                raise _fail(_named(field, "date", "date-time out of range"), text) from None
        found = dt.date()
    if found is None:
        raise _fail(_named(field, "date", "cannot read a date"), text)
    _bounded(field, found, text, "date")
    return found


_ISO_MONTH_RE = re.compile(r"(?P<year>[0-9]{4})[-/](?P<month>[0-9]{1,2})", re.ASCII)
_TEXT_MONTH_RE = re.compile(rf"{_MONTH},?\s+{_YEAR}", re.ASCII)


def parse_partial_date(text: str, *, field: str = "partial date") -> str:
    """Knowledge cutoffs: "2023-12" -> "2023-12", "December 2023" -> "2023-12", "Dec 2023" -> "2023-12",
    "2024-05-31" -> "2024-05-31", "2023/12" -> "2023-12". Raises on anything else, and on dates outside
    ``field``'s plausible range (pipeline.bounds.DATES)."""
    if not isinstance(text, str):
        raise _fail(_named(field, "partial date", "expected str"), text)
    _check_text(text, field)
    s = " ".join(text.split()).lower()
    full = _text_date(s, text)
    if full is not None:
        _bounded(field, full, text, "partial date")
        return full.isoformat()
    m = _ISO_MONTH_RE.fullmatch(s) or _TEXT_MONTH_RE.fullmatch(s)
    if m is None:
        raise _fail(_named(field, "partial date", "cannot read a year-month or date"), text)
    month = _month_number(m.group("month"), text)
    if not 1 <= month <= 12:
        raise _fail(_named(field, "partial date", "month out of range"), text)
    value = f"{int(m.group('year')):04d}-{month:02d}"
    _bounded(field, value, text, "partial date")
    return value


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
    text = " ".join(text.split())  # a line break or tab inside a name is layout, not part of it
    bad = bounds.unsafe_chars(text)
    if bad:  # a NUL or a bidi override would be stored and rendered as the license's name
        raise _fail(f"license: contains control or formatting characters ({', '.join(bad)})", text)
    return _LICENSES.get(_license_key(text), text)


_CENT = Decimal("0.01")
# Labels render stored prices (DECIMAL(18,9): 1e-9 .. <1e9); the margins keep derived figures.
_LABEL_MIN_PRICE = Decimal("1E-18")
_LABEL_MAX_PRICE = Decimal("1E+15")


def price_label(usd: Decimal) -> str:
    """Display label, rounded half-up to cents: 0.027 -> "$0.03", 0.201 -> "$0.20", 1.1 -> "$1.10",
    14 -> "$14.00", 0.01 -> "$0.01"; below a cent keep 3 significant digits: 0.004 -> "$0.004"."""
    d = _to_decimal(usd, "price")
    if d == 0:
        return "$0.00"
    if d < 0:
        raise _fail("negative price", usd)
    if not _LABEL_MIN_PRICE <= d < _LABEL_MAX_PRICE:  # e.g. "1e100": no page states it; no 100-digit label
        raise _fail(f"price outside what a label renders ({_LABEL_MIN_PRICE}..{_LABEL_MAX_PRICE})", usd)
    if 0 < d < _CENT:
        # three significant digits, truncated so a sub-cent price never displays as a cent
        places = -d.adjusted() + 2
        with localcontext() as ctx:
            ctx.prec = max(28, places + 2)
            return f"${decimal_text(d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_DOWN))}"
    return f"${format(_half_up(d, 2), ',.2f')}"


_TEXT_MAX_DIGITS = 10_000


def decimal_text(d: Decimal) -> str:
    """Canonical text of an exact decimal, no exponent, no trailing zeros: Decimal("1.10") -> "1.1",
    Decimal("2.7E-8") -> "0.000000027", Decimal("100") -> "100"."""
    if not isinstance(d, Decimal):
        raise _fail(f"expected Decimal, got {type(d).__name__}", d)
    if not d.is_finite():
        raise _fail("not a finite number", d)
    if not d.is_zero() and abs(d.adjusted()) > _TEXT_MAX_DIGITS:
        # 1E+999999999 written out is a gigabyte of zeros (checked before _canonical expands them)
        raise _fail(f"more than {_TEXT_MAX_DIGITS} digits to write out", d)
    sign, digits, exp = _canonical(d).as_tuple()
    assert isinstance(exp, int)
    if -exp > _TEXT_MAX_DIGITS:
        raise _fail(f"more than {_TEXT_MAX_DIGITS} digits to write out", d)
    body = "".join(map(str, digits))
    if exp < 0:
        body = body.rjust(-exp + 1, "0")
        body = f"{body[:exp]}.{body[exp:]}"
    return f"-{body}" if sign else body


def canonical_text(value: object) -> str | None:
    """A typed value as the canonical text observations carry (pipeline/fields.py): "true"/"false",
    exact decimals without exponent, ISO dates; None stays None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)
