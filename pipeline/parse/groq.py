"""Groq: the rendered pricing page (groq.com/pricing, HTML).

The "Large Language Models" section holds a table ``AI Model | Current Speed | Price per 1M
Tokens`` whose price cell states both prices at once::

    Llama 3.1 8B Instant 128k | 840 TPS | $0.05 input / $0.08 output

Each row is one offer ``groq``: the parts of the price cell (split at ``/``) are
``$<n> input``, ``$<n> cached input`` and ``$<n> output`` per 1M tokens. The page also has
been seen with one column per price (``Input Token Price (Per Million Tokens)``, cells such as
``$0.05 (20M / $1)``, where the parenthesis restates the price as tokens per dollar and is not
read; the 2025 page, whose model list and prices tests/test_parse_groq.py checks against a
transcription of it); both shapes are read the same way. The speed column has no field and is
not read.

Identity quirk: the page names models only by display name, ending in the context window Groq
serves (``Llama 3.1 8B Instant 128k``). That suffix is the offer's context_window (``128k`` ->
128000, as written); the rest, as a slug (``llama-3.1-8b-instant``; ``Llama 4 Scout (17Bx16E)``
-> ``llama-4-scout-17b-16e``), is the provider model id, and goes through
``pipeline.identity.resolve`` (a name it cannot tell the creator of is a Problem). A name of
family and size only ("Llama 3 70B", "Gemma 2 9B", "Kimi K2 1T") is the instruct model Groq's API
serves under it: warehouse/curated/aliases.yaml says so per name.

Tables that do not price tokens (text-to-speech per characters, speech recognition per hour,
...) are skipped with a reason per row. A page with no table pricing models per 1M tokens is
unusable: PageLayoutError. ``items`` counts the offers.
"""
from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag

from pipeline import normalize
from pipeline.config import SourceConfig
from pipeline.identity import IdentityError, resolve
from pipeline.models import PageLayoutError, ParseResult, RawPage
from pipeline.parse.collect import PageOut, load_text, price, tokens

PROVIDER_ID = "groq"
# Labels of the parts of a combined price cell -> offer fields (longest label first).
PART_LABELS = (
    ("cached input", "cached_input_usd_per_mtok"),
    ("input", "input_usd_per_mtok"),
    ("output", "output_usd_per_mtok"),
)
REQUIRED = ("input_usd_per_mtok", "output_usd_per_mtok")

_PER_MTOK = re.compile(r"per\s*(?:1\s*m|million)\s*tokens?|/\s*1\s*m\s*tokens?", re.I)
_OTHER_UNIT = re.compile(r"per\s*(?:1\s*m\s*|million\s*)?(?:characters?|hours?|minutes?|images?|seconds?)", re.I)
_PART = re.compile(r"^(?P<price>.+?)\s+(?P<label>cached\s+input|input|output)(?:\s+tokens?)?$", re.I)
_CONTEXT = re.compile(r"\s+(?P<ctx>\d+(?:\.\d+)?\s*[km])$", re.I)
_PER_DOLLAR = re.compile(r"\s*\([^()]*/\s*\$\s*1\s*\)$")  # "(20M / $1)"
_MOE = re.compile(r"\((?P<a>\d+b)\s*x\s*(?P<b>\d+e)\)", re.I)  # "(17Bx16E)"


# --- converters ---------------------------------------------------------------------------------

def _part_price(raw: str) -> str:
    """``$0.05 input`` -> ``0.05``."""
    m = _PART.match(raw)
    if m is None:
        raise ValueError("not '$<price> input|output'")
    return price(m.group("price"))


def _column_price(raw: str) -> str:
    """``$0.05 (20M / $1)`` -> ``0.05``: the tokens-per-dollar restatement is not read."""
    return price(_PER_DOLLAR.sub("", raw))


def _text_of(tag: Tag) -> str:
    return " ".join(tag.get_text(" ").split())


# --- identity -----------------------------------------------------------------------------------

def split_name(name: str) -> tuple[str, str | None]:
    """``Llama 3.1 8B Instant 128k`` -> (``llama-3.1-8b-instant``, ``128k``)."""
    text = " ".join(name.split())
    m = _CONTEXT.search(text)
    context = m.group("ctx") if m else None
    if m:
        text = text[: m.start()]
    text = _MOE.sub(lambda x: f"{x.group('a')}-{x.group('b')}", text)
    slug = re.sub(r"[^a-z0-9.]+", "-", text.lower()).strip("-")
    return slug, context


# --- the page -----------------------------------------------------------------------------------

def _table(table: Tag) -> tuple[list[str], list[list[Tag]]]:
    trs = table.find_all("tr")
    if not trs:
        return [], []
    head_tr = table.find("thead").find("tr") if table.find("thead") else trs[0]
    header = [_text_of(c).lower() for c in head_tr.find_all(["th", "td"])]
    rows = [tr.find_all(["td", "th"]) for tr in trs if tr is not head_tr]
    return header, [r for r in rows if r]


