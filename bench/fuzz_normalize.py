"""Fuzzer of the normalizers: every public function of pipeline.normalize (and identity.resolve)
fed random real-looking and hostile inputs, judged against independent oracles.

    .venv/bin/python bench/fuzz_normalize.py --n 100000 --seed 1
    .venv/bin/python bench/fuzz_normalize.py --quick          # 20,000 inputs

Inputs are drawn from generators that know the value they wrote: a price as a Decimal written in
some unit ("$0.0011 per 1K tokens", "2.7E-8" per token, "$ 0,027 per M", "$1 per 11000 tokens"),
a token count ("131,072", "128K", "1_048_576"), a date (ISO, prose, unix seconds or milliseconds), a
parameter count ("1.23B", "8x22B"), ids; then mutated (separators, units, exponents, unicode and
fullwidth digits, control and bidi characters, huge and tiny numbers). Plus a list of hostile values
thrown at every function (NaN, Infinity, 1e999999, 5,000-digit strings, NUL, floats, None...).

Counted per input:
  crashes       an exception that is not a pipeline.errors.LedgerError (the contract: a correct
                value or NormalizeError/IdentityError, nothing else)
  out_of_range  a returned value outside its field's range (pipeline/bounds.py, the one table)
  wrong         a returned value that differs from the oracle: the exact value computed with
                fractions.Fraction from what the generator wrote (per 1M = number x 1e6 / tokens),
                or an input the reading rules must refuse (ambiguous "1,234", "per 1 1000 tokens",
                "0,128" tokens, "1_0", non-ASCII digits, control/bidi characters) that was read
  refused       a LedgerError (refusing is always allowed; "refused_valid" counts refusals of
                clean, in-range, exact inputs, which should be 0)
Prints one JSON line; exits 1 when crashes or wrong > 0.
"""
from __future__ import annotations

import argparse
import json
import math
import random
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipeline import bounds, normalize  # noqa: E402
from pipeline.errors import LedgerError  # noqa: E402
from pipeline.identity import resolve  # noqa: E402

Check = Callable[[Any], "str | None"]  # result -> why it is wrong, None when right


@dataclass
class Case:
    fn: str
    args: tuple[Any, ...]
    check: Check | None = None  # the oracle; None: only crashes and ranges are judged
    refuse: bool = False  # the reading rules must refuse this input
    must_accept: bool = False  # clean, exact, in range: a refusal is counted as refused_valid


FUNCS: dict[str, Callable[..., Any]] = {
    "price_per_mtok": normalize.price_per_mtok,
    "parse_price_text": normalize.parse_price_text,
    "parse_tokens": normalize.parse_tokens,
    "token_label": normalize.token_label,
    "parse_parameters": normalize.parse_parameters,
    "parameters_label": normalize.parameters_label,
    "parse_date": normalize.parse_date,
    "parse_partial_date": normalize.parse_partial_date,
    "normalize_license": normalize.normalize_license,
    "price_label": normalize.price_label,
    "decimal_text": normalize.decimal_text,
    "is_unknown": normalize.is_unknown,
    "resolve": resolve,
}

# ---------------------------------------------------------------------------------------------
# independent oracles (fractions, no pipeline code)

_TEN9 = 10**9
_TOL = Fraction(1, 10**6)


def _storable_reading(true: Fraction) -> set[Fraction]:
    """The values a correct price normalizer may return for an exact ``true``: itself, or, when it
    has more than 9 decimals, itself rounded half-even to 9 when that moves it by <= a millionth."""
    out = {true}
    scaled = true * _TEN9
    if scaled.denominator != 1:
        q = Fraction(round(scaled), _TEN9)  # round() of a Fraction is half-even
        if abs(q - true) <= true * _TOL:
            out.add(q)
    return out


