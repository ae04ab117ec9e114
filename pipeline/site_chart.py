"""Price-history charts for the static site, rendered at build time as inline SVG text.

No JavaScript and no external assets: the page works offline and the chart is part of the HTML.
The input is the `price_history` list of an export model file (JSON already parsed, prices as
decimal strings in USD per 1M tokens):

    [{"provider": {"id": "aws-bedrock", "name": "AWS Bedrock"}, "variant": "us-east-1", "current": false,
      "points": [{"valid_from": "2026-04-24T06:00:00Z", "valid_to": "2026-06-04T06:00:00Z",
                  "input_usd_per_mtok": "0.1", ...}]}, ...]

- Prices stay `Decimal` for every number that is printed; floats are used only for pixel coordinates.
- A point applies from valid_from until valid_to; an open point (valid_to null) until the end of `as_of`.
- One step line (`<path>` of absolute M/L commands) per series (provider + variant), sorted by provider
  name then variant; a series without a single priced point is left out.
- Accessible: role="img", a <title> and a <desc> stating the data in words, a legend that tells
  series apart by colour *and* dash pattern, a <title> on every step marker for hovering.
- Deterministic: the same input gives the same bytes (no clock, no randomness, sorted everything).
"""
from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from html import escape
from typing import Any

__all__ = ["DASHES", "PALETTE", "price_history_svg"]

# Every colour has at least 3:1 contrast on white (WCAG 2.x non-text contrast, 1.4.11);
# tests/test_site_chart.py recomputes the ratios.
PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # green
    "#AD4A8E",  # reddish purple
    "#8F6A00",  # ochre
    "#6A3D9A",  # purple
    "#4D4D4D",  # dark grey
    "#D62728",  # red
)
# One dash pattern per palette colour, so the first eight series differ in both; "" is solid.
DASHES: tuple[str, ...] = ("", "8 4", "2 3", "8 3 2 3", "14 4", "4 4", "12 3 2 3 2 3", "1 3")

# Layout in viewBox units; the SVG scales to its container (width="100%").
_WIDTH = 720
_MARGIN_LEFT = 64   # room for y labels like "$0.0025"
_MARGIN_RIGHT = 40  # half an x label: the last tick's date is centred on it
_MARGIN_TOP = 28    # the y-axis caption sits above the plot
_PLOT_HEIGHT = 260
_PLOT_WIDTH = _WIDTH - _MARGIN_LEFT - _MARGIN_RIGHT
_LEGEND_GAP = 40    # from the x axis to the first legend row (x labels live in between)
_LEGEND_ROW = 20
_CHAR_WIDTH = 7     # generous average glyph width at font-size 12: legend columns never overlap
_LEGEND_LABEL_MAX = 80
_MAX_X_TICKS = 6
_FONT = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"  # installed fonts only, none fetched


@dataclass(frozen=True)
class _Point:
    start: datetime
    end: datetime | None  # None: still valid (open)
    price: Decimal


@dataclass(frozen=True)
class _Series:
    label: str
    points: tuple[_Point, ...]


