"""Export record types: the contract downstream sites build on. JSON Schema is generated from these.

Every field is documented by the docstring under it (``use_attribute_docstrings``): that text is
the field's ``description`` in the published schema, and `json_schema` refuses a schema with an
undocumented property. Each schema states its draft (2020-12) and an ``$id``
(``https://llm-ledger.dev/schema/<SCHEMA_VERSION>/<kind>.schema.json``: an identifier, not a
download address; the schemas travel in each export's ``schema/`` folder). ``FILE_KINDS`` says
which schema each JSON file of an export follows (manifest.json ``schemas`` publishes it).
"""
from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from pipeline.models import Status
from pipeline.normalize import decimal_text

# 2: benchmark scores are exact decimal strings everywhere (comparisons had numbers); provenance
# is typed (`source_id`); routes, price history and per-fact provenance in model and comparison
# records; manifest `sources` (terms) and `schemas`; index.json carries schema_version and as_of.
# 3: model files carry their disputed facts (`conflicts`, every value seen with its source) and
# what changed when (`changes`), so a page can show both from the export alone.
SCHEMA_VERSION = "3"
JSON_SCHEMA_DRAFT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID_BASE = "https://llm-ledger.dev/schema"

# An exact non-negative decimal as canonical text: digits, an optional fraction, no sign, no
# exponent, no trailing zeros after the point ("0.027", "10", "1.5"). `decimal_text` writes it.
DECIMAL_PATTERN = r"^[0-9]+(\.[0-9]*[1-9])?$"

# Exact decimals travel as JSON strings ("0.027"), never as floats: prices, money, ratios, scores.
Exact = Annotated[Decimal, Field(ge=0), PlainSerializer(decimal_text, return_type=str, when_used="json"),
                  WithJsonSchema({"type": "string", "pattern": DECIMAL_PATTERN}, mode="serialization")]
Usd = Exact  # an amount in US dollars (a price per 1M tokens unless the field says otherwise)


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class FactSource(_Record):
    """Where one resolved fact comes from: the claim that won reconciliation (pipeline/reconcile.py)."""

    source_id: str
    """The source of the claim: a source id of sources.yaml (manifest.json `sources` states its
    terms), or `curated` for a reviewed override in warehouse/curated/."""
    url: str
    """The page the claim was read from; for `curated`, the address the override cites or the curated file."""
    observed_at: date
    """The day the claim was observed (its crawl's start, UTC); for `curated`, the review date."""
    rule: str
    """The reconciliation rule that chose this claim among the sources' claims ("agreed (first_party)",
    "authority: provider, then precision, agreement, newest", "only claim (catalog)")."""
    status: Status
    """known: the source states a value; unknown: it states none ("N/A", blank); not_offered: it
    states that the offer has no such price or feature."""
    raw: str | None
    """The text the source wrote, before normalization (null when it wrote none)."""


Provenance = dict[str, FactSource]


