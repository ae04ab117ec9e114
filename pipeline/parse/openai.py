"""OpenAI API: the docs as markdown (developers.openai.com/api/docs/...md): the pricing page and the
model pages. platform.openai.com answers a plain HTTP client with a bot challenge; the same docs
are published as ``.md`` pages, which are read instead (sources.yaml).

Which page it is comes from the URL path:

- ``/api/docs/pricing.md``: the text token parts of the page (``## Flagship models``,
  ``## Specialized models``; older pages ``## Text tokens``), each saying "Prices per 1M
  tokens.", hold one table per processing tier, each under its tier label (a line or heading
  "Standard", "Batch", "Flex", "Priority" just above it; a part with a single unlabelled table is
  Standard). A table's header is ``Model | Input | Cached input | Output``, or two rows, a
  context row over the prices (``| | Short context | Long context |`` then ``| Model | Input |
  Cached input | Output | Input | Cached input | Output |``); a ``Category`` column before the
  model, and a row missing its leading cell (a cell spanning rows), are read as shown. Per row:
  - Standard: the offer ``openai`` / ``<model id>`` (variant ""); Flex and Priority: the same
    offer with variant "flex" / "priority"; Batch: the offer of the route
    ``options.batch_provider`` (``openai-batch``, "OpenAI Batch API", a provider of its own),
    else variant "batch" of ``openai``.
  - Input, Cached input (``cached_input_usd_per_mtok``), Output: prices such as ``$1.10``; a
    ``-`` cell says "no price stated": an ``unknown`` observation, never a zero.
  - Long context: ``input/output_usd_per_mtok_above_tier``, with ``tier_threshold_tokens`` from
    the part's prose when it states one ("prompts over 272K tokens"), else an ``unknown``
    threshold (the tier exists; where it starts is not on the page). A row with ``-`` in every
    long context cell has no long context tier. Long context cached input has no field: skipped
    with a reason (one skip per table).
  The other parts (multimodal, image, video, transcription, tools, fine-tuning: fine-tuned
  models' prices are not the base model's) are skipped with a reason, one skip per table. A
  text token part that does not state its unit, a table whose tier or columns cannot be told,
  and an unreadable row are errors. ``items`` counts the offers the page yielded.
- ``/api/docs/models/<id>.md``: one model (``items`` = 1). The title (``# o3-mini``) is its name
  as OpenAI writes it ("GPT-4.1 mini", "o3-mini"); the spec lines "200,000 context window",
  "100,000 max output tokens", "Oct 01, 2023 knowledge cutoff" and "Reasoning token support";
  the tables under ``## Modalities`` (Text / Image / Audio / Video: "Input and output", "Input
  only", "Output only", "Not supported"), ``## Features`` (Function calling, Structured outputs,
  ... "Supported" / "Not supported") and ``## Tools`` (Responses API tools: Code interpreter,
  Computer use, ...): first cell the name, last cell the status; ``## Snapshots``
  (``o3-mini-2025-01-31``: the first dated snapshot is the release date). The model page's own
  price table repeats the pricing page and is not read.

Capabilities, as the model page states them:

- supports_vision: the Image modality accepts input; supports_multimodal: any non-text
  modality accepts input (both asserted either way when the Modalities section lists them);
- supports_reasoning: only "Reasoning token support" says so (its absence states nothing);
- supports_function_calling / supports_structured_outputs: the Features rows of those names;
- supports_tool_use: any Tools row is "Supported" (false when the section lists only
  unsupported tools); supports_code_execution: "Code interpreter"; supports_computer_use:
  "Computer use". IDE integration and parallel agents are never stated on these pages.

Quirk of this source: the models of OpenAI's API are closed models, served only through the
API, and their pages do not print a license. A model page is therefore read as "license
Proprietary, open_weights false" — except a page that calls its model open-weight (gpt-oss),
which states nothing of the kind.

A page that has none of what it should (no readable Standard text token table; no title or none
of the spec lines and sections on a model page) is unusable: PageLayoutError.
"""
from __future__ import annotations