def _price_check(true: Fraction) -> Check:
    ok = _storable_reading(true)

    def check(r: Any) -> str | None:
        if not isinstance(r, Decimal):
            return f"returned {type(r).__name__}, not Decimal"
        return None if Fraction(r) in ok else f"read {r}, the text says {_fmt_fraction(true)} per 1M"
    return check


def _equals(want: Any) -> Check:
    def check(r: Any) -> str | None:
        return None if r == want and type(r) is type(want) else f"read {r!r}, want {want!r}"
    return check


def _fmt_fraction(f: Fraction) -> str:
    if (f * _TEN9 * 1000).denominator == 1:
        return str(Decimal(f.numerator) / Decimal(f.denominator))
    return f"{f.numerator}/{f.denominator}"


def _terminates_within_9(f: Fraction) -> bool:
    return (f * _TEN9).denominator == 1


def _price_in_range(f: Fraction) -> bool:
    return f == 0 or Fraction(1, _TEN9) <= f <= 100_000


def _date_range() -> tuple[date, date]:
    return bounds.DATES.lo, bounds.DATES.hi()


_UNIT_SUFFIX = re.compile(r"^([0-9]+(?:\.[0-9]+)?)([KMBT]?)$")
_UNIT_VALUE = {"": 1, "K": 10**3, "M": 10**6, "B": 10**9, "T": 10**12}


def _label_value(label: str) -> Fraction | None:
    m = _UNIT_SUFFIX.match(label)
    if m is None:
        return None
    return Fraction(m.group(1)) * _UNIT_VALUE[m.group(2)]


# ---------------------------------------------------------------------------------------------
# mutations

# Never whitespace to Python (str.split() treats U+2028 and \x1c-\x1f as spaces: those may be read).
CONTROL = ["\x00", "\x07", "\x1b", "\x7f", "\u202e", "\u202a", "\u200e", "\u200f", "\u2066", "\u2069",
           "\ufeff", "\u200b", "\u00ad"]
UNICODE_DIGITS = [0x0660, 0xFF10, 0x0966, 0x09E6, 0x1D7CE]  # Arabic-Indic, fullwidth, Devanagari, Bengali, math


def _unicode_digits(text: str, rng: random.Random) -> str:
    """Some ASCII digits replaced by the same digit of another script (Python's int() reads them)."""
    base = rng.choice(UNICODE_DIGITS)
    digits = [i for i, ch in enumerate(text) if ch in "0123456789"]
    if not digits:
        return text
    chars = list(text)
    for i in rng.sample(digits, rng.randint(1, len(digits))):
        chars[i] = chr(base + int(chars[i]))
    return "".join(chars)


def _insert_control(text: str, rng: random.Random) -> str:
    i = rng.randint(1, max(1, len(text) - 1))  # inside: surrounding whitespace may be stripped
    return text[:i] + rng.choice(CONTROL) + text[i:]


def _random_noise(text: str, rng: random.Random) -> str:
    """Edits with no oracle: delete, duplicate or insert characters of the numbers' alphabet."""
    chars = list(text)
    for _ in range(rng.randint(1, 3)):
        op = rng.random()
        i = rng.randrange(len(chars) + 1)
        if op < 0.35 and chars:
            del chars[min(i, len(chars) - 1)]
        elif op < 0.6 and chars:
            j = min(i, len(chars) - 1)
            chars.insert(j, chars[j])
        else:
            chars.insert(i, rng.choice("0123456789.,_ $kKmMbBtT/eE+-xX"))
    return "".join(chars)


def _rand_case(text: str, rng: random.Random) -> str:
    r = rng.random()
    return text.upper() if r < 0.15 else text.lower() if r < 0.3 else text


# ---------------------------------------------------------------------------------------------
# numbers the generators write

def _log_decimal(rng: random.Random, lo_exp: float, hi_exp: float, max_digits: int = 8) -> Decimal:
    """A positive Decimal near 10**uniform(lo_exp, hi_exp) with 1..max_digits significant digits."""
    digits = rng.randint(1, max_digits)
    mant = rng.randint(10 ** (digits - 1), 10**digits - 1)
    e = math.floor(rng.uniform(lo_exp, hi_exp)) - (digits - 1)
    return Decimal((0, tuple(int(c) for c in str(mant)), e))


