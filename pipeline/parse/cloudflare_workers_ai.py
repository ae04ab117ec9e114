"""Cloudflare Workers AI pricing: the markdown form of the docs page
(developers.cloudflare.com/workers-ai/platform/pricing/index.md).

Cloudflare's docs serve every page as markdown at ``<page>/index.md``: the rendered page turned
back into markdown, tables as pipe tables. Its source (the page's MDX) reads the same way: this
parser reads either. The page has one section per model family ("LLM model pricing",
"Embeddings model pricing", "Other model pricing", ...), each a table
``Model | Price in Tokens | Price in Neurons``. A pricing table is found by its header (a column
whose header contains "Price in Tokens"); the heading above it says whether it prices LLMs.
Each row of an LLM table is one offer ``cloudflare-workers-ai`` / ``@cf/...`` (the model cell
may be a link to the model's page); its price cell states one price per unit, separated by
``<br/>`` in the MDX source and by a space in the served markdown (a ``<br>`` in a table cell
cannot survive as a line break)::

    $0.027 per M input tokens <br/> $0.201 per M output tokens
    $0.027 per M input tokens $0.201 per M output tokens

- A row of another section (embeddings, image, audio, translation, classification) is skipped
  with a reason; so is a table without a "Price in Tokens" column (the plans table).
- A row of the LLM table with no per-token price (per tile, per step, per audio minute) is
  skipped with a reason; a token price that cannot be read is a Problem naming its field.
- A row with fewer cells than its header (a body cut off mid-row, where ``$4.881`` would read
  as ``$4.8``) is an error and not read.
- No pricing table at all, none for LLMs, or LLM tables without a row means the layout
  changed: the page is unusable (PageLayoutError).

The Neurons column restates the same prices in Cloudflare's own unit and is not read.
Quantized ids (``-fp8``, ``-fp8-fast``, ``-awq``) are the same model: ``pipeline.identity``
gives the offer its variant. ``items`` counts the offers the page yielded.
"""
from __future__ import annotations

import re

from pipeline.config import SourceConfig
from pipeline.identity import IdentityError, resolve
from pipeline.models import PageLayoutError, ParseResult, RawPage
from pipeline.parse.collect import PageOut, load_text, price
from pipeline.parse.markdown import Table, clean, tables

PROVIDER_ID = "cloudflare-workers-ai"
PRICE_COLUMN = "price in tokens"
_MODEL_ID = re.compile(r"@(?:cf|hf)/[A-Za-z0-9._\-]+/[A-Za-z0-9._\-]+")
_LLM_SECTION = re.compile(r"\bLLM\b|text generation", re.I)
# "... per M input tokens" -> field; the first word that names the token kind decides
_LINE_FIELDS = (
    (re.compile(r"\bcached\s+input\b|\bcache\s+read\b", re.I), "cached_input_usd_per_mtok"),
    (re.compile(r"\binput\b|\bprompt\b", re.I), "input_usd_per_mtok"),
    (re.compile(r"\boutput\b|\bcompletion\b", re.I), "output_usd_per_mtok"),
)
_REQUIRED = ("input_usd_per_mtok", "output_usd_per_mtok")


def price_lines(cell: str) -> list[str]:
    """The prices of one cell, one per unit: split at ``<br>`` and before every further ``$``."""
    parts = re.split(r"<br\s*/?>", cell, flags=re.I)
    return [line for part in parts for line in re.split(r"\s+(?=\$)", clean(part)) if line]


def parse(page: RawPage, source: SourceConfig) -> ParseResult:
    out = PageOut(page, source)
    pricing = llm_rows = 0
    llm_tables = []
    for table in tables(load_text(page)):
        keys = table.keys
        price_col = next((i for i, k in enumerate(keys) if PRICE_COLUMN in k), None)
        section = table.heading or "(no heading)"
        if price_col is None:
            out.skip(f"table under {section!r} ({' | '.join(clean(h) for h in table.header)}) has no "
                     "'Price in Tokens' column: not a model pricing table")
            continue
        pricing += 1
        is_llm = _LLM_SECTION.search(section) is not None
        if is_llm:
            llm_tables.append(section)
            llm_rows += len(table.rows)
        model_col = next((i for i, k in enumerate(keys) if "model" in k), 0)
        for n, row in enumerate(table.rows, 1):
            _row(out, table, n, row, model_col, price_col, is_llm)
    if pricing == 0:
        raise PageLayoutError("no pricing table (a table with a 'Price in Tokens' column) on the page")
    if not llm_tables:
        raise PageLayoutError("no 'LLM model pricing' table: pricing tables found only under other headings")
    if llm_rows == 0:
        raise PageLayoutError(f"the LLM pricing table ({', '.join(llm_tables)}) has no rows")
    return out.result


def _row(out: PageOut, table: Table, n: int, row: list[str], model_col: int, price_col: int, is_llm: bool) -> None:
    section = table.heading or "(no heading)"
    if len(row) < len(table.header):  # a markdown body cut mid-row still parses: "$4.8" of "$4.881"
        out.problem(f"{section!r} row {n} has {len(row)} of the header's {len(table.header)} cells "
                    f"(cut off or malformed): not read ({' | '.join(clean(c) for c in row)})")
        return
    model_text = clean(row[model_col]) if model_col < len(row) else ""
    m = _MODEL_ID.search(model_text)
    if m is None:
        out.problem(f"{section!r} row {n}: no Workers AI model id (@cf/...) in {model_text!r}")
        return
    pid = m.group(0)
    if not is_llm:
        out.skip(f"{pid}: listed under {section!r}, not an LLM")
        return
    lines = price_lines(row[price_col]) if price_col < len(row) else []
    fields: dict[str, str] = {}
    other: list[str] = []
    for line in lines:
        field = next((f for rx, f in _LINE_FIELDS if rx.search(line) and "token" in line.lower()), None)
        if field is None or field in fields:
            other.append(line)
        else:
            fields[field] = line
    if not fields:
        out.skip(f"{pid}: not priced per input/output token ({'; '.join(lines) or 'empty'})")
        return
    try:
        ident = resolve(pid, PROVIDER_ID)
    except IdentityError as e:
        out.problem(f"{pid}: {e}")
        return
    offer = (PROVIDER_ID, pid, ident.variant)
    for field in _REQUIRED:
        if field not in fields:
            out.problem(f"{pid}: price cell {' / '.join(lines)!r} has no {field.split('_')[0]} token price",
                        field=field, key=("offer", ident.model_id, PROVIDER_ID, ident.variant))
    for field, line in fields.items():
        out.offer(ident.model_id, offer, field, line, price, who=pid)
    for line in other:
        out.skip(f"{pid}: price line {line!r} is not an input/output token price: not recorded")
    out.result.items += 1
