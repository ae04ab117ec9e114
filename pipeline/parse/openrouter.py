"""OpenRouter: the models API (``/api/v1/models``) and a model's endpoints (``.../endpoints``).

Which page it is comes from the URL path:

- ``/api/v1/models``: ``{"data": [model, ...]}``. Per model: model facts (name without the
  ``"Creator: "`` prefix, release date from ``created``, knowledge cutoff, capabilities) and one
  offer ``openrouter`` / ``<id without ":variant">`` / ``variant`` (``"free"``, ...) with the
  router's default prices and limits. ``items`` counts the models that yielded something.
- ``/api/v1/models/<slug>/endpoints``: ``{"data": {"id", ..., "endpoints": [...]}}``. Each
  endpoint is an offer of the UPSTREAM provider that serves it (Cloudflare, DeepInfra, ...), as
  OpenRouter reports it: provider the canonical id of the endpoint's ``tag`` (else its
  ``provider_name``) through ``pipeline.providers`` (curated spellings merged, any other upstream
  a provider of its own, named as OpenRouter names it); no provider model id is claimed (the
  upstream's own id is not published), so the report meets the provider's own page on one offer;
  variant ``""``. Tags may carry the quantization after a slash (``"deepinfra/bf16"``): the part
  before the slash names the provider, the rest is the offer's quantization. A gone endpoints
  page (HTTP 404) is a problem of that page (``is_follow_up``). When one upstream serves the model through
  several endpoints on one page, each of those offers takes its quantization as variant so they
  stay apart (an endpoint that still cannot be told apart is skipped with a reason).
  These are catalog claims about someone else's offers: reconcile ranks them below the
  upstream provider's own page. ``items`` counts the endpoints that yielded an offer.

Quirks of this source, all handled here:

- Prices are strings in USD per *single token*; ``"-1"`` means dynamic pricing (routers such as
  ``openrouter/auto``): such an entry is skipped with a reason, never stored as a price.
- ``context_length`` is the serving limit of the route (Llama 3.2 1B shows 60,000, Cloudflare's
  limit): an offer fact, and on the models list also the catalog's model-level claim, which
  reconcile weighs against the others (a smaller serving limit never becomes the model's window).
- ``supported_parameters`` lists what the router accepts: presence of ``tools``, ``reasoning``,
  ``structured_outputs``/``response_format`` says "supported"; absence states nothing.
- ``input_modalities`` is explicit, so vision is asserted both ways.
"""
from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any, Callable
from urllib.parse import urlsplit

from pydantic import ValidationError

from pipeline import normalize
from pipeline.config import SourceConfig
from pipeline.fields import Entity
from pipeline.identity import IdentityError, canonical_model_id, creator_name
from pipeline.providers import canonical_provider
from pipeline.models import Observation, PageLayoutError, ParseResult, Problem, RawPage

PROVIDER_ID = "openrouter"

# OpenRouter pricing keys (USD per token) -> offer fields.
PRICE_FIELDS = {
    "prompt": "input_usd_per_mtok",
    "completion": "output_usd_per_mtok",
    "input_cache_read": "cached_input_usd_per_mtok",
    "input_cache_write": "cache_write_usd_per_mtok",
}
REQUIRED_PRICES = ("prompt", "completion")

# supported_parameters entries that mean a capability is supported (absence means unknown).
CAPABILITY_PARAMS = {
    "supports_reasoning": ("reasoning", "include_reasoning"),
    "supports_function_calling": ("tools",),
    "supports_structured_outputs": ("structured_outputs", "response_format"),
}


