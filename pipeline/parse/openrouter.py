"""OpenRouter: the models API (``/api/v1/models``) and a model's endpoints (``.../endpoints``).

Which page it is comes from the URL path:

- ``/api/v1/models``: ``{"data": [model, ...]}``. Per model: model facts (name without the
  ``"Creator: "`` prefix, release date from ``created``, knowledge cutoff, capabilities) and one
  offer ``openrouter`` / ``<id without ":variant">`` / ``variant`` (``"free"``, ...) with the
  router's default prices and limits. ``items`` counts the models that yielded something.
  ``~``-prefixed ids (``~anthropic/claude-haiku-latest``) are router aliases that follow the latest
  model of a family, not models: skipped with a reason.
- ``/api/v1/models/<slug>/endpoints``: ``{"data": {"id", ..., "endpoints": [...]}}``. Each
  endpoint is an offer of the UPSTREAM provider that serves it (Cloudflare, DeepInfra, ...), as
  OpenRouter reports it: provider the canonical id of the endpoint's ``tag`` (else its
  ``provider_name``) through ``pipeline.providers`` (curated spellings merged, any other upstream
  a provider of its own, named as OpenRouter names it); no provider model id is claimed (the
  upstream's own id is not published), so the report meets the provider's own page on one offer.
  A tag may name more after a slash. A serving precision (``"deepinfra/bf16"``; ``QUANTIZATIONS``)
  is the offer's quantization; anything else names the route (``"fireworks/fast"``,
  ``"google-vertex/global"``, ``"morph/fast"``) and is the offer's variant (``fast``, ``global``),
  never a quantization: the endpoint's own ``quantization`` field (``"fp4"``; ``"unknown"`` states
  nothing) is then its quantization. When one upstream serves the model through several endpoints
  of one route, each of those offers adds its quantization to the variant so they stay apart (an
  endpoint that still cannot be told apart is skipped with a reason). A gone endpoints page
  (HTTP 404) is a problem of that page (``is_follow_up``). These are catalog claims about someone
  else's offers: reconcile ranks them below the upstream provider's own page. ``items`` counts
  the endpoints that yielded an offer.

Quirks of this source, all handled here:

- Prices are strings in USD per *single token*; ``"-1"`` means dynamic pricing (routers such as
  ``openrouter/auto``): such an entry is skipped with a reason, never stored as a price.
- ``context_length`` is the serving limit of the route (Llama 3.2 1B shows 60,000, Cloudflare's
  limit): an offer fact, and on the models list also the catalog's model-level claim, which
  reconcile weighs against the others (a smaller serving limit never becomes the model's window).
- ``supported_parameters`` lists what the router accepts: presence of ``tools``, ``reasoning``,
  ``structured_outputs``/``response_format`` says "supported"; absence states nothing.
- ``input_modalities`` is explicit, so vision is asserted both ways.
- ``pricing.overrides`` lists prices that replace the base ones under a condition. A long-context
  price (``{"min_prompt_tokens": 256000, "prompt": ..., "completion": ...}``) fills the tier fields
  (the lowest threshold; a second tier, and a tier's cache prices, are skips naming them). Any
  other condition (a time-of-day price: no real response with one was at hand to learn its shape)
  is an error naming it, its prices never folded into the base ones nor dropped in silence.
- ``pricing.discount`` is 0 in every response seen; any other value is an error naming it
  (``collect.stated_discount``), and the listed prices stand.
"""
from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from pipeline import normalize
from pipeline.config import SourceConfig
from pipeline.identity import VARIANTS, IdentityError, canonical_model_id, creator_name
from pipeline.models import PageLayoutError, ParseResult, RawPage
from pipeline.parse import offer_variant
from pipeline.parse.collect import (
    Offer,
    PageOut,
    const,
    load_json,
    partial_date,
    price_per_token,
    price_tiers,
    raw_text,
    stated_discount,
    text,
    tokens,
)
from pipeline.providers import canonical_provider

PROVIDER_ID = "openrouter"

