"""Gemini API: the Markdown source of the pricing page (ai.google.dev/gemini-api/docs/pricing.md.txt).

The page has one ``## <model name>`` section per model, its API model codes on a line of their
own below the heading (``_`gemini-2.5-pro`_``, ``*[`gemini-2.5-pro`](...)*``; a section may name
several: ``_`gemini-3.1-pro-preview` and `gemini-3.1-pro-preview-customtools`_``), then one table
per service tier::

    |   | Free Tier | Paid Tier, per 1M tokens in USD |
    |---|---|---|
    | Input price | Free of charge | $1.25, prompts \\<= 200k tokens $2.50, prompts \\> 200k tokens |
    | Output price (including thinking tokens) | Free of charge | $10.00, prompts \\<= 200k tokens ... |
    | Context caching price | Not available | $0.125, prompts \\<= 200k tokens ... $4.50 / 1,000,000 tokens per hour (storage price) |

Which tier a table prices (Standard, Batch, Flex, Priority): the tier heading or tab label just
above it (``### Batch``), else the section's row of tabs (``[Standard](#standard)[Batch](#batch)...``)
matched to its tables in order; a section with one table and no tiers is Standard. A section whose
tables cannot be matched to its tiers, or that has no Standard table, is an error (layout).

Per model code of a section:

- the **Paid Tier** column of each tier's table is the offer ``google-gemini`` / ``<code>``:
  Standard is the base offer (variant ""), Batch / Flex / Priority the variants "batch", "flex",
  "priority". Rows: input ("Input price"), output ("Output price ...") and cached input ("Context
  caching price"). A cell holds one or more prices, each ``$<n>`` and what it is for:
  - ``prompts <= 200k tokens`` / ``prompts > 200k tokens``: a tier by prompt size. The ``<=``
    price is the base price, the ``>`` price goes to ``*_usd_per_mtok_above_tier`` and the
    threshold to ``tier_threshold_tokens`` (never folded into the base price). Cached input has
    no above-tier field: skipped with a reason.
  - ``(text / image / video)``, ``(text and thinking)``: a price that includes text, read as the
    base price; a price for other modalities only (``(audio)``, ``(images)``), a price per image,
    minute or second (``$0.039 per image``, ``$3.00 or $0.005/min (audio)``) and cache storage
    (``/ 1,000,000 tokens per hour``) have no per-token field: skipped, one skip per cell naming
    each part. ``/ 1,000,000 tokens`` is per 1M tokens; a leading "Same as Standard" is dropped
    (the prices follow it).
  - anything else is an error naming the field: never a guessed number.
  A cell "Not available" states there is none: ``not_offered`` (a model with no paid Standard
  input price is not sold on the paid tier: skipped with a reason).
- the **Free Tier** column of the Standard table is the same offer with variant ``free``
  (rate-limited, excluded from "cheapest" by the comparison config): "Free of charge" is a price
  of 0; "Not available" for input means there is no free tier for that model (skipped with a
  reason), for another row ``not_offered``. The other tiers' Free Tier cells are not read (the
  free tier is one offer, stated by the Standard table).

Skipped with a reason: rows other than the three token prices (grounding, storage, "Used to
improve our products"...; one skip per table), tables without a Paid Tier column, sections that
price no input and output tokens (image, video, music and embedding models) and sections that name
no model code (a model family such as "Gemma 4"). ``items`` counts offers.

A page with no table that has a "Paid Tier" column, or whose priced sections name no model code
at all, is unusable: PageLayoutError.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline import normalize
from pipeline.config import SourceConfig
from pipeline.identity import IdentityError, resolve
from pipeline.models import PageLayoutError, ParseResult, RawPage
from pipeline.parse import markdown
from pipeline.parse.collect import SERVICE_TIERS, PageOut, const, load_text, not_offered, price, tokens
from pipeline.parse.markdown import Section, Table

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
SAME_AS_STANDARD = "same as standard"  # a Batch/Flex cell repeating the Standard price after this note

# The model code line: emphasis around one or more code spans, "_`gemini-2.5-pro`_".
_CODE_LINE = re.compile(r"^(?P<m>[_*]{1,2})(?=\S)(?P<body>.*`[^`]+`.*?)(?P=m)\s*$")
_CODE = re.compile(r"`([a-z0-9][a-z0-9.\-]*)`")
_PRICE = re.compile(r"\$\s*(?:\d[\d,]*(?:\.\d+)?|\.\d+)")
_TRAILING = re.compile(r"(?:[\s,.;*]|\band\b|\bor\b|\bequivalent to\b)+$", re.I)
_TIER = re.compile(r"^prompts?\s*(?P<op><=|≤|>)\s*(?P<n>\d[\d,.]*\s*[km]?)(?:\s*tokens?)?$", re.I)
_MODALITIES = re.compile(r"\((?P<m>[^()]*)\)$")
_PER_MTOK = re.compile(r"^/\s*1,000,000 tokens\b(?!\s*per\s+hour)\s*", re.I)
_STORAGE = re.compile(r"per\s+hour|storage", re.I)
_PER_UNIT = re.compile(r"^(?:/\s*|per\s+)\S", re.I)  # per image, per minute ("/min"), per second


@dataclass
class _Part:
    text: str  # as the cell writes it ("$3.00 or $0.005/min (audio)")
    price: str  # "$3.00"
    kind: str  # base, above, skip
    why: str = ""  # a skip's reason, or the tier threshold of a base/above part ("200k")


# --- the page -----------------------------------------------------------------------------------

def parse(page: RawPage, source: SourceConfig) -> ParseResult:
    grouped = markdown.grouped(load_text(page), level=2)
    priced = [s for s, ts in grouped if any(_column(t, PAID_COLUMN) is not None for t in ts)]
    if not priced:
        raise PageLayoutError("no pricing table (a table with a 'Paid Tier, per 1M tokens in USD' column)")
    if not any(_codes(s) for s in priced):
        raise PageLayoutError("no priced section names its model code (a line such as _`gemini-2.5-pro`_ "
                              "below the model's heading)")
    out = PageOut(page, source)
    for section, section_tables in grouped:
        _section(out, section, section_tables)
    return out.result


def _column(table: Table, name: str) -> int | None:
    return next((i for i, h in enumerate(table.keys) if name in h), None)


def _codes(section: Section) -> list[str]:
    for line in section.lines:
        m = _CODE_LINE.match(line)
        if m:
            return list(dict.fromkeys(_CODE.findall(m.group("body"))))
    return []


def _tab_row(section: Section) -> list[str]:
    """The section's row of tier tabs ("[Standard](#standard)[Batch](#batch)More"), lower-cased."""
    for line in section.lines:
        words = markdown.clean(re.sub(r"\[([^\]]*)\]\([^)]*\)", r" \1 ", line)).lower().split()
        words = words[:-1] if words and words[-1] == "more" else words
        if len(words) >= 2 and all(w in SERVICE_TIERS for w in words):
            return words
    return []


