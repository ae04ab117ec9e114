"""Model identity: a provider's own model id -> the canonical ``creator/slug``.

The canonical spelling is lower case with dotted versions (``anthropic/claude-sonnet-4.5``,
``meta/llama-3.2-1b-instruct``, ``zai/glm-4.5``). The rules read the shapes providers give one
model, in this order:

- catalog and routing prefixes: ``@cf/``, ``workers-ai/``, ``hf:``, OpenRouter's ``~``, Fireworks'
  ``accounts/<owner>/models|routers/<slug>``, the ``namespaces`` of the alias file;
- Bedrock ids ``[<geo>.]<vendor>.<model>[-v1:0]``: the geo/inference-profile prefix (``us.``, ``eu.``,
  ``apac.``, ``au.``, ``jp.``, ``ca.``, ``us-gov.``, ``global.``) and Bedrock's API version
  (``-v1:0``, ``-v1``, ``-1:0``; ``-vN:M`` when a date names the snapshot) go; Mistral's ``-v0:2``
  is the model's own version (``-v0.2``);
- Vertex suffixes: ``@default``/``@latest`` go, ``@YYYYMMDD`` is a compact date, ``-maas`` goes;
- versions: Fireworks' ``4p5`` and dash-separated ``4-5`` (a 1-2 digit major, a one-digit minor,
  then the end or ``-``) are ``4.5``; Bedrock's ``llama3-1`` is ``llama-3.1``; Azure's ``gpt-35`` is
  ``gpt-3.5``;
- dates: a compact ``-YYYYMMDD`` (Anthropic's version stamp) folds into the undated model, an ISO
  ``-YYYY-MM-DD`` (OpenAI's snapshots, priced apart) stays a model of its own; the alias file's
  ``snapshots`` lists the reviewed exceptions both ways;
- a creator or the provider's own name glued onto the name (Azure's ``cohere-command-a``,
  Databricks' ``databricks-claude-sonnet-4-5``) goes when what follows is a known family;
- variant: only a quantization / serving precision tag (``-fp8``, ``-fp8-fast``, ``-awq``, ...).
  ``-turbo``, ``-fast``, ``-mini``, ``-lite`` name other products and stay in the slug.

The creator is the id's vendor prefix when the alias file knows it, else the slug's family
(``claude`` -> anthropic), else the id's own owner segment, else ``fallback_creator`` (rule
"namespace"). What the rules cannot read comes from the curated alias file
(warehouse/curated/aliases.yaml). Nothing is merged by guesswork: an id no rule maps keeps its own
slug, so a base model never collapses into its instruct variant, nor 3.2 into 3.1.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from pipeline.bounds import id_violation
from pipeline.errors import LedgerError
from pipeline.resources import CURATED_DIR, read_yaml

ALIASES_FILE = CURATED_DIR / "aliases.yaml"

# Serving precisions a provider id may carry: the model is the same, the offer is a variant.
VARIANTS = ("fp8-fast", "fp8", "fp16", "bf16", "int8", "int4", "awq", "gptq")
_VARIANT_SUFFIX = re.compile(r"-(" + "|".join(re.escape(v) for v in VARIANTS) + r")$")
# A reseller's free tier of a model ("claude-haiku-4.5-free", OpenRouter's ":free"): the same
# model; the offer's variant is "free" (a free tier, never the cheapest tracked route).
_FREE_SUFFIX = re.compile(r"-free$")

# Bedrock: [<geo>.]<vendor>.<model>. The vendor is one word (a digit only in a known creator such
# as "ai21"), so "qwen2.5-72b", "gpt-4.1" or "kimi-k2.5" never read as one.
_BEDROCK_GEO = ("us", "eu", "apac", "au", "jp", "ca", "us-gov", "global")
_BEDROCK = re.compile(r"^(?:(" + "|".join(re.escape(g) for g in _BEDROCK_GEO) + r")\.)?([a-z][a-z0-9]*(?:-[a-z]+)*)\.(.+)$")
_BEDROCK_PROVIDERS = frozenset({"aws-bedrock", "amazon-bedrock", "bedrock", "bedrock_converse"})
_BEDROCK_MISTRAL_VERSION = re.compile(r"-v0:(\d+)$")  # mistral-7b-instruct-v0:2 -> -v0.2 (Mistral's own)
_BEDROCK_VERSION = re.compile(r"(?:-v?(\d+))?:\d+$")  # -v1:0, -v2:0, -1:0, :0 (API version : revision)
_BEDROCK_V1 = re.compile(r"-v1$")  # anthropic.claude-opus-4-6-v1, amazon.titan-text-express-v1

_COMPACT_DATE = re.compile(r"-(20\d\d)([01]\d)([0-3]\d)$")  # claude-3-haiku-20240307
_ISO_DATE = re.compile(r"-(20\d\d-[01]\d-[0-3]\d)$")  # gpt-4o-2024-05-13
_VERTEX_AT = re.compile(r"@([^@/]*)$")
_VERSION_P = re.compile(r"(?<=\d)p(?=\d)")  # Fireworks: v3p2 -> v3.2, glm-4p5 -> glm-4.5
# 4-5 -> 4.5: a 1-2 digit major, a one-digit minor, then the end or "-" ("llama-3-8b",
# "gemma-3-4b-it", "gpt-4-0613", "command-r-08-2024" are left alone).
_VERSION_DASH = re.compile(r"(?<![\d.])(\d{1,2})-(\d)(?=-|$)")
# Segments that are LiteLLM's image size/step tiers or provisioned-throughput terms: never creators.
_JUNK_OWNER = re.compile(r"^(?:\d+|\d+-x-\d+|max-x-max|\d+-steps|max-steps|\d+-months?-commitment|\*)$")


class Creator(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    name: str


class Snapshots(BaseModel):
    """Reviewed exceptions to the date rules; keys are canonical ids, values say why."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    # Compact-dated models whose snapshots are different models: the date stays (as -YYYY-MM-DD).
    split: dict[str, str] = Field(default_factory=dict)
    # ISO-dated ids that are the model (its only snapshot): the date folds.
    fold: dict[str, str] = Field(default_factory=dict)


