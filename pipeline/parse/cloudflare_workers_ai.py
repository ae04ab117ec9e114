"""Cloudflare Workers AI pricing (developers.cloudflare.com/workers-ai/platform/pricing/, HTML).

The docs page (Starlight markup) has one section per model family ("LLM model pricing",
"Embeddings model pricing", "Image model pricing", ...), each a table
``Model | Price in Tokens | Price in Neurons``. A pricing table is found by its header (a column
whose header contains "Price in Tokens"); the section heading above it says whether it prices
LLMs. Each row of an LLM table is one offer ``cloudflare-workers-ai`` / ``@cf/...``; its price
cell holds one line per unit, separated by ``<br>``::

    $0.027 per M input tokens
    $0.201 per M output tokens

- A row of another section (embeddings, image, audio, translation) is skipped with a reason.
- A row of the LLM table with no per-token price (per tile, per step, per audio minute) is
  skipped with a reason; a token price line that cannot be read is a Problem naming its field.
- No pricing table at all, or none for LLMs, means the layout changed: the page is unusable.

The Neurons column restates the same prices in Cloudflare's own unit and is not read.
``items`` counts the offers the page yielded.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from bs4 import BeautifulSoup, NavigableString, Tag
from pydantic import ValidationError

from pipeline import normalize
from pipeline.config import SourceConfig
from pipeline.identity import IdentityError, resolve
from pipeline.models import Observation, PageLayoutError, ParseResult, Problem, RawPage

PROVIDER_ID = "cloudflare-workers-ai"
PRICE_COLUMN = "price in tokens"
_MODEL_ID = re.compile(r"@(?:cf|hf)/[A-Za-z0-9._\-]+/[A-Za-z0-9._\-]+")
# "... per M input tokens" -> field; the first word that names the token kind decides
_LINE_FIELDS = (
    (re.compile(r"\bcached\s+input\b|\bcache\s+read\b", re.I), "cached_input_usd_per_mtok"),
    (re.compile(r"\binput\b|\bprompt\b", re.I), "input_usd_per_mtok"),
    (re.compile(r"\boutput\b|\bcompletion\b", re.I), "output_usd_per_mtok"),
)
_REQUIRED = ("input_usd_per_mtok", "output_usd_per_mtok")


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

    def offer(self, model_id: str, provider_model_id: str, field: str, raw: str,
              convert: Callable[[Any], str], variant: str = "") -> bool:
        try:
            if normalize.is_unknown(raw):
                obs = Observation(source_id=self.source.id, url=self.page.url, entity="offer",
                                  model_id=model_id, provider_id=PROVIDER_ID,
                                  provider_model_id=provider_model_id, variant=variant, field=field,
                                  raw=raw, status="unknown")
            else:
                obs = Observation(source_id=self.source.id, url=self.page.url, entity="offer",
                                  model_id=model_id, provider_id=PROVIDER_ID,
                                  provider_model_id=provider_model_id, variant=variant, field=field,
                                  raw=raw, value=convert(raw))
        except (ValueError, ValidationError) as e:
            msg = "; ".join(x["msg"] for x in e.errors()) if isinstance(e, ValidationError) else str(e)
            self.problem(f"{provider_model_id}: cannot read {field} from {raw!r}: {msg}", field=field)
            return False
        self.result.observations.append(obs)
        return True


def _price(raw: str) -> str:
    return normalize.decimal_text(normalize.parse_price_text(raw))


def _clean(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split())


def _cell_lines(cell: Tag) -> list[str]:
    """A cell's text, one entry per ``<br>``-separated line (inline tags keep their text)."""
    for br in cell.find_all("br"):
        br.replace_with(NavigableString("\n"))
    return [line for line in (_clean(x) for x in cell.get_text().split("\n")) if line]


def _rows(table: Tag) -> tuple[list[str], list[list[Tag]]]:
    """Header texts (lower-case) and body rows (cells) of a table."""
    trs = table.find_all("tr")
    if not trs:
        return [], []
    head_tr = table.find("thead").find("tr") if table.find("thead") else trs[0]
    header = [_clean(c.get_text()).lower() for c in head_tr.find_all(["th", "td"])]
    body = [tr.find_all(["td", "th"]) for tr in trs if tr is not head_tr]
    return header, [cells for cells in body if cells]


def _section(table: Tag) -> str:
    heading = table.find_previous(["h2", "h3"])
    return _clean(heading.get_text()) if heading else ""


def parse(page: RawPage, source: SourceConfig) -> ParseResult:
    soup = BeautifulSoup(page.body(), "html.parser")
    out = _Out(page, source)
    pricing_tables = 0
    llm_tables = 0
    for table in soup.find_all("table"):
        header, rows = _rows(table)
        price_col = next((i for i, h in enumerate(header) if PRICE_COLUMN in h), None)
        section = _section(table) or "(no heading)"
        if price_col is None:
            out.problem(f"table under {section!r} has no 'Price in Tokens' column: not a model "
                        "pricing table", severity="skip")
            continue
        pricing_tables += 1
        model_col = next((i for i, h in enumerate(header) if "model" in h), 0)
        is_llm = re.search(r"\bLLM\b|text generation", section, re.I) is not None
        if is_llm:
            llm_tables += 1
        for n, cells in enumerate(rows, 1):
            _row(out, section, n, cells, model_col, price_col, is_llm)
    if pricing_tables == 0:
        raise PageLayoutError("no pricing table (a table with a 'Price in Tokens' column) on the page")
    if llm_tables == 0:
        raise PageLayoutError("no 'LLM model pricing' table: pricing tables found only under other headings")
    return out.result


def _row(out: _Out, section: str, n: int, cells: list[Tag], model_col: int, price_col: int, is_llm: bool) -> None:
    model_text = _clean(cells[model_col].get_text()) if model_col < len(cells) else ""
    m = _MODEL_ID.search(model_text)
    if m is None:
        out.problem(f"{section!r} row {n}: no Workers AI model id (@cf/...) in {model_text!r}")
        return
    pid = m.group(0)
    if not is_llm:
        out.problem(f"{pid}: listed under {section!r}, not an LLM", severity="skip")
        return
    lines = _cell_lines(cells[price_col]) if price_col < len(cells) else []
    fields: dict[str, str] = {}
    other: list[str] = []
    for line in lines:
        field = next((f for rx, f in _LINE_FIELDS if rx.search(line) and "token" in line.lower()), None)
        if field is None or field in fields:
            other.append(line)
        else:
            fields[field] = line
    if not fields:
        shown = "; ".join(lines) or "empty"
        out.problem(f"{pid}: not priced per input/output token ({shown})", severity="skip")
        return
    try:
        # A quantized id (``-fp8``, ``-fp8-fast``) is the same model: its variant keeps the offer apart.
        ident = resolve(pid, PROVIDER_ID)
    except IdentityError as e:
        out.problem(f"{pid}: {e}")
        return
    model_id = ident.model_id
    for field in _REQUIRED:
        if field not in fields:
            out.problem(f"{pid}: price cell {' / '.join(lines)!r} has no {field.split('_')[0]} token price",
                        field=field)
    for field, line in fields.items():
        out.offer(model_id, pid, field, line, _price, ident.variant)
    for line in other:
        out.problem(f"{pid}: price line {line!r} is not an input/output token price: not recorded",
                    severity="skip")
    out.result.items += 1