def _tiers(out: PageOut, name: str, section: Section, tables: list[Table]) -> list[tuple[str, Table]] | None:
    """(tier, table) of each price table of the section, or None (an error) when it cannot be told."""
    labels = [markdown.label(t, SERVICE_TIERS) for t in tables]
    if all(labels) and len(set(labels)) == len(labels):
        return list(zip(labels, tables))  # type: ignore[arg-type]
    tabs = _tab_row(section)
    if not any(labels) and tabs and len(tabs) == len(tables):
        return list(zip(tabs, tables))
    if not any(labels) and len(tables) == 1 and (not tabs or tabs[0] == "standard"):
        if len(tabs) > 1:  # the first tab is the one shown; the others show no table here
            out.skip(f"{name}: the tabs {', '.join(t.title() for t in tabs[1:])} show no price table "
                     "of their own on this page: not read")
        return [("standard", tables[0])]
    out.problem(f"{name}: cannot tell which service tier each of its {len(tables)} price tables prices "
                f"(tier labels: {[lbl or '-' for lbl in labels]}, tabs: {tabs or 'none'})")
    return None


def _rows(out: PageOut, where: str, table: Table) -> tuple[dict[str, list[str]], list[str]]:
    """The token price rows of a table (base field -> cleaned cells) and the labels of its other rows."""
    rows: dict[str, list[str]] = {}
    other: list[str] = []
    for row in table.cleaned():
        label = row[0] if row else ""
        key = label.lower()
        found = next((base for prefixes, base, _ in ROW_FIELDS if key.startswith(prefixes)), None)
        if found is None:
            other.append(label)
        elif found in rows:
            out.problem(f"{where}: two {found} rows: the second ({label!r}) not read", field=found)
        else:
            rows[found] = row
    return rows, other