class AliasFile(BaseModel):
    """The curated file: creators by vendor prefix, families, namespaces, snapshot decisions and
    aliases per provider id (or "*" for any)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    creators: dict[str, Creator]
    families: dict[str, str] = Field(default_factory=dict)
    namespaces: list[str] = Field(default_factory=list)
    snapshots: Snapshots = Field(default_factory=Snapshots)
    aliases: dict[str, dict[str, str]] = Field(default_factory=dict)


@lru_cache(maxsize=4)
def load_aliases(path: Path = ALIASES_FILE) -> AliasFile:
    return AliasFile.model_validate(read_yaml(path.read_text()))


class IdentityError(LedgerError, ValueError):
    pass


# The longest real ids are LiteLLM keys and Bedrock profile ARNs (~150 characters).
MAX_ID_LENGTH = 500


@dataclass(frozen=True)
class Identity:
    model_id: str
    variant: str  # "" or the serving precision the id carried ("fp8", "fp8-fast", "awq", ...)
    rule: str  # "alias", "rules" or "namespace" (the creator is the fallback's)


class _Tables:
    """An alias file's lookups, built once per AliasFile (hashable by identity for the cache)."""

    def __init__(self, a: AliasFile) -> None:
        self.aliases = {scope: {k.lower(): v for k, v in m.items()} for scope, m in a.aliases.items()}
        self.creators = {k.lower(): c.id for k, c in a.creators.items()}
        self.namespaces = frozenset(n.lower() for n in a.namespaces)
        self.split = frozenset(a.snapshots.split)
        self.fold = frozenset(a.snapshots.fold)
        families = sorted(a.families.items(), key=lambda kv: -len(kv[0]))
        self.family_re = re.compile(
            r"^(" + "|".join(re.escape(f) for f, _ in families) + r")(?=$|[-.\d])") if families else None
        self.families = dict(a.families)


_TABLES: dict[int, tuple[AliasFile, _Tables]] = {}


def _tables(aliases: AliasFile) -> _Tables:
    hit = _TABLES.get(id(aliases))
    if hit is None or hit[0] is not aliases:
        hit = (aliases, _Tables(aliases))  # the AliasFile is kept alive so its id is never reused
        _TABLES[id(aliases)] = hit
    return hit[1]


