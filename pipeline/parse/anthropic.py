"""Anthropic: the Markdown sources of the docs' models overview and pricing pages
(platform.claude.com/docs/en/about-claude/..., ``.md`` form).

Which page it is comes from the URL path:

- ``.../about-claude/models/overview.md``: the comparison tables ("Latest models comparison",
  "Legacy models") have one column per model (``Claude Sonnet 4.5``) and one row per feature.
  Per model: name (the column header), creator, context window, max output, knowledge cutoff
  (the row "Reliable knowledge cutoff": ``Jan 2025``), vision (``Vision``: image input, so also
  multimodal when "Yes") and reasoning ("Extended thinking"). ``items`` counts the models.
  A limit cell may state a generally available value and an opt-in beta one
  (``200K tokens / 1M tokens (beta)``, ``64K tokens / 128K tokens (beta)``): the first is the
  model's limit, the beta value is skipped with a reason. A row the table does not have (the
  current page has no "Vision" row) states nothing: it is neither read nor a problem.
  Not read: descriptions, latency, Priority Tier, the Bedrock and Vertex ids (other providers'
  ids), "Training data cutoff" (the broader range of training data, not the knowledge cutoff),
  and the "Pricing" row (the pricing page states the prices, with cache prices, for every model).
- ``.../about-claude/pricing.md``: the "Model pricing" table ``Model | Base Input Tokens | 5m
  Cache Writes | 1h Cache Writes | Cache Hits & Refreshes | Output Tokens`` (``$3 / MTok``):
  one offer ``anthropic`` per row: input, cache_write (the default 5-minute cache write),
  cached_input (cache hits) and output. The 1-hour cache write has no field: skipped with a
  reason. The "Long context pricing" table (``≤ 200K input tokens | > 200K input tokens``)
  adds a tier to the offer of EVERY model its paragraph names ("Claude Sonnet 4 or Sonnet
  4.5": both): tier_threshold_tokens and the prices above it (never folded into the base
  price). Batch prices (the Message Batches API is not a route this project tracks) are
  skipped with a reason. ``items`` counts the offers.

How Anthropic writes limits ("200K", "64K", "8K"): a context window's K is 1,000 (200K tokens is
the API's 200,000; 1M is 1,000,000). A max output's K depends on the generation the figure comes
from: the 4K and 8K output limits of the Claude 2 and 3 generations are the binary 4,096 and
8,192 the API reports (Claude Haiku 3.5: 8,192), while from Claude 3.7 on the limits are decimal
(32K = 32,000 for Opus 4, 64K = 64,000 for Sonnet 3.7 and 4.5, 128K beta = 128,000). So an
output limit written N K is N x 1,024 up to 8K and N x 1,000 above; a figure written in full
("8192 tokens") is read as written.

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
from typing import Any
from urllib.parse import urlsplit

from pipeline import normalize
from pipeline.config import SourceConfig
from pipeline.identity import IdentityError, creator_name, resolve
from pipeline.models import PageLayoutError, ParseResult, RawPage
from pipeline.parse.collect import (
    Convert,
    PageOut,
    const,
    load_text,
    partial_date,
    price,
    text,
    tokens,
    yes_no,
)
from pipeline.parse.markdown import Table, clean, tables

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

_NAME = re.compile(r"^Claude (?P<family>Opus|Sonnet|Haiku) (?P<major>\d+)(?:\.(?P<minor>\d+))?$", re.I)
# A model named in prose: "Claude Sonnet 4", a later "Sonnet 4.5" of the same sentence, or the
# older order "Claude 3.7 Sonnet".
_NAMES_IN_TEXT = re.compile(
    r"\b(?:(?:Claude\s+)?(?P<family>Opus|Sonnet|Haiku)\s+(?P<version>\d+(?:\.\d+)?)"
    r"|Claude\s+(?P<version2>\d+(?:\.\d+)?)\s+(?P<family2>Opus|Sonnet|Haiku))(?![\d.]*\d)")
_K_TOKENS = re.compile(r"^(?P<n>\d+)\s*K(?:\s+tokens?)?$", re.I)


def api_alias(name: str) -> str:
    """``Claude Sonnet 4.5`` -> ``claude-sonnet-4-5``; ``Claude Haiku 3.5`` -> ``claude-3-5-haiku``."""
    m = _NAME.match(name.strip())
    if m is None:
        raise ValueError(f"{name!r} is not a Claude model name (Claude Opus|Sonnet|Haiku <version>)")
    family, major, minor = m.group("family").lower(), int(m.group("major")), m.group("minor")
    version = f"{major}-{minor}" if minor else f"{major}"
    return f"claude-{family}-{version}" if major >= 4 else f"claude-{version}-{family}"


def names_in_text(prose: str) -> list[str]:
    """The Claude models a sentence names, as display names, in order: "When using Claude Sonnet 4
    or Sonnet 4.5" -> ["Claude Sonnet 4", "Claude Sonnet 4.5"]."""
    found = []
    for m in _NAMES_IN_TEXT.finditer(prose):
        family = (m.group("family") or m.group("family2")).capitalize()
        found.append(f"Claude {family} {m.group('version') or m.group('version2')}")
    return list(dict.fromkeys(found))