class ModelRecord(_Record):
    """One model as of the export date: its resolved facts, each with its source (models.json, models/<id>.json)."""

    model_id: str
    """Canonical id `creator/slug`, lower case with dotted versions ("meta/llama-3.2-1b-instruct")."""
    name: str | None
    """Display name ("Llama 3.2 1B Instruct")."""
    creator: str | None
    """The organisation that made the model ("Meta")."""
    context_window: int | None
    """The model's native context window in tokens (input and output together); a provider's smaller
    serving limit is an offer's `context_window`."""
    context_window_label: str | None
    """`context_window` for display ("128K")."""
    max_input_tokens: int | None
    """The most input tokens the model takes, when stated apart from the context window."""
    max_output_tokens: int | None
    """The most tokens the model writes in one response."""
    parameters_total: int | None
    """Total parameter count."""
    parameters_active: int | None
    """Parameters active per token (mixture-of-experts models)."""
    parameters_label: str | None
    """Parameter count as a source writes it ("1.23B", "8x22B")."""
    experts_total: int | None
    """Number of experts (mixture-of-experts models)."""
    experts_active: int | None
    """Experts active per token (mixture-of-experts models)."""
    architecture: str | None
    """Architecture in words ("decoder only", "mixture of experts")."""
    release_date: date | None
    """The day the creator released the model."""
    knowledge_cutoff: str | None
    """Training data cutoff: "YYYY-MM" or "YYYY-MM-DD"."""
    license: str | None
    """The model's licence ("Llama 3.2 Community License", "Apache-2.0", "Proprietary")."""
    open_weights: bool | None
    """Whether the weights are published for download."""
    gated: bool | None
    """Whether downloading the weights needs an approved request."""
    base_model: str | None
    """The model this one was fine-tuned from, when stated."""
    supports_vision: bool | None
    """Takes images as input."""
    supports_multimodal: bool | None
    """Takes more than text as input (images, audio, video)."""
    supports_reasoning: bool | None
    """Has a reasoning (thinking) mode."""
    supports_function_calling: bool | None
    """Calls functions the caller declares."""
    supports_tool_use: bool | None
    """Uses tools (function calls or hosted tools)."""
    supports_structured_outputs: bool | None
    """Writes output constrained to a JSON schema."""
    supports_code_execution: bool | None
    """Has a hosted code-execution tool."""
    supports_ide_integration: bool | None
    """Is offered inside code editors (IDE integration)."""
    supports_computer_use: bool | None
    """Operates a computer (screen, keyboard, mouse)."""
    supports_parallel_agents: bool | None
    """Runs parallel agents."""
    provenance: Provenance
    """Per fact (keyed by this record's field names): the source, URL, observed date and rule of the
    value above. A fact without an entry has no source (its value is null)."""
    last_reviewed: date | None
    """The newest day a crawl saw the model, as of the export date."""


class OfferRecord(_Record):
    """One offer: a model sold by one provider on one variant, with its prices (offers.json, models/<id>.json)."""

    model_id: str
    """The model offered (ModelRecord.model_id)."""
    provider_id: str
    """The provider selling it (a slug: "cloudflare-workers-ai")."""
    provider_name: str | None
    """The provider's display name ("Cloudflare Workers AI")."""
    provider_model_id: str | None
    """The provider's own id for the model ("@cf/meta/llama-3.2-1b-instruct"), when a source states it."""
    variant: str
    """The route within the provider: "" for its standard route, else '/'-joined parts ("batch",
    "flex", "eu/batch", "us-east-1", "fp8")."""
    input_usd_per_mtok: Usd | None
    """Input price, USD per 1M tokens (exact decimal string)."""
    input_label: str | None
    """`input_usd_per_mtok` for display ("$0.03")."""
    output_usd_per_mtok: Usd | None
    """Output price, USD per 1M tokens (exact decimal string)."""
    output_label: str | None
    """`output_usd_per_mtok` for display ("$0.20")."""
    cached_input_usd_per_mtok: Usd | None
    """Price of cached (prompt-cache hit) input, USD per 1M tokens."""
    cache_write_usd_per_mtok: Usd | None
    """Price of writing input to the prompt cache, USD per 1M tokens."""
    context_window: int | None
    """The provider's serving limit in tokens (may be below the model's native window)."""
    max_input_tokens: int | None
    """The most input tokens the provider accepts."""
    max_output_tokens: int | None
    """The most output tokens the provider returns."""
    quantization: str | None
    """The precision the provider serves ("fp8", "bf16"), when stated."""
    offer_name: str | None
    """The provider's name for the offer, when it differs from the model's."""
    tier_threshold_tokens: int | None
    """Prompt size in tokens above which the `_above_tier` prices apply (long-context pricing)."""
    input_usd_per_mtok_above_tier: Usd | None
    """Input price above `tier_threshold_tokens`, USD per 1M tokens."""
    output_usd_per_mtok_above_tier: Usd | None
    """Output price above `tier_threshold_tokens`, USD per 1M tokens."""
    provenance: Provenance
    """Per fact (keyed by this record's field names): source, URL, observed date and rule."""
    last_reviewed: date | None
    """The newest day a crawl saw the offer, as of the export date."""


