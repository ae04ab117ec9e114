"""AWS Bedrock: the public AWS Price List offer files of Bedrock (JSON, the Price List Bulk API).

Bedrock's prices come in two offer files, one page each (sources.yaml ``start_urls``):

- ``.../offers/v1.0/aws/AmazonBedrock/current/index.json``: Amazon's own models and the openly
  licensed ones (Nova, Titan, Llama, Mistral, DeepSeek, ...)::

    {"formatVersion": "v1.0", "offerCode": "AmazonBedrock", "version": "...", "publicationDate": "...",
     "products": {"<sku>": {"sku", "productFamily", "attributes": {
         "servicecode": "AmazonBedrock", "location": "US East (N. Virginia)", "regionCode": "us-east-1",
         "model": "Llama 3.2 1B Instruct", "provider": "Meta", "feature": "On-demand Inference",
         "inferenceType": "Input tokens", "usagetype": "USE1-Llama3.2-1B-input-tokens", ...}}},
     "terms": {"OnDemand": {"<sku>": {"<sku>.<offerTermCode>": {"priceDimensions": {
         "<rateCode>": {"unit": "1K tokens", "pricePerUnit": {"USD": "0.0001000000"}, ...}}}}}}}

- ``.../offers/v1.0/aws/AmazonBedrockFoundationModels/current/index.json``: the models Bedrock
  resells through AWS Marketplace (current Claude, Cohere, AI21, Writer, ...), in the same
  format with other attributes. No copy of this file was at hand; what follows is what AWS's
  Price List documentation and published readers of the file show, and is assumed here:
  a product names its model only by ``servicename`` ("Claude Sonnet 4.5 (Amazon Bedrock
  Edition)"; a ``model`` attribute is read first if the file ever carries one), has no
  ``feature``/``inferenceType``, and says what it prices in its ``usagetype`` after the
  Marketplace prefix: ``USE1-MP:USE1_InputTokenCount-Units`` (older naming) or
  ``USE1-MP:USE1_input_tokens_standard-Units`` (newer), likewise ``Output...``,
  ``CacheReadInputTokenCount`` / ``cache_read_tokens_standard`` and ``CacheWriteInputTokenCount``
  / ``cache_write_tokens_standard``; ``regionCode`` and ``location`` as in every offer file;
  prices per "1M tokens" (a "1K tokens" unit is read as well).

A product is one price of one model in one region (its input tokens, or its output tokens);
it is joined with its on-demand term by sku. The prices of one model in one region make one
offer: provider ``aws-bedrock``, provider model id the Bedrock model id, variant the region code
(``us-east-1``). Prices per "1K tokens" (or "1M tokens") become exact USD per 1M tokens;
``Observation.raw`` is the USD text as the file wrote it with its unit.

The price lists name models by display name ("Llama 3.2 1B Instruct"; the Marketplace file's
" (Amazon Bedrock Edition)" suffix dropped), not by the model id an API call uses, so the
curated ``warehouse/curated/bedrock_names.yaml`` maps names to Bedrock model ids
(``options.model_ids`` in sources.yaml adds or overrides entries without a code change). A
text-generation model missing from the map is skipped with a reason naming it (add it to the
map); ``NOT_TEXT_MODELS`` are skipped as not being LLMs.

Skipped with a reason: batch inference, provisioned throughput, custom-model and other
non-on-demand features; the Marketplace file's cross-region ("Global") prices, long-context
tiers, 1-hour cache writes and other service tiers (the offer is the regional on-demand price);
inference types other than input/output/cache tokens (images, video seconds, search units).
A token price in a unit other than tokens is an error (the file changed). ``items`` counts the
offers.
"""
from __future__ import annotations

import re
from typing import Any

from pipeline.config import SourceConfig
from pipeline.curated import load_map
from pipeline.identity import IdentityError, resolve
from pipeline.models import PageLayoutError, ParseResult, RawPage
from pipeline.parse.collect import PageOut, load_json, usd_per

PROVIDER_ID = "aws-bedrock"
OFFER_CODES = ("AmazonBedrock", "AmazonBedrockFoundationModels")