def _plain(d: Decimal) -> str:
    return format(d, "f")


def _price_value(rng: random.Random) -> Decimal:
    r = rng.random()
    if r < 0.05:
        return Decimal(0)
    if r < 0.75:  # what pages state: $0.01 .. $600 per 1M, up to 6 significant digits
        return _log_decimal(rng, -2, 3, 6)
    return _log_decimal(rng, -14, 14, 10)  # tiny, huge, long


# ---------------------------------------------------------------------------------------------
# generators

def gen_price_per_mtok(rng: random.Random) -> Case:
    p = _price_value(rng)  # per 1M
    unit, shift = rng.choice([("token", 6), ("ktok", 3), ("mtok", 0)])
    v = p.scaleb(-shift) if p else p  # exact: few digits
    true = Fraction(v) * 10**shift
    form = rng.random()
    arg: Any
    clean = True
    if form < 0.5:
        arg = _plain(v)
    elif form < 0.65:
        arg = format(v, "e")
    elif form < 0.75:
        arg = v
    elif form < 0.8 and v == v.to_integral_value():
        arg = int(v)
    elif form < 0.85:
        arg = f"  {_plain(v)} "
    else:
        arg = _plain(v)
        mut = rng.random()
        if mut < 0.3:
            i = rng.randint(1, max(1, len(arg) - 1))
            return Case("price_per_mtok", (arg[:i] + "_" + arg[i:], unit), refuse=True)  # "1_0"
        if mut < 0.55:
            return Case("price_per_mtok", (_unicode_digits(arg, rng), unit), refuse=True)
        if mut < 0.8:
            return Case("price_per_mtok", (_insert_control(arg, rng), unit), refuse=True)
        return Case("price_per_mtok", (_random_noise(arg, rng), unit))
    ok = clean and _price_in_range(true) and _terminates_within_9(true)
    return Case("price_per_mtok", (arg, unit), _price_check(true), must_accept=ok)


_PER_M = [" per M", " per 1M tokens", " / MTok", "/1M tokens", " per million tokens", " per 1 million tokens",
          " per 1,000,000 tokens", " per 1000000 tokens", " / 1M input tokens", " per M output tokens", " /mtok"]
_PER_K = [" per 1K tokens", " per K tokens", " / 1K tokens", " per 1,000 tokens", " per 1000 tokens",
          " per thousand tokens", " / ktok"]
_PER_TOKEN = [" per token", " / token", " per 1 token"]
_ODD_DIVISORS = [11_000, 500, 2_048, 3_000, 10_000, 11_000_000, 100, 10, 250_000, 7, 1_001, 2_000_000]


def _divisor_text(d: int, rng: random.Random) -> str:
    forms = [f" per {d} tokens", f" per {d:,} tokens", f"/{d} tokens"]
    if d % 1000 == 0:
        forms.append(f" per {d // 1000}K tokens")
    if d % 10**6 == 0:
        forms.append(f" per {d // 10**6}M tokens")
    return rng.choice(forms)


def _number_text(num: Decimal, rng: random.Random) -> tuple[str, bool]:
    """The number as a page may write it, and whether the reading rules must refuse it."""
    plain = _plain(num)
    r = rng.random()
    if r < 0.6:
        return plain, False
    if r < 0.8:  # thousands separators: "1,234.5" and "1,234,567" read; a lone "1,234" is ambiguous
        text = format(num, ",f")
        ambiguous = text.count(",") == 1 and "." not in text
        return text, ambiguous
    # a decimal comma: "0,027", "1,5" read; "1,234" (that is 1.234) is ambiguous
    text = plain.replace(".", ",")
    ambiguous = re.fullmatch(r"[1-9][0-9]{0,2},[0-9]{3}", text) is not None
    return text, ambiguous


