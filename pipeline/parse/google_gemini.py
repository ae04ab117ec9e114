"""Gemini API: the Markdown source of the pricing page (ai.google.dev/gemini-api/docs/pricing.md.txt).

The page has one ``## <model name>`` section per model, its API model code just below the
heading (``*[`gemini-2.5-pro`](...)*``), then one table per processing tier (``### Standard``,
``### Batch``; older sections have the table right under the heading)::

    |   | Free Tier | Paid Tier, per 1M tokens in USD |
    |---|---|---|
    | Input price | Free of charge | $1.25, prompts \\<= 200k tokens $2.50, prompts \\> 200k tokens |
    | Output price (including thinking tokens) | Free of charge | $10.00, prompts \\<= 200k tokens ... |
    | Context caching price | Not available | $0.125, prompts \\<= 200k tokens ... $4.50 / 1,000,000 tokens per hour (storage price) |

Per model code of a section, from its Standard table:

- the **Paid Tier** column is the offer ``google-gemini`` / ``<code>``: input (row "Input
  price"), output ("Output price ...") and cached input ("Context caching price"). A cell holds
  one or more prices, each ``$<n>`` followed by its qualifier:
  - ``prompts <= 200k tokens`` / ``prompts > 200k tokens``: prices tiered by prompt size stay
    tiers. The ``<=`` price is the base price, the ``>`` price goes to
    ``*_usd_per_mtok_above_tier`` and the threshold to ``tier_threshold_tokens`` (never folded
    into the base price). Cached input has no above-tier field: skipped with a reason.
  - ``(text / image / video)``: the price of text input, read as the base price; a price for
    other modalities only (``(audio)``) has no field and is skipped with a reason.
  - ``/ 1,000,000 tokens per hour (storage price)``: cache storage, skipped with a reason.
  - anything else is a Problem naming the field: never a guessed number.
  A cell "Not available" states there is none: ``not_offered`` (a model with no paid input
  price is not sold on the paid tier and is skipped with a reason).
- the **Free Tier** column is the same offer with variant ``free`` (rate-limited, excluded from
  "cheapest" by the comparison config): "Free of charge" is a price of 0; "Not available" for
  input means there is no free tier for that model (skipped with a reason), for caching it is
  ``not_offered``.

Not read, each with a reason: Batch tables (the Batch API is not a tracked route), rows other
than the three token prices (grounding, "Used to improve our products"...), and sections that
price no input and output tokens (image, video and embedding models). ``items`` counts offers.

A page with no table that has a "Paid Tier" column is unusable: PageLayoutError.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from pydantic import ValidationError

from pipeline import normalize
from pipeline.config import SourceConfig
from pipeline.identity import IdentityError, resolve
from pipeline.models import Observation, PageLayoutError, ParseResult, Problem, RawPage

PROVIDER_ID = "google-gemini"
FREE_VARIANT = "free"
PAID_COLUMN = "paid tier"
FREE_COLUMN = "free tier"
# Row labels (lower-case prefixes) -> base field, and the field of the price above the tier.
ROW_FIELDS: tuple[tuple[tuple[str, ...], str, str | None], ...] = (
    (("input price", "text input price"), "input_usd_per_mtok", "input_usd_per_mtok_above_tier"),
    (("output price",), "output_usd_per_mtok", "output_usd_per_mtok_above_tier"),
    (("context caching price",), "cached_input_usd_per_mtok", None),
)
REQUIRED_FIELDS = ("input_usd_per_mtok", "output_usd_per_mtok")
NOT_AVAILABLE = "not available"
FREE_OF_CHARGE = "free of charge"

_CODE = re.compile(r"`([a-z0-9][a-z0-9.\-]*)`")
_PRICE_START = re.compile(r"\$\s*(?=\d|\.\d)")
_SEGMENT = re.compile(r"^(?P<price>\$\s*(?:\d+(?:\.\d+)?|\.\d+))\s*,?\s*(?P<q>.*)$")
_TIER = re.compile(r"^prompts?\s*(?P<op><=|≤|>)\s*(?P<n>\d[\d,.]*\s*[km]?)(?:\s*tokens?)?$", re.I)
_MODALITIES = re.compile(r"^\((?P<m>[^()]*)\)$")
_STORAGE = re.compile(r"per\s+hour|storage", re.I)


class _Out:
    def __init__(self, page: RawPage, source: SourceConfig) -> None:
        self.page = page
        self.source = source
        self.result = ParseResult()

    def problem(self, message: str, field: str | None = None, severity: str = "error") -> None:
        self.result.problems.append(Problem(
            source_id=self.source.id, url=self.page.url, field=field, message=message,
            severity=severity,  # type: ignore[arg-type]
        ))

    def offer(self, model_id: str, offer: tuple[str, str], field: str, raw: str | None,
              convert: Callable[[Any], str] | None, *, who: str, status: str = "known") -> bool:
        """One offer observation; ``convert=None`` with a non-known status states no value."""
        pmid, variant = offer
        try:
            value = convert(raw) if convert is not None else None
            obs = Observation(source_id=self.source.id, url=self.page.url, entity="offer", model_id=model_id,
                              provider_id=PROVIDER_ID, provider_model_id=pmid, variant=variant,
                              field=field, raw=raw, value=value, status=status)  # type: ignore[arg-type]
        except (ValueError, TypeError, ValidationError) as e:
            msg = "; ".join(x["msg"] for x in e.errors()) if isinstance(e, ValidationError) else str(e)
            self.problem(f"{who}: cannot read {field} from {raw!r}: {msg}", field=field)
            return False
        self.result.observations.append(obs)
        return True


# --- converters ---------------------------------------------------------------------------------

def _price(raw: str) -> str:
    return normalize.decimal_text(normalize.parse_price_text(raw))


def _segment_price(raw: str) -> str:
    """``$1.25, prompts <= 200k tokens`` -> ``1.25`` (the qualifier was read by the caller)."""
    m = _SEGMENT.match(raw)
    if m is None:
        raise ValueError("no $ price at the start")
    return _price(m.group("price"))


def _tokens(raw: str) -> str:
    return str(normalize.parse_tokens(raw))


def _free(_raw: str) -> str:
    return "0"  # "Free of charge"


# --- Markdown -----------------------------------------------------------------------------------

def _clean(cell: str) -> str:
    """A Markdown cell as plain text: no links, emphasis, tags or escapes (``\\<=`` -> ``<=``)."""
    # Escaped comparison signs first, so that "\\<= 200k ... \\>" is not taken for a tag.
    text = cell.replace("\\<", "&lt;").replace("\\>", "&gt;")
    text = re.sub(r"<br\s*/?>", " ", text)
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\\([\\`*_{}\[\]()#+\-.!<>|$])", r"\1", text)
    text = html.unescape(text).replace("**", "").replace("\u00a0", " ")
    return " ".join(text.split())


def _split_row(line: str) -> list[str]:
    body = line.strip()
    body = body[1:] if body.startswith("|") else body
    body = body[:-1] if body.endswith("|") and not body.endswith("\\|") else body
    return [c.strip() for c in re.split(r"(?<!\\)\|", body)]


@dataclass
class _Table:
    tier: str  # the ### heading above it within its section ("" when none)
    header: list[str]  # cleaned, lower-case
    rows: list[list[str]]  # cleaned cells


@dataclass
class _Section:
    title: str
    codes: list[str] = field(default_factory=list)
    tables: list[_Table] = field(default_factory=list)


def _sections(text: str) -> list[_Section]:
    """Every ``##`` section with the model codes written above its first table and its tables."""
    sections: list[_Section] = []
    current: _Section | None = None
    tier = ""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("## "):
            current = _Section(_clean(line[3:]))
            sections.append(current)
            tier = ""
        elif line.startswith("### ") and current is not None:
            tier = _clean(line[4:])
        elif (line.lstrip().startswith("|") and i + 1 < len(lines)
              and re.match(r"^\s*\|?\s*:?-{3,}", lines[i + 1])):
            header = [_clean(c).lower() for c in _split_row(line)]
            i += 2
            rows = []
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                rows.append([_clean(c) for c in _split_row(lines[i])])
                i += 1
            if current is None:
                current = _Section("")
                sections.append(current)
            current.tables.append(_Table(tier, header, rows))
            continue
        elif current is not None and not current.tables and not tier and line.lstrip().startswith("*"):
            # The code line: *[`gemini-2.5-pro`](...)* (a section may name several codes).
            current.codes.extend(c for c in _CODE.findall(line) if c not in current.codes)
        i += 1
    return sections


