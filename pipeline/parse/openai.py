"""OpenAI API: the pricing page and the model pages of platform.openai.com (rendered HTML).

Which page it is comes from the URL path:

- ``/docs/pricing``: the "Text tokens" section ("Prices per 1M tokens.") holds one table per
  processing tier, each under its tier heading (``<h3>Standard</h3>``, ``Batch``, ``Flex``,
  ``Priority``), with the columns ``Model | Input | Cached input | Output`` and cells such as
  ``$1.10``. A row of the **Standard** table is one offer ``openai`` / ``<model id>``; a row of
  the **Batch** table is one offer of the same model id on the route ``openai-batch`` ("OpenAI
  Batch API", half price, results within 24 hours). ``Cached input`` is the price of cached
  prompt tokens (``cached_input_usd_per_mtok``). A ``-`` cell says "no price stated": an
  ``unknown`` observation, never a zero.
  Flex and Priority are not routes this project tracks, and the other sections (audio and
  image tokens, fine-tuning, built-in tools) do not price text tokens: their rows are skipped
  with a reason. ``items`` counts the offers the page yielded.
- ``/docs/models/<id>``: one model (``items`` = 1). The title (``<h1>``) is its name as OpenAI
  writes it ("GPT-4.1 mini", "o3-mini"); the spec lines "200,000 context window", "100,000 max
  output tokens", "Oct 01, 2023 knowledge cutoff" and "Reasoning token support"; the sections
  Modalities (Text / Image / Audio / Video: "Input and output", "Input only", "Output only",
  "Not supported"), Features (Function calling, Structured outputs, ... "Supported" / "Not
  supported"), Tools (Responses API tools: Code interpreter, Computer use, ...) and Snapshots
  (``o3-mini-2025-01-31``: the first dated snapshot is the release date). The model page's own
  price box repeats the pricing page and is not read.

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

A page that has none of what it should (no Standard text-token table; no title or none of the
spec lines and sections on a model page) is unusable: PageLayoutError.
"""
from __future__ import annotations

import re
from typing import Callable
from urllib.parse import urlsplit

from bs4 import BeautifulSoup, Tag

from pipeline import normalize
from pipeline.config import SourceConfig
from pipeline.identity import IdentityError, creator_name, resolve
from pipeline.models import PageLayoutError, ParseResult, RawPage
from pipeline.parse.collect import PageOut as _Out
from pipeline.parse.collect import const as _const
from pipeline.parse.collect import partial_date as _partial_date
from pipeline.parse.collect import price as _price
from pipeline.parse.collect import text as _text
from pipeline.parse.collect import tokens as _tokens

PROVIDER_ID = "openai"
# Processing tier of a text-token table -> the route (provider id) its rows are offers of.
TIER_PROVIDERS = {"standard": "openai", "batch": "openai-batch"}
TEXT_SECTION = "text tokens"
# Pricing table columns (header text, lower-case) -> offer fields.
PRICE_COLUMNS = {
    "input": "input_usd_per_mtok",
    "cached input": "cached_input_usd_per_mtok",
    "output": "output_usd_per_mtok",
}
REQUIRED_COLUMNS = ("input", "output")

_PRICING_PATH = re.compile(r"^/docs/pricing/?$")
_MODEL_PATH = re.compile(r"^/docs/models/(?P<id>[a-z0-9][a-z0-9.\-]*)/?$")
_MODEL_ID = re.compile(r"^[a-z0-9][a-z0-9.\-]*$")

# Model page spec lines: "<value> <label>".
_SPEC_LINES = {
    "context_window": re.compile(r"^(?P<v>[\d,.]+\s*[km]?) context window$", re.I),
    "max_output_tokens": re.compile(r"^(?P<v>[\d,.]+\s*[km]?) max output tokens$", re.I),
    "knowledge_cutoff": re.compile(r"^(?P<v>.+?) knowledge cutoff$", re.I),
}
_REASONING_LINE = re.compile(r"^reasoning token support$", re.I)
_OPEN_WEIGHT = re.compile(r"\bopen[- ]weights?\b", re.I)

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
        key = _clean(raw).lower()
        if key not in table:
            raise ValueError(f"unknown status {raw!r} (expected one of: {', '.join(table)})")
        return table[key]
    return convert


def _clean(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split())


def _text_of(tag: Tag) -> str:
    """A tag's text with ``<br>`` as a space, whitespace collapsed."""
    return _clean(tag.get_text(" "))


# --- dispatch -----------------------------------------------------------------------------------

