"""Export record types: the contract downstream sites build on. JSON Schema is generated from these."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, PlainSerializer

from pipeline.normalize import decimal_text

SCHEMA_VERSION = "1"

# Exact decimals travel as JSON strings ("0.027"), never as floats.
Usd = Annotated[Decimal, PlainSerializer(decimal_text, return_type=str, when_used="json")]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelRecord(_Record):
    model_id: str
    name: str | None
    creator: str | None
    context_window: int | None
    context_window_label: str | None
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
    supports_reasoning: bool | None
    supports_function_calling: bool | None
    supports_structured_outputs: bool | None
    provenance: dict[str, Any]
    last_reviewed: date | None


class OfferRecord(_Record):
    model_id: str
    provider_id: str
    provider_name: str | None
    provider_model_id: str
    variant: str
    input_usd_per_mtok: Usd | None
    input_label: str | None
    output_usd_per_mtok: Usd | None
    output_label: str | None
    cached_input_usd_per_mtok: Usd | None
    cache_write_usd_per_mtok: Usd | None
    context_window: int | None
    max_output_tokens: int | None
    quantization: str | None
    offer_name: str | None
    provenance: dict[str, Any]
    last_reviewed: date | None


RECORD_TYPES: dict[str, type[_Record]] = {"model": ModelRecord, "offer": OfferRecord}