def _column(header: list[str], name: str) -> int | None:
    return next((i for i, h in enumerate(header) if name in h), None)


def _row_field(label: str) -> tuple[str, str | None] | None:
    key = label.lower()
    for prefixes, base, above in ROW_FIELDS:
        if key.startswith(prefixes):
            return base, above
    return None


# --- the page -----------------------------------------------------------------------------------

def parse(page: RawPage, source: SourceConfig) -> ParseResult:
    try:
        text = page.body().decode("utf-8")
    except UnicodeDecodeError as e:
        raise PageLayoutError(f"page is not UTF-8 text ({e})") from None
    sections = _sections(text)
    priced = [s for s in sections if any(_column(t.header, PAID_COLUMN) is not None for t in s.tables)]
    if not priced:
        raise PageLayoutError("no pricing table (a table with a 'Paid Tier, per 1M tokens in USD' column)")
    out = _Out(page, source)
    for section in priced:
        _section(out, section)
    return out.result


def _section(out: _Out, section: _Section) -> None:
    name = section.title or "(untitled section)"
    standard: _Table | None = None
    for table in section.tables:
        if _column(table.header, PAID_COLUMN) is None:
            out.problem(f"{name}: table ({' | '.join(table.header)}) has no Paid Tier column: not read",
                        severity="skip")
        elif table.tier.lower() in ("", "standard") and standard is None:
            standard = table
        else:
            out.problem(f"{name}: {table.tier or 'second'} prices (not a tracked route): not recorded",
                        severity="skip")
    if standard is None:
        return
    rows: dict[str, tuple[str, list[str]]] = {}  # base field -> (row label, cells)
    other: list[str] = []
    for row in standard.rows:
        label = row[0] if row else ""
        found = _row_field(label)
        if found is None:
            other.append(label)
        elif found[0] in rows:
            out.problem(f"{name}: two {found[0]} rows ({rows[found[0]][0]!r}, {label!r}): the second not read",
                        field=found[0])
        else:
            rows[found[0]] = (label, row)
    missing = [f for f in REQUIRED_FIELDS if f not in rows]
    if missing:
        out.problem(f"{name}: prices no {' / '.join(f.split('_')[0] for f in missing)} tokens "
                    "(not a text generation model): not recorded", severity="skip")
        return
    for label in other:
        out.problem(f"{name}: row {label!r} is not a per-token price: not read", severity="skip")
    if not section.codes:
        out.problem(f"{name}: the section names no model code (`gemini-...`) above its price table")
        return
    paid_col = _column(standard.header, PAID_COLUMN)
    assert paid_col is not None
    if not re.search(r"per\s+1\s*m\s+tokens", standard.header[paid_col]):
        out.problem(f"{name}: the Paid Tier column ({standard.header[paid_col]!r}) does not say its prices "
                    "are per 1M tokens: not read")
        return
    free_col = _column(standard.header, FREE_COLUMN)
    for code in section.codes:
        try:
            model_id = resolve(code, PROVIDER_ID).model_id
        except IdentityError as e:
            out.problem(f"{name}: {e}")
            continue
        _paid_offer(out, f"{code} ({name})", model_id, code, rows, paid_col)
        if free_col is not None:
            _free_offer(out, f"{code} ({name}, free tier)", model_id, code, rows, free_col)