import re
from typing import Callable
from urllib.parse import urlsplit

from pipeline import normalize
from pipeline.config import SourceConfig
from pipeline.identity import IdentityError, creator_name, resolve
from pipeline.models import PageLayoutError, ParseResult, RawPage
from pipeline.parse import markdown, offer_variant
from pipeline.parse.collect import SERVICE_TIERS, PageOut, const, load_text, partial_date, price, text, tokens
from pipeline.parse.markdown import Section, Table

PROVIDER_ID = "openai"
# The parts of the pricing page that price text tokens per model (lower-case ## headings).
TEXT_SECTIONS = ("flagship models", "specialized models", "text tokens")
# Pricing table columns (header text, lower-case) -> offer fields; the long context group's fields.
PRICE_COLUMNS = {
    "input": "input_usd_per_mtok",
    "cached input": "cached_input_usd_per_mtok",
    "output": "output_usd_per_mtok",
}
LONG_CONTEXT_COLUMNS = {"input": "input_usd_per_mtok_above_tier", "output": "output_usd_per_mtok_above_tier"}
CONTEXT_GROUPS = ("short context", "long context")
REQUIRED_COLUMNS = ("input", "output")

_PRICING_PATH = re.compile(r"^/api/docs/pricing\.md$")
_MODEL_PATH = re.compile(r"^/api/docs/models/(?P<id>[a-z0-9][a-z0-9.\-]*)\.md$")
_MODEL_ID = re.compile(r"^[a-z0-9][a-z0-9.\-]*$")
_PER_MTOK = re.compile(r"per\s+1\s*M\s+tokens", re.I)
_THRESHOLD = re.compile(r"(?:long context|prompts?|inputs?)\b[^.]{0,60}?(?:>|over|above|more than|exceed\w*)\s*"
                        r"(?P<n>\d[\d,.]*\s*[KkMm]?)\s*(?:input\s+)?tokens", re.I)

# Model page spec lines: "<value> <label>".
_SPEC_LINES = {
    "context_window": re.compile(r"^(?P<v>[\d,.]+\s*[km]?) context window$", re.I),
    "max_output_tokens": re.compile(r"^(?P<v>[\d,.]+\s*[km]?) max output tokens$", re.I),
    "knowledge_cutoff": re.compile(r"^(?P<v>.+?) knowledge cutoff$", re.I),
}
_SPEC_CONVERT = {"context_window": tokens, "max_output_tokens": tokens, "knowledge_cutoff": partial_date}
_REASONING_LINE = re.compile(r"^reasoning token support$", re.I)
_OPEN_WEIGHT = re.compile(r"\bopen[- ]weights?\b", re.I)
_BULLET = re.compile(r"^(?:[-*+]|\d+\.)\s+")

FEATURE_FIELDS = {
    "function calling": "supports_function_calling",
    "structured outputs": "supports_structured_outputs",
}
TOOL_FIELDS = {
    "code interpreter": "supports_code_execution",
    "computer use": "supports_computer_use",
}
SUPPORT_STATUS = {"supported": "true", "not supported": "false"}
# Modality status -> does the model accept it as input?
MODALITY_INPUT = {
    "input and output": "true", "input only": "true", "output only": "false", "not supported": "false",
}
NON_TEXT_MODALITIES = ("image", "audio", "video")


def _lookup(table: dict[str, str]) -> Callable[[str], str]:
    def convert(raw: str) -> str:
        key = " ".join(raw.split()).lower()
        if key not in table:
            raise ValueError(f"unknown status {raw!r} (expected one of: {', '.join(table)})")
        return table[key]
    return convert


# --- dispatch -----------------------------------------------------------------------------------