# OpenRouter pricing keys (USD per token) -> offer fields.
PRICE_FIELDS = {
    "prompt": "input_usd_per_mtok",
    "completion": "output_usd_per_mtok",
    "input_cache_read": "cached_input_usd_per_mtok",
    "input_cache_write": "cache_write_usd_per_mtok",
}
REQUIRED_PRICES = ("prompt", "completion")
# A long-context price (``pricing.overrides[]`` with ``min_prompt_tokens``): its keys -> the sides
# of a price tier (collect.price_tiers).
TIER_SIDES = {"prompt": "input", "completion": "output"}

# supported_parameters entries that mean a capability is supported (absence means unknown).
CAPABILITY_PARAMS = {
    "supports_reasoning": ("reasoning", "include_reasoning"),
    "supports_function_calling": ("tools",),
    "supports_structured_outputs": ("structured_outputs", "response_format"),
}

# Serving precisions an endpoint tag may name after its slash ("deepinfra/bf16"): OpenRouter's
# quantization values and the precisions provider ids carry. Any other suffix names the route
# ("fireworks/fast", "google-vertex/global"): a variant of the offer, not a quantization.
QUANTIZATIONS = frozenset({"int4", "int8", "fp4", "fp6", "fp8", "fp16", "fp32", "bf16", *VARIANTS})


def _created(raw: Any) -> str:
    """``created``: a Unix time (seconds) -> the release date."""
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise ValueError("expected a Unix time in seconds")
    return normalize.parse_date(raw).isoformat()


# --- page kinds -------------------------------------------------------------------------------

def is_follow_up(url: str) -> bool:
    """A model's endpoints page is followed from the models list: when it is gone (HTTP 404) that
    is a problem of the page, and the source stays healthy (pipeline.parse.parse_page)."""
    return urlsplit(url).path.rstrip("/").endswith("/endpoints")


def parse(page: RawPage, source: SourceConfig) -> ParseResult:
    path = urlsplit(page.url).path.rstrip("/")
    if path.endswith("/endpoints"):
        return _parse_endpoints(page, source)
    if path.endswith("/models"):
        return _parse_models(page, source)
    raise PageLayoutError(f"URL path {path!r} is neither the models list (/api/v1/models) "
                          "nor a model's endpoints (/api/v1/models/<id>/endpoints)")


def _split_id(openrouter_id: str) -> tuple[str, str]:
    """``meta-llama/llama-3.2-3b-instruct:free`` -> (``meta-llama/llama-3.2-3b-instruct``, ``free``)."""
    base, _, variant = openrouter_id.partition(":")
    return base, variant


def _is_dynamic(pricing: dict[str, Any]) -> bool:
    """OpenRouter writes "-1" for prices decided per request (routers)."""
    for value in pricing.values():
        if isinstance(value, (list, dict, bool)) or value is None:
            continue
        try:
            if Decimal(str(value)) < 0:
                return True
        except ArithmeticError:
            continue
    return False


def _parse_models(page: RawPage, source: SourceConfig) -> ParseResult:
    doc = load_json(page, "models list")
    models = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(models, list):
        raise PageLayoutError("models list has no 'data' list")
    if not models:
        raise PageLayoutError("models list 'data' is empty")
    _require_price_keys([m.get("pricing") for m in models if isinstance(m, dict)], "models list data[].pricing")
    out = PageOut(page, source)
    listed_bases = {
        m["id"] for m in models if isinstance(m, dict) and isinstance(m.get("id"), str) and ":" not in m["id"]
    }
    for i, entry in enumerate(models):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str) or not entry["id"].strip():
            out.problem(f"data[{i}] has no model id")
            continue
        if entry["id"].strip().startswith("~"):
            # "~anthropic/claude-haiku-latest": a name that follows whichever model is the latest
            # of a family; its prices and limits are that model's, read from its own entry.
            out.skip(f"{entry['id'].strip()}: a router alias for the latest model of a family, not a model")
            continue
        if _parse_model_entry(out, entry, listed_bases):
            out.result.items += 1
    return out.result


