"""Curated overrides: facts reviewed by people that win over every source, and say so.

warehouse/curated/overrides.yaml, validated strictly: each entry names the entity and field,
the value in its canonical text (pipeline/fields.py), why, the page that shows it, and the
date it was reviewed (it applies to crawls from that date on).
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError, model_validator

from pipeline.config import ConfigError
from pipeline.fields import Entity, field_type
from pipeline.models import check_value
from pipeline.resources import CURATED_DIR, read_yaml

OVERRIDES_FILE = CURATED_DIR / "overrides.yaml"
OVERRIDE_SOURCE = {"source_id": "curated", "name": "Curated overrides (warehouse/curated/overrides.yaml)",
                   "kind": "catalog", "authority": "override"}


class Override(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    entity: Entity
    model_id: str
    provider_id: str = ""
    provider_model_id: str = ""  # unused: an offer is keyed by model, provider and variant
    variant: str = ""
    benchmark_id: str = ""
    field: str
    value: str
    reason: str = Field(min_length=10)
    source_url: HttpUrl
    reviewed_on: date

    @model_validator(mode="after")
    def _valid(self) -> Override:
        check_value(field_type(self.entity, self.field), self.value, self.field)
        if (self.entity == "offer") != bool(self.provider_id):
            raise ValueError("an offer override names provider_id (and only offers do)")
        if (self.entity == "benchmark") != bool(self.benchmark_id):
            raise ValueError("a benchmark override names benchmark_id (and only benchmarks do)")
        return self


class OverridesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    overrides: list[Override] = Field(default_factory=list)


def load_overrides(path: Path | None = None) -> list[Override]:
    path = Path(path or OVERRIDES_FILE)
    if not path.exists():
        return []
    try:
        return OverridesFile.model_validate(read_yaml(path.read_text()) or {}).overrides
    except (ValidationError, yaml.YAMLError) as e:
        raise ConfigError(f"{path}: {e}") from None


def override_rows(overrides: list[Override]) -> list[dict[str, object]]:
    return [{**o.model_dump(mode="json"), "source_id": "curated", "reviewed_on": o.reviewed_on} for o in overrides]