class BenchmarkRecord(_Record):
    """One model's score on one benchmark (benchmarks.json, models/<id>.json)."""

    model_id: str
    """The model scored (ModelRecord.model_id)."""
    benchmark_id: str
    """Benchmark id ("mmlu-pro", "gpqa", "bfcl")."""
    benchmark_name: str | None
    """The benchmark's name as its source writes it."""
    score: Exact | None
    """The score as published, usually a percent (25.6 = 25.6%), as an exact decimal string."""
    provenance: Provenance
    """Per fact (`score`, `benchmark_name`): source, URL, observed date and rule."""
    last_reviewed: date | None
    """The newest day a crawl saw the score, as of the export date."""


# --- comparison records (the JSON contract of one comparison page) --------------------------

Tri = Literal["yes", "no", "unknown"]


class ProviderRef(_Record):
    """A provider: its id and display name."""

    id: str
    """Provider id (a slug: "openrouter")."""
    name: str
    """Display name ("OpenRouter")."""


class Tokens(_Record):
    """A token count with its display label, or unknown."""

    tokens: int | None
    """The count (null when unknown)."""
    label: str | None
    """The count for display ("128K"; null when unknown)."""
    status: Literal["known", "unknown"]
    """Whether the count is known."""


class Parameters(_Record):
    """A model's parameter counts."""

    total: int | None
    """Total parameters."""
    active: int | None
    """Parameters active per token (mixture of experts)."""
    label: str | None
    """For display ("1.23B", "8x22B")."""


# The kinds of non-standard route (comparisons.yaml `non_standard_routes`; a route priced $0 for
# input and output is `free` unless the model itself is listed in `free_models`).
# "unreviewed": a provider only the data names (not yet in warehouse/curated/providers.yaml): its
# price may be points, a subscription or a promotion, so it is shown, never the cheapest tracked route.
RouteKind = Literal["free", "batch", "flex", "priority", "commitment", "regional-surcharge", "unreviewed"]
# Route.kind: "standard" (an on-demand route that can be the cheapest tracked route) or a RouteKind.
AnyRouteKind = Literal["standard", "free", "batch", "flex", "priority", "commitment", "regional-surcharge",
                       "unreviewed"]


class Price(_Record):
    """A cheapest standard price with every provider at exactly that price (ties)."""

    usd_per_mtok: Usd
    """The price, USD per 1M tokens (exact decimal string)."""
    label: str
    """The price for display ("$0.03")."""
    provider: ProviderRef
    """The first provider at this price (by name, then id)."""
    providers: list[ProviderRef]
    """Every provider with a standard route at exactly this price (ties), by name then id."""


class Monthly(_Record):
    """The lowest monthly cost at the traffic profile over standard routes, with every provider at it."""

    usd: Usd
    """Monthly cost in USD (exact decimal string)."""
    provider: ProviderRef
    """The first provider at this cost (by name, then id)."""
    providers: list[ProviderRef]
    """Every provider at exactly this cost (ties), by name then id."""


class OtherRoute(_Record):
    """The cheapest route of one non-standard kind (batch, flex, ...): shown beside the cheapest
    standard route, never chosen as it. Cheapest by input, then output, then provider name."""

    kind: RouteKind
    """The kind of non-standard route."""
    provider: ProviderRef
    """The provider of the route."""
    variant: str
    """The offer's variant ("" for the provider's standard route)."""
    input_usd_per_mtok: Usd | None
    """Input price, USD per 1M tokens."""
    output_usd_per_mtok: Usd | None
    """Output price, USD per 1M tokens."""


