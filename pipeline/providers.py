"""Providers: a source's own spelling of a provider -> the canonical provider id and its name.

Every provider a source names becomes a provider (its spelling as a slug); the curated file
warehouse/curated/providers.yaml only merges spellings that are one provider and names the
providers the data leaves unnamed. So no priced offer is skipped for want of a mapping.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pipeline.resources import CURATED_DIR, read_yaml

PROVIDERS_FILE = CURATED_DIR / "providers.yaml"
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class ProviderFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    names: dict[str, str] = Field(default_factory=dict)
    aliases: dict[str, str] = Field(default_factory=dict)

    @field_validator("names", "aliases")
    @classmethod
    def _slugs(cls, v: dict[str, str]) -> dict[str, str]:
        for key in v:
            if not _SLUG.match(key.rstrip("*")):
                raise ValueError(f"provider spelling {key!r} is not a lower-case slug")
        return v


@lru_cache(maxsize=4)
def load_providers(path: Path = PROVIDERS_FILE) -> ProviderFile:
    return ProviderFile.model_validate(read_yaml(path.read_text()) or {})


def slug(spelling: str) -> str:
    """``"together_ai"`` -> ``together-ai``; ``"Google AI Studio"`` -> ``google-ai-studio``."""
    return re.sub(r"[^a-z0-9]+", "-", spelling.strip().lower()).strip("-")


@lru_cache(maxsize=4096)
def canonical_provider(spelling: str) -> str:
    """The canonical provider id of a source's spelling (an alias target, else the slug)."""
    s = slug(spelling)
    if not s:
        raise ValueError(f"provider spelling {spelling!r} names no provider")
    aliases = load_providers().aliases
    if s in aliases:
        return aliases[s]
    for key, target in aliases.items():
        if key.endswith("*") and s.startswith(key[:-1]):
            return target
    return s


def provider_name(provider_id: str, stated: str | None = None) -> str:
    """The curated name, else the name the source states, else the id itself."""
    return load_providers().names.get(provider_id) or (stated.strip() if stated and stated.strip() else provider_id)