def resolve(provider_model_id: str, provider_id: str | None = None, aliases: AliasFile | None = None,
            fallback_creator: str | None = None) -> Identity:
    """The canonical model of a provider's id, and the serving precision it names, if any.

    ``fallback_creator`` (usually the provider id) is the creator of an id whose creator no rule
    can tell (rule "namespace"); without it such an id raises IdentityError.

    An id (or provider id, or fallback creator) holding, inside it, a control character (NUL, newline) or a
    Unicode bidi/format mark (U+200E/F, U+202A-E, U+2066-9, zero-width...) is refused with an
    IdentityError naming it: the slug rules would quietly turn "gpt<U+202E>-4o" into "gpt-4o", and a
    fallback creator is used as written. So is an id longer than any real one (MAX_ID_LENGTH).
    """
    if not isinstance(provider_model_id, str):
        raise IdentityError(f"provider model id of type {type(provider_model_id).__name__} is not text")
    if len(provider_model_id) > MAX_ID_LENGTH:
        raise IdentityError(f"provider model id {provider_model_id[:80]!r}... is {len(provider_model_id)} characters "
                            f"long (more than {MAX_ID_LENGTH}): not an id")
    for what, text in (("provider model id", provider_model_id), ("provider id", provider_id),
                       ("fallback creator", fallback_creator)):
        if text is not None and not isinstance(text, str):
            raise IdentityError(f"{what} of type {type(text).__name__} is not text")
        # surrounding whitespace is layout (a table cell's newline) and is stripped, as before
        why = id_violation(what, text.strip()) if text else None
        if why:
            raise IdentityError(why)
    tables = _tables(aliases or load_aliases())
    try:
        return _resolve(provider_model_id.strip().lower(), provider_id or "", fallback_creator or "", tables)
    except IdentityError as e:
        raise IdentityError(str(e).replace(repr(provider_model_id.strip().lower()), repr(provider_model_id))) from None


@lru_cache(maxsize=65536)
def _resolve(key: str, provider_id: str, fallback: str, t: _Tables) -> Identity:
    hit = _alias(key, provider_id, t)
    if hit:
        return Identity(hit, "", "alias")
    org, slug, date = _split(key, provider_id, t)
    slug = _normalize_slug(slug)
    slug = _unprefix_provider(slug, (provider_id, fallback), t)
    glued, slug = _unglue(slug, t)
    if glued and (not org or org not in t.creators):
        org = glued
    variant = ""
    free = _FREE_SUFFIX.search(slug)
    if free and free.start() > 0:
        slug = slug[: free.start()]
    m = _VARIANT_SUFFIX.search(slug)
    if m:
        variant, slug = m.group(1), slug[: m.start()]
    if free and free.start() > 0:
        variant = "/".join(v for v in (variant, "free") if v)
    if not slug:
        raise IdentityError(f"cannot read a model from provider id {key!r}")
    creator_id, rule = _creator(org, slug, fallback, t)
    if not creator_id:
        raise IdentityError(f"cannot tell the creator of provider id {key!r}")
    if creator_id == "amazon":
        slug = _BEDROCK_V1.sub("", slug)  # amazon/nova-pro-v1 (OpenRouter copies Bedrock's API version)
    model_id = f"{creator_id}/{slug}"
    if date:
        if model_id in t.split:
            model_id = f"{model_id}-{date}"
    elif model_id in t.fold:
        model_id = _ISO_DATE.sub("", model_id)
    return Identity(model_id, variant, rule)


def _alias(key: str, provider_id: str, t: _Tables) -> str | None:
    keys = [key]
    m = _BEDROCK.match(key) if "/" not in key else None
    if m and m.group(1):
        keys.append(key[len(m.group(1)) + 1:])  # us.anthropic.claude-v2:1 -> anthropic.claude-v2:1
    for k in keys:
        for scope in (provider_id, "*"):
            hit = t.aliases.get(scope, {}).get(k)
            if hit:
                return hit
    return None