def price_history_svg(series: list[dict], as_of: date, *, title: str, field: str = "input_usd_per_mtok",
                      label: str = "Input price") -> str:
    """The price history of one model as an inline `<svg>` (or a `<p class="no-data">` when no series
    has a price in `field`). `title` names the chart (its <title>); `label` names the price shown."""
    horizon = datetime.combine(as_of + timedelta(days=1), time(0), tzinfo=UTC)  # the end of the as_of day
    lines = _series(series, field, horizon)
    if not lines:
        return f'<p class="no-data">No price history for {escape(title)}.</p>'

    start = min(p.start for s in lines for p in s.points)
    top, y_ticks = _y_scale(max(p.price for s in lines for p in s.points))
    uid = "price-chart-" + hashlib.sha256(f"{title}\x00{field}".encode()).hexdigest()[:12]

    def x_of(t: datetime) -> float:
        return _MARGIN_LEFT + (t - start) / (horizon - start) * _PLOT_WIDTH

    def y_of(price: Decimal) -> float:
        return _MARGIN_TOP + _PLOT_HEIGHT - float(price / top) * _PLOT_HEIGHT

    bottom = _MARGIN_TOP + _PLOT_HEIGHT
    legend_cols, legend_rows = _legend_grid([s.label for s in lines])
    height = bottom + _LEGEND_GAP + legend_rows * _LEGEND_ROW

    out: list[str] = [
        (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{uid}-title {uid}-desc" '
         f'class="price-chart" viewBox="0 0 {_WIDTH} {height}" width="100%" '
         f'font-family="{_FONT}" font-size="12">'),
        f'<title id="{uid}-title">{escape(title)}</title>',
        f'<desc id="{uid}-desc">{escape(_describe(lines, label, start, as_of))}</desc>',
        f'<text x="{_MARGIN_LEFT}" y="{_MARGIN_TOP - 12}" fill="#333">{escape(label)} (USD per 1M tokens)</text>',
    ]

    # y axis: gridlines at each tick, $0 at the bottom
    out.append('<g class="y-axis">')
    for value in y_ticks:
        y = _n(y_of(value))
        out.append(f'<line x1="{_MARGIN_LEFT}" y1="{y}" x2="{_MARGIN_LEFT + _PLOT_WIDTH}" y2="{y}" '
                   f'stroke="{"#555555" if value == 0 else "#DDDDDD"}" stroke-width="1"/>')
        out.append(f'<text class="y-tick" x="{_MARGIN_LEFT - 6}" y="{y}" text-anchor="end" '
                   f'dominant-baseline="middle" fill="#333">{escape(_tick_label(value, y_ticks[1]))}</text>')
    out.append('</g>')

    # x axis: dated ticks under the plot
    out.append('<g class="x-axis">')
    out.append(f'<line x1="{_MARGIN_LEFT}" y1="{bottom}" x2="{_MARGIN_LEFT}" y2="{_MARGIN_TOP}" '
               f'stroke="#555555" stroke-width="1"/>')
    for tick in _x_ticks(start, horizon):
        x = _n(x_of(tick))
        out.append(f'<line x1="{x}" y1="{bottom}" x2="{x}" y2="{bottom + 5}" stroke="#555555" stroke-width="1"/>')
        out.append(f'<text class="x-tick" x="{x}" y="{bottom + 18}" text-anchor="middle" fill="#333">'
                   f'{tick.date().isoformat()}</text>')
    out.append('</g>')

    for i, line in enumerate(lines):
        colour, dash = _style(i)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<g class="series" data-label="{escape(line.label)}">')
        out.append(f'<path class="series-line" d="{_step_path(line.points, horizon, x_of, y_of)}" fill="none" '
                   f'stroke="{colour}" stroke-width="2"{dash_attr} stroke-linejoin="round"/>')
        # one marker per price step: hovering shows its value and dates
        for p in line.points:  # the stated dates (not the clipped ones the path uses)
            out.append(f'<circle class="step-marker" cx="{_n(x_of(p.start))}" cy="{_n(y_of(p.price))}" r="3.5" '
                       f'fill="{colour}"><title>{escape(f"{line.label}: {_point_text(p)}")}</title></circle>')
        out.append('</g>')

    # legend under the x labels: a line sample in the series' colour and dash, then its name
    out.append('<g class="legend">')
    col_width = _PLOT_WIDTH // legend_cols
    for i, line in enumerate(lines):
        colour, dash = _style(i)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        x = _MARGIN_LEFT + (i % legend_cols) * col_width
        y = bottom + _LEGEND_GAP + (i // legend_cols) * _LEGEND_ROW
        out.append(f'<g class="legend-entry"><line x1="{x}" y1="{y}" x2="{x + 28}" y2="{y}" stroke="{colour}" '
                   f'stroke-width="2"{dash_attr}/><text x="{x + 36}" y="{y}" dominant-baseline="middle" '
                   f'fill="#333">{escape(_shorten(line.label))}</text></g>')
    out.append('</g>')
    out.append('</svg>')
    return "\n".join(out)


# --- input ------------------------------------------------------------------------------------------

def _series(raw: Sequence[Mapping[str, Any]], field: str, horizon: datetime) -> list[_Series]:
    """The priced series, sorted by provider name then variant (the id breaks ties, for stable bytes)."""
    keyed: list[tuple[tuple[str, str, str, str], _Series]] = []
    for entry in raw:
        provider = entry.get("provider") or {}
        name = str(provider.get("name") or provider.get("id") or "Unknown provider")
        variant = str(entry.get("variant") or "")
        points: list[_Point] = []
        for point in entry.get("points") or []:
            price = _price(point.get(field), field)
            if price is None:
                continue  # unpriced in this field (e.g. no cache-write price): a gap, not a zero
            start = _instant(point.get("valid_from"), "valid_from")
            if start >= horizon:
                continue  # starts after the as_of day: not history yet
            end = None if point.get("valid_to") is None else _instant(point["valid_to"], "valid_to")
            points.append(_Point(start, end, price))
        if not points:
            continue
        points.sort(key=lambda p: (p.start, p.end is None, p.end or p.start, p.price))
        line = _Series(f"{name} ({variant})" if variant else name, tuple(points))
        keyed.append(((name.casefold(), name, variant, str(provider.get("id") or "")), line))
    keyed.sort(key=lambda kv: kv[0])
    return [line for _, line in keyed]


def _price(value: Any, field: str) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool | float):
        # floats have already lost the exact price; the export writes strings
        raise TypeError(f"{field}: expected a decimal string, got {value!r}")
    try:
        price = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{field}: not a decimal: {value!r}") from None
    if not price.is_finite() or price < 0:
        raise ValueError(f"{field}: not a price: {value!r}")
    return price