class _Out:
    """Collects observations and problems of one page; a value that cannot be read becomes a
    Problem naming the field, never an exception."""

    def __init__(self, page: RawPage, source: SourceConfig) -> None:
        self.page = page
        self.source = source
        self.result = ParseResult()

    def problem(self, message: str, field: str | None = None, severity: str = "error",
                key: tuple[Entity, str, str | None, str] | None = None) -> None:
        entity, model_id, provider_id, variant = key or (None, None, None, None)
        self.result.problems.append(Problem(
            source_id=self.source.id, url=self.page.url, field=field, message=message,
            severity=severity,  # type: ignore[arg-type]
            entity=entity, model_id=model_id, provider_id=provider_id, variant=variant,
        ))

    def add(
        self,
        entity: Entity,
        model_id: str,
        field: str,
        raw: Any,
        convert: Callable[[Any], str],
        *,
        who: str,
        offer: tuple[str, str | None, str] | None = None,
    ) -> bool:
        """One observation of ``field``: unknown for an unknown marker, known when ``convert``
        reads ``raw``, else a Problem. ``who`` names the entity in messages."""
        provider_id, provider_model_id, variant = offer or (None, None, "")
        raw_text = None if raw is None else str(raw)
        try:
            if normalize.is_unknown(raw):
                obs = Observation(
                    source_id=self.source.id, url=self.page.url, entity=entity, model_id=model_id,
                    provider_id=provider_id, provider_model_id=provider_model_id, variant=variant,
                    field=field, raw=raw_text, value=None, status="unknown",
                )
            else:
                obs = Observation(
                    source_id=self.source.id, url=self.page.url, entity=entity, model_id=model_id,
                    provider_id=provider_id, provider_model_id=provider_model_id, variant=variant,
                    field=field, raw=raw_text, value=convert(raw), status="known",
                )
        except (ValueError, TypeError, ValidationError) as e:
            self.problem(f"{who}: cannot read {field} from {raw_text!r}: {_short(e)}",
                         field=field, key=(entity, model_id, provider_id, variant))
            return False
        self.result.observations.append(obs)
        return True


def _short(e: Exception) -> str:
    if isinstance(e, ValidationError):
        return "; ".join(err["msg"] for err in e.errors())
    return str(e)


# --- converters: raw JSON value -> canonical text -------------------------------------------

def _price(raw: Any) -> str:
    if isinstance(raw, float):  # never via float (json is read with parse_float=Decimal)
        raw = Decimal(str(raw))
    return normalize.decimal_text(normalize.price_per_mtok(raw, "token"))


def _tokens(raw: Any) -> str:
    return str(normalize.parse_tokens(raw))


def _date(raw: Any) -> str:
    return normalize.parse_date(raw).isoformat()


def _partial_date(raw: Any) -> str:
    return normalize.parse_partial_date(str(raw))


def _text(raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise ValueError("expected non-empty text")
    return raw.strip()


def _const(value: str) -> Callable[[Any], str]:
    return lambda _raw: value


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


def _load_json(page: RawPage, what: str) -> Any:
    try:
        return json.loads(page.body().decode("utf-8"), parse_float=Decimal)
    except UnicodeDecodeError as e:
        raise PageLayoutError(f"{what} is not UTF-8 text ({e})") from None
    except json.JSONDecodeError as e:
        raise PageLayoutError(f"{what} is not valid JSON ({e})") from None


def _split_id(openrouter_id: str) -> tuple[str, str]:
    """``meta-llama/llama-3.2-3b-instruct:free`` -> (``meta-llama/llama-3.2-3b-instruct``, ``free``)."""
    base, _, variant = openrouter_id.partition(":")
    return base, variant


def _is_dynamic(pricing: dict[str, Any]) -> bool:
    """OpenRouter writes "-1" for prices decided per request (routers)."""
    for value in pricing.values():
        try:
            if Decimal(str(value)) < 0:
                return True
        except ArithmeticError:
            continue
    return False


def _parse_models(page: RawPage, source: SourceConfig) -> ParseResult:
    doc = _load_json(page, "models list")
    models = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(models, list):
        raise PageLayoutError("models list has no 'data' list")
    if not models:
        raise PageLayoutError("models list 'data' is empty")
    _require_price_keys([m.get("pricing") for m in models if isinstance(m, dict)], "models list data[].pricing")
    out = _Out(page, source)
    listed_bases = {
        m["id"] for m in models if isinstance(m, dict) and isinstance(m.get("id"), str) and ":" not in m["id"]
    }
    for i, entry in enumerate(models):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str) or not entry["id"].strip():
            out.problem(f"data[{i}] has no model id")
            continue
        if _parse_model_entry(out, entry, listed_bases):
            out.result.items += 1
    return out.result


