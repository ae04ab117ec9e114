"""How the CLI writes values: one formatter for money, numbers, flags and unknowns, table cells that
Rich never reads as markup, and JSON.

- No exponent ever: Decimal("2E+1") is "20", Decimal("1.5E+2") is "150", 1e-05 is "0.00001".
- Prices per 1M tokens are exact, with at least cents: "$0.027", "$10.00", "$1.10", "$0.0792".
- Money totals (a month at the traffic profile, a gap) are cents: "$1,908.15", "$71.85".
- Counts have separators ("131,072"); flags are yes / no / unknown; a missing value is "unknown".
- A percent over 100 carries the multiplier beside it: "3974.07% cheaper (40.7× cheaper)".

The exports keep their own labels (pipeline/normalize.py `price_label`, report.py `money`): this
module is for the terminal only.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from rich.text import Text

from pipeline.normalize import decimal_text
from pipeline.report import move_text, percent_change

UNKNOWN = "unknown"


def _grouped(text: str) -> str:
    """Thousands separators in the whole part of an exact decimal text: "1234.5" -> "1,234.5"."""
    sign, body = ("-", text[1:]) if text.startswith("-") else ("", text)
    whole, dot, frac = body.partition(".")
    return f"{sign}{int(whole):,}{dot}{frac}"


def _decimal(value: Any) -> Decimal:
    # repr of a float is its shortest exact text (1e-05), which Decimal reads without loss of intent
    return value if isinstance(value, Decimal) else Decimal(repr(value) if isinstance(value, float) else str(value))


def number(value: Any) -> str:
    """A number written out: no exponent, no trailing zeros, separators: 131072 -> "131,072"."""
    if value is None:
        return UNKNOWN
    return _grouped(decimal_text(_decimal(value)))


def usd(value: Any) -> str:
    """An exact price per 1M tokens, never rounded, at least to the cent (so a column of prices
    reads alike): 0.027 -> "$0.027", 10 -> "$10.00", 1.1 -> "$1.10", 0.0792 -> "$0.0792"."""
    if value is None:
        return UNKNOWN
    d = _decimal(value)
    cents = d.quantize(Decimal("0.01"))
    return f"${_grouped(format(cents, 'f') if d == cents else decimal_text(d))}"


def usd_total(value: Any) -> str:
    """A money total in cents: 1908.145 -> "$1,908.15", 1980 -> "$1,980.00"."""
    if value is None:
        return UNKNOWN
    return f"${_decimal(value).quantize(Decimal('0.01'), ROUND_HALF_UP):,}"


def yes_no(value: Any) -> str:
    """True/"yes" -> "yes", False/"no" -> "no", None/"unknown" -> "unknown"."""
    if isinstance(value, str):
        return value if value in ("yes", "no") else UNKNOWN
    return UNKNOWN if value is None else "yes" if value else "no"


def tokens(count: int | None, label: str | None = None) -> str:
    """A token count with its label: "128K (131,072)"; "unknown" without one."""
    if not count:
        return UNKNOWN
    return f"{label} ({count:,})" if label else f"{count:,}"


def times(ratio: Any) -> str:
    """A ratio to one decimal: 40.74 -> "40.7×"."""
    return f"{number(_decimal(ratio).quantize(Decimal('0.1'), ROUND_HALF_UP))}×"


def percent(pct: Any) -> str:
    """A percent as the seed pages write it, exact, no separators: "3974.07%"."""
    return UNKNOWN if pct is None else f"{decimal_text(_decimal(pct))}%"


def multiplier(pct: Any, ratio: Any) -> str | None:
    """The multiplier to print beside a percent over 100 ("40.7×"): a price cannot be more than
    100% cheaper, so "3974.07% cheaper" reads right only with "40.7× cheaper" beside it."""
    return times(ratio) if pct is not None and ratio is not None and _decimal(pct) > 100 else None


def move(old: Decimal | None, new: Decimal | None) -> str:
    """A price move: "$0.10 -> $0.20 (+100.00%)", "$0.10 -> $1.10 (+1000.00%, 11× the old price)",
    or the reason a move has no percent ("$0.00 -> $0.10 (from $0: no percent)")."""
    pct = percent_change(old, new)
    why = move_text(old, new)
    times_old = multiplier(pct, None if pct is None else Decimal(new) / Decimal(old))  # type: ignore[arg-type]
    if times_old:
        why += f", {times_old} the old price"
    return f"{usd(old)} -> {usd(new)} ({why})"


def text(value: Any) -> str:
    """Any warehouse value as display text, by its type."""
    if value is None:
        return UNKNOWN
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, (int, float, Decimal)):
        return number(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M %Z").strip()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ", ".join(text(v) for v in value)
    return str(value)


def cell(value: Any, style: str = "") -> Text:
    """A table cell: plain text, never Rich markup ("[us-east-1]" stays as it is)."""
    return value if isinstance(value, Text) else Text(value if isinstance(value, str) else text(value), style=style)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    raise TypeError(f"{type(value).__name__} is not JSON")


def to_json(payload: Mapping[str, Any]) -> str:
    """JSON for `--json`: exact decimals as strings ("0.027"), dates as ISO text, no markup."""
    return json.dumps(payload, default=_plain, indent=2, ensure_ascii=False)