class Tier(_Record):
    """Long-context pricing: the prices that apply once a prompt exceeds a size."""

    threshold_tokens: int
    """Prompt size in tokens above which these prices apply (the route's base prices apply up to it)."""
    input_usd_per_mtok: Usd | None
    """Input price above the threshold, USD per 1M tokens."""
    output_usd_per_mtok: Usd | None
    """Output price above the threshold, USD per 1M tokens."""


class Route(_Record):
    """One offer of a model (a provider and variant) with its prices: one entry per offer, standard
    routes first, then by kind (comparisons.yaml order), input price, output price and provider."""

    provider: ProviderRef
    """The provider selling the route."""
    provider_model_id: str | None
    """The provider's own id for the model, when a source states it."""
    variant: str
    """The offer's variant ("" for the provider's standard route; "batch", "flex", "eu/batch", "us-east-1", "fp8")."""
    kind: AnyRouteKind
    """standard: an on-demand route that counts for the cheapest tracked route; otherwise the kind
    of non-standard route it is (never the cheapest tracked route; see README "Comparison semantics")."""
    input_usd_per_mtok: Usd | None
    """Input price, USD per 1M tokens."""
    output_usd_per_mtok: Usd | None
    """Output price, USD per 1M tokens."""
    cached_input_usd_per_mtok: Usd | None
    """Cached-input (prompt-cache hit) price, USD per 1M tokens."""
    cache_write_usd_per_mtok: Usd | None
    """Prompt-cache write price, USD per 1M tokens."""
    tier: Tier | None
    """Long-context prices above a prompt size, when the offer is tiered."""
    context_window: int | None
    """The provider's serving limit in tokens on this route."""
    max_output_tokens: int | None
    """The most output tokens the provider returns on this route."""


class PricePoint(_Record):
    """The prices of one offer over one period: from the crawl that first saw them until the crawl
    that saw them change or the offer gone."""

    valid_from: datetime
    """When these prices were first seen (the start of that crawl, UTC)."""
    valid_to: datetime | None
    """When they stopped applying (the start of the crawl that saw the change, UTC); null: still in
    force as of the export date."""
    input_usd_per_mtok: Usd | None
    """Input price, USD per 1M tokens."""
    output_usd_per_mtok: Usd | None
    """Output price, USD per 1M tokens."""
    cached_input_usd_per_mtok: Usd | None
    """Cached-input price, USD per 1M tokens."""
    cache_write_usd_per_mtok: Usd | None
    """Prompt-cache write price, USD per 1M tokens."""


class PriceSeries(_Record):
    """The price history of one offer (provider and variant) up to the export date, oldest point first.
    Versions of the offer that changed no price are one point."""

    provider: ProviderRef
    """The provider of the offer."""
    variant: str
    """The offer's variant ("" for the provider's standard route)."""
    current: bool
    """Whether the offer is still listed as of the export date (false: retired)."""
    points: list[PricePoint]
    """Dated prices, oldest first."""


class Score(_Record):
    """One benchmark score of a model."""

    name: str
    """The benchmark's name ("MMLU-Pro")."""
    score: Exact
    """The score as published, usually a percent (exact decimal string, as in benchmarks.json)."""