def _cell(row: list[str], col: int) -> str:
    return row[col] if col < len(row) else ""


def _paid_offer(out: _Out, who: str, model_id: str, code: str, rows: dict[str, tuple[str, list[str]]],
                col: int) -> None:
    offer = (code, "")
    if _cell(rows["input_usd_per_mtok"][1], col).lower() == NOT_AVAILABLE:
        out.problem(f"{who}: not available on the paid tier: no offer", severity="skip")
        return
    yielded = False
    threshold: tuple[str, str] | None = None  # (raw, field it came from)
    for base, (_label, row) in rows.items():
        above = next(a for _p, b, a in ROW_FIELDS if b == base)
        cell = _cell(row, col)
        if normalize.is_unknown(cell):
            yielded |= out.offer(model_id, offer, base, cell, None, who=who, status="unknown")
            continue
        if cell.lower() == NOT_AVAILABLE:
            yielded |= out.offer(model_id, offer, base, cell, None, who=who, status="not_offered")
            continue
        found = _read_cell(out, who, base, cell)
        if found is None:
            continue
        base_raw, tier_raw, tier_n = found
        if base_raw is not None:
            yielded |= out.offer(model_id, offer, base, base_raw, _segment_price, who=who)
        if tier_raw is None:
            continue
        if above is None:
            out.problem(f"{who}: {base} above {tier_n} tokens ({tier_raw!r}) has no field: not recorded",
                        field=base, severity="skip")
            continue
        if threshold is None:
            threshold = (tier_n, base)
            out.offer(model_id, offer, "tier_threshold_tokens", tier_n, _tokens, who=who)
        elif _same_tokens(threshold[0], tier_n) is False:
            out.problem(f"{who}: {base} is tiered at {tier_n!r} tokens but {threshold[1]} at {threshold[0]!r}: "
                        "the tier is not recorded", field=above)
            continue
        out.offer(model_id, offer, above, tier_raw, _segment_price, who=who)
    if yielded:
        out.result.items += 1