def _parse_model_entry(out: _Out, entry: dict[str, Any], listed_bases: set[str]) -> bool:
    or_id = entry["id"].strip()
    base, variant = _split_id(or_id)
    pricing = entry.get("pricing")
    if not isinstance(pricing, dict):
        out.problem(f"{or_id}: no 'pricing' object")
        return False
    if _is_dynamic(pricing):
        out.problem(f"{or_id}: dynamic pricing ({json.dumps(pricing, default=str)}): a router priced "
                    "per request, no fixed price to record", severity="skip")
        return False
    arch = entry.get("architecture") if isinstance(entry.get("architecture"), dict) else {}
    outputs = arch.get("output_modalities")
    if isinstance(outputs, list) and outputs and "text" not in outputs:
        out.problem(f"{or_id}: outputs {outputs}, not text: not a chat model", severity="skip")
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
        out.add("offer", model_id, "context_window", entry["context_length"], _tokens, who=or_id, offer=offer)
        if not variant or base not in listed_bases:
            # Also the catalog's model-level claim; reconcile keeps the largest claim of equal
            # authority, so a route's smaller serving limit never becomes the model's window.
            out.add("model", model_id, "context_window", entry["context_length"], _tokens, who=or_id)
    top = entry.get("top_provider")
    if isinstance(top, dict) and "max_completion_tokens" in top:
        out.add("offer", model_id, "max_output_tokens", top["max_completion_tokens"], _tokens, who=or_id, offer=offer)
    return True


def _model_facts(out: _Out, model_id: str, or_id: str, entry: dict[str, Any],
                 arch: dict[str, Any], variant: str) -> None:
    name = entry.get("name")
    if isinstance(name, str):
        out.add("model", model_id, "name", name, lambda n: _display_name(n, variant), who=or_id)
        prefix, sep, _ = name.partition(": ")
        if sep and prefix.strip():
            # "Mistral: ..." names the creator; the curated creator name wins over the prefix's spelling.
            out.add("model", model_id, "creator", prefix.strip(),
                    lambda p: _text(creator_name(model_id) or p), who=or_id)
    if "created" in entry:
        out.add("model", model_id, "release_date", entry["created"], _date, who=or_id)
    if "knowledge_cutoff" in entry:
        out.add("model", model_id, "knowledge_cutoff", entry["knowledge_cutoff"], _partial_date, who=or_id)
    params = entry.get("supported_parameters")
    if isinstance(params, list):
        for field, names in CAPABILITY_PARAMS.items():
            hit = next((p for p in names if p in params), None)
            if hit:  # absence states nothing
                out.add("model", model_id, field, hit, _const("true"), who=or_id)
    inputs = arch.get("input_modalities")
    if isinstance(inputs, list) and inputs:
        out.add("model", model_id, "supports_vision", "+".join(map(str, inputs)),
                _const("true" if "image" in inputs else "false"), who=or_id)


def _display_name(name: str, variant: str) -> str:
    """``"Meta: Llama 3.2 3B Instruct (free)"`` -> ``"Llama 3.2 3B Instruct"``."""
    text = name.strip()
    _, sep, rest = text.partition(": ")
    if sep and rest.strip():
        text = rest.strip()
    if variant and text.lower().endswith(f"({variant.lower()})"):
        text = text[: -len(variant) - 2].strip()
    return _text(text)


def _require_price_keys(pricings: list[Any], where: str) -> None:
    """A renamed key wipes a price from every item at once: when no item states a required price,
    the layout changed (the page is unusable and keeps what it said last time), it is not a skip."""
    stated = [p for p in pricings if isinstance(p, dict)]
    for key in REQUIRED_PRICES:
        if pricings and not any(key in p for p in stated):
            raise PageLayoutError(f"no item of {where} states a {key!r} price (of {len(pricings)} items): "
                                  "the price keys changed")


