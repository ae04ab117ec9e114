"""Model identity: a provider's own model id -> the canonical ``creator/slug``.

Rules cover the common shapes; anything else comes from the curated alias file
(warehouse/curated/aliases.yaml). Nothing is merged by guesswork: an id no rule maps keeps
its own slug, so a base model never collapses into its instruct variant.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from pipeline.config import REPO_ROOT

ALIASES_FILE = REPO_ROOT / "warehouse" / "curated" / "aliases.yaml"

_PREFIXES = re.compile(r"^@(cf|hf)/")  # Cloudflare Workers AI catalog prefixes


class Creator(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    name: str


class AliasFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    creators: dict[str, Creator]
    aliases: dict[str, str] = Field(default_factory=dict)


@lru_cache(maxsize=4)
def load_aliases(path: Path = ALIASES_FILE) -> AliasFile:
    return AliasFile.model_validate(yaml.safe_load(path.read_text()))


class IdentityError(ValueError):
    pass


def canonical_model_id(provider_model_id: str, aliases: AliasFile | None = None) -> str:
    """``@cf/meta/llama-3.2-1b-instruct``, ``meta-llama/Llama-3.2-1B-Instruct`` -> ``meta/llama-3.2-1b-instruct``."""
    aliases = aliases or load_aliases()
    raw = provider_model_id.strip()
    alias = aliases.aliases.get(raw.lower())
    if alias:
        return alias
    pid = _PREFIXES.sub("", raw).lower()
    org, sep, slug = pid.partition("/")
    if not sep or not org or not slug or "/" in slug:
        raise IdentityError(f"cannot read a creator/model from provider id {provider_model_id!r}")
    creator = aliases.creators.get(org)
    creator_id = creator.id if creator else org
    slug = re.sub(r"[^a-z0-9.\-]+", "-", slug).strip("-")
    return f"{creator_id}/{slug}"


def creator_name(model_id: str, aliases: AliasFile | None = None) -> str | None:
    aliases = aliases or load_aliases()
    creator_id = model_id.split("/", 1)[0]
    for c in aliases.creators.values():
        if c.id == creator_id:
            return c.name
    return None