class Side(_Record):
    """One model of a comparison, with everything its column of the page shows."""

    model_id: str
    """Canonical model id."""
    name: str | None
    """Display name."""
    creator: str | None
    """The organisation that made the model."""
    context_window: Tokens
    """The model's native context window."""
    max_output_tokens: Tokens
    """The most tokens the model writes in one response."""
    parameters: Parameters
    """Parameter counts."""
    architecture: str | None
    """Architecture in words."""
    released: date | None
    """Release date."""
    knowledge_cutoff: str | None
    """Training data cutoff ("YYYY-MM" or "YYYY-MM-DD")."""
    license: str | None
    """The model's licence."""
    open_weights: bool | None
    """Whether the weights are published."""
    capabilities: dict[str, Tri]
    """Each capability (vision, reasoning, function_calling, ...): yes, no or unknown."""
    cheapest_input: Price | None
    """The cheapest standard input price and every provider at it (null: no standard input price)."""
    cheapest_output: Price | None
    """The cheapest standard output price and every provider at it (null: no standard output price)."""
    providers: list[ProviderRef]
    """Every provider that sells the model, on any route, by name then id."""
    providers_count: int
    """How many providers sell the model (the length of `providers`)."""
    blended_70_30_usd_per_mtok: Usd | None
    """The lowest 70/30 input/output blended price over standard routes, USD per 1M tokens."""
    blended_3_1_usd_per_mtok: Usd | None
    """The lowest 3:1 input/output blended price over standard routes, USD per 1M tokens."""
    monthly: Monthly | None
    """The lowest monthly cost at the traffic profile over standard routes."""
    other_routes: list[OtherRoute]
    """The cheapest route of each non-standard kind the model has, in kind order."""
    routes: list[Route]
    """Every offer of the model with its prices (standard, batch, cached, tiers): one entry per provider and variant."""
    price_history: list[PriceSeries]
    """Dated prices per offer up to the export date, retired offers included."""
    benchmarks: dict[str, Score]
    """The model's benchmark scores, keyed by benchmark id."""
    provenance: Provenance
    """Per model fact (keyed by models.json field names: release_date, context_window, ...): source,
    URL, observed date and rule."""
    last_reviewed: date | None
    """The newest day a crawl saw the model, as of the export date."""


class SharedBenchmark(_Record):
    """A benchmark both models have a score on."""

    id: str
    """Benchmark id."""
    name: str
    """Benchmark name."""
    a: Exact
    """Side a's score (exact decimal string)."""
    b: Exact
    """Side b's score (exact decimal string)."""
    leader: Literal["a", "b", "tie"]
    """The side with the higher score."""
    gap: Exact
    """The absolute difference between the scores (exact decimal string)."""


class BenchmarkGap(_Record):
    """The shared benchmark with the largest gap."""

    id: str
    """Benchmark id."""
    gap: Exact
    """The absolute difference between the scores (exact decimal string)."""


class CapabilitySplit(_Record):
    """Which capabilities one side, the other or both have (stated yes on one side and no on the other for only_a/only_b)."""

    only_a: list[str]
    """Capabilities side a has and side b lacks."""
    only_b: list[str]
    """Capabilities side b has and side a lacks."""
    shared: list[str]
    """Capabilities both have."""


class TrafficProfile(_Record):
    """The traffic the monthly costs assume (comparisons.yaml `traffic_profile`)."""

    input_mtok: Exact
    """Input tokens a month, in millions."""
    output_mtok: Exact
    """Output tokens a month, in millions."""


class ComparisonRecord(_Record):
    """comparisons/<a>--vs--<b>.json: two models compared as of a date, laid out like a comparison page.
    Prices count standard routes only (README "Comparison semantics")."""

    schema_version: str
    """The version of this contract (SCHEMA_VERSION)."""
    as_of: date
    """The date the comparison describes (the export's as-of date)."""
    last_reviewed: date | None
    """The older of the two sides' last_reviewed."""
    a: Side
    """The first model of the pair."""
    b: Side
    """The second model of the pair."""
    cheaper: Literal["a", "b", "tie"] | None
    """The side with the lower cheapest standard input price."""
    cheaper_pct: Exact | None
    """How much more the pricier side's cheapest input costs, in percent of the cheaper's (may exceed 100)."""
    input_price_ratio: Exact | None
    """Pricier over cheaper cheapest input price, rounded half-up to 2 decimals."""
    output_price_ratio: Exact | None
    """Pricier over cheaper cheapest output price, rounded half-up to 2 decimals."""
    blended_3_1_ratio: Exact | None
    """Pricier over cheaper 3:1 blended price, rounded half-up to 2 decimals."""
    blended_70_30_gap_usd: Usd | None
    """Absolute difference of the 70/30 blended prices, USD per 1M tokens."""
    input_price_gap_usd: Usd | None
    """Absolute difference of the cheapest input prices, USD per 1M tokens."""
    output_price_gap_usd: Usd | None
    """Absolute difference of the cheapest output prices, USD per 1M tokens."""
    monthly_gap_usd: Usd | None
    """Absolute difference of the monthly costs at the traffic profile, USD."""
    context_leader: Literal["a", "b", "tie"] | None
    """The side with the larger context window."""
    provider_overlap: list[ProviderRef]
    """Providers that sell both models."""
    capabilities: CapabilitySplit
    """Capabilities split by side."""
    benchmarks: list[SharedBenchmark]
    """Benchmarks both sides have a score on, by id."""
    largest_benchmark_gap: BenchmarkGap | None
    """The shared benchmark with the largest gap (null: none shared)."""
    traffic_profile: TrafficProfile
    """The traffic the monthly costs assume."""
    null_reasons: dict[str, str]
    """Why a pair figure is null, per field name (cheaper_pct: "b (x/y) has no standard input
    price"); every null price figure, ratio, percent and context_leader has an entry."""


