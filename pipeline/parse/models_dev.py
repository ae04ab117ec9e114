"""models.dev's catalog (``https://models.dev/api.json``).

One JSON object keyed by models.dev's provider id; each provider has ``models``, keyed by the
provider's own model id::

    {"vercel": {"name": "Vercel AI Gateway", ..., "models": {
        "meta/llama-3.2-1b": {"name", "release_date", "knowledge", "open_weights", "reasoning",
                              "tool_call", "structured_output", "modalities": {"input", "output"},
                              "cost": {"input", "output", "cache_read", "cache_write", "tiers"},
                              "limit": {"context", "output"}, "status", ...}}}}

Providers: every provider of the catalog is one (``pipeline.providers``: its key as a slug, the
curated spellings merged: ``vercel`` -> ``vercel-ai-gateway``, ``amazon-bedrock`` -> ``aws-bedrock``),
named as the catalog names it. A stray top-level key that lists no models (``logo.svg``) is skipped.

Each model of a provider is one offer, keyed by (model, provider, variant); the models.dev key is
the offer's claimed ``provider_model_id``. Prices from ``cost`` (USD per 1M tokens; an entry
without ``cost`` is an offer without prices, not an error); serving limits from ``limit.context``,
``limit.input`` and ``limit.output`` (``0`` or ``null`` mean "not stated": unknown). One price tier
(``cost.tiers``, the lowest ``tier.size``) fills the tier fields. Its model is
``identity.resolve(key, provider, fallback_creator=provider)``: provider-scoped aliases apply,
and an id whose creator no rule can tell is a model of the provider's namespace. Bedrock's
cross-region profiles (``us.``, ``global.``) and quantizations (``-fp8``) are the offer's variant.

Model facts (catalog authority): every entry that lists a model states its limits
(``context_window``, ``max_input_tokens``, ``max_output_tokens``), ``release_date`` and
``knowledge_cutoff`` and ``open_weights``: the creator's own entry speaks for the model when the
catalog has one (``openai``'s ``o3-mini``; resellers' copies are then not claims); otherwise one
claim per entry (so reconcile can weigh how many entries state a value); entries that disagree show as conflicts,
reconcile keeps the value most entries agree on, and for limits a value two entries state before
the largest (a reseller's smaller serving limit is not the model's). Name and capabilities (``reasoning``,
``tool_call``, ``structured_output``, image or other inputs in ``modalities.input``) vary with the
reseller: one value each, the creator's own provider first (``openai``'s ``o3-mini`` before
Azure's), then in file order.

Skipped with a reason: deprecated entries (``status: deprecated``), models whose outputs include
no text (image, video, speech generators), embedding models (``embed`` in the id or family), a
release date stated only as a month or as the Unix epoch (``1970-01-01``, a blank date). Numbers
are read exactly (never through floats); ``Observation.raw`` is the number as the file wrote it.
``items`` counts the offers.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from pipeline.config import SourceConfig
from pipeline.identity import IdentityError, deployment, is_creators_own, resolve
from pipeline.models import PageLayoutError, ParseResult, RawPage
from pipeline.parse import offer_variant
from pipeline.parse.collect import (
    Offer,
    PageOut,
    date,
    flag,
    load_json,
    partial_date,
    price_tiers,
    raw_text,
    text,
    usd_per,
    whole_tokens,
)
from pipeline.providers import canonical_provider

COST_FIELDS = {
    "input": "input_usd_per_mtok",
    "output": "output_usd_per_mtok",
    "cache_read": "cached_input_usd_per_mtok",
    "cache_write": "cache_write_usd_per_mtok",
}
# Spellings a few catalog entries use for the same prices (read only when the usual key is absent).
COST_SYNONYMS = {"cached_input": "cache_read", "cache_input": "cache_read", "cached_write": "cache_write"}
_MONTH_ONLY = re.compile(r"^\d{4}-\d{2}$")
EPOCH = "1970-01-01"  # a blank date written as Unix time 0

# limit.<key> -> the offer's serving limits and the model-level claims of this catalog
LIMIT_FIELDS = {"context": "context_window", "input": "max_input_tokens", "output": "max_output_tokens"}


# --- converters (the rest are collect's) ----------------------------------------------------

_price = usd_per("mtok")  # USD per 1M tokens, an exact number (never a float)


def _limit(raw: Any) -> str | None:
    """Token limits; models.dev writes 0 where a provider states none (-> unknown)."""
    if isinstance(raw, int) and not isinstance(raw, bool) and raw == 0:
        return None
    return whole_tokens(raw)


def _shown(raw: Any) -> str | None:
    """How an observation keeps a list of modalities: "text+image"."""
    return "+".join(map(str, raw)) if isinstance(raw, list) else None


def _inputs(raw: Any) -> list[str]:
    if not isinstance(raw, list) or not raw or not all(isinstance(x, str) for x in raw):
        raise ValueError("expected a list of input modalities")
    return raw


# --- the page -------------------------------------------------------------------------------

def _load(page: RawPage) -> dict[str, Any]:
    doc = load_json(page, "catalog")
    if not isinstance(doc, dict):
        raise PageLayoutError(f"catalog is a JSON {type(doc).__name__}, not an object keyed by provider id")
    if not any(isinstance(v, dict) and isinstance(v.get("models"), dict) and v["models"] for v in doc.values()):
        raise PageLayoutError("no provider with a non-empty 'models' object: not the models.dev api.json")
    return doc


def parse(page: RawPage, source: SourceConfig) -> ParseResult:
    doc = _load(page)
    out = PageOut(page, source)
    seen: dict[Offer, str] = {}
    # model_id -> [(rank, entry, who)]: the entries that may speak for the model's facts
    speakers: dict[str, list[tuple[tuple[int, int], dict[str, Any], str]]] = {}
    index = 0
    for pkey, pval in doc.items():
        if not isinstance(pval, dict):
            # a stray key whose value is not an object: not a provider
            out.skip(f"{pkey!r}: a JSON {type(pval).__name__}, not a provider")
            continue
        models = pval.get("models")
        if not isinstance(models, dict):
            out.problem(f"provider {pkey!r}: no 'models' object")
            continue
        if not models:
            # the real catalog ships its logo as {"logo.svg": {"models": {}}}: no provider
            out.skip(f"{pkey!r}: lists no models, not a provider")
            continue
        provider_id = canonical_provider(pkey)
        stated = pval.get("name")
        out.result.providers.setdefault(provider_id, stated if isinstance(stated, str) else pkey)
        for mkey, entry in models.items():
            index += 1
            who = f"{pkey} {mkey}"
            if not isinstance(entry, dict):
                out.problem(f"{who}: entry is a JSON {type(entry).__name__}, not an object")
                continue
            found = _entry(out, who, provider_id, mkey, entry, seen)
            if found:
                rank = (0 if is_creators_own(provider_id, found) else 1, index)
                speakers.setdefault(found, []).append((rank, entry, who))
    for model_id, entries in speakers.items():
        _model_facts(out, model_id, sorted(entries, key=lambda e: e[0]))
    return out.result


def _why_skip(mkey: str, entry: dict[str, Any]) -> str | None:
    if entry.get("status") == "deprecated":
        return "deprecated"
    modalities = entry.get("modalities")
    outputs = modalities.get("output") if isinstance(modalities, dict) else None
    if isinstance(outputs, list) and outputs and "text" not in outputs:
        return f"outputs {'+'.join(map(str, outputs))}, no text: not a text-generation model"
    family = entry.get("family") if isinstance(entry.get("family"), str) else ""
    if "embed" in mkey.lower() or "embed" in family.lower():
        return "an embedding model"
    return None


def _entry(out: PageOut, who: str, provider_id: str, mkey: str, entry: dict[str, Any],
           seen: dict[Offer, str]) -> str | None:
    """The offer of one entry; returns its model id when the entry was used."""
    why = _why_skip(mkey, entry)
    if why:
        out.skip(f"{who}: {why}")
        return None
    try:
        # An id whose creator no rule can tell is a model of the provider's namespace (listed by
        # `llm-ledger unmatched`), never an error.
        ident = resolve(mkey, provider_id, fallback_creator=provider_id)
    except IdentityError as e:
        out.problem(f"{who}: {e}")
        return None
    model_id = ident.model_id
    offer: Offer = (provider_id, mkey, offer_variant(deployment(mkey, provider_id), ident.variant))
    key = (offer[0], model_id, offer[2])
    if key in seen:
        out.skip(f"{who}: the same offer ({model_id} at {provider_id}"
                 f"{' ' + offer[2] if offer[2] else ''}) as {seen[key]}: read once")
        return None
    seen[key] = who
    cost = entry.get("cost")
    if cost is not None:
        if isinstance(cost, dict):
            _cost(out, who, model_id, cost, offer)
        else:
            out.problem(f"{who}: 'cost' is not an object: no price recorded", field="input_usd_per_mtok")
    limit = entry.get("limit")
    if isinstance(limit, dict):
        for key_, field in LIMIT_FIELDS.items():
            if key_ in limit:
                out.add("offer", model_id, field, limit[key_], _limit, who=who, offer=offer)
    out.result.items += 1
    return model_id


def _cost(out: PageOut, who: str, model_id: str, cost: dict[str, Any], offer: Offer) -> None:
    for key, field in COST_FIELDS.items():
        if key in cost:
            out.add("offer", model_id, field, cost[key], _price, who=who, offer=offer)
        else:
            alt = next((k for k, v in COST_SYNONYMS.items() if v == key and k in cost), None)
            if alt:
                out.add("offer", model_id, field, cost[alt], _price, who=who, offer=offer)
    tiers = cost.get("tiers")
    if tiers is None:
        return
    usable: dict[int, dict[str, Any]] = {}
    for t in tiers if isinstance(tiers, list) else [tiers]:
        tier = t.get("tier") if isinstance(t, dict) else None
        size = tier.get("size") if isinstance(tier, dict) else None
        if not isinstance(size, int) or isinstance(size, bool) or tier.get("type") not in (None, "context"):
            out.problem(f"{who}: cannot read price tier {json.dumps(t, default=str)[:80]}",
                        field="tier_threshold_tokens")
            continue
        usable.setdefault(size, {k: t[k] for k in ("input", "output") if k in t})
    price_tiers(out, model_id, offer, usable, _price, who=who)


# Model facts: field -> (how to find its raw value in an entry, converter).
def _get(key: str) -> Callable[[dict[str, Any]], Any]:
    return lambda e: e.get(key)


def _modalities(e: dict[str, Any]) -> Any:
    m = e.get("modalities")
    return m.get("input") if isinstance(m, dict) else None


def _limit_of(key: str) -> Callable[[dict[str, Any]], Any]:
    def get(e: dict[str, Any]) -> Any:
        limit = e.get("limit")
        return limit.get(key) if isinstance(limit, dict) else None
    return get


MODEL_FACTS: list[tuple[str, Callable[[dict[str, Any]], Any], Callable[[Any], str]]] = [
    ("name", _get("name"), text),
    ("context_window", _limit_of("context"), whole_tokens),
    ("max_input_tokens", _limit_of("input"), whole_tokens),
    ("max_output_tokens", _limit_of("output"), whole_tokens),
    ("release_date", _get("release_date"), date),
    ("knowledge_cutoff", _get("knowledge"), partial_date),
    ("open_weights", _get("open_weights"), flag),
    ("supports_reasoning", _get("reasoning"), flag),
    ("supports_function_calling", _get("tool_call"), flag),
    ("supports_tool_use", _get("tool_call"), flag),
    ("supports_structured_outputs", _get("structured_output"), flag),
    ("supports_vision", _modalities, lambda raw: "true" if "image" in _inputs(raw) else "false"),
    ("supports_multimodal", _modalities, lambda raw: "true" if any(x != "text" for x in _inputs(raw)) else "false"),
]


# Facts of the model itself, stated by every entry that lists it: each distinct value is a claim
# (the creator's own entry first), so an entry that disagrees with another shows as a conflict.
# Limits are the catalog's model-level claims: reconcile keeps the largest (a provider serves at
# most the model's native limit). Names and capabilities vary with the reseller's own wording
# and features: one value, the creator's own entry first.
EVERY_ENTRY = {"release_date", "knowledge_cutoff", "open_weights", "context_window", "max_input_tokens",
               "max_output_tokens"}


def _model_facts(out: PageOut, model_id: str, entries: list[tuple[tuple[int, int], dict[str, Any], str]]) -> None:
    # The creator's own entry (openai's o3-mini) states the model's facts first-hand: when the
    # catalog has one, resellers' copies are not claims of their own (they often give the day
    # they listed the model as its release date).
    own = [e for e in entries if e[0][0] == 0]
    for field, get, convert in MODEL_FACTS:
        stated = [(get(e), who) for _, e, who in (own or entries) if get(e) is not None]
        if not stated:
            stated = [(get(e), who) for _, e, who in entries if get(e) is not None]
        if field not in EVERY_ENTRY:
            stated = stated[:1]
        said: set[str] = set()
        for raw, who in stated:
            written = raw_text(raw) or ""
            # One claim per entry: how many resellers state a value is evidence (a reseller often
            # gives the day it listed a model as its release date; reconcile prefers the value
            # most entries agree on, and for limits a value two entries state over a larger one).
            if written in said and field not in EVERY_ENTRY:
                continue
            said.add(written)
            if field == "release_date" and isinstance(raw, str) and _MONTH_ONLY.match(raw.strip()):
                out.skip(f"{who}: release_date {raw!r} names only a month: not recorded", field=field)
                continue
            if field == "release_date" and isinstance(raw, str) and raw.strip() == EPOCH:
                # frogbot's entries write 1970-01-01 for both dates: day 0 of Unix time, what a
                # blank date becomes, not a date anyone released a model on
                out.skip(f"{who}: release_date {raw!r} is the Unix epoch, a placeholder: not recorded", field=field)
                continue
            if field in LIMIT_FIELDS.values() and (not isinstance(raw, int) or isinstance(raw, bool) or raw <= 0):
                continue  # 0 states none; an unreadable limit is already a problem of the offer
            out.add("model", model_id, field, raw, convert, who=who, shown=_shown(raw))
