"""LiteLLM's price file (``model_prices_and_context_window.json``, a catalog).

One JSON object keyed by LiteLLM's model name; each value states USD prices *per single token*
(``input_cost_per_token``, ``output_cost_per_token``, ``cache_read_input_token_cost``,
``cache_creation_input_token_cost``), limits (``max_input_tokens``, ``max_output_tokens``; the
legacy ``max_tokens`` is ambiguous and not read), ``litellm_provider``, ``mode`` and
``supports_*`` flags. Each usable entry is one offer of the provider it names:

- provider: ``litellm_provider`` as a canonical provider (``pipeline.providers``: ``azure`` ->
  ``azure-openai``, ``fireworks_ai`` -> ``fireworks-ai``, any other as its slug). No entry is
  skipped for want of a mapping; the file names no providers, so names are curated or the id.
- provider model id: the key without LiteLLM's routing prefix, so it is the provider's own id
  and meets that provider's own page on the same offer: ``azure/o3-mini`` -> ``o3-mini``,
  ``fireworks_ai/accounts/fireworks/models/llama-v3p2-1b`` -> ``accounts/fireworks/models/llama-v3p2-1b``,
  ``cloudflare/@cf/meta/llama-3.2-1b-instruct`` -> ``@cf/meta/llama-3.2-1b-instruct``.
  A leading region or deployment segment (``bedrock/us-east-1/...``, ``azure/eu/...``) becomes
  the offer's variant; Replicate's ``:<version hash>`` is dropped.
- model: ``pipeline.identity.resolve(provider model id, provider, fallback_creator=provider)``
  (provider-scoped aliases; an id whose creator no rule can tell is a model of the provider's
  namespace). The offer is keyed by (model, provider, variant): the variant is the region or
  deployment the key names, Bedrock's cross-region profile (``us.``) and the quantization the id
  names (``-fp8``); the provider model id is a claimed field, so every source's claims about one
  route meet on one offer.
- limits: ``max_input_tokens`` (the largest prompt, not the total context: gpt-5 272,000 of
  400,000) and ``max_output_tokens`` are offer facts and, one claim per entry, the catalog's
  model-level claims (the creator's own entry first).

Quirks handled here:

- ``sample_spec`` documents the file's fields: skipped with a reason. So are entries whose
  ``mode`` is not text generation (embeddings, images, audio, rerank, ...), fine-tuning prices
  (``ft:...``) and Bedrock's provisioned-throughput commitments (``.../1-month-commitment/...``).
- Numbers are read exactly (``parse_float`` keeps the JSON text as a Decimal): ``1e-07`` per
  token -> ``0.1`` per 1M. ``Observation.raw`` is the number as the file wrote it. A JSON
  ``null`` price or limit is recorded as unknown (never zero); a null flag is not recorded. A
  limit written as a whole number in exponent form (xAI's ``2e6``) is 2,000,000 tokens.
- A "per-token" price of $1,000 per 1M or more is refused with the reason (``MTOK_CEILING``):
  W&B's entries and Azure AI's jais-30b-chat write prices in a unit the file does not state.
- Price variants are kept apart, never folded into the base price:
  ``*_batches`` -> the provider's batch offer (``options.batch_providers``: ``openai`` ->
  ``openai-batch``; other providers: the same provider, variant ``batch``); ``*_flex`` and
  ``*_priority`` -> variants ``flex`` / ``priority``; ``*_above_<N>k_tokens`` -> the price tier
  fields (``tier_threshold_tokens`` = N*1000).
- Model facts are weak here: only capabilities the file states explicitly (a JSON true/false)
  are recorded. When several entries of the page name one model, one value per field is kept:
  the creator's own provider's entry first (``o3-mini`` under ``openai`` before ``azure/o3-mini``),
  else the first entry in the file.

``items`` counts the offers the page yielded (base offers and price variants).
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from pipeline.config import SourceConfig
from pipeline.identity import IdentityError, deployment, is_creators_own, resolve
from pipeline.models import PageLayoutError, ParseResult, RawPage
from pipeline.parse import offer_variant
from pipeline.parse.collect import (
    Offer,
    PageOut,
    flag,
    load_json,
    price_per_token,
    price_tiers,
    raw_text,
    tokens,
)
from pipeline.providers import canonical_provider, provider_name

# Modes whose entries are text-generation models (anything else is skipped with its mode).
TEXT_MODES = ("chat", "responses", "completion")

# Base per-token prices -> offer fields.
PRICE_FIELDS = {
    "input_cost_per_token": "input_usd_per_mtok",
    "output_cost_per_token": "output_usd_per_mtok",
    "cache_read_input_token_cost": "cached_input_usd_per_mtok",
    "cache_creation_input_token_cost": "cache_write_usd_per_mtok",
}
# Price variants: the key suffix -> the variant it names.
VARIANT_SUFFIXES = {"_batches": "batch", "_flex": "flex", "_priority": "priority"}
_TIER_KEY = re.compile(r"^(input|output)_cost_per_token_above_(\d+)k_tokens$")

# Flags stated as JSON true/false -> model capability fields.
CAPABILITY_FLAGS = {
    "supports_function_calling": "supports_function_calling",
    "supports_vision": "supports_vision",
    "supports_reasoning": "supports_reasoning",
    "supports_response_schema": "supports_structured_outputs",
    "supports_computer_use": "supports_computer_use",
}

# Key prefixes LiteLLM uses for a provider besides the provider's own name.
KEY_PREFIXES = {"bedrock_converse": ("bedrock",), "text-completion-openai": ("openai",),
                "vertex_ai-language-models": ("vertex_ai",)}
# A leading key segment that names where the model is served, not the model (-> variant).
_REGION = re.compile(r"^(?:(?:us|eu|ap|ca|sa|me|af|il|mx)(?:-gov)?-[a-z]+-\d|eu|us|global|global-standard|data-zone)$")
_COMMITMENT = re.compile(r"^\d+-months?-commitment$")
_REPLICATE_VERSION = re.compile(r":[0-9a-f]{32,}$")

# The dearest text-generation price in LiteLLM's file is o1-pro's output, $600 per 1M tokens. A
# "per-token" price of $1,000 per 1M or more is not per token: W&B's entries (gpt-oss-120b: 0.015
# "per token", $15,000 per 1M) and Azure AI's jais-30b-chat (its per-1K price) are in some other
# unit the file states nowhere. Such a value is refused with the reason, never stored as a price.
MTOK_CEILING = Decimal(1000)


def _price(raw: Any) -> str:
    """USD per single token -> per 1M tokens; a value no per-token price reaches is refused."""
    value = price_per_token(raw)
    if Decimal(value) >= MTOK_CEILING:
        raise ValueError(f"{raw_text(raw)} USD per token would be ${value} per 1M tokens, far above any "
                         "text model's price: not a per-token price (the file states no other unit)")
    return value


def _load(page: RawPage) -> dict[str, Any]:
    doc = load_json(page, "price file")
    if not isinstance(doc, dict):
        raise PageLayoutError(f"price file is a JSON {type(doc).__name__}, not an object keyed by model name")
    if not any(isinstance(v, dict) and "litellm_provider" in v for v in doc.values()):
        raise PageLayoutError("no entry states a 'litellm_provider': not LiteLLM's model price file")
    # A renamed key wipes a price from every entry at once: that is a changed layout (the file
    # keeps what it said last time), not thousands of "not priced per token" skips.
    text = [v for k, v in doc.items() if k != "sample_spec" and isinstance(v, dict) and v.get("mode") in TEXT_MODES]
    for key in ("input_cost_per_token", "output_cost_per_token"):
        if text and not any(key in v for v in text):
            raise PageLayoutError(f"no text-generation entry states {key!r} (of {len(text)} entries): the price keys changed")
    return doc


def parse(page: RawPage, source: SourceConfig) -> ParseResult:
    doc = _load(page)
    batch_providers: dict[str, str] = dict(source.options.get("batch_providers") or {})
    out = PageOut(page, source)
    seen: dict[Offer, str] = {}
    # (model_id, field) -> (priority, raw, who): one capability value per model (see module doc)
    facts: dict[tuple[str, str], tuple[tuple[int, int], Any, str]] = {}
    # (model_id, field) -> (limit, key, stated by the creator's own entry) per entry (model-level claims)
    limits: dict[tuple[str, str], list[tuple[Any, str, bool]]] = {}
    for index, (key, entry) in enumerate(doc.items()):
        if key == "sample_spec":
            out.skip("sample_spec: documentation of the file's fields, not a model")
            continue
        if not isinstance(entry, dict):
            out.problem(f"{key}: entry is a JSON {type(entry).__name__}, not an object")
            continue
        lp = entry.get("litellm_provider")
        if not isinstance(lp, str) or not lp.strip():
            out.problem(f"{key}: states no litellm_provider")
            continue
        mode = entry.get("mode")
        if mode not in TEXT_MODES:
            out.skip(f"{key}: mode {mode!r}, not a text-generation model")
            continue
        try:
            provider_id = canonical_provider(lp)
        except ValueError as e:
            out.problem(f"{key}: litellm_provider: {e}")
            continue
        # LiteLLM states no provider names: the curated name, else the id (pipeline.providers)
        out.result.providers.setdefault(provider_id, provider_name(provider_id))
        _entry(out, key, entry, lp, provider_id, batch_providers.get(lp), index, seen, facts, limits)
    for (model_id, field), (_, raw, who) in facts.items():
        out.add("model", model_id, field, raw, flag, who=who)
    for (model_id, field), values in limits.items():
        # the creator's own entries speak for the model when the file has them
        own = [v for v in values if v[2]]
        for raw, who, _ in own or values:
            out.add("model", model_id, field, raw, tokens, who=who)
    return out.result


def _known_key(k: str) -> bool:
    """A key this parser reads (or knowingly passes over: other price units, tiered pricing)."""
    return (k in PRICE_FIELDS or k in CAPABILITY_FLAGS or k in ("max_input_tokens", "max_output_tokens", "max_tokens")
            or "_cost_per_" in k or k.startswith("tiered_pricing"))


def _split_key(key: str, lp: str) -> tuple[str, str, str | None]:
    """(provider model id, variant, reason to skip) of a LiteLLM key."""
    parts = key.split("/")
    if len(parts) > 1 and parts[0] in (lp, *KEY_PREFIXES.get(lp, ())):
        parts = parts[1:]
    variant = ""
    if len(parts) > 1 and _REGION.match(parts[0]):
        variant, parts = parts[0], parts[1:]
    if len(parts) > 1 and _COMMITMENT.match(parts[0]):
        return "", "", f"provisioned throughput ({parts[0]}), not priced per token"
    pmid = "/".join(parts)
    if pmid.startswith("ft:"):
        return "", "", "price of a fine-tuned model, not of an offered model"
    if lp == "replicate":
        pmid = _REPLICATE_VERSION.sub("", pmid)
    if not pmid:
        return "", "", "names no model"
    return pmid, variant, None


def _entry(out: PageOut, key: str, entry: dict[str, Any], lp: str, provider_id: str, batch_provider: str | None,
           index: int, seen: dict[Offer, str], facts: dict[tuple[str, str], tuple[tuple[int, int], Any, str]],
           limits: dict[tuple[str, str], list[tuple[Any, str, bool]]]) -> None:
    pmid, region, why = _split_key(key, lp)
    if why:
        out.skip(f"{key}: {why}")
        return
    try:
        # An id whose creator no rule can tell is a model of the provider's namespace.
        ident = resolve(pmid, provider_id, fallback_creator=provider_id)
    except IdentityError as e:
        out.problem(f"{key}: {e}")
        return
    model_id = ident.model_id
    # The offer's variant: the region or deployment the key names, then the quantization the id names.
    variant = offer_variant(region, deployment(pmid, provider_id), ident.variant)
    base: Offer = (provider_id, pmid, variant)
    offer_key = (provider_id, model_id, variant)
    if offer_key in seen:
        out.skip(f"{key}: the same offer ({model_id} at {provider_id}{' ' + variant if variant else ''}) "
                 f"as {seen[offer_key]}: read once")
        return
    seen[offer_key] = key
    if not any(_known_key(k) for k in entry):
        # an entry with none of the fields the parser reads: the layout changed, not "no price"
        out.problem(f"{key}: states none of the fields this parser knows (keys: {', '.join(sorted(entry)[:6])}): "
                    "layout changed?")
        return
    if not any(k in entry for k in ("input_cost_per_token", "output_cost_per_token")):
        other = sorted(k for k in entry if "_cost_per_" in k)
        shown = ", ".join(other[:2]) if other else "no price at all"
        out.skip(f"{key}: not priced per token ({shown}): no price recorded")

    # Base offer: prices, tiers, limits.
    for k, field in PRICE_FIELDS.items():
        if k in entry:
            out.add("offer", model_id, field, entry[k], _price, who=key, offer=base)
    _tiers(out, key, model_id, entry, base)
    # max_input_tokens is the largest prompt, not the total context (gpt-5: 272,000 of 400,000).
    for k in ("max_input_tokens", "max_output_tokens"):
        if k in entry:
            # 0 is how the file leaves a limit unstated (embedding-like entries): unknown, not an error
            raw_limit = None if entry[k] == 0 and not isinstance(entry[k], bool) else entry[k]
            read = out.add("offer", model_id, k, raw_limit, tokens, who=key, offer=base)
            if read and raw_limit is not None:  # an unreadable limit is one problem, not two
                # one model-level claim per entry: how many entries state a value is evidence
                limits.setdefault((model_id, k), []).append((raw_limit, key, is_creators_own(provider_id, model_id)))
    out.result.items += 1

    # Price variants (batch / flex / priority): offers of their own.
    for suffix, name in VARIANT_SUFFIXES.items():
        keys = {field: f"{k}{suffix}" for k, field in PRICE_FIELDS.items() if f"{k}{suffix}" in entry}
        if not keys:
            continue
        if name == "batch" and batch_provider:
            offer: Offer = (batch_provider, pmid, variant)
        else:
            offer = (provider_id, pmid, "/".join(v for v in (variant, name) if v))
        if (offer[0], model_id, offer[2]) in seen:
            continue
        seen[(offer[0], model_id, offer[2])] = key
        for field, k in keys.items():
            out.add("offer", model_id, field, entry[k], _price, who=f"{key} ({name})", offer=offer)
        out.result.items += 1

    # Capabilities: kept per model, the creator's own provider first, then file order.
    rank = (0 if is_creators_own(provider_id, model_id) else 1, index)
    for name, field in CAPABILITY_FLAGS.items():
        if entry.get(name) is not None:  # null: not stated, nothing to record
            if not isinstance(entry[name], bool):
                out.problem(f"{key}: cannot read {field} from {raw_text(entry[name])!r}: "
                            "expected JSON true or false", field=field)
                continue
            held = facts.get((model_id, field))
            if held is None or rank < held[0]:
                facts[(model_id, field)] = (rank, entry[name], key)


def _tiers(out: PageOut, key: str, model_id: str, entry: dict[str, Any], offer: Offer) -> None:
    """``input_cost_per_token_above_200k_tokens`` & co. -> the tier fields (one tier: the lowest)."""
    tiers: dict[int, dict[str, Any]] = {}
    for k, v in entry.items():
        m = _TIER_KEY.match(k)
        if m:
            tiers.setdefault(int(m.group(2)) * 1000, {})[m.group(1)] = v
    price_tiers(out, model_id, offer, tiers, _price, who=key)