def gen_price_text(rng: random.Random) -> Case:
    r = rng.random()
    if r < 0.1:
        divisor: int | None = None
        unit = ""
    elif r < 0.45:
        divisor, unit = 10**6, rng.choice(_PER_M)
    elif r < 0.7:
        divisor, unit = 10**3, rng.choice(_PER_K)
    elif r < 0.8:
        divisor, unit = 1, rng.choice(_PER_TOKEN)
    else:
        divisor = rng.choice(_ODD_DIVISORS)
        unit = _divisor_text(divisor, rng)
    per = divisor or 10**6
    # the number written: mostly a real price in that unit, sometimes any number
    if rng.random() < 0.7:
        p = _price_value(rng)
        num = p * per / Decimal(10**6)  # the number a page writes for that price in this unit
        if Fraction(num) != Fraction(p) * per / 10**6:  # not exact in 28 digits: write another
            num = _log_decimal(rng, -6, 4, 6)
    else:
        num = _log_decimal(rng, -8, 7, 7)
    num_text, ambiguous = _number_text(num, rng)
    prefix = rng.choice(["$", "$", "$ ", "USD ", "", "usd $", "$\u00a0"])
    text = _rand_case(f"{prefix}{num_text}{unit}", rng)
    true = Fraction(num) * 10**6 / per
    m = rng.random()
    if m < 0.06 and unit.strip():  # "per 1 1000 tokens": no single number of tokens
        glued = re.sub(r"(per|/) ?", lambda g: f"{g.group(0)}1 ", text, count=1)
        if re.search(r"(per|/) ?1 [0-9]", glued):
            return Case("parse_price_text", (glued,), refuse=True)
    if m < 0.1:
        return Case("parse_price_text", (_unicode_digits(text, rng),), refuse=any(c.isdigit() for c in text))
    if m < 0.14:
        return Case("parse_price_text", (_insert_control(text, rng),), refuse=True)
    if m < 0.16:
        return Case("parse_price_text", (f"€{num_text}{unit}",), refuse=True)
    if m < 0.18:
        return Case("parse_price_text", ("-" + text.lstrip(),), refuse=True)
    if m < 0.26:
        return Case("parse_price_text", (_random_noise(text, rng),))
    if ambiguous:
        return Case("parse_price_text", (text,), refuse=True)
    ok = _price_in_range(true) and _terminates_within_9(true)
    return Case("parse_price_text", (text,), _price_check(true), must_accept=ok)


def gen_tokens(rng: random.Random) -> Case:
    r = rng.random()
    n = rng.choice([8_192, 32_768, 128_000, 131_072, 200_000, 1_047_576, 1_000_000]) if r < 0.3 else \
        int(_log_decimal(rng, 0, 12, 7).to_integral_value()) or 1
    in_range = bounds.TOKENS.lo <= n <= bounds.TOKENS.hi
    forms: list[str] = [str(n), f"{n:,}", f"{n:_}", f"{n:,}".replace(",", " ")]
    if n % 1000 == 0:
        forms += [f"{n // 1000}K", f"{n // 1000}k", f"{_plain(Decimal(n).scaleb(-3))}K"]
    if n % 100 == 0 and n >= 1000:
        forms.append(f"{_plain(Decimal(n).scaleb(-3).normalize())}K")
    if n % 10**6 == 0:
        forms += [f"{n // 10**6}M", f"{n // 10**6}m"]
    if n % 10**5 == 0 and n >= 10**6:
        forms.append(f"{_plain(Decimal(n).scaleb(-6).normalize())}M")
    text = rng.choice(forms) + rng.choice(["", "", " tokens", "\u00a0tokens", " token"])
    m = rng.random()
    if m < 0.04:
        return Case("parse_tokens", (f"0,{n % 1000:03d}",), refuse=True)  # not a thousands grouping
    if m < 0.08:
        return Case("parse_tokens", (f"{rng.randint(1, 9)} {rng.randint(1000, 9999)}",), refuse=True)  # "1 1000"
    if m < 0.12:
        return Case("parse_tokens", (_unicode_digits(text, rng),), refuse=True)
    if m < 0.15:
        return Case("parse_tokens", (_insert_control(text, rng),), refuse=True)
    if m < 0.17:
        return Case("parse_tokens", (f"{rng.randint(1, 99)}_{rng.randint(0, 9)}",), refuse=True)  # "1_0"
    if m < 0.19:
        return Case("parse_tokens", (f"1e{rng.randint(1, 40)}",), refuse=True)
    if m < 0.27:
        return Case("parse_tokens", (_random_noise(text, rng),))
    arg: Any = n if m < 0.35 else text
    if not in_range:
        return Case("parse_tokens", (arg,), refuse=True)
    return Case("parse_tokens", (arg,), _equals(n), must_accept=True)


_MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                "October", "November", "December"]


def _random_date(rng: random.Random) -> date:
    r = rng.random()
    if r < 0.03:
        return rng.choice([date(1, 1, 1), date(9999, 12, 31), date(1970, 1, 1), date(1999, 12, 31)])
    return date(1990, 1, 1) + timedelta(days=rng.randint(0, 365 * 52))


def gen_date(rng: random.Random) -> Case:
    d = _random_date(rng)
    lo, hi = _date_range()
    in_range = lo <= d <= hi
    epoch_days = (d - date(1970, 1, 1)).days
    seconds = epoch_days * 86_400 + rng.randint(0, 86_399)
    month = _MONTH_NAMES[d.month - 1]
    forms: list[Any] = [
        d.isoformat(), f"{d.isoformat()}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z",
        f"{d.isoformat()}T12:00:00+00:00", f"{month} {d.day}, {d.year}", f"{month[:3]} {d.day}, {d.year}",
        f"{d.day} {month} {d.year}", f"{d.year}/{d.month:02d}/{d.day:02d}",
    ]
    if d.year >= 1000:
        forms += [seconds, str(seconds)]
    arg = rng.choice(forms)
    m = rng.random()
    if m < 0.05 and d.year >= 1971:
        return Case("parse_date", (seconds * 1000,), refuse=True)  # milliseconds: year 50000+
    if m < 0.08:
        return Case("parse_date", (_unicode_digits(str(arg), rng),), refuse=True)
    if m < 0.11 and isinstance(arg, str):
        return Case("parse_date", (_insert_control(arg, rng),), refuse=True)
    if m < 0.16:
        return Case("parse_date", (_random_noise(str(arg), rng),))
    if not in_range:
        return Case("parse_date", (arg,), refuse=True)
    return Case("parse_date", (arg,), _equals(d), must_accept=True)


def gen_partial_date(rng: random.Random) -> Case:
    d = _random_date(rng)
    lo, hi = _date_range()
    month = _MONTH_NAMES[d.month - 1]
    if rng.random() < 0.3:
        arg, want, first = d.isoformat(), d.isoformat(), d
    else:
        arg = rng.choice([f"{d.year:04d}-{d.month:02d}", f"{d.year:04d}/{d.month}", f"{month} {d.year:04d}",
                          f"{month[:3]} {d.year:04d}"])
        want, first = f"{d.year:04d}-{d.month:02d}", d.replace(day=1)
    m = rng.random()
    if m < 0.05:
        return Case("parse_partial_date", (_unicode_digits(arg, rng),), refuse=True)
    if m < 0.08:
        return Case("parse_partial_date", (_insert_control(arg, rng),), refuse=True)
    if m < 0.13:
        return Case("parse_partial_date", (_random_noise(arg, rng),))
    if not lo <= first <= hi:
        return Case("parse_partial_date", (arg,), refuse=True)
    return Case("parse_partial_date", (arg,), _equals(want), must_accept=True)