def _instant(value: Any, name: str) -> datetime:
    try:
        t = datetime.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{name}: not an ISO timestamp: {value!r}") from None
    # the export writes UTC ("...Z"); a naive timestamp is read as UTC too
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


# --- scales and labels ------------------------------------------------------------------------------

def _y_scale(maximum: Decimal) -> tuple[Decimal, list[Decimal]]:
    """A top of 1, 2 or 5 times a power of ten times 2..4 steps, >= maximum: ticks $0 .. top."""
    if maximum <= 0:
        step = Decimal("0.5")  # all free: still draw a readable $0..$1 axis
        return Decimal(1), [Decimal(0), step, Decimal(1)]
    raw = maximum / 4  # aim for about four intervals
    base = Decimal(1).scaleb(raw.adjusted())
    step = next(m * base for m in (Decimal(1), Decimal(2), Decimal(5), Decimal(10)) if m * base >= raw)
    count = int((maximum / step).to_integral_value(rounding=ROUND_CEILING))
    while count * step < maximum:  # a maximum with more digits than the context keeps
        count += 1
    return count * step, [step * k for k in range(count + 1)]


def _tick_label(value: Decimal, step: Decimal) -> str:
    """"$0", "$5", "$15"; "$0.50", "$1.10"; "$0.005" (as many places as the step needs, at least cents)."""
    if value == 0:
        return "$0"
    exponent = step.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    if exponent >= 0:
        return f"${value:,.0f}"
    return f"${value:,.{max(2, -exponent)}f}"


def _exact(price: Decimal) -> str:
    """The price as the source states it: "$0.027", "$0.1", "$15" (no exponent, no trailing zeros)."""
    text = format(price.normalize(), "f")
    return f"${text}"


def _point_text(p: _Point) -> str:
    text = f"{_exact(p.price)} from {p.start.date().isoformat()}"
    return text if p.end is None else f"{text} to {p.end.date().isoformat()}"


