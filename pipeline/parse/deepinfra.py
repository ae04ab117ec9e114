"""DeepInfra's models listing (``GET https://api.deepinfra.com/models/list``, JSON).

A JSON list, one object per deployed model::

    {"model_name": "meta-llama/Llama-3.2-3B-Instruct", "type": "text-generation",
     "reported_type": "text-generation", "description": "...", "tags": [...],
     "pricing": {"type": "input_tokens", "cents_per_input_token": 0.000001,
                 "cents_per_output_token": 0.000002},
     "max_tokens": 128000, "quantization": "bfloat16", "deprecated": null, "replaced_by": null}

Each text-generation model is one offer ``deepinfra`` / ``model_name`` (the provider's own
page for its own offer): input and output prices, ``context_window`` from ``max_tokens`` (the
serving limit DeepInfra states for the deployment) and ``quantization`` when stated.

Quirks handled here:

- Prices are in US *cents* per single token: 0.000001 cents/token = $0.01 per 1M tokens. The
  cents are turned into dollars by moving the decimal point (exact, no arithmetic), then
  ``normalize.price_per_mtok(..., "token")``. Numbers are read exactly, never through floats;
  ``Observation.raw`` is the number as the listing wrote it (cents per token).
- Entries of other types (embeddings, text-to-image, speech) and entries priced otherwise
  (per second, per image, per character) are skipped with a reason; so are deprecated
  deployments (``deprecated`` set, usually with ``replaced_by``).

``items`` counts the offers the page yielded.
"""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, Callable

from pydantic import ValidationError

from pipeline import normalize
from pipeline.config import SourceConfig
from pipeline.identity import IdentityError, resolve
from pipeline.models import Observation, PageLayoutError, ParseResult, Problem, RawPage

PROVIDER_ID = "deepinfra"
TEXT_TYPES = ("text-generation",)
PRICE_FIELDS = {
    "cents_per_input_token": "input_usd_per_mtok",
    "cents_per_output_token": "output_usd_per_mtok",
}


class _Number(Decimal):
    """A JSON number read exactly, remembering how the listing wrote it (for Observation.raw)."""

    text: str

    def __new__(cls, text: str) -> _Number:
        obj = super().__new__(cls, text)
        obj.text = text
        return obj


def _raw_text(raw: Any) -> str | None:
    if raw is None:
        return None
    return raw.text if isinstance(raw, _Number) else str(raw)


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

    def offer(self, model_id: str, pmid: str, field: str, raw: Any, convert: Callable[[Any], str],
              variant: str = "") -> bool:
        raw_text = _raw_text(raw)
        try:
            unknown = raw is None or (isinstance(raw, str) and normalize.is_unknown(raw))
            obs = Observation(
                source_id=self.source.id, url=self.page.url, entity="offer", model_id=model_id,
                provider_id=PROVIDER_ID, provider_model_id=pmid, variant=variant, field=field, raw=raw_text,
                value=None if unknown else convert(raw), status="unknown" if unknown else "known",
            )
        except (ValueError, TypeError, ArithmeticError, ValidationError) as e:
            msg = "; ".join(x["msg"] for x in e.errors()) if isinstance(e, ValidationError) else str(e)
            self.problem(f"{pmid}: cannot read {field} from {raw_text!r}: {msg}", field=field)
            return False
        self.result.observations.append(obs)
        return True


def _cents_to_dollars(d: Decimal) -> Decimal:
    """Exactly d / 100: the same digits, the decimal point moved two places."""
    sign, digits, exp = d.as_tuple()
    assert isinstance(exp, int)
    return Decimal((sign, digits, exp - 2))


def _price(raw: Any) -> str:
    if isinstance(raw, bool) or not isinstance(raw, (int, str, Decimal)):
        raise ValueError("expected a number of cents per token")
    try:
        cents = Decimal(raw.strip() if isinstance(raw, str) else raw)
    except ArithmeticError:
        raise ValueError("not a number") from None
    if not cents.is_finite():
        raise ValueError("not a finite number")
    return normalize.decimal_text(normalize.price_per_mtok(_cents_to_dollars(cents), "token"))


def _tokens(raw: Any) -> str:
    if isinstance(raw, Decimal):
        raise ValueError("expected a whole number of tokens")
    return str(normalize.parse_tokens(raw))


def _text(raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise ValueError("expected non-empty text")
    return raw.strip()


def parse(page: RawPage, source: SourceConfig) -> ParseResult:
    try:
        doc = json.loads(page.body().decode("utf-8"), parse_float=_Number)
    except UnicodeDecodeError as e:
        raise PageLayoutError(f"models list is not UTF-8 text ({e})") from None
    except json.JSONDecodeError as e:
        raise PageLayoutError(f"models list is not valid JSON ({e})") from None
    if not isinstance(doc, list):
        raise PageLayoutError(f"models list is a JSON {type(doc).__name__}, not a list of models")
    if not any(isinstance(m, dict) and "model_name" in m for m in doc):
        raise PageLayoutError("no entry of the models list has a 'model_name'")
    out = _Out(page, source)
    seen: set[str] = set()
    for i, entry in enumerate(doc):
        name = entry.get("model_name") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not name.strip():
            out.problem(f"models[{i}] has no model_name")
            continue
        name = name.strip()
        if name in seen:
            out.problem(f"{name}: listed twice: the first entry is recorded", severity="skip")
            continue
        seen.add(name)
        _entry(out, name, entry)
    return out.result


def _entry(out: _Out, name: str, entry: dict[str, Any]) -> None:
    kind = entry.get("type")
    if kind not in TEXT_TYPES:
        out.problem(f"{name}: type {kind!r}, not a text-generation model", severity="skip")
        return
    if entry.get("deprecated"):
        replaced = entry.get("replaced_by")
        out.problem(f"{name}: deprecated{f' (replaced by {replaced})' if replaced else ''}", severity="skip")
        return
    pricing = entry.get("pricing")
    if not isinstance(pricing, dict):
        out.problem(f"{name}: no 'pricing' object", field="input_usd_per_mtok")
        return
    if pricing.get("type") != "input_tokens":
        out.problem(f"{name}: priced by {pricing.get('type')!r}, not per token", severity="skip")
        return
    try:
        ident = resolve(name, PROVIDER_ID)
    except IdentityError as e:
        out.problem(f"{name}: {e}")
        return
    model_id, v = ident.model_id, ident.variant  # a quantized id is a variant of the model's offer
    for key, field in PRICE_FIELDS.items():
        if key in pricing:
            out.offer(model_id, name, field, pricing[key], _price, v)
        else:
            out.problem(f"{name}: pricing states no {key!r}", field=field)
    if entry.get("max_tokens") is not None:
        out.offer(model_id, name, "context_window", entry["max_tokens"], _tokens, v)
    quant = entry.get("quantization")
    if isinstance(quant, str) and not normalize.is_unknown(quant):
        out.offer(model_id, name, "quantization", quant, _text, v)
    out.result.items += 1
