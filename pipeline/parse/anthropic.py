"""Anthropic: the Markdown sources of the docs' models overview and pricing pages.

Which page it is comes from the URL path:

- ``.../about-claude/models/overview.md``: the comparison tables ("Latest models comparison",
  "Legacy models") have one column per model (``Claude Sonnet 4.5``) and one row per feature.
  Per model: name (the column header), creator, context window (``200K tokens / 1M tokens
  (beta)``: the standard window; the beta window is skipped with a reason), max output
  (``64000 tokens``), knowledge cutoff (the row "Reliable knowledge cutoff": ``Jan 2025``),
  vision (``Vision``: image input, so also multimodal when "Yes") and reasoning ("Extended
  thinking"). ``items`` counts the models. Not read: descriptions, latency, the Bedrock and
  Vertex ids (other providers' ids), "Training data cutoff" (the broader range of training
  data, not the knowledge cutoff), and the "Pricing" row (the pricing page states the prices,
  with cache prices, for every model).
- ``.../about-claude/pricing.md``: the "Model pricing" table ``Model | Base Input Tokens | 5m
  Cache Writes | 1h Cache Writes | Cache Hits & Refreshes | Output Tokens`` (``$3 / MTok``):
  one offer ``anthropic`` per row: input, cache_write (the default 5-minute cache write),
  cached_input (cache hits) and output. The 1-hour cache write has no field: skipped with a
  reason. The "Long context pricing" table (``≤ 200K input tokens | > 200K input tokens``)
  adds a tier to the offers of the models its paragraph names: tier_threshold_tokens and the
  prices above it (never folded into the base price). Batch prices (the Message Batches API is
  not a route this project tracks) are skipped with a reason. ``items`` counts the offers.

Identity quirk: the pricing page names models only by display name. Both pages therefore key
a model by the API alias its name stands for, in Anthropic's naming scheme: ``Claude Sonnet
4.5`` -> ``claude-sonnet-4-5``, ``Claude Opus 4`` -> ``claude-opus-4``; before the Claude 4
generation the version came first: ``Claude Haiku 3.5`` -> ``claude-3-5-haiku``. That alias is
the offer's provider model id and goes through ``pipeline.identity.resolve``.

Closed models: Anthropic serves Claude only through APIs and publishes no weights, and these
pages print no license, so every model of the overview is read as license "Proprietary",
open_weights false (observations without raw text).

A page with none of its tables (no comparison table with a "Claude API ID" row; no table
with "Base Input Tokens" and "Output Tokens" columns) is unusable: PageLayoutError.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from pipeline import normalize
from pipeline.config import SourceConfig
from pipeline.identity import IdentityError, creator_name, resolve
from pipeline.models import PageLayoutError, ParseResult, Problem, RawPage
from pipeline.parse.collect import PageOut as _Out
from pipeline.parse.collect import const as _const
from pipeline.parse.collect import partial_date as _partial_date
from pipeline.parse.collect import price as _price
from pipeline.parse.collect import text as _text
from pipeline.parse.collect import tokens as _tokens

PROVIDER_ID = "anthropic"

# Pricing table columns (header, lower-case) -> offer fields; None: no field, skipped with a reason.
PRICE_COLUMNS: dict[str, str | None] = {
    "base input tokens": "input_usd_per_mtok",
    "5m cache writes": "cache_write_usd_per_mtok",
    "1h cache writes": None,
    "cache hits & refreshes": "cached_input_usd_per_mtok",
    "output tokens": "output_usd_per_mtok",
}
REQUIRED_PRICE_COLUMNS = ("base input tokens", "output tokens")
# Long-context tier rows ("Input: $6 / MTok") -> the offer field above the tier.
TIER_ROWS = {"input": "input_usd_per_mtok_above_tier", "output": "output_usd_per_mtok_above_tier"}
YES_NO = {"yes": "true", "no": "false"}

_NAME = re.compile(r"^Claude (?P<family>Opus|Sonnet|Haiku) (?P<major>\d+)(?:\.(?P<minor>\d+))?$", re.I)
_NAMES_IN_TEXT = re.compile(r"Claude (?:Opus|Sonnet|Haiku) \d+(?:\.\d+)?(?![\d.]*\d)")


def _yes_no(raw: str) -> str:
    key = raw.strip().lower()
    if key not in YES_NO:
        raise ValueError(f"expected Yes or No, got {raw!r}")
    return YES_NO[key]


# --- Markdown -----------------------------------------------------------------------------------

def _clean(cell: str) -> str:
    """A Markdown table cell as plain text: no footnote marks, links, emphasis or escapes."""
    text = re.sub(r"<sup>.*?</sup>", "", cell)
    text = re.sub(r"<br\s*/?>|<hr\s*/?>", " ", text)
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # [text](url) -> text
    text = text.replace("**", "").replace("`", "").replace("\\$", "$").replace("\u00a0", " ")
    return " ".join(text.split())


def _split_row(line: str) -> list[str]:
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|"):
        body = body[:-1]
    return [c.strip() for c in body.split("|")]


class _Table:
    def __init__(self, header: list[str], rows: list[list[str]], before: str) -> None:
        self.header = header  # raw cells
        self.rows = rows  # raw cells
        self.before = before  # the prose between the previous table (or heading) and this one

    @property
    def keys(self) -> list[str]:
        return [_clean(h).lower() for h in self.header]


def _tables(text: str) -> list[_Table]:
    """Every pipe table of a Markdown text, with the paragraph lines just above it."""
    tables: list[_Table] = []
    lines = text.splitlines()
    i = 0
    prose: list[str] = []
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith("|") and i + 1 < len(lines) and re.match(r"^\s*\|?\s*:?-{3,}", lines[i + 1]):
            header = _split_row(line)
            i += 2
            rows = []
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                rows.append(_split_row(lines[i]))
                i += 1
            tables.append(_Table(header, rows, " ".join(prose)))
            prose = []
            continue
        if line.startswith("#"):
            prose = []
        elif line.strip():
            prose.append(line.strip())
        i += 1
    return tables


def api_alias(name: str) -> str:
    """``Claude Sonnet 4.5`` -> ``claude-sonnet-4-5``; ``Claude Haiku 3.5`` -> ``claude-3-5-haiku``."""
    m = _NAME.match(name.strip())
    if m is None:
        raise ValueError(f"{name!r} is not a Claude model name (Claude Opus|Sonnet|Haiku <version>)")
    family, major, minor = m.group("family").lower(), int(m.group("major")), m.group("minor")
    version = f"{major}-{minor}" if minor else f"{major}"
    return f"claude-{family}-{version}" if major >= 4 else f"claude-{version}-{family}"


def _model_name(cell: str) -> str:
    """``Claude Sonnet 3.7 ([deprecated](...))`` -> ``Claude Sonnet 3.7``."""
    text = _clean(cell)
    return re.sub(r"\s*\([^)]*\)\s*$", "", text).strip()


# --- dispatch -----------------------------------------------------------------------------------

def parse(page: RawPage, source: SourceConfig) -> ParseResult:
    path = urlsplit(page.url).path.rstrip("/")
    try:
        text = page.body().decode("utf-8")
    except UnicodeDecodeError as e:
        raise PageLayoutError(f"page is not UTF-8 text ({e})") from None
    if path.endswith("/models/overview.md"):
        return _parse_overview(text, page, source)
    if path.endswith("/pricing.md"):
        return _parse_pricing(text, page, source)
    raise PageLayoutError(f"URL path {path!r} is neither the models overview (.../models/overview.md) "
                          "nor the pricing page (.../pricing.md)")


def _identity(out: _Out, name: str, field: str | None = None) -> tuple[str, str] | None:
    """(provider model id, canonical model id) of a display name, or a Problem."""
    try:
        alias = api_alias(name)
        return alias, resolve(alias, PROVIDER_ID).model_id
    except (ValueError, IdentityError) as e:
        out.problem(f"cannot tell the model of {name!r}: {e}", field=field)
        return None


# --- models overview ----------------------------------------------------------------------------

def _parse_overview(text: str, page: RawPage, source: SourceConfig) -> ParseResult:
    out = _Out(page, source)
    tables = [t for t in _tables(text)
              if t.keys and t.keys[0] == "feature" and any(_clean(r[0]).lower() == "claude api id" for r in t.rows if r)]
    if not tables:
        raise PageLayoutError("no model comparison table (a 'Feature' table with a 'Claude API ID' row)")
    for table in tables:
        rows = {_clean(r[0]).lower(): r for r in table.rows if r}
        for col, header in enumerate(table.header[1:], 1):
            name = _clean(header)
            ident = _identity(out, name)
            if ident is None:
                continue
            _, model_id = ident
            who = name
            before = len(out.result.observations)

            def cell(label: str) -> str | None:
                row = rows.get(label)
                return _clean(row[col]) if row is not None and col < len(row) else None

            add = lambda field, raw, convert: out.add("model", model_id, field, raw, convert, who=who)  # noqa: E731
            add("name", name, _text)
            creator = creator_name(model_id)
            if creator:
                add("creator", creator, _text)
            window = cell("context window")
            if window is not None:
                standard, *others = [p.strip() for p in window.split("/")]
                add("context_window", standard, _tokens)
                for other in others:
                    out.problem(f"{who}: context window {other!r} (beta, opt-in) is not the standard window: "
                                "not recorded", field="context_window", severity="skip")
            max_out = cell("max output")
            if max_out is not None:
                add("max_output_tokens", max_out, _tokens)
            cutoff = cell("reliable knowledge cutoff")
            if cutoff is not None:
                add("knowledge_cutoff", cutoff, _partial_date)
            vision = cell("vision")
            if vision is not None and add("supports_vision", vision, _yes_no) and _yes_no(vision) == "true":
                add("supports_multimodal", f"Vision: {vision}", _const("true"))  # image input
            thinking = cell("extended thinking")
            if thinking is not None:
                add("supports_reasoning", thinking, _yes_no)
            # Closed, API-only models (module docstring): no license text on the page.
            add("license", None, _const(normalize.normalize_license("proprietary")))
            add("open_weights", None, _const("false"))
            if len(out.result.observations) > before:
                out.result.items += 1
    return out.result


# --- pricing ------------------------------------------------------------------------------------

def _parse_pricing(text: str, page: RawPage, source: SourceConfig) -> ParseResult:
    out = _Out(page, source)
    tables = _tables(text)
    main = [t for t in tables if all(c in t.keys for c in REQUIRED_PRICE_COLUMNS) and "model" in t.keys]
    if not main:
        raise PageLayoutError("no model pricing table (Model | Base Input Tokens | ... | Output Tokens)")
    offers: dict[str, tuple[str, str]] = {}  # display name -> (alias, model id)
    for table in main:
        _price_table(out, table, offers)
    for table in tables:
        if table in main:
            continue
        keys = table.keys
        if len(keys) == 2 and keys[0].startswith(("≤", "<=")) and keys[1].startswith((">",)):
            _long_context_table(out, table, offers)
        elif "model" in keys and any("batch" in k for k in keys):
            for row in table.rows:
                if row:
                    out.problem(f"{_model_name(row[0])}: Batch API price (the Message Batches API is not a "
                                "tracked route): not recorded", severity="skip")
        else:
            shown = " | ".join(_clean(h) for h in table.header)
            out.problem(f"table ({shown}) does not price models per token: not read", severity="skip")
    return out.result


def _price_table(out: _Out, table: _Table, offers: dict[str, tuple[str, str]]) -> None:
    keys = table.keys
    model_col = keys.index("model")
    unknown_cols = [table.header[i] for i, k in enumerate(keys) if k != "model" and k not in PRICE_COLUMNS]
    for k, field in PRICE_COLUMNS.items():
        if k in keys and field is None:
            out.problem(f"column {_clean(table.header[keys.index(k)])!r} has no field: not recorded",
                        severity="skip")
    for h in unknown_cols:
        out.problem(f"column {_clean(h)!r} is not a known price column: not recorded", severity="skip")
    for n, row in enumerate(table.rows, 1):
        if model_col >= len(row) or not _clean(row[model_col]):
            out.problem(f"model pricing row {n} names no model")
            continue
        name = _model_name(row[model_col])
        ident = _identity(out, name)
        if ident is None:
            continue
        alias, model_id = ident
        offer = (PROVIDER_ID, alias, "")
        yielded = False
        for k, field in PRICE_COLUMNS.items():
            if field is None or k not in keys:
                continue
            col = keys.index(k)
            if col >= len(row):
                out.problem(f"{name}: the row has no {k!r} cell", field=field)
                continue
            yielded |= out.add("offer", model_id, field, _clean(row[col]), _price, who=name, offer=offer)
        if yielded:
            offers[name] = (alias, model_id)
            out.result.items += 1


def _long_context_table(out: _Out, table: _Table, offers: dict[str, tuple[str, str]]) -> None:
    """``≤ 200K input tokens | > 200K input tokens`` with rows ``Input: $3 / MTok | Input: $6 / MTok``."""
    names = list(dict.fromkeys(_NAMES_IN_TEXT.findall(_clean(table.before))))
    head = _clean(table.header[0])
    m = re.search(r"(\d[\d,.]*\s*[KkMm]?)\s*input tokens", head)
    if not names or m is None:
        out.problem(f"long context table ({head} | {_clean(table.header[1])}) names no model or no threshold: "
                    "tier not recorded", field="tier_threshold_tokens")
        return
    threshold = m.group(1)
    for name in names:
        if name not in offers:
            out.problem(f"{name}: named by the long context pricing but not in the model pricing table",
                        field="tier_threshold_tokens")
            continue
        alias, model_id = offers[name]
        offer = (PROVIDER_ID, alias, "")
        who = f"{name} (long context)"
        out.add("offer", model_id, "tier_threshold_tokens", threshold, _tokens, who=who, offer=offer)
        for row in table.rows:
            if len(row) < 2:
                continue
            label, _, price = _clean(row[1]).partition(":")
            field = TIER_ROWS.get(label.strip().lower())
            if field is None or not price.strip():
                out.problem(f"{who}: long context row {_clean(row[1])!r} is not an input or output price",
                            field="tier_threshold_tokens")
                continue
            out.add("offer", model_id, field, price.strip(), _price, who=who, offer=offer)