def output_tokens(raw: Any) -> str:
    """A max output as Anthropic writes it (module docstring): "8K tokens" -> 8192, "64K tokens"
    -> 64000, "8192 tokens" -> 8192."""
    m = _K_TOKENS.match(raw.strip()) if isinstance(raw, str) else None
    if m is not None and 0 < int(m.group("n")) <= 8:
        return str(int(m.group("n")) * 1024)
    return tokens(raw)


def _model_name(cell: str) -> str:
    """``Claude Sonnet 3.7 ([deprecated](...))`` -> ``Claude Sonnet 3.7``."""
    return re.sub(r"\s*\([^)]*\)\s*$", "", clean(cell)).strip()


# --- dispatch -----------------------------------------------------------------------------------

def parse(page: RawPage, source: SourceConfig) -> ParseResult:
    path = urlsplit(page.url).path.rstrip("/")
    if path.endswith("/models/overview.md"):
        return _parse_overview(load_text(page), PageOut(page, source))
    if path.endswith("/pricing.md"):
        return _parse_pricing(load_text(page), PageOut(page, source))
    raise PageLayoutError(f"URL path {path!r} is neither the models overview (.../models/overview.md) "
                          "nor the pricing page (.../pricing.md)")


def _identity(out: PageOut, name: str, field: str | None = None) -> tuple[str, str] | None:
    """(provider model id, canonical model id) of a display name, or a Problem."""
    try:
        alias = api_alias(name)
        return alias, resolve(alias, PROVIDER_ID).model_id
    except (ValueError, IdentityError) as e:
        out.problem(f"cannot tell the model of {name!r}: {e}", field=field)
        return None


# --- models overview ----------------------------------------------------------------------------

def _parse_overview(page_text: str, out: PageOut) -> ParseResult:
    found = [t for t in tables(page_text)
             if t.keys and t.keys[0] == "feature" and any(clean(r[0]).lower() == "claude api id" for r in t.rows if r)]
    if not found:
        raise PageLayoutError("no model comparison table (a 'Feature' table with a 'Claude API ID' row)")
    for table in found:
        rows = {clean(r[0]).lower(): r for r in table.rows if r}
        for r in rows.values():
            if len(r) < len(table.header):  # cut off or malformed: the models to its right learn nothing of it
                out.problem(f"row {clean(r[0])!r} has {len(r)} of the header's {len(table.header)} cells "
                            "(cut off or malformed): the missing cells are not read")
        for col, header in enumerate(table.header[1:], 1):
            name = clean(header)
            ident = _identity(out, name)
            if ident is not None:
                _overview_model(out, name, ident[1], {label: clean(r[col]) for label, r in rows.items() if col < len(r)})
    return out.result


def _overview_model(out: PageOut, name: str, model_id: str, cells: dict[str, str]) -> None:
    """One column of a comparison table; ``cells``: row label (lower-case) -> cleaned cell."""
    before = len(out.result.observations)

    def add(field: str, raw: Any, convert: Convert) -> bool:
        return out.add("model", model_id, field, raw, convert, who=name)

    add("name", name, text)
    creator = creator_name(model_id)
    if creator:
        add("creator", creator, text)
    for label, field, convert in (("context window", "context_window", tokens),
                                  ("max output", "max_output_tokens", output_tokens)):
        if label in cells:
            _limit(out, name, model_id, field, cells[label], convert)
    if "reliable knowledge cutoff" in cells:
        add("knowledge_cutoff", cells["reliable knowledge cutoff"], partial_date)
    vision = cells.get("vision")
    if vision is not None and add("supports_vision", vision, yes_no) and yes_no(vision) == "true":
        add("supports_multimodal", f"Vision: {vision}", const("true"))  # image input
    if "extended thinking" in cells:
        add("supports_reasoning", cells["extended thinking"], yes_no)
    # Closed, API-only models (module docstring): no license text on the page.
    add("license", None, const(normalize.normalize_license("proprietary")))
    add("open_weights", None, const("false"))
    if len(out.result.observations) > before:
        out.result.items += 1


