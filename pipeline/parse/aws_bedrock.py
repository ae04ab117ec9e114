"""AWS Bedrock: the public AWS Price List offer file of ``AmazonBedrock`` (JSON).

``https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonBedrock/current/index.json``::

    {"formatVersion": "v1.0", "offerCode": "AmazonBedrock", "version": "...", "publicationDate": "...",
     "products": {"<sku>": {"sku", "productFamily", "attributes": {
         "servicecode": "AmazonBedrock", "location": "US East (N. Virginia)", "regionCode": "us-east-1",
         "model": "Llama 3.2 1B Instruct", "provider": "Meta", "feature": "On-demand Inference",
         "inferenceType": "Input tokens", "usagetype": "USE1-Llama3.2-1B-input-tokens", ...}}},
     "terms": {"OnDemand": {"<sku>": {"<sku>.<offerTermCode>": {"priceDimensions": {
         "<rateCode>": {"unit": "1K tokens", "pricePerUnit": {"USD": "0.0001000000"}, ...}}}}}}}

A product is one price of one model in one region (its input tokens, or its output tokens);
it is joined with its on-demand term by sku. The input and output prices of one model in one
region make one offer: provider ``aws-bedrock``, provider model id the Bedrock model id, variant
the region code (``us-east-1``). Prices per "1K tokens" (or "1M tokens") become exact USD per
1M tokens; ``Observation.raw`` is the USD text as the file wrote it with its unit.

The price list names models by display name ("Llama 3.2 1B Instruct"), not by the model id an
API call uses, so the curated ``warehouse/curated/bedrock_names.yaml`` maps names to Bedrock model ids (``options.model_ids`` in
sources.yaml adds or overrides entries without a code change). A text-generation model missing
from the map is skipped with a reason naming it (add it to the map); ``NOT_TEXT_MODELS`` are
skipped as not being LLMs.

Skipped with a reason: batch inference, provisioned throughput, custom-model and other
non-on-demand features; inference types other than input/output tokens (images, video
seconds); units other than tokens. ``items`` counts the offers.
"""
from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from pipeline import normalize
from pipeline.config import SourceConfig
from pipeline.curated import load_map
from pipeline.identity import IdentityError, resolve
from pipeline.models import Observation, PageLayoutError, ParseResult, Problem, RawPage

PROVIDER_ID = "aws-bedrock"

# Models the price list sells that are not text-generation LLMs.
NOT_TEXT_MODELS: dict[str, str] = {
    "Titan Text Embeddings V2": "an embedding model",
    "Titan Multimodal Embeddings G1": "an embedding model",
    "Cohere Embed English": "an embedding model",
    "Titan Image Generator G1 v2": "an image generator",
    "Nova Canvas": "an image generator",
    "Nova Reel": "a video generator",
    "Stable Image Core": "an image generator",
}
# inferenceType (lower-case) -> offer field
INFERENCE_FIELDS = {
    "input tokens": "input_usd_per_mtok",
    "output tokens": "output_usd_per_mtok",
    "cache read input tokens": "cached_input_usd_per_mtok",
    "cache write input tokens": "cache_write_usd_per_mtok",
}
UNITS = {"1k tokens": "ktok", "1m tokens": "mtok", "tokens": "token"}
_ON_DEMAND = re.compile(r"on[- ]?demand", re.I)


def _problem(source: SourceConfig, page: RawPage, message: str, field: str | None = None,
             severity: str = "error") -> Problem:
    return Problem(source_id=source.id, url=page.url, field=field, message=message,
                   severity=severity)  # type: ignore[arg-type]


def _load(page: RawPage) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        doc = json.loads(page.body().decode("utf-8"), parse_float=Decimal)
    except UnicodeDecodeError as e:
        raise PageLayoutError(f"offer file is not UTF-8 text ({e})") from None
    except json.JSONDecodeError as e:
        raise PageLayoutError(f"offer file is not valid JSON ({e})") from None
    if not isinstance(doc, dict):
        raise PageLayoutError(f"offer file is a JSON {type(doc).__name__}, not an object")
    if doc.get("offerCode") != "AmazonBedrock":
        raise PageLayoutError(f"offerCode is {doc.get('offerCode')!r}, not 'AmazonBedrock'")
    products = doc.get("products")
    if not isinstance(products, dict) or not products:
        raise PageLayoutError("offer file has no 'products' object")
    terms = doc.get("terms")
    on_demand = terms.get("OnDemand") if isinstance(terms, dict) else None
    if not isinstance(on_demand, dict):
        raise PageLayoutError("offer file has no 'terms.OnDemand' object")
    return products, on_demand


def _price_dimension(terms: Any) -> dict[str, Any] | None:
    """The one price dimension of a sku's on-demand terms, or None if there is not exactly one."""
    if not isinstance(terms, dict):
        return None
    dims = [d for t in terms.values() if isinstance(t, dict) and isinstance(t.get("priceDimensions"), dict)
            for d in t["priceDimensions"].values() if isinstance(d, dict)]
    return dims[0] if len(dims) == 1 else None