def _section(out: PageOut, section: Section, tables: list[Table]) -> None:
    name = section.title or "(text above the first model)"
    priced: list[Table] = []
    for table in tables:
        if _column(table, PAID_COLUMN) is None:
            out.skip(f"{name}: table ({' | '.join(table.keys)}) has no Paid Tier column: not read")
        else:
            priced.append(table)
    if not priced:
        return
    tiers = _tiers(out, name, section, priced)
    if tiers is None:
        return
    read = [(tier, table, *_rows(out, f"{name} ({tier.title()})", table)) for tier, table in tiers]
    standard = [rows for tier, _, rows, _ in read if tier == "standard"]
    if len(standard) != 1:
        out.problem(f"{name}: {len(standard)} Standard price tables (expected one): not read")
        return
    missing = [f for f in REQUIRED_FIELDS if f not in standard[0]]
    if missing:
        out.skip(f"{name}: prices no {' / '.join(f.split('_')[0] for f in missing)} tokens "
                 "(not a text generation model): not recorded")
        return
    codes = _codes(section)
    if not codes:
        out.skip(f"{name}: the section names no model code (a model family?): its prices are tied to "
                 "no model id: not read")
        return
    models: list[tuple[str, str]] = []
    for code in codes:
        try:
            models.append((code, resolve(code, PROVIDER_ID).model_id))
        except IdentityError as e:
            out.problem(f"{name}: {e}")
    for tier, table, rows, other in read:
        where = f"{name} ({tier.title()})"
        paid_col = _column(table, PAID_COLUMN)
        assert paid_col is not None
        if not re.search(r"per\s+1\s*m\s+tokens", table.keys[paid_col]):
            out.problem(f"{where}: the Paid Tier column ({table.keys[paid_col]!r}) does not say its prices "
                        "are per 1M tokens: not read")
            continue
        if other:
            out.skip(f"{where}: rows {', '.join(repr(r) for r in other)} are not per-token prices: not read")
        missing = [f for f in REQUIRED_FIELDS if f not in rows]
        if missing:
            out.problem(f"{where}: no {' / '.join(missing)} row: not read")
            continue
        free_col = _column(table, FREE_COLUMN) if tier == "standard" else None
        for code, model_id in models:
            _paid_offer(out, f"{code} ({where})", model_id, (PROVIDER_ID, code, SERVICE_TIERS[tier]), rows,
                        paid_col)
            if free_col is not None:
                _free_offer(out, f"{code} ({name}, free tier)", model_id, (PROVIDER_ID, code, FREE_VARIANT),
                            rows, free_col)


def _cell(row: list[str], col: int) -> str:
    return row[col] if col < len(row) else ""


# --- the paid tier ------------------------------------------------------------------------------

def _paid_offer(out: PageOut, who: str, model_id: str, offer: tuple[str, str, str],
                rows: dict[str, list[str]], col: int) -> None:
    if _cell(rows["input_usd_per_mtok"], col).lower() == NOT_AVAILABLE:
        out.skip(f"{who}: not available on the paid tier: no offer")
        return
    yielded = False
    threshold: tuple[str, str] | None = None  # (raw, field it came from)
    for base, row in rows.items():
        above = next(a for _p, b, a in ROW_FIELDS if b == base)
        cell = _cell(row, col)
        if normalize.is_unknown(cell) or cell.lower() == NOT_AVAILABLE:
            yielded |= out.offer(model_id, offer, base, cell, not_offered if cell.lower() == NOT_AVAILABLE
                                 else price, who=who)
            continue
        parts = _parts(out, who, base, cell)
        if parts is None:
            continue
        skipped = [f"{p.text!r} ({p.why})" for p in parts if p.kind == "skip"]
        if skipped:
            out.skip(f"{who}: {base}: {', '.join(skipped)} not read (no per-token field)", field=base)
        for part in parts:
            if part.kind == "base":
                yielded |= out.offer(model_id, offer, base, part.price, price, who=who, shown=part.text)
            elif part.kind != "above":
                continue
            elif above is None:
                out.skip(f"{who}: {base} above {part.why} tokens ({part.text!r}) has no field: not recorded",
                         field=base)
            elif threshold is None or _same_tokens(threshold[0], part.why):
                if threshold is None:
                    threshold = (part.why, base)
                    out.offer(model_id, offer, "tier_threshold_tokens", part.why, tokens, who=who)
                out.offer(model_id, offer, above, part.price, price, who=who, shown=part.text)
            else:
                out.problem(f"{who}: {base} is tiered at {part.why!r} tokens but {threshold[1]} at "
                            f"{threshold[0]!r}: the tier is not recorded", field=above)
    if yielded:
        out.result.items += 1