def _limit(out: PageOut, who: str, model_id: str, field: str, cell: str, convert: Convert) -> None:
    """``64K tokens / 128K tokens (beta)``: the first value is the limit; a beta value is skipped."""
    standard, *others = [p.strip() for p in cell.split("/")]
    out.add("model", model_id, field, standard, convert, who=who)
    for other in others:
        if re.search(r"\(beta\)\s*$", other, re.I):
            out.skip(f"{who}: {field} {other!r} is an opt-in beta limit, not the standard one: not recorded", field)
        else:
            out.problem(f"{who}: {field} cell {cell!r} states a second value {other!r} that is not a beta "
                        "limit: not recorded", field=field, key=("model", model_id, None, None))


# --- pricing ------------------------------------------------------------------------------------

def _parse_pricing(page_text: str, out: PageOut) -> ParseResult:
    found = tables(page_text)
    main = [t for t in found if all(c in t.keys for c in REQUIRED_PRICE_COLUMNS) and "model" in t.keys]
    if not main:
        raise PageLayoutError("no model pricing table (Model | Base Input Tokens | ... | Output Tokens)")
    offers: dict[str, tuple[str, str]] = {}  # display name -> (alias, model id)
    for table in main:
        _price_table(out, table, offers)
    for table in found:
        if table in main:
            continue
        keys = table.keys
        if len(keys) == 2 and keys[0].startswith(("≤", "<=")) and keys[1].startswith(">"):
            _long_context_table(out, table, offers)
        elif "model" in keys and any("batch" in k for k in keys):
            for row in table.rows:
                if row:
                    out.skip(f"{_model_name(row[0])}: Batch API price (the Message Batches API is not a "
                             "tracked route): not recorded")
        else:
            shown = " | ".join(clean(h) for h in table.header)
            out.skip(f"table ({shown}) does not price models per token: not read")
    return out.result


def _price_table(out: PageOut, table: Table, offers: dict[str, tuple[str, str]]) -> None:
    keys = table.keys
    model_col = keys.index("model")
    for k, field in PRICE_COLUMNS.items():
        if k in keys and field is None:
            out.skip(f"column {clean(table.header[keys.index(k)])!r} has no field: not recorded")
    for i, k in enumerate(keys):
        if k != "model" and k not in PRICE_COLUMNS:
            out.skip(f"column {clean(table.header[i])!r} is not a known price column: not recorded")
    for n, row in enumerate(table.rows, 1):
        if model_col >= len(row) or not clean(row[model_col]):
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
                out.problem(f"{name}: the row has no {k!r} cell", field=field, key=("offer", model_id, PROVIDER_ID, ""))
                continue
            yielded |= out.offer(model_id, offer, field, clean(row[col]), price, who=name)
        if yielded:
            offers[name] = (alias, model_id)
            out.result.items += 1


def _long_context_table(out: PageOut, table: Table, offers: dict[str, tuple[str, str]]) -> None:
    """``≤ 200K input tokens | > 200K input tokens`` with rows ``Input: $3 / MTok | Input: $6 / MTok``,
    below a paragraph naming the models it applies to: the tier of each of them."""
    names = names_in_text(clean(" ".join(table.before)))
    head = clean(table.header[0])
    m = re.search(r"(\d[\d,.]*\s*[KkMm]?)\s*input tokens", head)
    if not names or m is None:
        out.problem(f"long context table ({head} | {clean(table.header[1])}) names no model or no threshold: "
                    "tier not recorded", field="tier_threshold_tokens")
        return
    for name in names:
        if name not in offers:
            out.problem(f"{name}: named by the long context pricing but not in the model pricing table",
                        field="tier_threshold_tokens")
            continue
        alias, model_id = offers[name]
        offer = (PROVIDER_ID, alias, "")
        who = f"{name} (long context)"
        out.offer(model_id, offer, "tier_threshold_tokens", m.group(1), tokens, who=who)
        for row in table.rows:
            if len(row) < 2:
                continue
            label, _, amount = clean(row[1]).partition(":")
            field = TIER_ROWS.get(label.strip().lower())
            if field is None or not amount.strip():
                out.problem(f"{who}: long context row {clean(row[1])!r} is not an input or output price",
                            field="tier_threshold_tokens", key=("offer", model_id, PROVIDER_ID, ""))
                continue
            out.offer(model_id, offer, field, amount.strip(), price, who=who)