def parse(page: RawPage, source: SourceConfig) -> ParseResult:
    products, on_demand = _load(page)
    model_ids = {**load_map("bedrock_names"), **dict(source.options.get("model_ids") or {})}
    result = ParseResult()
    # (bedrock model id, region) -> field -> (raw, value); model id per bedrock id
    offers: dict[tuple[str, str], dict[str, tuple[str, str]]] = {}
    canonical: dict[str, str | None] = {}
    # (bedrock model id, region, field) already reported as unreadable: not reported again as missing
    unreadable: set[tuple[str, str, str]] = set()

    def problem(message: str, field: str | None = None, severity: str = "error") -> None:
        result.problems.append(_problem(source, page, message, field, severity))

    for sku, product in products.items():
        attrs = product.get("attributes") if isinstance(product, dict) else None
        if not isinstance(attrs, dict):
            problem(f"product {sku}: no 'attributes' object")
            continue
        usage = attrs.get("usagetype") or sku
        feature = str(attrs.get("feature") or "")
        if feature and not _ON_DEMAND.search(feature):
            problem(f"{usage}: {feature}, not on-demand inference", severity="skip")
            continue
        inference = str(attrs.get("inferenceType") or "")
        field = INFERENCE_FIELDS.get(inference.strip().lower())
        if field is None:
            problem(f"{usage}: inference type {inference or '(none)'!r} is not priced per input/output token",
                    severity="skip")
            continue
        name = attrs.get("model")
        if not isinstance(name, str) or not name.strip():
            problem(f"{usage}: product {sku} names no model")
            continue
        name = name.strip()
        if name in NOT_TEXT_MODELS:
            problem(f"{usage}: {name} is {NOT_TEXT_MODELS[name]}, not a text-generation model", severity="skip")
            continue
        bedrock_id = model_ids.get(name)
        if bedrock_id is None:
            problem(f"{usage}: no Bedrock model id known for {name!r} (add it to "
                    "warehouse/curated/bedrock_names.yaml or options.model_ids)", severity="skip")
            continue
        if bedrock_id not in canonical:
            try:
                canonical[bedrock_id] = resolve(bedrock_id, PROVIDER_ID).model_id
            except IdentityError as e:
                canonical[bedrock_id] = None
                problem(f"{usage}: {e}")
        if canonical[bedrock_id] is None:
            continue
        region = attrs.get("regionCode")
        if not isinstance(region, str) or not region.strip():
            problem(f"{usage}: product {sku} states no regionCode", field=field)
            continue
        dim = _price_dimension(on_demand.get(sku))
        if dim is None:
            problem(f"{usage}: product {sku} ({bedrock_id} in {region}) has no single on-demand price", field=field)
            unreadable.add((bedrock_id, region.strip(), field))
            continue
        unit = str(dim.get("unit") or "")
        usd = dim.get("pricePerUnit", {}).get("USD") if isinstance(dim.get("pricePerUnit"), dict) else None
        raw = f"{usd} USD per {unit}"
        per = UNITS.get(unit.strip().lower())
        if per is None:
            problem(f"{usage}: priced per {unit!r}, not per tokens", severity="skip")
            continue
        try:
            value = normalize.decimal_text(normalize.price_per_mtok(usd if isinstance(usd, str) else "", per))  # type: ignore[arg-type]
        except ValueError as e:
            problem(f"{bedrock_id} in {region}: cannot read {field} from {raw!r}: {e}", field=field)
            unreadable.add((bedrock_id, region.strip(), field))
            continue
        key = (bedrock_id, region.strip())
        held = offers.setdefault(key, {})
        if field in held and held[field][1] != value:
            problem(f"{bedrock_id} in {region}: two {field} prices ({held[field][0]!r}, {raw!r}): "
                    "the first is recorded", field=field)
            continue
        held.setdefault(field, (raw, value))

    for (bedrock_id, region), fields in sorted(offers.items()):
        model_id = canonical[bedrock_id]
        assert model_id is not None
        for field in ("input_usd_per_mtok", "output_usd_per_mtok"):
            if field not in fields and (bedrock_id, region, field) not in unreadable:
                problem(f"{bedrock_id} in {region}: the price list has no {field.split('_')[0]} token price",
                        field=field)
        for field, (raw, value) in fields.items():
            try:
                result.observations.append(Observation(
                    source_id=source.id, url=page.url, entity="offer", model_id=model_id,
                    provider_id=PROVIDER_ID, provider_model_id=bedrock_id, variant=region,
                    field=field, raw=raw, value=value,
                ))
            except ValidationError as e:
                problem(f"{bedrock_id} in {region}: {field}: {e}", field=field)
        result.items += 1
    return result
