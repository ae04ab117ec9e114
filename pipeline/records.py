"""Export record types: the contract downstream sites build on. JSON Schema is generated from these."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from pipeline.normalize import decimal_text

SCHEMA_VERSION = "1"

# Exact decimals travel as JSON strings ("0.027"), never as floats.
Usd = Annotated[Decimal, Field(ge=0), PlainSerializer(decimal_text, return_type=str, when_used="json")]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelRecord(_Record):
    model_id: str
    name: str | None
    creator: str | None
    context_window: int | None
    context_window_label: str | None
    max_input_tokens: int | None
    max_output_tokens: int | None
    parameters_total: int | None
    parameters_active: int | None
    parameters_label: str | None
    experts_total: int | None
    experts_active: int | None
    architecture: str | None
    release_date: date | None
    knowledge_cutoff: str | None
    license: str | None
    open_weights: bool | None
    gated: bool | None
    base_model: str | None
    supports_vision: bool | None
    supports_multimodal: bool | None
    supports_reasoning: bool | None
    supports_function_calling: bool | None
    supports_tool_use: bool | None
    supports_structured_outputs: bool | None
    supports_code_execution: bool | None
    supports_ide_integration: bool | None
    supports_computer_use: bool | None
    supports_parallel_agents: bool | None
    provenance: dict[str, Any]
    last_reviewed: date | None


class OfferRecord(_Record):
    model_id: str
    provider_id: str
    provider_name: str | None
    provider_model_id: str | None  # the provider's own id, when a source states it
    variant: str
    input_usd_per_mtok: Usd | None
    input_label: str | None
    output_usd_per_mtok: Usd | None
    output_label: str | None
    cached_input_usd_per_mtok: Usd | None
    cache_write_usd_per_mtok: Usd | None
    context_window: int | None
    max_input_tokens: int | None
    max_output_tokens: int | None
    quantization: str | None
    offer_name: str | None
    tier_threshold_tokens: int | None
    input_usd_per_mtok_above_tier: Usd | None
    output_usd_per_mtok_above_tier: Usd | None
    provenance: dict[str, Any]
    last_reviewed: date | None


RECORD_TYPES: dict[str, type[_Record]] = {"model": ModelRecord, "offer": OfferRecord}


# --- comparison records (the JSON contract of one comparison page) --------------------------

Tri = Literal["yes", "no", "unknown"]


class ProviderRef(_Record):
    id: str
    name: str


class Tokens(_Record):
    tokens: int | None
    label: str | None
    status: Literal["known", "unknown"]


class Parameters(_Record):
    total: int | None
    active: int | None
    label: str | None


# The kinds of non-standard route (comparisons.yaml `non_standard_routes`; a route priced $0 for
# input and output is `free` unless the model itself is listed in `free_models`).
# "unreviewed": a provider only the data names (not yet in warehouse/curated/providers.yaml): its
# price may be points, a subscription or a promotion, so it is shown, never the cheapest tracked route.
RouteKind = Literal["free", "batch", "flex", "priority", "commitment", "regional-surcharge", "unreviewed"]


class Price(_Record):
    """A cheapest standard price. `providers`: every provider with a standard route at exactly this
    price (ties), by name then id; `provider` is the first of them."""

    usd_per_mtok: Usd
    label: str
    provider: ProviderRef
    providers: list[ProviderRef]


class Monthly(_Record):
    """The lowest monthly cost at the traffic profile over standard routes; `providers` as in Price."""

    usd: Usd
    provider: ProviderRef
    providers: list[ProviderRef]


class OtherRoute(_Record):
    """The cheapest route of one non-standard kind (batch, flex, ...): shown beside the cheapest
    standard route, never chosen as it. Cheapest by input, then output, then provider name."""

    kind: RouteKind
    provider: ProviderRef
    variant: str
    input_usd_per_mtok: Usd | None
    output_usd_per_mtok: Usd | None


class Score(_Record):
    name: str
    score: float


class Side(_Record):
    model_id: str
    name: str | None
    creator: str | None
    context_window: Tokens
    max_output_tokens: Tokens
    parameters: Parameters
    architecture: str | None
    released: date | None
    knowledge_cutoff: str | None
    license: str | None
    open_weights: bool | None
    capabilities: dict[str, Tri]
    cheapest_input: Price | None
    cheapest_output: Price | None
    providers: list[ProviderRef]  # providers with at least one standard route
    providers_count: int
    blended_70_30_usd_per_mtok: Usd | None
    blended_3_1_usd_per_mtok: Usd | None
    monthly: Monthly | None
    other_routes: list[OtherRoute]  # one per non-standard kind the model has, in kind order
    benchmarks: dict[str, Score]
    last_reviewed: date | None


class SharedBenchmark(_Record):
    id: str
    name: str
    a: float
    b: float
    leader: Literal["a", "b", "tie"]
    gap: float


class BenchmarkGap(_Record):
    id: str
    gap: float


class CapabilitySplit(_Record):
    only_a: list[str]
    only_b: list[str]
    shared: list[str]


class TrafficProfile(_Record):
    input_mtok: Usd
    output_mtok: Usd


class ComparisonRecord(_Record):
    schema_version: str
    as_of: date
    last_reviewed: date | None
    a: Side
    b: Side
    cheaper: Literal["a", "b", "tie"] | None
    cheaper_pct: Usd | None
    input_price_ratio: Usd | None
    output_price_ratio: Usd | None
    blended_3_1_ratio: Usd | None
    blended_70_30_gap_usd: Usd | None
    input_price_gap_usd: Usd | None
    output_price_gap_usd: Usd | None
    monthly_gap_usd: Usd | None
    context_leader: Literal["a", "b", "tie"] | None
    provider_overlap: list[ProviderRef]
    capabilities: CapabilitySplit
    benchmarks: list[SharedBenchmark]
    largest_benchmark_gap: BenchmarkGap | None
    traffic_profile: TrafficProfile
    # Why a pair figure is null, per field name (cheaper_pct: "b (x/y) has no standard input price");
    # every null price figure, ratio, percent and context_leader has an entry.
    null_reasons: dict[str, str]


class BenchmarkRecord(_Record):
    model_id: str
    benchmark_id: str
    benchmark_name: str | None
    score: Usd | None
    provenance: dict[str, Any]
    last_reviewed: date | None


class ModelFile(_Record):
    """models/<id>.json: one model with its offers and benchmark scores."""

    schema_version: str
    as_of: date
    model: ModelRecord
    offers: list[OfferRecord]
    benchmarks: list[BenchmarkRecord]


class ReviewedRange(_Record):
    min: date | None
    max: date | None


class ManifestRecord(_Record):
    """manifest.json: written last into an export; describes and hashes every other file of it.

    Every field derives from the warehouse state, so the same state gives the same bytes: no clock,
    no run id (those are in the export folder's publish-log.jsonl)."""

    schema_version: str
    # "<as_of>_<12 hex>": the export's folder under versions/, the start of the sha256 of this
    # manifest's JSON without `version`. Equal versions, equal bytes.
    version: str
    as_of: date
    generated_at: datetime | None  # start of the newest crawl in the export (not when it was written)
    newest_crawl_id: str | None
    counts: dict[str, int]
    missing_pairs: list[list[str]]  # configured pairs with no comparison file as of this date
    last_reviewed: ReviewedRange
    files: dict[str, str]  # path in the folder -> sha256 of its bytes (every file but manifest.json)


RECORD_TYPES.update({"benchmark": BenchmarkRecord, "comparison": ComparisonRecord, "model_file": ModelFile,
                     "manifest": ManifestRecord})