def _section(table: Tag) -> tuple[str, str]:
    """(heading, the text between that heading and the table) of a table."""
    heading = table.find_previous(["h2", "h3"])
    if heading is None:
        return "(no heading)", ""
    texts = []
    for el in heading.find_all_next(["p", "table"]):
        if el is table:
            break
        if el.name == "p":
            texts.append(_text_of(el))
    return _text_of(heading), " ".join(texts)


def parse(page: RawPage, source: SourceConfig) -> ParseResult:
    soup = BeautifulSoup(load_text(page), "html.parser")
    out = PageOut(page, source)
    token_tables = 0
    for table in soup.find_all("table"):
        header, rows = _table(table)
        heading, intro = _section(table)
        model_col = next((i for i, h in enumerate(header) if "model" in h), None)
        input_col = next((i for i, h in enumerate(header) if "input" in h and "price" in h), None)
        output_col = next((i for i, h in enumerate(header) if "output" in h and "price" in h), None)
        price_col = next((i for i, h in enumerate(header) if "price" in h and i not in (input_col, output_col)), None)
        if model_col is None or (price_col is None and (input_col is None or output_col is None)):
            out.skip(f"table under {heading!r} ({' | '.join(header)}) does not price models: not read")
            continue
        unit_text = " ".join(header[i] for i in (price_col, input_col, output_col) if i is not None)
        if not _PER_MTOK.search(unit_text) and not (_PER_MTOK.search(intro) and not _OTHER_UNIT.search(unit_text)):
            for cells in rows:
                name = _text_of(cells[model_col]) if model_col < len(cells) else "(no model)"
                out.skip(f"{name}: listed under {heading!r}, not priced per 1M tokens ({unit_text}): not recorded")
            continue
        token_tables += 1
        for n, cells in enumerate(rows, 1):
            _row(out, heading, n, cells, model_col, price_col, input_col, output_col)
    if token_tables == 0:
        raise PageLayoutError("no table pricing models per 1M tokens (AI Model | ... | Price per 1M Tokens)")
    return out.result


def _row(out: PageOut, heading: str, n: int, cells: list[Tag], model_col: int, price_col: int | None,
         input_col: int | None, output_col: int | None) -> None:
    name = _text_of(cells[model_col]) if model_col < len(cells) else ""
    if not name:
        out.problem(f"{heading!r} row {n} names no model")
        return
    pmid, context = split_name(name)
    try:
        model_id = resolve(pmid, PROVIDER_ID).model_id
    except IdentityError as e:
        out.problem(f"{name}: cannot tell the model: {e}")
        return
    offer = (PROVIDER_ID, pmid, "")
    yielded = False
    if input_col is not None and output_col is not None:
        for col, field in ((input_col, "input_usd_per_mtok"), (output_col, "output_usd_per_mtok")):
            raw = _text_of(cells[col]) if col < len(cells) else ""
            yielded |= out.offer(model_id, offer, field, raw, _column_price, who=name)
    else:
        assert price_col is not None
        raw = _text_of(cells[price_col]) if price_col < len(cells) else ""
        yielded |= _combined(out, name, model_id, offer, raw)
    if yielded:
        if context is not None:
            out.offer(model_id, offer, "context_window", context, tokens, who=name)
        out.result.items += 1


def _combined(out: PageOut, who: str, model_id: str, offer: tuple[str, str, str], cell: str) -> bool:
    """``$0.05 input / $0.08 output`` (optionally ``per 1M tokens``): one observation per part."""
    if normalize.is_unknown(cell):
        # a list, not a generator: both prices are stated unknown, never only the first
        return any([out.offer(model_id, offer, f, cell, _part_price, who=who) for f in REQUIRED])
    key = ("offer", model_id, PROVIDER_ID, "")
    text = re.sub(r"\s*(?:per\s*(?:1\s*m|million)\s*tokens?)\s*$", "", cell, flags=re.I)
    found: dict[str, str] = {}
    for part in (p.strip() for p in text.split("/")):
        field = next((f for label, f in PART_LABELS if re.search(rf"\b{label}\b", part.lower())), None)
        if field is None:
            out.problem(f"{who}: price cell {cell!r}: part {part!r} is not an input or output price", key=key)
            continue
        if field in found:
            out.problem(f"{who}: price cell {cell!r} states {field} twice: not recorded", field=field, key=key)
            found[field] = ""
            continue
        found[field] = part
    yielded = False
    for field, part in found.items():
        if part:
            yielded |= out.offer(model_id, offer, field, part, _part_price, who=who)
    for field in REQUIRED:
        if field not in found:
            out.problem(f"{who}: price cell {cell!r} has no {field.split('_')[0]} price", field=field, key=key)
    return yielded