class Claim(_Record):
    """One source's value for a disputed fact."""

    source_id: str
    """The source (FactSource.source_id)."""
    value: str | None
    """The value as normalized, as text ("0.201", "2023-12"; null: the source states none)."""
    raw: str | None
    """The text the source wrote."""
    url: str
    """The page the value was read from."""
    observed_at: date
    """The day it was observed."""


class ConflictRecord(_Record):
    """A disputed fact: sources disagree on it in the newest crawl as of the export date. The value
    chosen is the record's (its provenance names the claim and rule); `claims` lists every value seen."""

    entity: Literal["model", "offer", "benchmark"]
    """What the fact belongs to: the model, one of its offers, or one of its benchmark scores."""
    provider: ProviderRef | None
    """The offer's provider (null unless entity is offer)."""
    provider_model_id: str | None
    """The offer's provider model id (null unless entity is offer)."""
    variant: str | None
    """The offer's variant (null unless entity is offer)."""
    benchmark_id: str | None
    """The benchmark (null unless entity is benchmark)."""
    field: str
    """The disputed field (a field name of the record it belongs to)."""
    chosen_value: str | None
    """The value reconciliation chose, as text."""
    chosen_source: str
    """The source of the chosen value."""
    rule: str
    """The reconciliation rule that chose it."""
    severity: Literal["minor", "major"]
    """minor: the values differ only in precision or form (2023-12 and 2023-12-31); major: they disagree."""
    claims: list[Claim]
    """Every source's value, by source id."""


class FieldChange(_Record):
    """One field's value before and after a change."""

    field: str
    """The field (a field name of the model or offer record)."""
    old: str | None
    """The value before, as text (null: not stated)."""
    new: str | None
    """The value after, as text (null: not stated any more)."""
    source_id: str | None
    """The source of the new value (null when there is none)."""


class ChangeRecord(_Record):
    """A change to the model or one of its offers, made by one crawl up to the export date."""

    changed_at: datetime
    """The start of the crawl that saw the change (UTC)."""
    entity: Literal["model", "offer"]
    """The model's own facts, or one of its offers."""
    change: Literal["new model", "model facts", "new offer", "retired offer", "price move", "changed"]
    """What happened: a model first seen or its facts changed; an offer first seen, retired, its
    input or output price moved, or other fields changed (the warehouse's `changes` view)."""
    provider: ProviderRef | None
    """The offer's provider (null for the model's own facts)."""
    variant: str | None
    """The offer's variant (null for the model's own facts)."""
    fields: list[FieldChange]
    """The fields whose value changed (empty for a new model or a new or retired offer)."""