def parse(page: RawPage, source: SourceConfig) -> ParseResult:
    path = urlsplit(page.url).path
    try:
        html = page.body().decode("utf-8")
    except UnicodeDecodeError as e:
        raise PageLayoutError(f"page is not UTF-8 text ({e})") from None
    soup = BeautifulSoup(html, "html.parser")
    if _PRICING_PATH.match(path):
        return _parse_pricing(soup, page, source)
    m = _MODEL_PATH.match(path)
    if m:
        return _parse_model_page(soup, page, source, m.group("id"))
    raise PageLayoutError(f"URL path {path!r} is neither the pricing page (/docs/pricing) "
                          "nor a model page (/docs/models/<id>)")


# --- the pricing page ---------------------------------------------------------------------------

def _headings(table: Tag) -> tuple[str, str]:
    """(section, tier) of a table: the ``h2`` above it and the ``h3`` between that and it."""
    nearest = table.find_previous(["h2", "h3"])
    if nearest is None:
        return "", ""
    if nearest.name == "h2":
        return _text_of(nearest), ""
    h2 = nearest.find_previous("h2")
    return (_text_of(h2) if h2 else ""), _text_of(nearest)


def _says_per_mtok(table: Tag) -> bool:
    """The section states its unit ("Prices per 1M tokens.") between its heading and the table."""
    h2 = table.find_previous("h2")
    node = h2
    while node is not None and node is not table:
        node = node.find_next()
        if isinstance(node, Tag) and node.name == "p" and re.search(r"per\s+1\s*M\s+tokens", _text_of(node), re.I):
            return True
    return False


def _table_rows(table: Tag) -> tuple[list[str], list[list[Tag]]]:
    trs = table.find_all("tr")
    if not trs:
        return [], []
    head_tr = table.find("thead").find("tr") if table.find("thead") else trs[0]
    header = [_text_of(c).lower() for c in head_tr.find_all(["th", "td"])]
    rows = [tr.find_all(["td", "th"]) for tr in trs if tr is not head_tr]
    return header, [r for r in rows if r]


def _parse_pricing(soup: BeautifulSoup, page: RawPage, source: SourceConfig) -> ParseResult:
    out = _Out(page, source)
    standard_tables = 0
    for table in soup.find_all("table"):
        section, tier = _headings(table)
        header, rows = _table_rows(table)
        where = f"{section} / {tier}" if tier else (section or "(no heading)")
        if "model" not in header:
            out.problem(f"table under {where!r} has no Model column: not a per-model price table", severity="skip")
            continue
        model_col = header.index("model")
        if section.lower() != TEXT_SECTION:
            for cells in rows:
                out.problem(f"{_model_cell(cells, model_col) or '(no model)'}: listed under {where!r}, "
                            "not a text token price", severity="skip")
            continue
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise PageLayoutError(f"the {where!r} table has no {' / '.join(missing)} column "
                                  f"(header: {' | '.join(header)})")
        if not _says_per_mtok(table):
            raise PageLayoutError(f"the {section!r} section does not say its prices are per 1M tokens")
        provider_id = TIER_PROVIDERS.get(tier.lower())
        if provider_id == PROVIDER_ID:
            standard_tables += 1
        for n, cells in enumerate(rows, 1):
            _pricing_row(out, where, n, cells, header, model_col, provider_id)
    if standard_tables == 0:
        raise PageLayoutError("no 'Standard' table under 'Text tokens' (Model | Input | Cached input | Output)")
    return out.result


def _model_cell(cells: list[Tag], col: int) -> str:
    if col >= len(cells):
        return ""
    # The cell may show the model id with its current snapshot below it: the first word is the id.
    words = _text_of(cells[col]).split()
    return words[0] if words else ""


def _pricing_row(out: _Out, where: str, n: int, cells: list[Tag], header: list[str], model_col: int,
                 provider_id: str | None) -> None:
    pid = _model_cell(cells, model_col)
    if not _MODEL_ID.match(pid):
        shown = _text_of(cells[model_col]) if model_col < len(cells) else ""
        out.problem(f"{where!r} row {n}: model cell {shown or '(empty)'!r} holds no model id")
        return
    if provider_id is None:
        out.problem(f"{pid}: listed under {where!r}, a processing tier that is not a tracked route",
                    severity="skip")
        return
    try:
        ident = resolve(pid, provider_id)
    except IdentityError as e:
        out.problem(f"{pid}: {e}")
        return
    offer = (provider_id, pid, ident.variant)
    who = f"{pid} ({where})"
    yielded = False
    for column, field in PRICE_COLUMNS.items():
        if column not in header:
            continue
        col = header.index(column)
        if col >= len(cells):
            out.problem(f"{who}: the row has no {column!r} cell", field=field)
            continue
        yielded |= out.add("offer", ident.model_id, field, _text_of(cells[col]), _price, who=who, offer=offer)
    if yielded:
        out.result.items += 1