# Models the price lists sell that are not text-generation LLMs.
NOT_TEXT_MODELS: dict[str, str] = {
    "Titan Text Embeddings V2": "an embedding model",
    "Titan Multimodal Embeddings G1": "an embedding model",
    "Cohere Embed English": "an embedding model",
    "Cohere Embed Multilingual": "an embedding model",
    "Titan Image Generator G1 v2": "an image generator",
    "Nova Canvas": "an image generator",
    "Nova Reel": "a video generator",
    "Stable Image Core": "an image generator",
}
# AmazonBedrock: inferenceType (lower-case) -> offer field
INFERENCE_FIELDS = {
    "input tokens": "input_usd_per_mtok",
    "output tokens": "output_usd_per_mtok",
    "cache read input tokens": "cached_input_usd_per_mtok",
    "cache write input tokens": "cache_write_usd_per_mtok",
}
# AmazonBedrockFoundationModels: the words of a usagetype's price name ("CacheReadInputTokenCount",
# "cache_read_tokens_standard") -> offer field, the first that matches
USAGE_FIELDS = (
    ({"cache", "read"}, "cached_input_usd_per_mtok"),
    ({"cache", "write"}, "cache_write_usd_per_mtok"),
    ({"input"}, "input_usd_per_mtok"),
    ({"output"}, "output_usd_per_mtok"),
)
# ... and the words that make it another price than the regional on-demand one: why it is skipped
USAGE_SKIPS = {
    "batch": "a batch inference price",
    "global": "a cross-region (Global) inference price",
    "provisioned": "a provisioned throughput price",
    "reserved": "a reserved capacity price",
    "long": "a long-context tier price",
    "ctx": "a long-context tier price",
    "latency": "a latency-optimized tier price",
    "priority": "a priority tier price",
    "flex": "a flex tier price",
    "1h": "a 1-hour cache write price (the offer's cache write is the default 5-minute one)",
    "30m": "a 30-minute cache write price (the offer's cache write is the default 5-minute one)",
}
UNITS = {"1k tokens": "ktok", "1m tokens": "mtok", "tokens": "token"}
_ON_DEMAND = re.compile(r"on[- ]?demand", re.I)
_EDITION = re.compile(r"\s*\((?:Amazon )?Bedrock Edition\)\s*$", re.I)
_USAGE_NAME = re.compile(r"^(?:[A-Z0-9]+-MP:)?(?:[A-Z0-9]+_)?(?P<name>.+?)(?:-Units)?$")
_WORDS = re.compile(r"\d+[a-z]*|[A-Z]?[a-z]+|[A-Z]+(?![a-z])")


def _offer_file(doc: Any) -> tuple[str, dict[str, Any], dict[str, Any]]:
    if not isinstance(doc, dict):
        raise PageLayoutError(f"offer file is a JSON {type(doc).__name__}, not an object")
    code = doc.get("offerCode")
    if code not in OFFER_CODES:
        raise PageLayoutError(f"offerCode is {code!r}, not one of {', '.join(map(repr, OFFER_CODES))}")
    products = doc.get("products")
    if not isinstance(products, dict) or not products:
        raise PageLayoutError("offer file has no 'products' object")
    terms = doc.get("terms")
    on_demand = terms.get("OnDemand") if isinstance(terms, dict) else None
    if not isinstance(on_demand, dict):
        raise PageLayoutError("offer file has no 'terms.OnDemand' object")
    return code, products, on_demand


def _price_dimension(terms: Any) -> dict[str, Any] | None:
    """The one price dimension of a sku's on-demand terms, or None if there is not exactly one."""
    if not isinstance(terms, dict):
        return None
    dims = [d for t in terms.values() if isinstance(t, dict) and isinstance(t.get("priceDimensions"), dict)
            for d in t["priceDimensions"].values() if isinstance(d, dict)]
    return dims[0] if len(dims) == 1 else None


def _bedrock_product(out: PageOut, sku: str, attrs: dict[str, Any]) -> tuple[str, str] | None:
    """AmazonBedrock: (model name, field) of a product, or None (skipped or named as a problem)."""
    usage = attrs.get("usagetype") or sku
    feature = str(attrs.get("feature") or "")
    if feature and not _ON_DEMAND.search(feature):
        out.skip(f"{usage}: {feature}, not on-demand inference")
        return None
    inference = str(attrs.get("inferenceType") or "")
    field = INFERENCE_FIELDS.get(inference.strip().lower())
    if field is None:
        out.skip(f"{usage}: inference type {inference or '(none)'!r} is not priced per input/output token")
        return None
    return _model_name(out, sku, attrs, attrs.get("model")), field