class ModelFile(_Record):
    """models/<id>.json: one model with its offers, routes (prices per provider), cheapest prices
    (ties listed), price history and benchmark scores."""

    schema_version: str
    """The version of this contract (SCHEMA_VERSION)."""
    as_of: date
    """The export's as-of date."""
    model: ModelRecord
    """The model's facts, with per-fact provenance."""
    offers: list[OfferRecord]
    """Every offer of the model as of the date, with per-fact provenance."""
    routes: list[Route]
    """Every offer with its prices and route kind, in the order a pricing table shows them (as in comparisons)."""
    cheapest_input: Price | None
    """The cheapest standard input price and every provider at it (null: none)."""
    cheapest_output: Price | None
    """The cheapest standard output price and every provider at it (null: none)."""
    price_history: list[PriceSeries]
    """Dated prices per offer up to the export date, retired offers included."""
    benchmarks: list[BenchmarkRecord]
    """The model's benchmark scores, by benchmark id."""
    conflicts: list[ConflictRecord]
    """The model's disputed facts (its own, its offers', its scores') standing as of the export date."""
    changes: list[ChangeRecord]
    """What changed, newest first, up to the export date."""


class ModelList(_Record):
    """models.json: every model as of the export date."""

    schema_version: str
    """The version of this contract (SCHEMA_VERSION)."""
    as_of: date
    """The export's as-of date."""
    records: list[ModelRecord]
    """The models, by model id."""


class OfferList(_Record):
    """offers.json: every offer as of the export date."""

    schema_version: str
    """The version of this contract (SCHEMA_VERSION)."""
    as_of: date
    """The export's as-of date."""
    records: list[OfferRecord]
    """The offers, by model, provider, provider model id and variant."""


class BenchmarkList(_Record):
    """benchmarks.json: every benchmark score as of the export date."""

    schema_version: str
    """The version of this contract (SCHEMA_VERSION)."""
    as_of: date
    """The export's as-of date."""
    records: list[BenchmarkRecord]
    """The scores, by model and benchmark id."""


class IndexModel(_Record):
    """A model file of the export."""

    model_id: str
    """The model's id."""
    path: str
    """The file, relative to the export folder ("models/meta__llama-3.2-1b-instruct.json")."""


class IndexComparison(_Record):
    """A comparison file of the export."""

    a: str
    """Side a's model id."""
    b: str
    """Side b's model id."""
    path: str
    """The file, relative to the export folder ("comparisons/<a>--vs--<b>.json")."""


class IndexFile(_Record):
    """index.json: every model file and comparison file of the export."""

    schema_version: str
    """The version of this contract (SCHEMA_VERSION)."""
    as_of: date
    """The export's as-of date."""
    models: list[IndexModel]
    """One entry per model file, by model id."""
    comparisons: list[IndexComparison]
    """One entry per configured pair written (comparisons.yaml order)."""


class ReviewedRange(_Record):
    """The oldest and newest last_reviewed date of the export's records."""

    min: date | None
    """The oldest."""
    max: date | None
    """The newest."""


class SourceTerms(_Record):
    """A source whose facts the export carries, and the terms they come under (sources.yaml)."""

    id: str
    """Source id (FactSource.source_id)."""
    name: str
    """The source's name."""
    license: str | None
    """The licence of the source's data (an SPDX id where one applies), or the terms that govern
    it when no licence is granted; null: not stated in sources.yaml."""
    attribution: str | None
    """The credit to show wherever the source's facts are shown, as its terms require."""
    terms_url: str | None
    """Where those terms are stated."""