# --- a model page -------------------------------------------------------------------------------

def _section_rows(soup: BeautifulSoup, title: str) -> list[tuple[str, str]] | None:
    """(name, status) rows of the model page section headed ``title``; None when there is none.

    A row is an element of class ``feature-row``: its first child element names the item, its
    last states the status."""
    heading = next((h for h in soup.find_all(["h2", "h3"]) if _text_of(h).lower() == title), None)
    if heading is None:
        return None
    section = heading.find_parent("section") or heading.parent
    rows = []
    for row in section.find_all(class_="feature-row"):
        parts = [c for c in row.children if isinstance(c, Tag) and _text_of(c)]
        if len(parts) >= 2:
            rows.append((_text_of(parts[0]), _text_of(parts[-1])))
    return rows


def _spec_lines(soup: BeautifulSoup) -> list[str]:
    lines = []
    for el in soup.find_all(["li", "div", "p"]):
        if any(isinstance(c, Tag) and c.name in ("li", "div", "p", "ul") for c in el.children):
            continue  # containers: their leaves are read on their own
        text = _text_of(el)
        if text and len(text) < 80:
            lines.append(text)
    return lines


def _parse_model_page(soup: BeautifulSoup, page: RawPage, source: SourceConfig, slug: str) -> ParseResult:
    out = _Out(page, source)
    h1 = soup.find("h1")
    if h1 is None or not _text_of(h1):
        raise PageLayoutError("no model title (<h1>) on the model page")
    try:
        model_id = resolve(slug, PROVIDER_ID).model_id
    except IdentityError as e:
        raise PageLayoutError(str(e)) from None
    who = slug
    lines = _spec_lines(soup)
    specs: dict[str, str] = {}
    reasoning = None
    for line in lines:
        for field, rx in _SPEC_LINES.items():
            m = rx.match(line)
            if m and field not in specs:
                specs[field] = m.group("v")
        if _REASONING_LINE.match(line):
            reasoning = line
    sections = {t: _section_rows(soup, t) for t in ("modalities", "features", "tools", "snapshots")}
    if not specs and all(s is None for s in sections.values()):
        raise PageLayoutError("none of the expected parts of a model page (context window, max output "
                              "tokens, knowledge cutoff, Modalities, Features) were found")

    add = lambda field, raw, convert: out.add("model", model_id, field, raw, convert, who=who)  # noqa: E731
    add("name", _text_of(h1), _text)
    creator = creator_name(model_id)
    if creator:
        add("creator", creator, _text)
    converters = {"context_window": _tokens, "max_output_tokens": _tokens, "knowledge_cutoff": _partial_date}
    for field, raw in specs.items():
        add(field, raw, converters[field])
    if reasoning:
        add("supports_reasoning", reasoning, _const("true"))
    if not _OPEN_WEIGHT.search(_text_of(soup.body or soup)):
        # Closed, API-only models: see the module docstring (a quirk of this source). The page
        # prints no license text, so these observations carry no raw text.
        add("license", None, _const(normalize.normalize_license("proprietary")))
        add("open_weights", None, _const("false"))

    modalities = sections["modalities"] or []
    found_inputs: list[tuple[str, str]] = []
    for name, status in modalities:
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
            add("supports_multimodal", raw, _const("true" if "true" in accepts else "false"))

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
            add(field, f"{name}: {status}", _const(tool_values[-1]))
    if tool_values:
        raw = "; ".join(f"{n}: {s}" for n, s in tools)
        add("supports_tool_use", raw, _const("true" if "true" in tool_values else "false"))

    _release_date(out, soup, model_id, slug)
    if out.result.observations:
        out.result.items = 1
    return out.result


def _release_date(out: _Out, soup: BeautifulSoup, model_id: str, slug: str) -> None:
    """The first dated snapshot (``o3-mini-2025-01-31``) of the Snapshots section."""
    heading = next((h for h in soup.find_all(["h2", "h3"]) if _text_of(h).lower() == "snapshots"), None)
    if heading is None:
        return
    section = heading.find_parent("section") or heading.parent
    dated = re.compile(rf"^{re.escape(slug)}-(\d{{4}}-\d{{2}}-\d{{2}})$")
    snapshots = sorted({_text_of(c) for c in section.find_all("code") if dated.match(_text_of(c))},
                       key=lambda s: dated.match(s).group(1))  # type: ignore[union-attr]
    if snapshots:
        first = snapshots[0]
        out.add("model", model_id, "release_date", first,
                lambda r: normalize.parse_date(dated.match(r).group(1)).isoformat(),  # type: ignore[union-attr]
                who=slug)