def gen_parameters(rng: random.Random) -> Case:
    r = rng.random()
    if r < 0.2:  # mixture of experts: "8x22B"
        experts = rng.randint(1, 300)
        size_text = rng.choice(["7", "22", "1.5", "0.5", "3.8", "17"])
        unit = rng.choice(["B", "b", "M", "T"])
        size = Fraction(size_text) * _UNIT_VALUE[unit.upper()]
        text = f"{experts}{rng.choice(['x', ' x ', '×'])}{size_text}{unit}"
        ok_size = size.denominator == 1 and bounds.PARAMETERS.lo <= size <= bounds.PARAMETERS.hi

        def check_moe(p: Any) -> str | None:
            got = (p.total, p.experts, p.expert_size)
            return None if got == (None, experts, int(size)) else f"read {got}, want (None, {experts}, {size})"
        if not ok_size:
            return Case("parse_parameters", (text,), refuse=True)
        return Case("parse_parameters", (text,), check_moe, must_accept=True)
    n_dec = _log_decimal(rng, 2, 16, 4)
    unit = rng.choice(["", "K", "M", "B", "T"])
    shown = n_dec.scaleb(-{"": 0, "K": 3, "M": 6, "B": 9, "T": 12}[unit])
    total = Fraction(n_dec)
    text = f"{_plain(shown)}{unit}" if unit else (rng.choice([str(int(n_dec)), f"{int(n_dec):,}"]) if total.denominator == 1 else _plain(n_dec))
    m = rng.random()
    if m < 0.05:
        return Case("parse_parameters", (_unicode_digits(text, rng),), refuse=True)
    if m < 0.08:
        return Case("parse_parameters", (_insert_control(text, rng),), refuse=True)
    if m < 0.15:
        return Case("parse_parameters", (_random_noise(text, rng),))
    if total.denominator != 1 or not bounds.PARAMETERS.lo <= total <= bounds.PARAMETERS.hi:
        return Case("parse_parameters", (text,), refuse=True)

    def check(p: Any) -> str | None:
        return None if p.total == int(total) and p.experts is None else f"read {p.total}, want {int(total)}"
    return Case("parse_parameters", (text,), check, must_accept=True)


def gen_labels(rng: random.Random) -> Case:
    r = rng.random()
    if r < 0.3:
        n = int(_log_decimal(rng, 0, 14, 8).to_integral_value()) or 1

        def within5(label: Any) -> str | None:
            v = _label_value(label)
            return None if v is not None and abs(v - n) <= Fraction(n, 20) else f"label {label!r} of {n}: >5% off"
        return Case("token_label", (n,), within5)
    if r < 0.55:
        n = int(_log_decimal(rng, 0, 16, 12).to_integral_value()) or 1

        def truncated(label: Any) -> str | None:
            v = _label_value(label)
            return None if v is not None and v <= n and n - v < Fraction(n, 100) else f"label {label!r} of {n}"
        return Case("parameters_label", (n,), truncated)
    if r < 0.8:
        d = Decimal(0) if rng.random() < 0.05 else _log_decimal(rng, -12, 9, 10)

        def label_ok(label: Any) -> str | None:
            if not isinstance(label, str) or not label.startswith("$"):
                return f"label {label!r}"
            v = Fraction(Decimal(label[1:].replace(",", "")))
            f = Fraction(d)
            if f >= Fraction(1, 100) or f == 0:
                want = Fraction(math.floor(f * 100 + Fraction(1, 2)), 100)  # half up to cents
                return None if v == want else f"label {label!r} of {d}, want {float(want)}"
            return None if 0 < v <= f and f - v < f / 100 else f"label {label!r} of {d}"
        return Case("price_label", (d,), label_ok)
    d = _log_decimal(rng, -40, 40, 30)
    if rng.random() < 0.5:
        d = -d

    def round_trip(text: Any) -> str | None:
        return None if isinstance(text, str) and "e" not in text.lower() and Decimal(text) == d else f"{text!r} != {d}"
    return Case("decimal_text", (d,), round_trip)