def parse(page: RawPage, source: SourceConfig) -> ParseResult:
    path = urlsplit(page.url).path
    if _PRICING_PATH.match(path):
        return _parse_pricing(load_text(page), page, source)
    m = _MODEL_PATH.match(path)
    if m:
        return _parse_model_page(load_text(page), page, source, m.group("id"))
    raise PageLayoutError(f"URL path {path!r} is neither the pricing page (/api/docs/pricing.md) "
                          "nor a model page (/api/docs/models/<id>.md)")


# --- the pricing page ---------------------------------------------------------------------------

def _parse_pricing(page_text: str, page: RawPage, source: SourceConfig) -> ParseResult:
    out = PageOut(page, source)
    batch_provider = str(source.options.get("batch_provider") or PROVIDER_ID)
    standard_tables = 0
    for section, tables in markdown.grouped(page_text, level=2):
        if section.title.lower() not in TEXT_SECTIONS:
            for table in tables:
                models = list(dict.fromkeys(c for c in _model_cells(table) if c))
                named = ", ".join(models[:4]) + (", ..." if len(models) > 4 else "") or "no model"
                out.skip(f"{_where(section, table, markdown.label(table, SERVICE_TIERS))}: {len(table.rows)} "
                         f"row(s) ({named}) are not text token prices per model: not read")
            continue
        if not any(_PER_MTOK.search(line) for line in section.lines):
            out.problem(f"the {section.title!r} part does not say its prices are per 1M tokens: not read")
            continue
        threshold = next((m.group("n") for line in section.lines if (m := _THRESHOLD.search(markdown.clean(line)))),
                         None)
        for table in tables:
            tier = markdown.label(table, SERVICE_TIERS) or ("standard" if len(tables) == 1 else None)
            where = _where(section, table, tier)
            if tier is None:
                out.problem(f"{where}: no tier label (Standard, Batch, Flex, Priority) above the table: not read")
                continue
            if tier == "batch" and batch_provider != PROVIDER_ID:
                route = (batch_provider, "")
            else:
                route = (PROVIDER_ID, SERVICE_TIERS[tier])
            if _pricing_table(out, where, table, route, threshold) and tier == "standard":
                standard_tables += 1
    if standard_tables == 0:
        raise PageLayoutError(f"no readable 'Standard' table of text token prices (under "
                              f"{' / '.join(s.title() for s in TEXT_SECTIONS)}: Model | Input | Cached input | Output)")
    return out.result


def _where(section: Section, table: Table, tier: str | None = None) -> str:
    parts = [section.title or "(no heading)"] + ([table.heading] if table.heading not in (section.title, "") else [])
    return " / ".join(parts) + (f" ({tier.title()})" if tier else "")


def _header(table: Table) -> tuple[list[str], list[str], list[list[str]]]:
    """(column names, context group of each column ("" when none), data rows), lower-case names.
    A two-row header (``| | Short context | Long context |`` over ``| Model | Input | ... |``) gives
    each run of price columns after the Model column its group, in order."""
    rows = table.cleaned()
    if "model" not in table.keys and rows and "model" in [c.lower() for c in rows[0]]:
        names, groups, rows = [c.lower() for c in rows[0]], [k for k in table.keys if k], rows[1:]
    else:
        names, groups = table.keys, []
    model_col = names.index("model") if "model" in names else len(names)
    of: list[str] = [""] * len(names)
    run, seen = 0, set()
    for i in range(model_col + 1, len(names)):
        if names[i] in seen:
            run, seen = run + 1, set()
        seen.add(names[i])
        of[i] = groups[run] if run < len(groups) else "" if run == 0 else f"(group {run + 1})"
    return names, of, rows


def _model_cells(table: Table) -> list[str]:
    names, _, rows = _header(table)
    if "model" not in names:
        return []
    col = names.index("model") - len(names)  # from the right: a row may miss its leading cells
    return [row[col].split()[0] if len(row) >= -col and row[col].split() else "" for row in rows]


