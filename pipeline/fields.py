"""The vocabulary of facts: every field an observation may carry, its entity and its type.

Values travel as canonical text (``Observation.value``) so that one column can hold every
field; the type here says how that text is written and how the warehouse casts it.
"""
from __future__ import annotations

from enum import StrEnum
from typing import Literal

Entity = Literal["model", "offer"]


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
    "context_window": FieldType.INT,
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
    "supports_vision": FieldType.BOOL,
    "supports_reasoning": FieldType.BOOL,
    "supports_function_calling": FieldType.BOOL,
    "supports_structured_outputs": FieldType.BOOL,
}

OFFER_FIELDS: dict[str, FieldType] = {
    "input_usd_per_mtok": FieldType.DECIMAL,
    "output_usd_per_mtok": FieldType.DECIMAL,
    "cached_input_usd_per_mtok": FieldType.DECIMAL,
    "cache_write_usd_per_mtok": FieldType.DECIMAL,
    "context_window": FieldType.INT,  # the provider's serving limit, not the model's native window
    "max_output_tokens": FieldType.INT,
    "quantization": FieldType.TEXT,
    "offer_name": FieldType.TEXT,
}

FIELDS: dict[Entity, dict[str, FieldType]] = {"model": MODEL_FIELDS, "offer": OFFER_FIELDS}


def field_type(entity: Entity, field: str) -> FieldType:
    try:
        return FIELDS[entity][field]
    except KeyError:
        raise KeyError(f"unknown {entity} field {field!r}") from None