def _parse_model_entry(out: PageOut, entry: dict[str, Any], listed_bases: set[str]) -> bool:
    or_id = entry["id"].strip()
    base, variant = _split_id(or_id)
    pricing = entry.get("pricing")
    if not isinstance(pricing, dict):
        out.problem(f"{or_id}: no 'pricing' object")
        return False
    if _is_dynamic(pricing):
        out.skip(f"{or_id}: dynamic pricing ({json.dumps(pricing, default=str)}): a router priced "
                 "per request, no fixed price to record")
        return False
    arch = entry.get("architecture") if isinstance(entry.get("architecture"), dict) else {}
    outputs = arch.get("output_modalities")
    if isinstance(outputs, list) and outputs and "text" not in outputs:
        out.skip(f"{or_id}: outputs {outputs}, not text: not a chat model")
        return False
    try:
        model_id = canonical_model_id(base)
    except IdentityError as e:
        out.problem(f"{or_id}: {e}")
        return False

    # Model facts. A variant (":free") repeats its base model's facts: read them from the base
    # entry when the page lists it.
    if not variant or base not in listed_bases:
        _model_facts(out, model_id, or_id, entry, arch, variant)

    offer = (PROVIDER_ID, base, variant)
    _prices(out, model_id, or_id, pricing, offer)
    if "context_length" in entry:
        out.offer(model_id, offer, "context_window", entry["context_length"], tokens, who=or_id)
        if not variant or base not in listed_bases:
            # Also the catalog's model-level claim; reconcile keeps the largest claim of equal
            # authority, so a route's smaller serving limit never becomes the model's window.
            out.add("model", model_id, "context_window", entry["context_length"], tokens, who=or_id)
    top = entry.get("top_provider")
    if isinstance(top, dict) and "max_completion_tokens" in top:
        out.offer(model_id, offer, "max_output_tokens", top["max_completion_tokens"], tokens, who=or_id)
    return True


def _model_facts(out: PageOut, model_id: str, or_id: str, entry: dict[str, Any],
                 arch: dict[str, Any], variant: str) -> None:
    name = entry.get("name")
    if isinstance(name, str):
        out.add("model", model_id, "name", name, lambda n: _display_name(n, variant), who=or_id)
        prefix, sep, _ = name.partition(": ")
        if sep and prefix.strip():
            # "Mistral: ..." names the creator; the curated creator name wins over the prefix's spelling.
            out.add("model", model_id, "creator", prefix.strip(),
                    lambda p: text(creator_name(model_id) or p), who=or_id)
    if "created" in entry:
        out.add("model", model_id, "release_date", entry["created"], _created, who=or_id)
    if "knowledge_cutoff" in entry:
        out.add("model", model_id, "knowledge_cutoff", entry["knowledge_cutoff"], partial_date, who=or_id)
    params = entry.get("supported_parameters")
    if isinstance(params, list):
        for field, names in CAPABILITY_PARAMS.items():
            hit = next((p for p in names if p in params), None)
            if hit:  # absence states nothing
                out.add("model", model_id, field, hit, const("true"), who=or_id)
    inputs = arch.get("input_modalities")
    if isinstance(inputs, list) and inputs:
        out.add("model", model_id, "supports_vision", "+".join(map(str, inputs)),
                const("true" if "image" in inputs else "false"), who=or_id)


def _display_name(name: str, variant: str) -> str:
    """``"Meta: Llama 3.2 3B Instruct (free)"`` -> ``"Llama 3.2 3B Instruct"``."""
    shown = name.strip()
    _, sep, rest = shown.partition(": ")
    if sep and rest.strip():
        shown = rest.strip()
    if variant and shown.lower().endswith(f"({variant.lower()})"):
        shown = shown[: -len(variant) - 2].strip()
    return text(shown)