_IDS = ["openai/gpt-4o", "gpt-4o-mini", "anthropic.claude-3-haiku-20240307-v1:0", "@cf/meta/llama-3.2-1b-instruct",
        "meta-llama/Llama-3.2-1B-Instruct", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5@20250929",
        "accounts/fireworks/models/llama-v3p1-8b-instruct", "deepseek-chat", "mistral.mistral-7b-instruct-v0:2",
        "qwen/qwen2.5-72b-instruct:free", "some-new-model"]
_PROVIDERS: list[str | None] = ["openai", "aws-bedrock", "cloudflare-workers-ai", "openrouter", "fireworks", None]


def gen_ids(rng: random.Random) -> Case:
    pid = rng.choice(_IDS)
    provider = rng.choice(_PROVIDERS)
    r = rng.random()
    if r < 0.5:
        bad = _insert_control(pid, rng)

        def never(_: Any) -> str | None:
            return "an id with a control/bidi character was read"
        return Case("resolve", (bad, provider, None, provider), never, refuse=True)
    if r < 0.6 and provider:
        return Case("resolve", (pid, _insert_control(provider, rng), None, provider), refuse=True)
    text = _random_noise(pid, rng) if r < 0.8 else pid

    def safe(ident: Any) -> str | None:
        bad = bounds.unsafe_chars(ident.model_id)
        return f"model id {ident.model_id!r} has {bad}" if bad else None
    return Case("resolve", (text, provider, None, provider), safe)


_LICENSES = ["apache-2.0", "MIT", "llama3.2", "Llama 3.1 Community License", "cc-by-nc-4.0", "openrail", "gemma",
             "Proprietary", "Some Custom License"]


def gen_license(rng: random.Random) -> Case:
    text = rng.choice(_LICENSES)
    r = rng.random()
    if r < 0.3:
        return Case("normalize_license", (_insert_control(text, rng),), refuse=True)
    if r < 0.5:
        text = _random_noise(text, rng)

    def safe(lic: Any) -> str | None:
        return f"license {lic!r} has unsafe characters" if bounds.unsafe_chars(lic) else None
    return Case("normalize_license", (text,), safe)


HOSTILE: list[Any] = [
    None, True, False, 1.5, float("nan"), float("inf"), b"1", [], {}, "", " ", "\t\n", "NaN", "nan", "Infinity",
    "-Infinity", "sNaN", "inf", "1e999999", "1e-999999", "1e9999999999999999999", "-1e999999", "9" * 5000,
    "1" * 100_000, "0." + "0" * 5000 + "1", "١٢٣", "١٢٣K", "１２８K", "１２８", "\x00", "12\x0034", "1_0", "0,027", "1,234",
    "$1 per 11000 tokens", "$2 per 1 1000 tokens", "$ 0,027 per M", "per 11,000,000", Decimal("NaN"),
    Decimal("sNaN"), Decimal("Infinity"), Decimal("1e999999"), Decimal("1e-999999"), Decimal("-0"),
    Decimal("1E+999999999999999999"), 10**5000, -(10**5000), 2**63, -1, 0, "99999999999", "0001-01-01",
    "9999-12-31T23:00-05:00", "2024-02-30", "0001-01", "9999-12", "²", "½", "Ⅻ", "1e30", "1E+13", "1e-16",
    "\u202e128K", "128K\u200e", "$\u20661\u2069", "\ud800", "gpt-4o\x00", "\u2028",
    "$" + "1," * 400 + "000", "8x" + "9" * 50 + "B", "9" * 40 + "T", "1." + "9" * 60 + "B",
]


def gen_hostile(rng: random.Random) -> Case:
    fn = rng.choice(list(FUNCS))
    value = rng.choice(HOSTILE)
    if fn == "price_per_mtok":
        return Case(fn, (value, rng.choice(["token", "ktok", "mtok", "gtok", None])))
    if fn == "resolve":
        return Case(fn, (value, rng.choice(_PROVIDERS)))
    return Case(fn, (value,))


