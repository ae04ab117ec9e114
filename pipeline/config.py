"""Configuration: the sources registry (sources.yaml) and where data lives."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pipeline.errors import LedgerError
from pipeline.resources import RECORDED_DIR  # noqa: F401  package data (pipeline/resources.py)
from pipeline.resources import SOURCES_FILE as DEFAULT_SOURCES_FILE, read_yaml
from pipeline.suggest import did_you_mean

# Who stands behind a claim. The order between them is the `policy` of sources.yaml.
Authority = Literal["override", "first_party", "provider", "catalog", "independent"]
DEFAULT_POLICY: list[str] = ["override", "first_party", "provider", "catalog", "independent"]


class ConfigError(LedgerError):
    """Configuration that cannot be used; the message names the file and the entry."""


class ProviderRef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    name: str


class SourceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str
    kind: Literal["pricing", "model_card", "catalog", "benchmark"]
    authority: Authority
    # The provider whose offers this source states first-hand (its own pricing page or API).
    provider: ProviderRef | None = None
    spider: str
    parser: str
    start_urls: list[str] = Field(min_length=1)
    options: dict[str, Any] = Field(default_factory=dict)
    enabled: bool = True
    # The terms its facts come under, copied into every export's manifest.json `sources`:
    # the licence of its data (an SPDX id where one applies, else the terms that govern it), the
    # credit its terms require wherever its facts are shown, and where those terms are stated.
    license: str | None = None
    attribution: str | None = None
    terms_url: str | None = None

    @field_validator("license", "attribution")
    @classmethod
    def _stated(cls, v: str | None) -> str | None:
        if v is not None and (not v.strip() or v != v.strip()):
            raise ValueError("state it as non-empty text without surrounding blanks, or leave it out")
        return v

    @field_validator("terms_url")
    @classmethod
    def _terms_url(cls, v: str | None) -> str | None:
        if v is not None and (not v.startswith(("https://", "http://")) or any(c.isspace() for c in v)):
            raise ValueError(f"terms_url must be an http(s) address, not {v!r}")
        return v

    @field_validator("id")
    @classmethod
    def _id_shape(cls, v: str) -> str:
        if not v or not all(c.isalnum() or c == "-" for c in v) or v != v.lower():
            raise ValueError(f"source id {v!r} must be lower-case letters, digits and '-'")
        return v


class HealthPolicy(BaseModel):
    """When a crawl of a source is healthy enough to retire what it no longer lists."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    # ok while the items it could not read stay under this share of its items (each unreadable
    # item is a problem, and keeps its previous state)
    max_error_share: float = Field(default=0.02, ge=0, le=1)
    # partial (retires nothing) when it yields fewer items than this share of its last healthy crawl
    collapse_share: float = Field(default=0.5, ge=0, le=1)


class SourcesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sources: list[SourceConfig]
    health: HealthPolicy = Field(default_factory=HealthPolicy)
    # Canonical provider ids -> the names pages show.
    providers: dict[str, str] = Field(default_factory=dict)
    # "<entity>.<field>" (or "default") -> authorities, best first.
    policy: dict[str, list[Authority]] = Field(default_factory=lambda: {"default": list(DEFAULT_POLICY)})

    @field_validator("policy")
    @classmethod
    def _complete_orders(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        v.setdefault("default", list(DEFAULT_POLICY))
        for key, order in v.items():
            if sorted(order) != sorted(set(order)) or set(order) != set(DEFAULT_POLICY):
                raise ValueError(f"policy {key!r} must order each of {', '.join(DEFAULT_POLICY)} exactly once")
            if key != "default" and "." not in key:
                raise ValueError(f"policy key {key!r} must be 'default' or '<entity>.<field>'")
        return v

    @field_validator("sources")
    @classmethod
    def _unique(cls, v: list[SourceConfig]) -> list[SourceConfig]:
        ids = [s.id for s in v]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate source ids: {', '.join(dupes)}")
        return v

    def get(self, source_id: str) -> SourceConfig:
        for s in self.sources:
            if s.id == source_id:
                return s
        known = [s.id for s in self.sources]
        raise ConfigError(f"unknown source {source_id!r}{did_you_mean(source_id, known)} (configured: {', '.join(known)})")

    def provider_name(self, provider_id: str) -> str:
        for s in self.sources:
            if s.provider and s.provider.id == provider_id:
                return s.provider.name
        return self.providers.get(provider_id, provider_id)


def load_sources(path: Path | None = None) -> SourcesFile:
    path = Path(path or os.environ.get("LLM_LEDGER_SOURCES_FILE") or DEFAULT_SOURCES_FILE)
    try:
        data = read_yaml(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"sources file not found: {path}") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML: {e}") from None
    try:
        return SourcesFile.model_validate(data)
    except ValidationError as e:
        raise ConfigError(f"{path}: {e}") from None


def select_sources(
    registry: SourcesFile,
    only: list[str] | None = None,
    url_overrides: dict[str, list[str]] | None = None,
) -> list[SourceConfig]:
    """The sources to run: a subset (``--sources``) with URLs replaced (``--source-url``)."""
    chosen = [registry.get(i) for i in only] if only else [s for s in registry.sources if s.enabled]
    overrides = url_overrides or {}
    for sid in overrides:
        registry.get(sid)  # an override for an unknown source is a typo: say so
    return [
        s.model_copy(update={"start_urls": overrides[s.id]}) if s.id in overrides else s for s in chosen
    ]


def parse_url_overrides(pairs: list[str]) -> dict[str, list[str]]:
    """``["openrouter=http://127.0.0.1:8000/api/v1/models", ...]`` -> {id: [urls]} (repeatable)."""
    out: dict[str, list[str]] = {}
    for pair in pairs:
        sid, sep, url = pair.partition("=")
        if not sep or not sid.strip() or not url.strip():
            raise ConfigError(f"--source-url expects ID=URL, got {pair!r}")
        out.setdefault(sid.strip(), []).append(url.strip())
    return out


def data_dir(explicit: str | Path | None = None) -> Path:
    """``--data-dir`` > ``LLM_LEDGER_DATA_DIR`` > ``./data``."""
    return Path(explicit or os.environ.get("LLM_LEDGER_DATA_DIR") or "data").resolve()