def _prices(out: _Out, model_id: str, who: str, pricing: dict[str, Any], offer: tuple[str, str | None, str]) -> None:
    for key, field in PRICE_FIELDS.items():
        if key in pricing:
            out.add("offer", model_id, field, pricing[key], _price, who=who, offer=offer)
        elif key in REQUIRED_PRICES:
            out.problem(f"{who}: pricing states no {key!r} price; {field} not recorded",
                        field=field, severity="skip")


def _upstream(ep: dict[str, Any]) -> tuple[str, str] | None:
    """The endpoint's upstream key (``tag`` before any "/", else ``provider_name`` as a slug) and the
    quantization its tag names after the slash ("" if none); None when it names no provider."""
    tag = ep.get("tag")
    if isinstance(tag, str) and tag.strip():
        key, _, quant = tag.strip().lower().partition("/")
        if key:
            return key, quant.strip()
    name = ep.get("provider_name")
    if isinstance(name, str) and name.strip():
        return re.sub(r"[^a-z0-9]+", "-", name.strip().lower()).strip("-"), ""
    return None


def _parse_endpoints(page: RawPage, source: SourceConfig) -> ParseResult:
    doc = _load_json(page, "endpoints page")
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
    out = _Out(page, source)

    # First pass: who serves each endpoint, so that an upstream listed twice can be told apart.
    rows: list[tuple[int, dict[str, Any], str, str, str]] = []  # (index, endpoint, key, provider, quant)
    for i, ep in enumerate(endpoints):
        if not isinstance(ep, dict):
            out.problem(f"{base}: endpoints[{i}] is not an object")
            continue
        up = _upstream(ep)
        if up is None:
            out.problem(f"{base}: endpoints[{i}] names no provider (no 'tag' or 'provider_name')")
            continue
        key, tag_quant = up
        provider_id = canonical_provider(key)
        name = ep.get("provider_name")
        out.result.providers.setdefault(provider_id, name if isinstance(name, str) and name.strip() else key)
        quant = ep.get("quantization")
        quant = tag_quant or (quant.strip().lower() if isinstance(quant, str) and not normalize.is_unknown(quant) else "")
        rows.append((i, ep, key, provider_id.strip(), quant))

    per_provider: dict[str, int] = {}
    for _, _, _, provider_id, _ in rows:
        per_provider[provider_id] = per_provider.get(provider_id, 0) + 1
    seen: set[tuple[str, str]] = set()
    for i, ep, key, provider_id, quant in rows:
        variant = quant if per_provider[provider_id] > 1 else ""
        who = f"{base} via {key}" + (f"/{quant}" if quant else "")
        if (provider_id, variant) in seen:
            out.problem(f"{who}: endpoints[{i}] repeats an offer of {provider_id} already read on this "
                        "page (same quantization): not recorded twice", severity="skip")
            continue
        seen.add((provider_id, variant))
        pricing = ep.get("pricing")
        if not isinstance(pricing, dict):
            out.problem(f"{who}: no 'pricing' object")
            continue
        if _is_dynamic(pricing):
            out.problem(f"{who}: dynamic pricing, no fixed price to record", severity="skip")
            continue
        # OpenRouter names the route by its own id, not the upstream's: no provider model id is claimed.
        offer = (provider_id, None, variant)
        _prices(out, model_id, who, pricing, offer)
        if "context_length" in ep:
            out.add("offer", model_id, "context_window", ep["context_length"], _tokens, who=who, offer=offer)
        if "max_completion_tokens" in ep:
            out.add("offer", model_id, "max_output_tokens", ep["max_completion_tokens"], _tokens, who=who, offer=offer)
        if quant:
            out.add("offer", model_id, "quantization", quant, _text, who=who, offer=offer)
        out.result.items += 1
    return out.result