def _pricing_table(out: PageOut, where: str, table: Table, route: tuple[str, str], threshold: str | None) -> bool:
    """The offers of one text token table; False (after an error) when its columns cannot be read."""
    names, groups, rows = _header(table)
    if "model" not in names:
        out.problem(f"{where}: the table has no Model column (header: {' | '.join(names)}): not read")
        return False
    known = [g for g in dict.fromkeys(groups) if g]
    if any(g not in CONTEXT_GROUPS for g in known):
        out.problem(f"{where}: cannot tell which prices are for which context (groups: {known}): not read")
        return False
    base_group = known[0] if known else ""
    columns = {(n, g): i for i, (n, g) in enumerate(zip(names, groups)) if n in PRICE_COLUMNS}
    missing = [c for c in REQUIRED_COLUMNS if (c, base_group) not in columns]
    if missing:
        out.problem(f"{where}: the table has no {' / '.join(missing)} column (header: {' | '.join(names)}): not read")
        return False
    model_col = names.index("model")
    other = [n for i, n in enumerate(names) if i > model_col and n not in PRICE_COLUMNS]
    if other:
        out.skip(f"{where}: columns {', '.join(other)} are not token prices: not read")
    long_cached: list[str] = []
    for n, row in enumerate(rows, 1):
        if len(row) > len(names):
            out.problem(f"{where} row {n}: {len(row)} cells under {len(names)} columns: not read")
            continue
        short = len(names) - len(row)
        # Missing leading cells (before the model) span from a row above; missing prices are missing.
        cells: list[str | None] = [""] * short + row if short <= model_col else [*row, *[None] * short]
        shown = cells[model_col] or ""
        pid = shown.split()[0] if shown.split() else ""
        if not _MODEL_ID.match(pid):
            out.problem(f"{where} row {n}: model cell {shown or '(empty)'!r} holds no model id")
            continue
        try:
            ident = resolve(pid, route[0])
        except IdentityError as e:
            out.problem(f"{pid}: {e}")
            continue
        offer = (route[0], pid, offer_variant(ident.variant, route[1]))
        who = f"{pid} ({where})"
        yielded = False
        for (name, group), col in columns.items():
            if cells[col] is None:
                out.problem(f"{who}: the row has no {name!r} cell", field=PRICE_COLUMNS[name])
            elif group == base_group:
                yielded |= out.offer(ident.model_id, offer, PRICE_COLUMNS[name], cells[col], price, who=who)
        long = {name: cells[col] for (name, group), col in columns.items() if group == "long context" and cells[col]}
        if any(not normalize.is_unknown(c) for c in long.values()):
            out.offer(ident.model_id, offer, "tier_threshold_tokens", threshold, tokens, who=who,
                      shown=threshold or "Long context (threshold not stated)")
            for name, field in LONG_CONTEXT_COLUMNS.items():
                if name in long:
                    out.offer(ident.model_id, offer, field, long[name], price, who=f"{who}, long context")
            if not normalize.is_unknown(long.get("cached input")):
                long_cached.append(pid)
        if yielded:
            out.result.items += 1
    if long_cached:
        out.skip(f"{where}: long context cached input prices ({', '.join(long_cached)}) have no field: not recorded",
                 field="cached_input_usd_per_mtok")
    return True


# --- a model page -------------------------------------------------------------------------------

def _status_rows(section_tables: list[tuple[Section, list[Table]]], title: str) -> list[tuple[str, str]] | None:
    """(name, status) rows of the tables under the model page's ``## <title>``; None when there is none."""
    found = [ts for s, ts in section_tables if s.title.lower() == title]
    if not found:
        return None
    return [(row[0], row[-1]) for table in found[0] for row in table.cleaned() if len(row) >= 2 and row[0]]