def _same_tokens(a: str, b: str) -> bool | None:
    try:
        return normalize.parse_tokens(a) == normalize.parse_tokens(b)
    except ValueError:
        return None


def _read_cell(out: _Out, who: str, field: str, cell: str) -> tuple[str | None, str | None, str] | None:
    """(base price segment, above-tier price segment, tier threshold) of a paid price cell, or a
    Problem (None) when any part of it cannot be read."""
    starts = [m.start() for m in _PRICE_START.finditer(cell)]
    if not starts or cell[:starts[0]].strip():
        out.problem(f"{who}: cannot read {field} from {cell!r}: not one or more '$<price> <qualifier>' parts",
                    field=field)
        return None
    segments = [cell[a:b].strip() for a, b in zip(starts, starts[1:] + [len(cell)])]
    base: str | None = None
    above: str | None = None
    thresholds: dict[str, str] = {}
    for seg in segments:
        m = _SEGMENT.match(seg)
        q = m.group("q").strip() if m else seg
        tier = _TIER.match(q)
        modal = _MODALITIES.match(q)
        if m is None:
            kind = "unreadable"
        elif not q:
            kind = "base"
        elif tier:
            kind = "base" if tier.group("op") in ("<=", "≤") else "above"
            thresholds[kind] = tier.group("n")
        elif _STORAGE.search(q):
            out.problem(f"{who}: cache storage price {seg!r} has no field: not recorded", field=field,
                        severity="skip")
            continue
        elif modal and "text" in [x.strip().lower() for x in re.split(r"[/,]", modal.group("m"))]:
            kind = "base"  # the text (and image, video) price
        elif modal:
            out.problem(f"{who}: {field} for {modal.group('m')} only ({seg!r}) has no field: not recorded",
                        field=field, severity="skip")
            continue
        else:
            kind = "unreadable"
        if kind == "unreadable":
            out.problem(f"{who}: cannot read {field} from {cell!r}: part {seg!r} is not a price with a known "
                        "qualifier (prompt size tier, modalities, storage)", field=field)
            return None
        if (base if kind == "base" else above) is not None:
            out.problem(f"{who}: cannot read {field} from {cell!r}: two {kind} prices", field=field)
            return None
        if kind == "base":
            base = seg
        else:
            above = seg
    if above is not None:
        if "base" in thresholds and _same_tokens(thresholds["base"], thresholds["above"]) is False:
            out.problem(f"{who}: cannot read {field} from {cell!r}: tiers at {thresholds['base']!r} and "
                        f"{thresholds['above']!r} tokens do not meet", field=field)
            return None
        return base, above, thresholds["above"]
    return base, None, ""


def _free_offer(out: _Out, who: str, model_id: str, code: str, rows: dict[str, tuple[str, list[str]]],
                col: int) -> None:
    offer = (code, FREE_VARIANT)
    if _cell(rows["input_usd_per_mtok"][1], col).lower() == NOT_AVAILABLE:
        out.problem(f"{who}: no free tier", severity="skip")
        return
    yielded = False
    for base, (_label, row) in rows.items():
        cell = _cell(row, col)
        key = cell.lower()
        if key == FREE_OF_CHARGE:
            yielded |= out.offer(model_id, offer, base, cell, _free, who=who)
        elif key == NOT_AVAILABLE:
            yielded |= out.offer(model_id, offer, base, cell, None, who=who, status="not_offered")
        elif normalize.is_unknown(cell):
            yielded |= out.offer(model_id, offer, base, cell, None, who=who, status="unknown")
        else:
            out.problem(f"{who}: cannot read {base} from {cell!r}: the free tier states "
                        "'Free of charge' or 'Not available'", field=base)
    if yielded:
        out.result.items += 1