def _same_tokens(a: str, b: str) -> bool:
    try:
        return normalize.parse_tokens(a) == normalize.parse_tokens(b)
    except ValueError:
        return False


def _parts(out: PageOut, who: str, field: str, cell: str) -> list[_Part] | None:
    """The priced parts of a paid cell, or None after an error naming the field and the text."""
    def fail(why: str) -> None:
        out.problem(f"{who}: cannot read {field} from {cell!r}: {why}", field=field)

    starts = [m.start() for m in _PRICE.finditer(cell)]
    prefix = cell[:starts[0]] if starts else cell
    if not starts or prefix.strip(" _*").lower() not in ("", SAME_AS_STANDARD):
        return fail("not one or more '$<price> <what it is for>' parts")
    texts = [cell[a:b].strip() for a, b in zip(starts, starts[1:] + [len(cell)])]
    # "$3.00 or $0.005/min (audio)": the second price restates the first: one part.
    merged: list[str] = []
    for t in texts:
        if merged and re.search(r"\bor$", merged[-1]):
            merged[-1] = f"{merged[-1]} {t}"
        else:
            merged.append(t)
    parts: list[_Part] = []
    for t in merged:
        p = _PRICE.match(t)
        assert p is not None
        rest = _TRAILING.sub("", t[p.end():]).strip(" ,*")
        if rest.lower().startswith("or "):  # "or $0.005/min (audio)": what it is for is at its end
            m = _MODALITIES.search(rest)
            rest = m.group(0) if m else ""
        rest = _PER_MTOK.sub("", rest).strip()
        part = _classify(_TRAILING.sub("", t), p.group(0), rest)
        if part is None:
            return fail(f"part {t!r} is not a price with a known qualifier (prompt size tier, modalities, "
                        "storage, per image/minute)")
        parts.append(part)
    kinds = [p.kind for p in parts]
    if kinds.count("base") > 1 or kinds.count("above") > 1:
        return fail("two base or two above-tier prices")
    tiers = {p.kind: p.why for p in parts if p.kind in ("base", "above") and p.why}
    if "above" in tiers and "base" in tiers and not _same_tokens(tiers["base"], tiers["above"]):
        return fail(f"tiers at {tiers['base']!r} and {tiers['above']!r} tokens do not meet")
    return parts


def _classify(text: str, amount: str, rest: str) -> _Part | None:
    if not rest:
        return _Part(text, amount, "base")
    if tier := _TIER.match(rest):
        return _Part(text, amount, "base" if tier.group("op") in ("<=", "≤") else "above", tier.group("n"))
    if _STORAGE.search(rest):
        return _Part(text, amount, "skip", "cache storage")
    if _PER_UNIT.match(rest):
        return _Part(text, amount, "skip", f"a price {rest if rest.startswith('per') else 'per ' + rest[1:].strip()}")
    m = _MODALITIES.fullmatch(rest)
    if m:
        kinds = [x.strip().lower() for x in re.split(r"[/,]|\band\b", m.group("m"))]
        return _Part(text, amount, "base") if "text" in kinds else _Part(text, amount, "skip", f"{m.group('m')} only")
    return None


# --- the free tier ------------------------------------------------------------------------------

def _free_offer(out: PageOut, who: str, model_id: str, offer: tuple[str, str, str],
                rows: dict[str, list[str]], col: int) -> None:
    if _cell(rows["input_usd_per_mtok"], col).lower() == NOT_AVAILABLE:
        out.skip(f"{who}: no free tier")
        return
    yielded = False
    for base, row in rows.items():
        cell = _cell(row, col)
        key = cell.lower()
        if key == FREE_OF_CHARGE:
            yielded |= out.offer(model_id, offer, base, cell, const("0"), who=who)
        elif key == NOT_AVAILABLE or normalize.is_unknown(cell):
            yielded |= out.offer(model_id, offer, base, cell, not_offered if key == NOT_AVAILABLE else price,
                                 who=who)
        else:
            out.problem(f"{who}: cannot read {base} from {cell!r}: the free tier states "
                        "'Free of charge' or 'Not available'", field=base)
    if yielded:
        out.result.items += 1