def _describe(lines: Sequence[_Series], label: str, start: datetime, as_of: date) -> str:
    parts = [f"{s.label}: {', '.join(_point_text(p) for p in s.points)}" for s in lines]
    return (f"{label} in USD per 1M tokens, {start.date().isoformat()} to {as_of.isoformat()}. "
            + "; ".join(parts) + ".")


def _x_ticks(start: datetime, end: datetime) -> list[datetime]:
    """Midnights in [start, end) on a calendar grid (days, then months), at most _MAX_X_TICKS of them.

    Aligned to the calendar rather than to `start`, so a chart built a day later keeps its ticks."""
    first_day = start.date() if start.time() == time(0) else start.date() + timedelta(days=1)
    last_day = (end - timedelta(microseconds=1)).date()
    for step in (1, 2, 7, 14):
        days = [first_day + timedelta(days=k) for k in range((last_day - first_day).days + 1)]
        ticks = [d for d in days if d.toordinal() % step == 0]
        if len(ticks) <= _MAX_X_TICKS:
            return [datetime.combine(d, time(0), tzinfo=UTC) for d in ticks] or [start]
    for months in (1, 2, 3, 6, 12, 24, 60, 120, 600, 1200):
        index = first_day.year * 12 + first_day.month - 1 + (first_day.day != 1)  # first whole month
        ticks = []
        while (index // 12, index % 12 + 1) <= (last_day.year, last_day.month):
            if index % months == 0:
                ticks.append(date(index // 12, index % 12 + 1, 1))
            index += 1
        if len(ticks) <= _MAX_X_TICKS or months == 1200:
            return [datetime.combine(d, time(0), tzinfo=UTC) for d in ticks] or [start]
    return [start]  # pragma: no cover - the loop always returns


# --- drawing ----------------------------------------------------------------------------------------

def _clipped(points: Sequence[_Point], horizon: datetime) -> list[_Point]:
    """The points as drawn: each ends at its valid_to, the next point's start if they overlap, or the
    horizon (open points, and anything valid past the as_of day)."""
    out: list[_Point] = []
    for i, p in enumerate(points):
        end = horizon if p.end is None else min(p.end, horizon)
        if i + 1 < len(points):
            end = min(end, points[i + 1].start)  # overlapping rows: the newer price wins from its start
        out.append(_Point(p.start, max(end, p.start), p.price))
    return out


def _step_path(points: Sequence[_Point], horizon: datetime, x_of: Callable[[datetime], float],
               y_of: Callable[[Decimal], float]) -> str:
    """Absolute M/L commands: a horizontal run per price, a vertical riser where the price changes,
    a new M where the history has a gap (no price in between)."""
    commands: list[str] = []
    previous_end: datetime | None = None
    for p in _clipped(points, horizon):
        y = _n(y_of(p.price))
        verb = "L" if previous_end is not None and p.start <= previous_end else "M"
        commands.append(f"{verb} {_n(x_of(p.start))},{y}")
        assert p.end is not None
        commands.append(f"L {_n(x_of(p.end))},{y}")
        previous_end = p.end
    return " ".join(commands)


def _style(index: int) -> tuple[str, str]:
    """Colour and dash of the index-th series: past the palette the colours repeat with a shifted dash."""
    return PALETTE[index % len(PALETTE)], DASHES[(index + index // len(PALETTE)) % len(DASHES)]


def _legend_grid(labels: Sequence[str]) -> tuple[int, int]:
    """(columns, rows) so that the widest label fits its column."""
    widest = max(len(_shorten(text)) for text in labels)
    entry = 36 + widest * _CHAR_WIDTH + 24
    cols = max(1, min(len(labels), _PLOT_WIDTH // entry))
    return cols, math.ceil(len(labels) / cols)


def _shorten(text: str) -> str:
    return text if len(text) <= _LEGEND_LABEL_MAX else text[:_LEGEND_LABEL_MAX - 1] + "…"


def _n(value: float) -> str:
    """A coordinate with two decimals and no "-0.00": short, and stable across platforms."""
    text = f"{value:.2f}"
    return "0.00" if text == "-0.00" else text