class ManifestRecord(_Record):
    """manifest.json: written last into an export; describes and hashes every other file of it.

    Every field derives from the warehouse state and the configuration, so the same state gives the
    same bytes: no clock, no run id (those are in the export folder's publish-log.jsonl)."""

    schema_version: str
    """The version of the record contract (SCHEMA_VERSION); the schemas' $id carry it."""
    version: str
    """"<as_of>_<12 hex>": the export's folder under versions/, the start of the sha256 of this
    manifest's JSON without `version`. Equal versions, equal bytes."""
    as_of: date
    """The date the export describes (end of that day, UTC)."""
    generated_at: datetime | None
    """The start of the newest crawl in the export (not when it was written)."""
    newest_crawl_id: str | None
    """The newest crawl in the export."""
    counts: dict[str, int]
    """Records per dataset (models, offers, benchmarks, comparisons, comparison_files). `comparisons`
    counts the rows of the comparisons parquet: every pair of models with an offer, ordered by
    (a_model_id, b_model_id), in comparisons.parquet, or, beyond 4,000,000 pairs, in
    comparisons-00000.parquet, comparisons-00001.parquet, ... (blocks of consecutive first models;
    read in name order they are the same rows in the same order: read_parquet('comparisons*.parquet'))."""
    missing_pairs: list[list[str]]
    """Configured pairs with no comparison file as of this date ([a, b]: a model unknown or without any offer)."""
    last_reviewed: ReviewedRange
    """The range of the records' last_reviewed dates."""
    sources: list[SourceTerms]
    """Every source whose facts the export carries (in provenance, price history or conflict
    claims), by id, with its licence and the attribution its terms require."""
    schemas: dict[str, str]
    """Which schema each JSON file follows: a path pattern ("models/*.json") -> its schema file ("schema/model_file.schema.json")."""
    files: dict[str, str]
    """Path in the folder -> sha256 of its bytes (every file but manifest.json)."""


# kind -> record type: schema/<kind>.schema.json of every export
RECORD_TYPES: dict[str, type[_Record]] = {
    "model": ModelRecord, "offer": OfferRecord, "benchmark": BenchmarkRecord, "comparison": ComparisonRecord,
    "model_file": ModelFile, "model_list": ModelList, "offer_list": OfferList, "benchmark_list": BenchmarkList,
    "index": IndexFile, "manifest": ManifestRecord,
}

# Which schema each JSON file of an export follows (a '*' matches one path segment).
FILE_KINDS: dict[str, str] = {
    "manifest.json": "manifest", "index.json": "index", "models.json": "model_list", "offers.json": "offer_list",
    "benchmarks.json": "benchmark_list", "models/*.json": "model_file", "comparisons/*.json": "comparison",
}


def schema_id(kind: str) -> str:
    return f"{SCHEMA_ID_BASE}/{SCHEMA_VERSION}/{kind}.schema.json"


def undocumented(schema: dict[str, Any]) -> list[str]:
    """Where a schema lacks a description: the schema itself, a definition, or a property."""
    missing = [] if schema.get("description") else ["(schema)"]
    for name, sub in schema.get("$defs", {}).items():
        if not sub.get("description"):
            missing.append(f"$defs/{name}")
    for where, sub in [("", schema), *((f"$defs/{n}/", s) for n, s in schema.get("$defs", {}).items())]:
        missing += [f"{where}{p}" for p, prop in sub.get("properties", {}).items() if not prop.get("description")]
    return missing


def json_schema(kind: str) -> dict[str, Any]:
    """The published JSON Schema (draft 2020-12) of one record kind, with its $id."""
    body = RECORD_TYPES[kind].model_json_schema(mode="serialization")
    schema = {"$schema": JSON_SCHEMA_DRAFT, "$id": schema_id(kind), **body}
    missing = undocumented(schema)
    if missing:
        raise ValueError(f"the {kind} schema has undocumented properties: {', '.join(missing)}")
    return schema


def fact_sources(provenance: Any) -> dict[str, dict[str, Any]]:
    """The warehouse's provenance (field -> winning claim; JSON text or a mapping) as FactSource
    fields, in field-name order whatever order the warehouse stored them in. The warehouse names
    the source `source` (older) or `source_id`."""
    value = json.loads(provenance) if isinstance(provenance, str) else provenance or {}
    if not isinstance(value, dict):
        raise ValueError(f"provenance is not an object: {provenance!r}")
    return {field: {"source_id": claim.get("source_id", claim.get("source")), "url": claim.get("url"),
                    "observed_at": claim.get("observed_at"), "rule": claim.get("rule"), "status": claim.get("status"),
                    "raw": claim.get("raw")}
            for field, claim in sorted(value.items())}
