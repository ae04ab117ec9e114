"""Model identity: a provider's own model id -> the canonical ``creator/slug``.

Rules cover the common shapes (vendor prefixes, ``@cf/``, ``accounts/<x>/models/``, ``v3p2`` for
3.2, Bedrock's ``meta.llama3-2-1b-instruct-v1:0``, dated snapshots, case, quantized and "turbo"
variants); what they cannot read comes from the curated alias file
(warehouse/curated/aliases.yaml). Nothing is merged by guesswork: an id no rule maps keeps its
own slug, so a base model never collapses into its instruct variant, nor 3.2 into 3.1.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from pipeline.config import REPO_ROOT

ALIASES_FILE = REPO_ROOT / "warehouse" / "curated" / "aliases.yaml"

_PREFIXES = re.compile(r"^@(cf|hf)/")  # Cloudflare Workers AI catalog prefixes
_FIREWORKS = re.compile(r"^accounts/([^/]+)/models/")  # Fireworks: accounts/<owner>/models/<slug>
_BEDROCK = re.compile(r"^(?:(?:us|eu|apac|global)\.)?([a-z0-9-]+)\.([a-z0-9.-]+?)(?:-v\d+(?::\d+)?)$")
# Dated snapshots: OpenAI's o3-mini-2025-01-31, Anthropic's claude-3-haiku-20240307.
_DATED = re.compile(r"-(20\d\d-\d\d-\d\d|20\d\d[01]\d[0-3]\d)$")
_VERSION_P = re.compile(r"(?<=\d)p(?=\d)")  # v3p2 -> v3.2
# Serving variants, not models: quantizations and speed tiers.
_VARIANT_SUFFIX = re.compile(r"-(fp8|fp16|bf16|int8|int4|awq|gptq|turbo|fast|lite-quant)$")
# When a provider id names no creator, the slug's family does.
FAMILY_CREATORS = {
    "llama": "meta", "mixtral": "mistral", "mistral": "mistral", "codestral": "mistral",
    "gpt": "openai", "o1": "openai", "o3": "openai", "o4": "openai", "claude": "anthropic",
    "gemini": "google", "gemma": "google", "qwen": "qwen", "deepseek": "deepseek",
}


class Creator(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    name: str


class AliasFile(BaseModel):
    """The curated file: creators by vendor prefix; aliases per provider id (or "*" for any)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    creators: dict[str, Creator]
    aliases: dict[str, dict[str, str]] = Field(default_factory=dict)


@lru_cache(maxsize=4)
def load_aliases(path: Path = ALIASES_FILE) -> AliasFile:
    return AliasFile.model_validate(yaml.safe_load(path.read_text()))


class IdentityError(ValueError):
    pass


@dataclass(frozen=True)
class Identity:
    model_id: str
    variant: str  # "" or the serving variant the id carried ("fp8", "turbo", ...)
    rule: str  # "alias" or "rules"


def _normalize_slug(slug: str) -> str:
    slug = slug.lower()
    slug = _VERSION_P.sub(".", slug)  # llama-v3p2-1b -> llama-v3.2-1b
    slug = re.sub(r"^llama-v(\d)", r"llama-\1", slug)  # llama-v3.2 -> llama-3.2
    slug = re.sub(r"^llama(\d)-(\d)(?=-)", r"llama-\1.\2", slug)  # bedrock llama3-2-1b -> llama-3.2-1b
    slug = re.sub(r"^llama(\d)", r"llama-\1", slug)  # llama3.2 -> llama-3.2
    slug = re.sub(r"^meta-llama-(\d)", r"llama-\1", slug)  # together: Meta-Llama-3.1-8B -> llama-3.1-8b
    slug = re.sub(r"[^a-z0-9.\-]+", "-", slug).strip("-")
    return slug


def resolve(provider_model_id: str, provider_id: str | None = None, aliases: AliasFile | None = None) -> Identity:
    """The canonical model of a provider's id, and the serving variant it names, if any."""
    aliases = aliases or load_aliases()
    raw = provider_model_id.strip()
    key = raw.lower()
    for scope in (provider_id or "", "*"):
        hit = aliases.aliases.get(scope, {}).get(key)
        if hit:
            return Identity(hit, "", "alias")
    pid = _PREFIXES.sub("", key)
    org: str | None = None
    bedrock = _BEDROCK.match(pid) if "/" not in pid and "." in pid.split("-")[0] else None
    fireworks = _FIREWORKS.match(pid)
    if fireworks:
        slug = pid[fireworks.end():]
    elif bedrock:
        org, slug = bedrock.group(1), bedrock.group(2)
    elif "/" in pid:
        org, _, slug = pid.rpartition("/")
        org = org.split("/")[-1]  # "replicate/meta/llama-..." style keys keep the last owner
    else:
        slug = pid
    slug = _DATED.sub("", _normalize_slug(slug))
    variant = ""
    m = _VARIANT_SUFFIX.search(slug)
    if m:
        variant, slug = m.group(1), slug[: m.start()]
    if not slug:
        raise IdentityError(f"cannot read a model from provider id {provider_model_id!r}")
    creator = aliases.creators.get(org) if org else None
    if creator:
        creator_id = creator.id
    else:
        family = re.split(r"[-.\d]", slug, maxsplit=1)[0]
        if re.match(r"^o\d", slug):
            family = slug[:2]
        creator_id = FAMILY_CREATORS.get(family) or (org if org else None)
    if not creator_id:
        raise IdentityError(f"cannot tell the creator of provider id {provider_model_id!r}")
    return Identity(f"{creator_id}/{slug}", variant, "rules")


def canonical_model_id(provider_model_id: str, aliases: AliasFile | None = None, provider_id: str | None = None) -> str:
    """``@cf/meta/llama-3.2-1b-instruct``, ``meta-llama/Llama-3.2-1B-Instruct`` -> ``meta/llama-3.2-1b-instruct``."""
    return resolve(provider_model_id, provider_id, aliases).model_id


def creator_name(model_id: str, aliases: AliasFile | None = None) -> str | None:
    aliases = aliases or load_aliases()
    creator_id = model_id.split("/", 1)[0]
    for c in aliases.creators.values():
        if c.id == creator_id:
            return c.name
    return None