def _require_price_keys(pricings: list[Any], where: str) -> None:
    """A renamed key wipes a price from every item at once: when no item states a required price,
    the layout changed (the page is unusable and keeps what it said last time), it is not a skip."""
    stated = [p for p in pricings if isinstance(p, dict)]
    for key in REQUIRED_PRICES:
        if pricings and not any(key in p for p in stated):
            raise PageLayoutError(f"no item of {where} states a {key!r} price (of {len(pricings)} items): "
                                  "the price keys changed")


def _prices(out: PageOut, model_id: str, who: str, pricing: dict[str, Any], offer: Offer) -> None:
    for key, field in PRICE_FIELDS.items():
        if key in pricing:
            out.offer(model_id, offer, field, pricing[key], price_per_token, who=who)
        elif key in REQUIRED_PRICES:
            out.skip(f"{who}: pricing states no {key!r} price; {field} not recorded", field=field)
    stated_discount(out, who, pricing.get("discount"), key=("offer", model_id, offer[0], offer[2]))
    if "overrides" in pricing:
        _overrides(out, model_id, who, pricing["overrides"], offer)


def _overrides(out: PageOut, model_id: str, who: str, overrides: Any, offer: Offer) -> None:
    """``pricing.overrides``: prices that replace the base ones under a condition. A long-context
    price (``{"min_prompt_tokens": 200000, "prompt": ..., "completion": ...}``) fills the tier
    fields (the lowest threshold; ``tier_threshold_tokens`` is ``min_prompt_tokens`` as written);
    any other condition (a time of day, ...) is an error naming it: its prices are never folded
    into the base price, and never dropped without a word."""
    key = ("offer", model_id, offer[0], offer[2])
    if not isinstance(overrides, list):
        out.problem(f"{who}: pricing.overrides is {raw_text(overrides)!r}, not a list of prices: not recorded",
                    field="tier_threshold_tokens", key=key)
        return
    tiers: dict[int, dict[str, Any]] = {}
    for j, item in enumerate(overrides):
        conditions = sorted(k for k in item if not _is_price_key(k)) if isinstance(item, dict) else None
        size = item.get("min_prompt_tokens") if isinstance(item, dict) else None
        if conditions != ["min_prompt_tokens"] or not isinstance(size, int) or isinstance(size, bool) or size <= 0:
            why = f"under {', '.join(conditions)}" if conditions else "under no condition"
            out.problem(f"{who}: pricing.overrides[{j}] prices {why}, which this parser does not read (only a "
                        f"whole 'min_prompt_tokens' makes a price tier): {json.dumps(item, default=str)[:160]} "
                        "not recorded", field="tier_threshold_tokens", key=key)
            continue
        sides = {side: item[k] for k, side in TIER_SIDES.items() if k in item}
        if not sides:
            out.problem(f"{who}: the price tier above {size} prompt tokens states no 'prompt' or 'completion' "
                        "price: not recorded", field="tier_threshold_tokens", key=key)
            continue
        cached = sorted(k for k in item if k in PRICE_FIELDS and k not in TIER_SIDES)
        if cached:
            out.skip(f"{who}: the tier above {size} prompt tokens also prices {', '.join(cached)}: "
                     "no field holds a cache price per tier, not recorded", field="tier_threshold_tokens")
        tiers.setdefault(size, sides)
    price_tiers(out, model_id, offer, tiers, price_per_token, who=who)


def _is_price_key(k: str) -> bool:
    """A key of a ``pricing`` object that is a price, not a condition (tokens, requests, images,
    searches, audio, reasoning, the discount)."""
    return k in PRICE_FIELDS or k in ("request", "image", "web_search", "internal_reasoning", "audio",
                                      "input_audio", "input_audio_cache", "discount")


def _upstream(ep: dict[str, Any]) -> tuple[str, str] | None:
    """The endpoint's upstream key (``tag`` before any "/", else ``provider_name`` as a slug) and
    what its tag names after the slash ("" if nothing); None when it names no provider."""
    tag = ep.get("tag")
    if isinstance(tag, str) and tag.strip():
        key, _, suffix = tag.strip().lower().partition("/")
        if key:
            return key, suffix.strip()
    name = ep.get("provider_name")
    if isinstance(name, str) and name.strip():
        return re.sub(r"[^a-z0-9]+", "-", name.strip().lower()).strip("-"), ""
    return None