def _split(key: str, provider_id: str, t: _Tables) -> tuple[str | None, str, str]:
    """(owner segment or None, raw slug, ISO date of a compact-dated snapshot or "")."""
    parts = [p.removeprefix("hf:").removeprefix("~").replace("_", "-") for p in key.split("/")]
    slug = parts[-1]
    owners = [p for p in parts[:-1] if p and p not in t.namespaces and not _JUNK_OWNER.match(p)]
    org: str | None = None
    bedrock = _BEDROCK.match(slug)
    # a vendor with a digit ("ai21") must be a known creator: "qwen2.5-72b" is no Bedrock id
    if bedrock and (bedrock.group(2) in t.creators or (
            not re.search(r"\d", bedrock.group(2)) and (bedrock.group(1) or provider_id in _BEDROCK_PROVIDERS))):
        org, slug = bedrock.group(2), _bedrock_model(bedrock.group(2), bedrock.group(3))
    else:
        # the owner segment nearest the slug ("replicate/meta/llama-..." -> meta), except in the
        # <owner>/<app>/models/<slug> shape (Fireworks' accounts/<owner>/..., Clarifai's
        # <owner>/<app>/models/...) where the owner comes first
        if owners:
            org = owners[0] if len(parts) >= 3 and parts[-2] in ("models", "routers") else owners[-1]
    # Vertex AI: claude-sonnet-4-5@20250929, claude-opus-4-6@default, codestral@2405
    date = ""
    at = _VERTEX_AT.search(slug)
    if at:
        tag, slug = at.group(1), slug[: at.start()]
        if re.fullmatch(r"20\d\d[01]\d[0-3]\d", tag):
            date = f"{tag[:4]}-{tag[4:6]}-{tag[6:]}"
        elif tag not in ("default", "latest", ""):
            slug = f"{slug}-{tag}"
    slug = slug.removesuffix("-maas")  # Vertex "model as a service" serving name
    m = _COMPACT_DATE.search(slug)
    if m and not date:
        date, slug = f"{m.group(1)}-{m.group(2)}-{m.group(3)}", slug[: m.start()]
    return org, slug, date


def _bedrock_model(vendor: str, model: str) -> str:
    """A Bedrock model name without Bedrock's API version: ``claude-opus-4-1-20250805-v1:0`` ->
    ``claude-opus-4-1-20250805``; ``titan-embed-text-v2:0`` keeps ``-v2`` (the model's version)."""
    m = _BEDROCK_MISTRAL_VERSION.search(model)
    if m:
        return f"{model[: m.start()]}-v0.{m.group(1)}"
    m = _BEDROCK_VERSION.search(model)
    if m:
        rest = model[: m.start()]
        version = m.group(1)
        # -v1 is Bedrock's first API version; a later one is dropped only where a date names the
        # snapshot (claude-3-5-sonnet-20241022-v2:0), else it is the model's own (titan-embed-text-v2)
        model = rest if version in (None, "1") or _COMPACT_DATE.search(rest) else f"{rest}-v{version}"
    elif _BEDROCK_V1.search(model) and re.search(r"[-\d]", model[:-3]):
        model = model[:-3]  # claude-opus-4-6-v1 (a bare "claude-v1" keeps its version)
    if re.match(r"^[a-z]\d", model):  # deepseek.r1, deepseek.v3.2: Bedrock drops the family name
        model = f"{vendor}-{model}"
    return model


def _normalize_slug(slug: str) -> str:
    slug = _VERSION_P.sub(".", slug)  # llama-v3p2-1b -> llama-v3.2-1b, kimi-k2p6 -> kimi-k2.6
    slug = re.sub(r"[^a-z0-9.\-]+", "-", slug)
    slug = re.sub(r"-{2,}", "-", slug).strip("-")  # SAP AI Core: anthropic--claude-3-haiku
    slug = _VERSION_DASH.sub(r"\1.\2", slug)  # claude-sonnet-4-5 -> claude-sonnet-4.5, llama3-1 -> llama3.1
    slug = re.sub(r"^llama-v(\d)", r"llama-\1", slug)  # llama-v3.2 -> llama-3.2
    slug = re.sub(r"^llama(\d)", r"llama-\1", slug)  # llama3.2 -> llama-3.2
    slug = re.sub(r"^meta-llama-(\d)", r"llama-\1", slug)  # together/azure: Meta-Llama-3.1-8B -> llama-3.1-8b
    # Azure OpenAI spells GPT-3.5 "gpt-35" (no dots in its deployment names): the same models.
    slug = re.sub(r"^gpt-35(?=-|$)", "gpt-3.5", slug)
    # A version glued to the name where the creator writes a dash: cortecs' "claude-opus4-5",
    # Ollama's "gemma3:27b" (name:tag). Qwen writes "qwen3" itself: left alone.
    slug = re.sub(r"^(claude-(?:opus|sonnet|haiku))(\d)", r"\1-\2", slug)
    slug = re.sub(r"^gemma(\d)", r"gemma-\1", slug)
    return slug