def _parse_model_page(page_text: str, page: RawPage, source: SourceConfig, slug: str) -> ParseResult:
    out = PageOut(page, source)
    all_sections = markdown.sections(page_text)
    title = next((s.title for s in all_sections if s.level == 1 and s.title), None)
    if title is None:
        raise PageLayoutError("no model title (a '# <name>' heading) on the model page")
    try:
        model_id = resolve(slug, PROVIDER_ID).model_id
    except IdentityError as e:
        raise PageLayoutError(str(e)) from None
    specs: dict[str, str] = {}
    reasoning = None
    for line in (markdown.clean(_BULLET.sub("", line)) for s in all_sections for line in s.lines):
        for field, rx in _SPEC_LINES.items():
            m = rx.match(line)
            if m and field not in specs:
                specs[field] = m.group("v")
        if _REASONING_LINE.match(line):
            reasoning = line
    tabled = markdown.grouped(page_text, level=6)
    sections = {t: _status_rows(tabled, t) for t in ("modalities", "features", "tools")}
    snapshots = next((s for s in all_sections if s.title.lower() == "snapshots"), None)
    if not specs and all(s is None for s in sections.values()) and snapshots is None:
        raise PageLayoutError("none of the expected parts of a model page (context window, max output "
                              "tokens, knowledge cutoff, Modalities, Features) were found")

    who = slug
    add = lambda field, raw, convert: out.add("model", model_id, field, raw, convert, who=who)  # noqa: E731
    add("name", title, text)
    creator = creator_name(model_id)
    if creator:
        add("creator", creator, text)
    for field, raw in specs.items():
        add(field, raw, _SPEC_CONVERT[field])
    if reasoning:
        add("supports_reasoning", reasoning, const("true"))
    if not _OPEN_WEIGHT.search(page_text):
        # Closed, API-only models: see the module docstring (a quirk of this source). The page
        # prints no license text, so these observations carry no raw text.
        add("license", None, const(normalize.normalize_license("proprietary")))
        add("open_weights", None, const("false"))

    found_inputs: list[tuple[str, str]] = []
    for name, status in sections["modalities"] or []:
        key = name.lower()
        if key == "image":
            add("supports_vision", f"{name}: {status}", lambda r, s=status: _lookup(MODALITY_INPUT)(s))
        if key in NON_TEXT_MODALITIES:
            found_inputs.append((name, status))
    if found_inputs:
        raw = "; ".join(f"{n}: {s}" for n, s in found_inputs)
        try:
            accepts = [_lookup(MODALITY_INPUT)(s) for _, s in found_inputs]
        except ValueError as e:
            out.problem(f"{who}: cannot read supports_multimodal from {raw!r}: {e}", field="supports_multimodal")
        else:
            add("supports_multimodal", raw, const("true" if "true" in accepts else "false"))

    for name, status in sections["features"] or []:
        field = FEATURE_FIELDS.get(name.lower())
        if field:
            add(field, f"{name}: {status}", lambda r, s=status: _lookup(SUPPORT_STATUS)(s))

    tools = sections["tools"] or []
    tool_values: list[str] = []
    for name, status in tools:
        try:
            tool_values.append(_lookup(SUPPORT_STATUS)(status))
        except ValueError as e:
            out.problem(f"{who}: cannot read the tool {name!r} from {status!r}: {e}",
                        field=TOOL_FIELDS.get(name.lower(), "supports_tool_use"))
            continue
        field = TOOL_FIELDS.get(name.lower())
        if field:
            add(field, f"{name}: {status}", const(tool_values[-1]))
    if tool_values:
        add("supports_tool_use", "; ".join(f"{n}: {s}" for n, s in tools), const("true" if "true" in tool_values else "false"))

    if snapshots is not None:
        _release_date(out, snapshots, model_id, slug)
    if out.result.observations:
        out.result.items = 1
    return out.result


def _release_date(out: PageOut, snapshots: Section, model_id: str, slug: str) -> None:
    """The first dated snapshot (``o3-mini-2025-01-31``) of the Snapshots section."""
    dated = re.compile(rf"`{re.escape(slug)}-(\d{{4}}-\d{{2}}-\d{{2}})`")
    found = sorted({m.group(0).strip("`") for line in snapshots.lines for m in dated.finditer(line)})
    if found:
        out.add("model", model_id, "release_date", found[0],
                lambda r: normalize.parse_date(r[len(slug) + 1:]).isoformat(), who=slug)
