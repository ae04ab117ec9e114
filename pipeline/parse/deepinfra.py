"""DeepInfra's models listing (``GET https://api.deepinfra.com/models/list``, JSON).

A JSON list, one object per deployed model (the layout of the real listing)::

    {"model_name": "moonshotai/Kimi-K2.5", "type": "text-generation", "description": "...",
     "max_tokens": 262144, "tags": ["json", "reasoning", ...],
     "pricing": {"type": "tokens", "cents_per_input_token": 4.5e-05, "cents_per_output_token": 0.000225,
                 "rate_per_input_token_cached": 0.15555556, "rate_per_input_token_cache_write": null},
     "deprecated": null, "quantization": "fp4"}

Each text-generation model is one offer ``deepinfra`` / ``model_name`` (the provider's own
page for its own offer): input and output prices, ``context_window`` from ``max_tokens`` (the
serving limit DeepInfra states for the deployment: Kimi-K2.5's 262,144 is its whole window) and
``quantization`` when stated.

Quirks handled here:

- Prices are in US *cents* per single token: 4.5e-05 cents/token = $0.45 per 1M tokens
  (``collect.cents_per_token``: the decimal point moved, exact). ``Observation.raw`` is the
  number as the listing wrote it (cents per token).
- ``pricing.type`` says how the entry is billed. ``"tokens"`` (input and output per token) is
  what text-generation entries use and the only type read. Real listings price embeddings by
  ``"input_tokens"`` (input only), and media models per second, image, character: a
  text-generation entry billed so is skipped with a reason. A type this parser does not know is
  an error, never a silent skip: it is how a changed listing would show.
- ``rate_per_input_token_cached`` is not a price: it is the cached-input price as a *ratio of
  the input price* (Kimi-K2.5: 0.15555556 x $0.45 = $0.0700000002, i.e. $0.07 = 7/45 of the input
  price, rounded by the listing to 8 decimals; read as cents per token it would be $1,555.56 per
  1M, far above any input price). Because the listing rounds the ratio, the exact cached price
  cannot be recovered from it (0.07 is the likely price, but 0.0700000004 is as consistent with
  the ratio): it is not stated; a skip names the ratio and the approximate price instead.
- A ``discount`` in ``pricing`` (none in the listings seen) is not applied: what it is (a
  fraction or a percentage, of which prices, until when) is not stated, so the listed prices are
  recorded and the discount is an error naming its value, never silently dropped.
- Entries of other types (embeddings, text-to-image, speech) are skipped with a reason; so are
  deprecated deployments (``deprecated`` set, usually with ``replaced_by``).

``items`` counts the offers the page yielded.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from pipeline import normalize
from pipeline.config import SourceConfig
from pipeline.identity import IdentityError, resolve
from pipeline.models import PageLayoutError, ParseResult, RawPage
from pipeline.parse.collect import (
    PageOut,
    cents_per_token,
    load_json,
    raw_text,
    stated_discount,
    text,
    tokens,
)

PROVIDER_ID = "deepinfra"
TEXT_TYPES = ("text-generation",)
PRICE_FIELDS = {
    "cents_per_input_token": "input_usd_per_mtok",
    "cents_per_output_token": "output_usd_per_mtok",
}
TOKEN_PRICING = "tokens"
# Pricing types of real listings that are not input+output per token: a text-generation entry
# billed so is skipped with its type (anything else is an unknown type: an error).
OTHER_PRICING = ("input_tokens", "time", "input_length", "output_length", "image_units")
# Cache prices stated as a ratio of the input price (see the module doc): named, never stated.
CACHE_RATIOS = {"rate_per_input_token_cached": "cached input", "rate_per_input_token_cache_write": "cache write"}


def parse(page: RawPage, source: SourceConfig) -> ParseResult:
    doc = load_json(page, "models list")
    if not isinstance(doc, list):
        raise PageLayoutError(f"models list is a JSON {type(doc).__name__}, not a list of models")
    if not any(isinstance(m, dict) and "model_name" in m for m in doc):
        raise PageLayoutError("no entry of the models list has a 'model_name'")
    out = PageOut(page, source)
    seen: set[str] = set()
    for i, entry in enumerate(doc):
        name = entry.get("model_name") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not name.strip():
            out.problem(f"models[{i}] has no model_name")
            continue
        name = name.strip()
        if name in seen:
            out.skip(f"{name}: listed twice: the first entry is recorded")
            continue
        seen.add(name)
        _entry(out, name, entry)
    return out.result


def _entry(out: PageOut, name: str, entry: dict[str, Any]) -> None:
    kind = entry.get("type")
    if kind not in TEXT_TYPES:
        out.skip(f"{name}: type {kind!r}, not a text-generation model")
        return
    if entry.get("deprecated"):
        replaced = entry.get("replaced_by")
        out.skip(f"{name}: deprecated{f' (replaced by {replaced})' if replaced else ''}")
        return
    pricing = entry.get("pricing")
    if not isinstance(pricing, dict):
        out.problem(f"{name}: no 'pricing' object", field="input_usd_per_mtok")
        return
    billed = pricing.get("type")
    if billed != TOKEN_PRICING:
        if billed in OTHER_PRICING:
            out.skip(f"{name}: priced by {billed!r}, not per input and output token")
        else:
            out.problem(f"{name}: pricing type {raw_text(billed)!r} is not one this parser knows "
                        f"(known: {TOKEN_PRICING!r}, {', '.join(map(repr, OTHER_PRICING))}): no price recorded",
                        field="input_usd_per_mtok")
        return
    try:
        ident = resolve(name, PROVIDER_ID)
    except IdentityError as e:
        out.problem(f"{name}: {e}")
        return
    # a quantized id is a variant of the model's offer
    offer = (PROVIDER_ID, name, ident.variant)
    for key, field in PRICE_FIELDS.items():
        if key in pricing:
            out.offer(ident.model_id, offer, field, pricing[key], cents_per_token, who=name)
        else:
            out.problem(f"{name}: pricing states no {key!r}", field=field,
                        key=("offer", ident.model_id, PROVIDER_ID, ident.variant))
    _cache_ratios(out, name, pricing)
    stated_discount(out, name, pricing.get("discount"), key=("offer", ident.model_id, PROVIDER_ID, ident.variant))
    if entry.get("max_tokens") is not None:
        out.offer(ident.model_id, offer, "context_window", entry["max_tokens"], tokens, who=name)
    quant = entry.get("quantization")
    if isinstance(quant, str) and not normalize.is_unknown(quant):
        out.offer(ident.model_id, offer, "quantization", quant, text, who=name)
    out.result.items += 1


def _cache_ratios(out: PageOut, name: str, pricing: dict[str, Any]) -> None:
    """A cache price stated as a ratio of the input price: named in a skip, never stated as a price."""
    base = pricing.get("cents_per_input_token")
    for key, what in CACHE_RATIOS.items():
        ratio = pricing.get(key)
        if ratio is None:
            continue
        try:
            about = f" (about ${normalize.decimal_text(Decimal(cents_per_token(base)) * ratio)} per 1M)"
        except (ValueError, TypeError, ArithmeticError):
            about = ""
        out.skip(f"{name}: {key} {raw_text(ratio)} is the {what} price as a ratio of the input price{about}, "
                 "a ratio the listing rounds (to 8 decimals), so the exact price cannot be recovered: not recorded",
                 field="cached_input_usd_per_mtok" if what == "cached input" else "cache_write_usd_per_mtok")
