"""The vocabulary of facts: every field an observation may carry, its entity and its type.

Values travel as canonical text (``Observation.value``) so that one column can hold every
field; the type here says how that text is written and how the warehouse casts it. The plausible
range of every numeric and date field is in pipeline/bounds.py (one table; a test checks that
each DECIMAL/INT/DATE/PARTIAL_DATE field below has a row there).
"""
from __future__ import annotations

from enum import StrEnum
from typing import Literal

import pyarrow as pa

Entity = Literal["model", "offer", "benchmark"]


class FieldType(StrEnum):
    DECIMAL = "decimal"  # exact, e.g. "0.027" (USD per 1M tokens)
    INT = "int"  # e.g. "131072"
    DATE = "date"  # ISO "2024-09-25"
    PARTIAL_DATE = "partial_date"  # "2023-12" or "2024-05-31"
    BOOL = "bool"  # "true" / "false"
    TEXT = "text"


MODEL_FIELDS: dict[str, FieldType] = {
    "name": FieldType.TEXT,
    "creator": FieldType.TEXT,
    # The model's native limits (DESIGN: total context, max input and max output are separate
    # facts; gpt-5: 400,000 / 272,000 / 128,000). A provider's smaller serving limit is an offer fact.
    "context_window": FieldType.INT,
    "max_input_tokens": FieldType.INT,
    "max_output_tokens": FieldType.INT,
    "parameters_total": FieldType.INT,
    "parameters_active": FieldType.INT,
    "parameters_label": FieldType.TEXT,  # as a source writes it: "8x22B"
    "experts_total": FieldType.INT,
    "experts_active": FieldType.INT,
    "architecture": FieldType.TEXT,  # "decoder only" / "mixture of experts"
    "release_date": FieldType.DATE,
    "knowledge_cutoff": FieldType.PARTIAL_DATE,
    "license": FieldType.TEXT,
    "open_weights": FieldType.BOOL,
    "gated": FieldType.BOOL,
    "base_model": FieldType.TEXT,
    # Capabilities: "true"/"false" when a source states them; no observation means unknown.
    "supports_vision": FieldType.BOOL,
    "supports_multimodal": FieldType.BOOL,
    "supports_reasoning": FieldType.BOOL,
    "supports_function_calling": FieldType.BOOL,
    "supports_tool_use": FieldType.BOOL,
    "supports_structured_outputs": FieldType.BOOL,
    "supports_code_execution": FieldType.BOOL,
    "supports_ide_integration": FieldType.BOOL,
    "supports_computer_use": FieldType.BOOL,
    "supports_parallel_agents": FieldType.BOOL,
}

CAPABILITIES: tuple[str, ...] = tuple(f.removeprefix("supports_") for f in MODEL_FIELDS if f.startswith("supports_"))

OFFER_FIELDS: dict[str, FieldType] = {
    # The provider's own id for the model (``@cf/meta/llama-3.2-1b-instruct``): a claimed fact of
    # the offer, not part of its key, so every source's claims about one route meet on one offer.
    "provider_model_id": FieldType.TEXT,
    "input_usd_per_mtok": FieldType.DECIMAL,
    "output_usd_per_mtok": FieldType.DECIMAL,
    "cached_input_usd_per_mtok": FieldType.DECIMAL,
    "cache_write_usd_per_mtok": FieldType.DECIMAL,
    "context_window": FieldType.INT,  # the provider's serving limit, not the model's native window
    "max_input_tokens": FieldType.INT,
    "max_output_tokens": FieldType.INT,
    "quantization": FieldType.TEXT,
    "offer_name": FieldType.TEXT,
    # Prices tiered by prompt size stay tiers: the base price above applies up to the threshold,
    # these above it (e.g. Gemini's >200k-token prompts). Never folded into the base price.
    "tier_threshold_tokens": FieldType.INT,
    "input_usd_per_mtok_above_tier": FieldType.DECIMAL,
    "output_usd_per_mtok_above_tier": FieldType.DECIMAL,
}

# A benchmark result: one score of one model on one benchmark (Observation.benchmark_id).
BENCHMARK_FIELDS: dict[str, FieldType] = {
    "score": FieldType.DECIMAL,  # as published, usually percent (20.0 = 20%)
    "benchmark_name": FieldType.TEXT,  # the name as the source writes it ("Google-Proof Q&A")
}

# What identifies one row of each entity: a model; an offer (what is sold: one model, by one
# provider, in one variant); a benchmark result (one model's score on one benchmark).
KEYS: dict[Entity, tuple[str, ...]] = {
    "model": ("model_id",), "offer": ("model_id", "provider_id", "variant"), "benchmark": ("model_id", "benchmark_id"),
}

FIELDS: dict[Entity, dict[str, FieldType]] = {
    "model": MODEL_FIELDS, "offer": OFFER_FIELDS, "benchmark": BENCHMARK_FIELDS,
}


def arrow_type(ftype: FieldType) -> pa.DataType:
    """The Arrow type of a field as the warehouse stores it (prices DECIMAL(18, 9), exact)."""
    return {FieldType.DECIMAL: pa.decimal128(18, 9), FieldType.INT: pa.int64(), FieldType.DATE: pa.date32(),
            FieldType.BOOL: pa.bool_()}.get(ftype, pa.string())


def field_type(entity: Entity, field: str) -> FieldType:
    try:
        return FIELDS[entity][field]
    except KeyError:
        raise KeyError(f"unknown {entity} field {field!r}") from None