def _family(slug: str, t: _Tables) -> str | None:
    m = t.family_re.match(slug) if t.family_re else None
    return t.families[m.group(1)] if m else None


def _unglue(slug: str, t: _Tables) -> tuple[str | None, str]:
    """Azure AI and gateways glue the creator onto the name (``cohere-command-a``,
    ``ai21-jamba-1.5-large``, ``openai-gpt-4o``, ``meta-llama-guard-3-8b``, Cerebras'
    ``zai-glm-4.7``, Venice's ``zai-org-glm-5``): (creator prefix, the rest) when the rest is one of
    that creator's families."""
    parts = slug.split("-", 3)
    for n in (2, 1):  # "zai-org-glm-5" before "zai-..."
        if len(parts) > n:
            head, rest = "-".join(parts[:n]), slug[len("-".join(parts[:n])) + 1:]
            creator = t.creators.get(head)
            if creator and _family(rest, t) == creator:
                return head, rest
    return None, slug


def _unprefix_provider(slug: str, providers: tuple[str, ...], t: _Tables) -> str:
    """A provider's own name in front of another creator's model (Databricks'
    ``databricks-claude-sonnet-4-5``, ``databricks-meta-llama-3-3-70b-instruct``) is dropped when
    what follows is a model the rules can place."""
    for p in providers:
        p = re.sub(r"[^a-z0-9.\-]+", "-", p.lower())
        if p and slug.startswith(f"{p}-"):
            rest = _normalize_slug(slug[len(p) + 1:])
            if _family(rest, t) or _unglue(rest, t)[0]:
                return rest
    return slug


def _creator(org: str | None, slug: str, fallback: str, t: _Tables) -> tuple[str | None, str]:
    if org and org in t.creators:
        return t.creators[org], "rules"
    family = _family(slug, t)
    if family:
        return family, "rules"
    if org:
        return re.sub(r"[^a-z0-9.\-]+", "-", org).strip("-") or None, "rules"
    if fallback:
        fb = fallback.lower()
        return t.creators.get(fb, fb), "namespace"
    return None, "rules"


_BEDROCK_PROFILE = re.compile(r"^(" + "|".join(re.escape(g) for g in _BEDROCK_GEO) + r")\.(?=[a-z0-9-]+\.)")


def deployment(provider_model_id: str, provider_id: str | None) -> str:
    """The deployment a provider's id names besides the model: Bedrock's cross-region inference
    profile (``us.anthropic...``, ``global.``), the same model served from another geography at its
    own price. ``resolve`` drops it from the model; an offer keeps it as its variant. '' if none."""
    if provider_id not in _BEDROCK_PROVIDERS:
        return ""
    m = _BEDROCK_PROFILE.match(provider_model_id.strip().lower())
    return m.group(1) if m else ""


def is_creators_own(provider_id: str, model_id: str) -> bool:
    """Whether a provider is the model's creator selling it (``openai`` for ``openai/o3-mini``,
    ``google-vertex`` for ``google/...``). SQL twin: the ``creators_own`` macro of views.sql."""
    return provider_id.split("-")[0] == model_id.split("/")[0]


def canonical_model_id(provider_model_id: str, aliases: AliasFile | None = None, provider_id: str | None = None,
                       fallback_creator: str | None = None) -> str:
    """``@cf/meta/llama-3.2-1b-instruct``, ``meta-llama/Llama-3.2-1B-Instruct`` -> ``meta/llama-3.2-1b-instruct``."""
    return resolve(provider_model_id, provider_id, aliases, fallback_creator).model_id


def creator_name(model_id: str, aliases: AliasFile | None = None) -> str | None:
    """The display name of a canonical model id's creator (``zai/glm-4.5`` -> ``Z.ai``)."""
    aliases = aliases or load_aliases()
    creator_id = model_id.split("/", 1)[0]
    for c in aliases.creators.values():
        if c.id == creator_id:
            return c.name
    return None