def _parse_endpoints(page: RawPage, source: SourceConfig) -> ParseResult:
    doc = load_json(page, "endpoints page")
    data = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(data, dict):
        raise PageLayoutError("endpoints page has no 'data' object")
    endpoints = data.get("endpoints")
    if not isinstance(endpoints, list):
        raise PageLayoutError("endpoints page has no 'data.endpoints' list")
    or_id = data.get("id")
    if not isinstance(or_id, str) or not or_id.strip():
        raise PageLayoutError("endpoints page has no 'data.id' (the model's OpenRouter id)")
    base, _ = _split_id(or_id.strip())
    try:
        model_id = canonical_model_id(base)
    except IdentityError as e:
        raise PageLayoutError(str(e)) from None
    _require_price_keys([ep.get("pricing") for ep in endpoints if isinstance(ep, dict)], "data.endpoints[].pricing")
    out = PageOut(page, source)

    # First pass: who serves each endpoint, through which route, so that an upstream listed twice
    # can be told apart. (index, endpoint, who, provider, route, quantization)
    rows: list[tuple[int, dict[str, Any], str, str, str, str]] = []
    for i, ep in enumerate(endpoints):
        if not isinstance(ep, dict):
            out.problem(f"{base}: endpoints[{i}] is not an object")
            continue
        up = _upstream(ep)
        if up is None:
            out.problem(f"{base}: endpoints[{i}] names no provider (no 'tag' or 'provider_name')")
            continue
        key, suffix = up
        provider_id = canonical_provider(key).strip()
        name = ep.get("provider_name")
        out.result.providers.setdefault(provider_id, name if isinstance(name, str) and name.strip() else key)
        stated = ep.get("quantization")
        stated = stated.strip().lower() if isinstance(stated, str) and not normalize.is_unknown(stated) else ""
        # "deepinfra/bf16" names a precision; "fireworks/fast", "google-vertex/global" name the route
        route, quant = ("", suffix) if suffix in QUANTIZATIONS else (suffix, stated)
        rows.append((i, ep, f"{base} via {key}" + (f"/{suffix}" if suffix else ""), provider_id, route, quant))

    per_route: dict[tuple[str, str], int] = {}
    for _, _, _, provider_id, route, _ in rows:
        per_route[(provider_id, route)] = per_route.get((provider_id, route), 0) + 1
    seen: set[tuple[str, str]] = set()
    for i, ep, who, provider_id, route, quant in rows:
        # A route is always the offer's variant; the quantization only tells two endpoints of one
        # route apart.
        variant = offer_variant(route, quant if per_route[(provider_id, route)] > 1 else "")
        if (provider_id, variant) in seen:
            out.skip(f"{who}: endpoints[{i}] repeats an offer of {provider_id} already read on this "
                     "page (same route and quantization): not recorded twice")
            continue
        seen.add((provider_id, variant))
        pricing = ep.get("pricing")
        if not isinstance(pricing, dict):
            out.problem(f"{who}: no 'pricing' object")
            continue
        if _is_dynamic(pricing):
            out.skip(f"{who}: dynamic pricing, no fixed price to record")
            continue
        # OpenRouter names the route by its own id, not the upstream's: no provider model id is claimed.
        offer = (provider_id, None, variant)
        _prices(out, model_id, who, pricing, offer)
        if "context_length" in ep:
            out.offer(model_id, offer, "context_window", ep["context_length"], tokens, who=who)
        if "max_completion_tokens" in ep:
            out.offer(model_id, offer, "max_output_tokens", ep["max_completion_tokens"], tokens, who=who)
        if quant:
            out.offer(model_id, offer, "quantization", quant, text, who=who)
        out.result.items += 1
    return out.result
