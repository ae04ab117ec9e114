"""Model identity: one canonical id per model, whatever shape a provider gives it; what no rule or
reviewed alias maps is never merged by guesswork.

The tables below hold real provider model ids as the catalogs list them (OpenRouter's
/api/v1/models, models.dev's api.json, LiteLLM's price map with its routing prefix stripped, as the
litellm parser strips it) and the canonical id each must resolve to."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from pipeline.identity import AliasFile, IdentityError, creator_name, load_aliases, resolve

INSTRUCT_1B = "meta/llama-3.2-1b-instruct"
SONNET_45 = "anthropic/claude-sonnet-4.5"


@pytest.mark.parametrize(
    ("provider_model_id", "provider_id"),
    [
        ("@cf/meta/llama-3.2-1b-instruct", "cloudflare-workers-ai"),
        ("meta.llama3-2-1b-instruct-v1:0", "aws-bedrock"),
        ("us.meta.llama3-2-1b-instruct-v1:0", "aws-bedrock"),
        ("eu.meta.llama3-2-1b-instruct-v1:0", "aws-bedrock"),
        ("accounts/fireworks/models/llama-v3p2-1b-instruct", "fireworks-ai"),
        ("meta-llama/Llama-3.2-1B-Instruct", "huggingface"),
        ("meta-llama/llama-3.2-1b-instruct", "openrouter"),
        ("META-LLAMA/LLAMA-3.2-1B-INSTRUCT", None),
    ],
)
def test_every_shape_of_llama_3_2_1b_instruct_is_one_model(provider_model_id, provider_id):
    assert resolve(provider_model_id, provider_id).model_id == INSTRUCT_1B


@pytest.mark.parametrize(
    ("provider_model_id", "expected"),
    [
        ("accounts/fireworks/models/llama-v3p2-1b", "meta/llama-3.2-1b"),  # the base model
        ("meta-llama/Llama-3.2-1B", "meta/llama-3.2-1b"),
        ("meta-llama/Llama-3.1-8B-Instruct", "meta/llama-3.1-8b-instruct"),  # another generation
        ("meta-llama/Llama-3.2-3B-Instruct", "meta/llama-3.2-3b-instruct"),  # another size
    ],
)
def test_base_generation_and_size_stay_distinct(provider_model_id, expected):
    got = resolve(provider_model_id).model_id
    assert got == expected and got != INSTRUCT_1B


# --- real ids of the three catalogs -> canonical ids ------------------------------------------
# (provider id, provider model id, canonical model id, variant)
REAL_IDS = [
    # Claude Sonnet 4.5, every spelling: Anthropic, Bedrock (plain, geo profiles), Vertex, Azure,
    # OpenRouter, Vercel, LiteLLM's Vertex key
    ("anthropic", "claude-sonnet-4-5-20250929", SONNET_45, ""),
    ("anthropic", "claude-sonnet-4-5", SONNET_45, ""),
    ("aws-bedrock", "anthropic.claude-sonnet-4-5-20250929-v1:0", SONNET_45, ""),
    ("aws-bedrock", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", SONNET_45, ""),
    ("aws-bedrock", "eu.anthropic.claude-sonnet-4-5-20250929-v1:0", SONNET_45, ""),
    ("aws-bedrock", "global.anthropic.claude-sonnet-4-5-20250929-v1:0", SONNET_45, ""),
    ("aws-bedrock", "au.anthropic.claude-sonnet-4-5-20250929-v1:0", SONNET_45, ""),
    ("aws-bedrock", "jp.anthropic.claude-sonnet-4-5-20250929-v1:0", SONNET_45, ""),
    (None, "jp.anthropic.claude-sonnet-4-5-20250929-v1:0", SONNET_45, ""),  # no provider hint
    ("google-vertex", "claude-sonnet-4-5@20250929", SONNET_45, ""),
    ("azure-openai", "claude-sonnet-4-5", SONNET_45, ""),
    ("openrouter", "anthropic/claude-sonnet-4.5", SONNET_45, ""),
    ("vercel-ai-gateway", "anthropic/claude-sonnet-4.5", SONNET_45, ""),
    ("databricks", "databricks-claude-sonnet-4-5", SONNET_45, ""),  # provider's name glued on
    # Bedrock: suffix or none, profiles, vendors
    ("aws-bedrock", "anthropic.claude-opus-4-6-v1", "anthropic/claude-opus-4.6", ""),
    ("aws-bedrock", "anthropic.claude-opus-4-7", "anthropic/claude-opus-4.7", ""),
    ("aws-bedrock", "apac.anthropic.claude-3-haiku-20240307-v1:0", "anthropic/claude-3-haiku", ""),
    ("aws-bedrock", "us.anthropic.claude-opus-4-1-20250805-v1:0", "anthropic/claude-opus-4.1", ""),
    ("aws-bedrock", "meta.llama3-1-8b-instruct-v1:0", "meta/llama-3.1-8b-instruct", ""),
    ("aws-bedrock", "us.meta.llama4-scout-17b-instruct-v1:0", "meta/llama-4-scout-17b-instruct", ""),
    ("aws-bedrock", "openai.gpt-oss-120b-1:0", "openai/gpt-oss-120b", ""),
    ("aws-bedrock", "openai.gpt-oss-120b", "openai/gpt-oss-120b", ""),
    ("aws-bedrock", "qwen.qwen3-32b-v1:0", "qwen/qwen3-32b", ""),
    ("aws-bedrock", "qwen.qwen3-235b-a22b-2507-v1:0", "qwen/qwen3-235b-a22b-2507", ""),
    ("aws-bedrock", "deepseek.r1-v1:0", "deepseek/deepseek-r1", ""),
    ("aws-bedrock", "deepseek.v3.2", "deepseek/deepseek-v3.2", ""),
    ("aws-bedrock", "zai.glm-4.7", "zai/glm-4.7", ""),
    ("aws-bedrock", "moonshot.kimi-k2-thinking", "moonshotai/kimi-k2-thinking", ""),
    ("aws-bedrock", "xai.grok-4.3", "xai/grok-4.3", ""),
    ("aws-bedrock", "mistral.mistral-7b-instruct-v0:2", "mistral/mistral-7b-instruct-v0.2", ""),
    ("aws-bedrock", "ai21.jamba-1-5-large-v1:0", "ai21/jamba-1.5-large", ""),
    ("aws-bedrock", "amazon.nova-pro-v1:0", "amazon/nova-pro", ""),
    ("openrouter", "amazon/nova-pro-v1", "amazon/nova-pro", ""),
    ("aws-bedrock", "nvidia.nemotron-nano-12b-v2", "nvidia/nemotron-nano-12b-v2", ""),  # -v2 is the model's
    ("aws-bedrock", "anthropic.claude-v2:1", "anthropic/claude-2.1", ""),  # reviewed alias
    ("aws-bedrock", "invoke/anthropic.claude-3-5-sonnet-20240620-v1:0", "anthropic/claude-3.5-sonnet-2024-06-20", ""),
    # Vertex AI
    ("google-vertex", "claude-opus-4-6@default", "anthropic/claude-opus-4.6", ""),
    ("google-vertex", "claude-3-5-haiku@20241022", "anthropic/claude-3.5-haiku", ""),
    ("google-vertex", "meta/llama-3.1-405b-instruct-maas", "meta/llama-3.1-405b-instruct", ""),
    ("google-vertex", "zai-org/glm-5-maas", "zai/glm-5", ""),
    ("google-vertex", "qwen/qwen3-235b-a22b-instruct-2507-maas", "qwen/qwen3-235b-a22b-instruct-2507", ""),
    ("google-vertex", "codestral@latest", "mistral/codestral", ""),
    # Z.ai under every vendor prefix
    ("openrouter", "z-ai/glm-4.6", "zai/glm-4.6", ""),
    ("together-ai", "zai-org/GLM-4.6", "zai/glm-4.6", ""),
    ("zai", "glm-4.6", "zai/glm-4.6", ""),
    (None, "zai/glm-4.6", "zai/glm-4.6", ""),
    (None, "zhipuai/glm-4.6", "zai/glm-4.6", ""),
    ("cerebras", "zai-glm-4.7", "zai/glm-4.7", ""),
    # other creators' prefixes
    ("openrouter", "x-ai/grok-4-fast", "xai/grok-4-fast", ""),
    ("openrouter", "moonshotai/kimi-k2-thinking", "moonshotai/kimi-k2-thinking", ""),
    ("openrouter", "mistralai/mistral-small-3.2-24b-instruct", "mistral/mistral-small-3.2-24b-instruct", ""),
    ("deepinfra", "deepseek-ai/DeepSeek-V3.1", "deepseek/deepseek-v3.1", ""),
    ("openrouter", "ibm-granite/granite-4.0-h-micro", "ibm/granite-4.0-h-micro", ""),
    ("openrouter", "bytedance-seed/seed-1.6", "bytedance/seed-1.6", ""),
    ("openrouter", "alibaba/tongyi-deepresearch-30b-a3b", "qwen/tongyi-deepresearch-30b-a3b", ""),
    # Fireworks: p versions, models/ and routers/
    ("fireworks-ai", "accounts/fireworks/models/glm-4p5", "zai/glm-4.5", ""),
    ("fireworks-ai", "accounts/fireworks/models/kimi-k2p6", "moonshotai/kimi-k2.6", ""),
    ("fireworks-ai", "accounts/fireworks/models/qwen3p7-plus", "qwen/qwen3.7-plus", ""),
    ("fireworks-ai", "accounts/fireworks/models/minimax-m2p7", "minimax/minimax-m2.7", ""),
    ("fireworks-ai", "accounts/fireworks/routers/kimi-k2p6-turbo", "moonshotai/kimi-k2.6-turbo", ""),
    ("fireworks-ai", "accounts/fireworks/models/firefunction-v2", "fireworks/firefunction-v2", ""),
    # Azure: gpt-35, families without a vendor, creators glued on
    ("azure-openai", "gpt-35-turbo", "openai/gpt-3.5-turbo", ""),
    ("azure-openai", "gpt-35-turbo-0125", "openai/gpt-3.5-turbo-0125", ""),
    ("azure-openai", "gpt-3.5-turbo-0125", "openai/gpt-3.5-turbo-0125", ""),
    ("azure-openai", "grok-4-1-fast-non-reasoning", "xai/grok-4.1-fast-non-reasoning", ""),
    ("azure-openai", "phi-4-mini-reasoning", "microsoft/phi-4-mini-reasoning", ""),
    ("azure-openai", "cohere-command-a", "cohere/command-a", ""),
    ("azure-openai", "meta-llama-3.1-8b-instruct", "meta/llama-3.1-8b-instruct", ""),
    ("azure-openai", "llama-4-maverick-17b-128e-instruct-fp8", "meta/llama-4-maverick-17b-128e-instruct", "fp8"),
    # Cloudflare serving precisions
    ("cloudflare-workers-ai", "@cf/meta/llama-3.1-8b-instruct-fp8-fast", "meta/llama-3.1-8b-instruct", "fp8-fast"),
    ("cloudflare-workers-ai", "@cf/meta/llama-3.1-8b-instruct-fp8", "meta/llama-3.1-8b-instruct", "fp8"),
    ("cloudflare-workers-ai", "@cf/meta/llama-3.1-8b-instruct-awq", "meta/llama-3.1-8b-instruct", "awq"),
    ("cloudflare-workers-ai", "@cf/qwen/qwen3-30b-a3b-fp8", "qwen/qwen3-30b-a3b", "fp8"),
    # a version glued to the name: cortecs' claude-opus4-5, Ollama's name:tag
    ("cortecs", "claude-opus4-5", "anthropic/claude-opus-4.5", ""),
    ("ollama-cloud", "gemma3:27b", "google/gemma-3-27b", ""),
    ("google-gemini", "gemma-3-27b-it", "google/gemma-3-27b-it", ""),
    # a reseller's free tier of a model (models.dev kilo, llmgateway): the model, variant "free"
    ("kilo", "anthropic/claude-haiku-4.5-free", "anthropic/claude-haiku-4.5", "free"),
    ("kilo", "cognitivecomputations/dolphin-mistral-24b-venice-edition-free",
     "cognitivecomputations/dolphin-mistral-24b-venice-edition", "free"),
]


@pytest.mark.parametrize(("provider_id", "provider_model_id", "expected", "variant"), REAL_IDS,
                         ids=[f"{p}:{i}" for p, i, _, _ in REAL_IDS])
def test_real_provider_ids_resolve_to_one_canonical_spelling(provider_id, provider_model_id, expected, variant):
    ident = resolve(provider_model_id, provider_id, fallback_creator=provider_id)
    assert (ident.model_id, ident.variant) == (expected, variant)
    assert ident.rule in ("rules", "alias")


# --- dots for dashes in versions ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("provider_model_id", "expected"),
    [
        ("claude-sonnet-4-5", "anthropic/claude-sonnet-4.5"),
        ("claude-3-5-sonnet-latest", "anthropic/claude-3.5-sonnet-latest"),
        ("llama-3-1-8b", "meta/llama-3.1-8b"),
        ("grok-4-1-fast-non-reasoning", "xai/grok-4.1-fast-non-reasoning"),
        ("claude-opus-4-1-20250805", "anthropic/claude-opus-4.1"),
        # left alone: a size, a one-digit generation, OpenAI's MMDD, Cohere's MM-YYYY, ...
        ("llama-3-8b", "meta/llama-3-8b"),
        ("gemma-3-4b-it", "google/gemma-3-4b-it"),
        ("gpt-4-0613", "openai/gpt-4-0613"),
        ("command-r-08-2024", "cohere/command-r-08-2024"),
        ("mixtral-8x22b", "mistral/mixtral-8x22b"),
        ("qwen3-235b-a22b-2507", "qwen/qwen3-235b-a22b-2507"),
        ("phi-3-mini-4k-instruct", "microsoft/phi-3-mini-4k-instruct"),
        ("gpt-4o-2024-08-06", "openai/gpt-4o-2024-08-06"),
    ],
)
def test_dashed_versions_become_dots_and_nothing_else_does(provider_model_id, expected):
    assert resolve(provider_model_id).model_id == expected


# --- never merged ------------------------------------------------------------------------------
# (id a, id b, canonical a, canonical b): different products, each keeps its own id.
NEVER_MERGED = [
    ("gpt-4-turbo", "gpt-4", "openai/gpt-4-turbo", "openai/gpt-4"),
    ("grok-4-fast", "grok-4", "xai/grok-4-fast", "xai/grok-4"),
    ("z-ai/glm-5-turbo", "z-ai/glm-5", "zai/glm-5-turbo", "zai/glm-5"),
    ("meta-llama/llama-3.2-1b-instruct-turbo", "meta-llama/llama-3.2-1b-instruct",
     "meta/llama-3.2-1b-instruct-turbo", INSTRUCT_1B),
    ("claude-3-5-sonnet-20240620", "claude-3-5-sonnet-20241022",
     "anthropic/claude-3.5-sonnet-2024-06-20", "anthropic/claude-3.5-sonnet-2024-10-22"),
    ("gpt-4o-2024-05-13", "gpt-4o", "openai/gpt-4o-2024-05-13", "openai/gpt-4o"),
    ("gpt-4o-2024-05-13", "gpt-4o-2024-11-20", "openai/gpt-4o-2024-05-13", "openai/gpt-4o-2024-11-20"),
    ("gpt-4.1-mini", "gpt-4.1-nano", "openai/gpt-4.1-mini", "openai/gpt-4.1-nano"),
    ("gemini-2.5-flash-lite", "gemini-2.5-flash", "google/gemini-2.5-flash-lite", "google/gemini-2.5-flash"),
    ("gpt-5-pro", "gpt-5", "openai/gpt-5-pro", "openai/gpt-5"),
    ("amazon.titan-embed-text-v2:0", "amazon.titan-embed-text-v1", "amazon/titan-embed-text-v2", "amazon/titan-embed-text"),
    ("anthropic.claude-v2:1", "anthropic.claude-v2", "anthropic/claude-2.1", "anthropic/claude-2.0"),
    ("llama-3.1-8b-instant", "llama-3.1-8b-instruct", "meta/llama-3.1-8b-instant", "meta/llama-3.1-8b-instruct"),
]


@pytest.mark.parametrize(("a", "b", "expected_a", "expected_b"), NEVER_MERGED, ids=[f"{a}|{b}" for a, b, _, _ in NEVER_MERGED])
def test_different_products_are_never_merged(a, b, expected_a, expected_b):
    got_a, got_b = resolve(a).model_id, resolve(b).model_id
    assert (got_a, got_b) == (expected_a, expected_b)
    assert got_a != got_b


def test_a_quantization_is_a_variant_but_fp8_fast_is_not_fp8_of_another_model():
    ident = resolve("@cf/meta/llama-3.1-8b-instruct-fp8-fast", "cloudflare-workers-ai")
    assert (ident.model_id, ident.variant, ident.rule) == ("meta/llama-3.1-8b-instruct", "fp8-fast", "rules")
    assert ident.model_id != "meta/llama-3.1-8b-instruct-fp8"
    assert resolve("meta-llama/llama-3.2-1b-instruct-fp8").variant == "fp8"


@pytest.mark.parametrize("suffix", ["turbo", "fast", "mini", "lite", "instant", "nano", "pro", "flash"])
def test_product_suffixes_are_not_variants(suffix):
    # The "turbo is a serving variant" decision is reversed: these suffixes name other products.
    ident = resolve(f"meta-llama/llama-3.2-1b-instruct-{suffix}")
    assert (ident.model_id, ident.variant) == (f"{INSTRUCT_1B}-{suffix}", "")


# --- dated snapshots ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("provider_model_id", "expected"),
    [
        # ISO-dated ids the alias file folds (a single snapshot): the golden tests depend on these
        ("o3-mini-2025-01-31", "openai/o3-mini"),
        ("openai/o3-mini-2025-01-31", "openai/o3-mini"),
        ("o4-mini-2025-04-16", "openai/o4-mini"),
        ("gpt-4.1-mini-2025-04-14", "openai/gpt-4.1-mini"),
        ("gpt-4o-mini-2024-07-18", "openai/gpt-4o-mini"),
        # compact dates (Anthropic's version stamp) fold by rule
        ("claude-3-haiku-20240307", "anthropic/claude-3-haiku"),
        ("anthropic/claude-3-5-haiku-20241022", "anthropic/claude-3.5-haiku"),
        ("claude-3-5-haiku@20241022", "anthropic/claude-3.5-haiku"),
    ],
)
def test_dated_snapshots_are_the_model(provider_model_id, expected):
    assert resolve(provider_model_id).model_id == expected


@pytest.mark.parametrize(
    ("provider_id", "provider_model_id"),
    [
        ("anthropic", "claude-3-5-sonnet-20241022"),
        ("aws-bedrock", "anthropic.claude-3-5-sonnet-20241022-v2:0"),
        ("aws-bedrock", "us.anthropic.claude-3-5-sonnet-20241022-v2:0"),
        ("google-vertex", "claude-3-5-sonnet-v2@20241022"),
        ("google-vertex", "claude-3-5-sonnet-v2"),
    ],
)
def test_claude_3_5_sonnet_v2_is_one_model_apart_from_the_june_release(provider_id, provider_model_id):
    assert resolve(provider_model_id, provider_id).model_id == "anthropic/claude-3.5-sonnet-2024-10-22"
    assert resolve("claude-3-5-sonnet@20240620", "google-vertex").model_id == "anthropic/claude-3.5-sonnet-2024-06-20"


# --- creators ----------------------------------------------------------------------------------
@pytest.mark.parametrize("geo", ["us", "eu", "apac", "au", "jp", "ca", "us-gov", "global"])
def test_bedrock_profiles_never_become_creators(geo):
    ident = resolve(f"{geo}.anthropic.claude-sonnet-4-6", "aws-bedrock")
    assert ident.model_id == "anthropic/claude-sonnet-4.6"
    ident = resolve(f"{geo}.anthropic.claude-sonnet-4-6")  # without a provider hint too
    assert ident.model_id == "anthropic/claude-sonnet-4.6"


def test_a_family_names_the_creator_before_the_fallback():
    ident = resolve("phi-4-mini-reasoning", "azure-openai", fallback_creator="azure-openai")
    assert (ident.model_id, ident.rule) == ("microsoft/phi-4-mini-reasoning", "rules")


def test_an_unknown_id_with_a_fallback_is_namespaced_by_it():
    ident = resolve("zephyrus-7b", "azure-openai", fallback_creator="azure-openai")
    assert (ident.model_id, ident.variant, ident.rule) == ("azure-openai/zephyrus-7b", "", "namespace")
    # a fallback that is a known vendor prefix goes through the creators map
    assert resolve("zephyrus-7b", fallback_creator="mistral").model_id == "mistral/zephyrus-7b"
    assert resolve("zephyrus-7b", fallback_creator="x-ai").model_id == "xai/zephyrus-7b"
    assert resolve("zephyrus-7b", fallback_creator="zhipuai").model_id == "zai/zephyrus-7b"


def test_an_unknown_shape_becomes_its_own_model_not_a_guess():
    # A fine-tune under an owner the alias file does not know keeps its whole slug: a model of
    # its own (credited by its family), never folded into the model it was tuned from.
    ident = resolve("acme/llama-3.2-1b-instruct-distilled")
    assert ident.model_id == "meta/llama-3.2-1b-instruct-distilled" != INSTRUCT_1B
    # an owner no rule knows, with no family, is the creator
    assert resolve("sao10k/l3.3-euryale-70b").model_id == "sao10k/l3.3-euryale-70b"
    with pytest.raises(IdentityError, match="cannot tell the creator"):
        resolve("zephyrus-7b")


@pytest.mark.parametrize(
    ("provider_model_id", "expected"),
    [
        ("1-month-commitment/cohere.command-text-v14", "cohere/command-text-v14"),  # LiteLLM provisioned throughput
        ("hd/1024-x-1024/dall-e-3", "openai/dall-e-3"),  # LiteLLM image quality/size tiers
        ("TEE/glm-4.7", "zai/glm-4.7"),  # nano-gpt serving tier
        ("Pro/moonshotai/Kimi-K2.6", "moonshotai/kimi-k2.6"),  # SiliconFlow's tier
        ("workers-ai/@cf/qwen/qwq-32b", "qwen/qwq-32b"),  # Cloudflare AI Gateway
        ("hf:zai-org/GLM-4.7", "zai/glm-4.7"),
        ("~anthropic/claude-sonnet-latest", "anthropic/claude-sonnet-latest"),
    ],
)
def test_routing_and_tier_segments_are_never_creators(provider_model_id, expected):
    assert resolve(provider_model_id).model_id == expected


def test_creator_names():
    assert creator_name("zai/glm-4.5") == "Z.ai"
    assert creator_name("xai/grok-4") == "xAI"
    assert creator_name("moonshotai/kimi-k2") == "Moonshot AI"
    assert creator_name("meta/llama-3.2-1b") == "Meta"
    assert creator_name("azure-openai/zephyrus-7b") is None


# --- aliases -----------------------------------------------------------------------------------
def test_a_provider_scoped_alias_applies_to_that_provider_only():
    # Vercel names the instruct model "meta/llama-3.2-1b"; elsewhere that id is the base model.
    assert resolve("meta/llama-3.2-1b", "vercel-ai-gateway").model_id == INSTRUCT_1B
    assert resolve("meta/llama-3.2-1b", "vercel-ai-gateway").rule == "alias"
    assert resolve("meta/llama-3.2-1b", "openrouter").model_id == "meta/llama-3.2-1b"


def test_groq_serving_names_are_reviewed_aliases_of_the_instruct_models():
    assert resolve("llama-3.1-8b-instant", "groq").model_id == "meta/llama-3.1-8b-instruct"
    assert resolve("llama-3.1-8b-instant", "groq").model_id == resolve("meta-llama/Llama-3.1-8B-Instruct").model_id
    # Without the provider scope the name is not guessed into the instruct model.
    assert resolve("llama-3.1-8b-instant").model_id == "meta/llama-3.1-8b-instant"


def test_a_given_alias_file_is_the_one_used():
    custom = AliasFile.model_validate({
        "creators": {"acme": {"id": "acme", "name": "Acme"}},
        "aliases": {"*": {"claude-sonnet-4-5": "acme/other"}},
    })
    assert resolve("claude-sonnet-4-5", aliases=custom).model_id == "acme/other"
    assert resolve("claude-sonnet-4-5").model_id == SONNET_45  # the shipped file is untouched
    with pytest.raises(IdentityError):  # no families in the custom file: no creator
        resolve("gpt-4o", aliases=custom)


def test_the_alias_file_is_strict(tmp_path: Path):
    bad = tmp_path / "aliases.yaml"
    bad.write_text("creators: {}\naliases: {}\nnotes: typo\n")
    with pytest.raises(ValidationError, match="notes"):
        AliasFile.model_validate(yaml.safe_load(bad.read_text()))
    with pytest.raises(ValidationError, match="keep"):
        AliasFile.model_validate({"creators": {}, "snapshots": {"keep": {}}})
    # The shipped file validates; every alias, family and snapshot names a known creator and a
    # lower-case creator/slug id, and every snapshot decision says why.
    shipped = load_aliases()
    creator_ids = {c.id for c in shipped.creators.values()}
    for scope in shipped.aliases.values():
        for target in scope.values():
            creator, _, slug = target.partition("/")
            assert creator and slug and target == target.lower()
    assert set(shipped.families.values()) <= creator_ids
    for decisions in (shipped.snapshots.split, shipped.snapshots.fold):
        for model_id, why in decisions.items():
            assert model_id.split("/")[0] in creator_ids and len(why) > 20
    for model_id in shipped.snapshots.fold:
        assert re.search(r"-20\d\d-\d\d-\d\d$", model_id)


# --- the real catalogs (smoke test; skipped when ../shared/real is absent) ---------------------
REAL = Path(__file__).resolve().parents[2] / "shared" / "real"
_BOGUS = re.compile(r"^(?:us|eu|apac|au|jp|ca|us-gov|global|routers|models|accounts|invoke|\*|"
                    r"\d+|\d+-x-\d+|\d+-steps|max-x-max|\d+-months?-commitment)$")


def _real_ids():
    rows = []
    openrouter = json.loads((REAL / "openrouter-api-v1-models-2026-05.json").read_text())
    rows += [("openrouter", m["id"]) for m in openrouter["data"]]
    models_dev = json.loads((REAL / "models-dev-api-2026-07-02.json").read_text())
    rows += [(p, k) for p, v in models_dev.items() if isinstance(v, dict) for k in v.get("models") or {}]
    litellm = json.loads((REAL / "litellm-1.77.7-model_prices_and_context_window.json").read_text())
    for key, entry in litellm.items():
        lp = entry.get("litellm_provider") if isinstance(entry, dict) else None
        if lp:
            rows.append((lp, key.split("/", 1)[1] if key.split("/")[0] in (lp, "bedrock", "vertex_ai") else key))
    return rows


@pytest.mark.skipif(not REAL.is_dir(), reason="../shared/real (the real catalogs) is not present")
def test_every_real_catalog_id_resolves_and_no_creator_is_bogus():
    creators = set()
    for provider, pmid in _real_ids():
        ident = resolve(pmid, provider, fallback_creator=provider)
        creators.add(ident.model_id.split("/")[0])
    bogus = sorted(c for c in creators if _BOGUS.match(c))
    assert not bogus
    assert {"anthropic", "openai", "zai", "xai", "moonshotai", "meta", "qwen"} <= creators
    assert not {"z-ai", "zai-org", "x-ai", "meta-llama", "mistralai", "deepseek-ai"} & creators


@pytest.mark.parametrize(("provider_model_id", "provider_id", "expected"), [
    ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "aws-bedrock", "us"),
    ("global.anthropic.claude-sonnet-4-5-20250929-v1:0", "aws-bedrock", "global"),
    ("apac.amazon.nova-pro-v1:0", "aws-bedrock", "apac"),
    ("anthropic.claude-sonnet-4-5-20250929-v1:0", "aws-bedrock", ""),
    ("qwen.qwen3-32b-v1:0", "aws-bedrock", ""),  # a vendor, not a geography
    ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "azure-openai", ""),  # Bedrock's shape only
])
def test_bedrock_profiles_are_the_offers_deployment_not_the_model(provider_model_id, provider_id, expected):
    from pipeline.identity import deployment
    assert deployment(provider_model_id, provider_id) == expected
    assert resolve(provider_model_id, "aws-bedrock").model_id == resolve(
        provider_model_id.split(".", 1)[1] if expected else provider_model_id, "aws-bedrock").model_id