GENERATORS: list[tuple[float, Callable[[random.Random], Case]]] = [
    (0.16, gen_price_per_mtok), (0.22, gen_price_text), (0.12, gen_tokens), (0.1, gen_date),
    (0.06, gen_partial_date), (0.07, gen_parameters), (0.1, gen_labels), (0.05, gen_ids), (0.03, gen_license),
    (0.09, gen_hostile),
]

# ---------------------------------------------------------------------------------------------
# judging


def _out_of_range(fn: str, r: Any) -> str | None:
    """Why a returned value is outside the ranges table (pipeline.bounds), None when inside."""
    if fn in ("price_per_mtok", "parse_price_text"):
        return bounds.violation("price", r) if isinstance(r, Decimal) else f"returned {type(r).__name__}"
    if fn == "parse_tokens":
        return bounds.violation("token count", r) if type(r) is int else f"returned {type(r).__name__}"
    if fn == "parse_date":
        return bounds.violation("date", r) if type(r) is date else f"returned {type(r).__name__}"
    if fn == "parse_partial_date":
        return bounds.violation("partial date", r) if isinstance(r, str) else f"returned {type(r).__name__}"
    if fn == "parse_parameters":
        for name, v in (("parameter count", r.total), ("parameter count", r.expert_size), ("experts", r.experts)):
            if v is not None and (why := bounds.violation(name, v)):
                return why
    if fn == "is_unknown" and type(r) is not bool:
        return f"returned {type(r).__name__}"
    return None


def _show(args: tuple[Any, ...]) -> str:
    text = ", ".join(repr(a) if not (isinstance(a, int) and a.bit_length() > 600) else f"<{a.bit_length()}-bit int>"
                     for a in args)
    return text if len(text) <= 160 else f"{text[:150]}...({len(text)} chars)"


def run(n: int, seed: int, examples: int = 5) -> dict[str, Any]:
    """Feed ``n`` generated inputs; the figures and the first ``examples`` of each kind."""
    rng = random.Random(seed)
    weights = [w for w, _ in GENERATORS]
    gens = [g for _, g in GENERATORS]
    counts = {"crashes": 0, "out_of_range": 0, "wrong": 0, "refused": 0, "refused_valid": 0}
    shown: dict[str, list[dict[str, str]]] = {k: [] for k in counts}
    per_fn: dict[str, int] = {}

    def note(kind: str, case: Case, detail: str) -> None:
        counts[kind] += 1
        if len(shown[kind]) < examples:
            shown[kind].append({"fn": case.fn, "input": _show(case.args), "detail": detail[:300]})

    for _ in range(n):
        case = rng.choices(gens, weights)[0](rng)
        per_fn[case.fn] = per_fn.get(case.fn, 0) + 1
        try:
            result = FUNCS[case.fn](*case.args)
        except LedgerError as e:
            note("refused", case, str(e))
            if case.must_accept:
                note("refused_valid", case, str(e))
            continue
        except Exception as e:  # noqa: BLE001 - the count this script exists for
            note("crashes", case, f"{type(e).__name__}: {e}")
            continue
        if (why := _out_of_range(case.fn, result)):
            note("out_of_range", case, why)
        if case.refuse:
            note("wrong", case, f"must be refused, read {result!r}")
        elif case.check is not None and (why := case.check(result)):
            note("wrong", case, why)
    return {"inputs": n, **counts, "per_function": dict(sorted(per_fn.items())), "examples": shown}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100_000, help="inputs to feed (default 100,000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="20,000 inputs")
    args = ap.parse_args(argv)
    n = 20_000 if args.quick else args.n
    started = time.perf_counter()
    figures = run(n, args.seed)
    figures["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(figures, ensure_ascii=True))
    return 1 if figures["crashes"] or figures["wrong"] else 0


if __name__ == "__main__":
    sys.exit(main())