def _marketplace_product(out: PageOut, sku: str, attrs: dict[str, Any]) -> tuple[str, str] | None:
    """AmazonBedrockFoundationModels: (model name, field) of a product from its usagetype, or None."""
    usage = str(attrs.get("usagetype") or "")
    m = _USAGE_NAME.match(usage.rsplit(":", 1)[-1].strip()) if usage.strip() else None
    if m is None:
        out.problem(f"product {sku} states no usagetype: what it prices is unknown")
        return None
    words = {w.lower() for w in _WORDS.findall(m.group("name"))}
    why = next((reason for word, reason in USAGE_SKIPS.items() if word in words), None)
    if why is not None:
        out.skip(f"{usage}: {why}, not the regional on-demand price: not read")
        return None
    field = next((f for needed, f in USAGE_FIELDS if needed <= words), None)
    if field is None or not words & {"token", "tokens"}:
        out.skip(f"{usage}: not priced per input/output token")
        return None
    name = attrs.get("model") or attrs.get("servicename")
    return _model_name(out, sku, attrs, _EDITION.sub("", name) if isinstance(name, str) else name), field


def _model_name(out: PageOut, sku: str, attrs: dict[str, Any], name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        out.problem(f"{attrs.get('usagetype') or sku}: product {sku} names no model")
        return ""
    return name.strip()


def parse(page: RawPage, source: SourceConfig) -> ParseResult:
    code, products, on_demand = _offer_file(load_json(page, "offer file"))
    read_product = _bedrock_product if code == "AmazonBedrock" else _marketplace_product
    model_ids = {**load_map("bedrock_names"), **dict(source.options.get("model_ids") or {})}
    out = PageOut(page, source)
    canonical: dict[str, str | None] = {}  # bedrock model id -> canonical model id (None: unreadable)
    read: dict[tuple[str, str, str], tuple[str, str | None]] = {}  # (bedrock id, region, field) -> (raw, value)
    # (bedrock model id, region, field) already reported as unreadable: not reported again as missing
    unreadable: set[tuple[str, str, str]] = set()

    for sku, product in products.items():
        attrs = product.get("attributes") if isinstance(product, dict) else None
        if not isinstance(attrs, dict):
            out.problem(f"product {sku}: no 'attributes' object")
            continue
        usage = attrs.get("usagetype") or sku
        priced = read_product(out, sku, attrs)
        if priced is None or not priced[0]:
            continue
        name, field = priced
        if name in NOT_TEXT_MODELS:
            out.skip(f"{usage}: {name} is {NOT_TEXT_MODELS[name]}, not a text-generation model")
            continue
        bedrock_id = model_ids.get(name)
        if bedrock_id is None:
            out.skip(f"{usage}: no Bedrock model id known for {name!r} (add it to "
                     "warehouse/curated/bedrock_names.yaml or options.model_ids)")
            continue
        if bedrock_id not in canonical:
            try:
                canonical[bedrock_id] = resolve(bedrock_id, PROVIDER_ID).model_id
            except IdentityError as e:
                canonical[bedrock_id] = None
                out.problem(f"{usage}: {e}")
        model_id = canonical[bedrock_id]
        if model_id is None:
            continue
        region = attrs.get("regionCode")
        if not isinstance(region, str) or not region.strip():
            out.problem(f"{usage}: product {sku} states no regionCode", field=field)
            continue
        region = region.strip()
        key = (bedrock_id, region, field)
        dim = _price_dimension(on_demand.get(sku))
        if dim is None:
            out.problem(f"{usage}: product {sku} ({bedrock_id} in {region}) has no single on-demand price", field=field)
            unreadable.add(key)
            continue
        unit = str(dim.get("unit") or "")
        usd = dim.get("pricePerUnit", {}).get("USD") if isinstance(dim.get("pricePerUnit"), dict) else None
        raw = f"{usd} USD per {unit}"
        per = UNITS.get(unit.strip().lower())
        if per is None:
            out.problem(f"{usage}: {field} priced per {unit!r}, not per tokens: not read", field=field)
            unreadable.add(key)
            continue
        convert = usd_per(per)  # type: ignore[arg-type]
        if key in read:
            if read[key][1] != _value(convert, usd):
                out.problem(f"{bedrock_id} in {region}: two {field} prices ({read[key][0]!r}, {raw!r}): "
                            "the first is recorded", field=field)
            continue
        if out.offer(model_id, (PROVIDER_ID, bedrock_id, region), field, usd, convert,
                     who=f"{bedrock_id} in {region}", shown=raw):
            read[key] = (raw, out.result.observations[-1].value)
        else:
            unreadable.add(key)

    offers = sorted({(b, r) for b, r, _ in read})
    for bedrock_id, region in offers:
        for field in ("input_usd_per_mtok", "output_usd_per_mtok"):
            key = (bedrock_id, region, field)
            if key not in read and key not in unreadable:
                out.problem(f"{bedrock_id} in {region}: the price list has no {field.split('_')[0]} token price",
                            field=field)
    out.result.items = len(offers)
    return out.result


def _value(convert: usd_per, usd: Any) -> str | None:
    try:
        return convert(usd)
    except ValueError:
        return None
