"""Model identity: one canonical id per model, whatever shape a provider gives it; what no rule or
reviewed alias maps is never merged by guesswork."""
from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from pipeline.identity import AliasFile, IdentityError, load_aliases, resolve

INSTRUCT_1B = "meta/llama-3.2-1b-instruct"


@pytest.mark.parametrize(
    ("provider_model_id", "provider_id"),
    [
        ("@cf/meta/llama-3.2-1b-instruct", "cloudflare-workers-ai"),
        ("meta.llama3-2-1b-instruct-v1:0", "aws-bedrock"),
        ("us.meta.llama3-2-1b-instruct-v1:0", "aws-bedrock"),
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


@pytest.mark.parametrize(
    ("provider_model_id", "expected"),
    [
        ("o3-mini-2025-01-31", "openai/o3-mini"),
        ("openai/o3-mini-2025-01-31", "openai/o3-mini"),
        ("claude-3-haiku-20240307", "anthropic/claude-3-haiku"),
        ("anthropic/claude-3-5-haiku-20241022", "anthropic/claude-3-5-haiku"),
    ],
)
def test_dated_snapshots_are_the_model(provider_model_id, expected):
    assert resolve(provider_model_id).model_id == expected


@pytest.mark.parametrize(
    ("provider_model_id", "variant"),
    [("meta-llama/llama-3.2-1b-instruct-fp8", "fp8"), ("meta-llama/llama-3.2-1b-instruct-turbo", "turbo")],
)
def test_quantized_and_turbo_are_variants_of_the_same_model(provider_model_id, variant):
    ident = resolve(provider_model_id)
    assert (ident.model_id, ident.variant, ident.rule) == (INSTRUCT_1B, variant, "rules")


def test_a_provider_scoped_alias_applies_to_that_provider_only():
    # Vercel names the instruct model "meta/llama-3.2-1b"; elsewhere that id is the base model.
    assert resolve("meta/llama-3.2-1b", "vercel-ai-gateway").model_id == INSTRUCT_1B
    assert resolve("meta/llama-3.2-1b", "vercel-ai-gateway").rule == "alias"
    assert resolve("meta/llama-3.2-1b", "openrouter").model_id == "meta/llama-3.2-1b"


def test_an_unknown_shape_becomes_its_own_model_not_a_guess():
    # A fine-tune under an owner the alias file does not know keeps its whole slug: a model of
    # its own (credited by its family), never folded into the model it was tuned from.
    ident = resolve("acme/llama-3.2-1b-instruct-distilled")
    assert ident.model_id == "meta/llama-3.2-1b-instruct-distilled" != INSTRUCT_1B
    with pytest.raises(IdentityError, match="creator"):
        resolve("zephyrus-7b")


def test_the_alias_file_is_strict(tmp_path: Path):
    bad = tmp_path / "aliases.yaml"
    bad.write_text("creators: {}\naliases: {}\nnotes: typo\n")
    with pytest.raises(ValidationError, match="notes"):
        AliasFile.model_validate(__import__("yaml").safe_load(bad.read_text()))
    # The shipped file validates and every alias target is a creator/slug id.
    shipped = load_aliases()
    for scope in shipped.aliases.values():
        for target in scope.values():
            creator, _, slug = target.partition("/")
            assert creator and slug and target == target.lower()


def test_groq_serving_names_are_reviewed_aliases_of_the_instruct_models():
    assert resolve("llama-3.1-8b-instant", "groq").model_id == "meta/llama-3.1-8b-instruct"
    assert resolve("llama-3.1-8b-instant", "groq").model_id == resolve("meta-llama/Llama-3.1-8B-Instruct").model_id
    # Without the provider scope the name is not guessed into the instruct model.
    assert resolve("llama-3.1-8b-instant").model_id == "meta/llama-3.1-8b-instant"
