"""Golden fixture tests of the models_dev parser (tests/fixtures/parse/models-dev/, see tests/parse_helpers.py),
the recorded crawl of the models-dev source (spiders/recorded/20260604T060000Z/models-dev/, see PLAN.md), and a
local smoke test over a real copy of the catalog when one is present next to the checkout."""
from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import pytest

from pipeline.config import load_sources
from pipeline.identity import resolve
from pipeline.models import ParseResult, RawPage
from pipeline.parse import parse_page
from tests.parse_helpers import (
    FIXTURES, GOLDEN_MODELS, load_page, offer_facts, recorded, run_case,
)

SOURCE = "models-dev"
URL = "https://models.dev/api.json"


# --- the cases, spelled out ----------------------------------------------------------------------

CASES = FIXTURES / SOURCE


def _model(result: ParseResult, model_id: str) -> dict[str, str | None]:
    """The first value stated of each field (the creator's own entry comes first)."""
    out: dict[str, str | None] = {}
    for o in result.observations:
        if o.entity == "model" and o.model_id == model_id:
            out.setdefault(o.field, o.value)
    return out


def _values(result: ParseResult, model_id: str, field: str) -> list[str | None]:
    return [o.value for o in result.observations if o.entity == "model" and o.model_id == model_id and o.field == field]


def test_vercel_bare_llama_id_is_the_instruct_model_through_a_provider_scoped_alias():
    assert resolve("meta/llama-3.2-1b", "vercel-ai-gateway").model_id == "meta/llama-3.2-1b-instruct"
    assert resolve("meta/llama-3.2-1b", "fireworks-ai").model_id == "meta/llama-3.2-1b"  # scoped: nobody else
    (obs,) = [o for o in run_case(CASES / "catalog").observations
              if o.provider_model_id == "meta/llama-3.2-1b" and o.field == "input_usd_per_mtok"]
    assert (obs.model_id, obs.provider_id, obs.value) == ("meta/llama-3.2-1b-instruct", "vercel-ai-gateway", "0.1")


def test_prices_are_exact_usd_per_million_as_written():
    cf = offer_facts(run_case(CASES / "catalog"), "cloudflare-workers-ai", "@cf/meta/llama-3.2-1b-instruct")
    assert (cf["input_usd_per_mtok"], cf["output_usd_per_mtok"]) == (("known", "0.027"), ("known", "0.201"))
    (o3,) = [o for o in run_case(CASES / "catalog").observations
             if (o.provider_id, o.provider_model_id, o.field) == ("openai", "o3-mini", "input_usd_per_mtok")]
    assert (o3.raw, o3.value, Decimal(o3.value)) == ("1.10", "1.1", Decimal("1.10"))


def test_limits_and_an_unstated_limit():
    result = run_case(CASES / "catalog")
    assert offer_facts(result, "openai", "gpt-4.1-mini")["context_window"] == ("known", "1047576")
    assert offer_facts(result, "openai", "gpt-4.1-mini")["max_output_tokens"] == ("known", "32768")
    # "output": null is not stated: unknown, not zero and not an error
    assert offer_facts(result, "cloudflare-workers-ai", "@cf/meta/llama-3.2-1b-instruct")["max_output_tokens"] == ("unknown", None)


def test_catalog_model_facts_come_from_the_creators_own_provider_first():
    result = run_case(CASES / "catalog")
    o3 = _model(result, "openai/o3-mini")
    # Azure's entry says knowledge 2024-05 and image input; OpenAI's own entry (2023-10, text only) wins
    assert (o3["knowledge_cutoff"], o3["supports_vision"], o3["release_date"]) == ("2023-10", "false", "2025-01-31")
    # the creator's own entry speaks for the model: Azure's copy (2024-05) is not a claim of its own
    assert _values(result, "openai/o3-mini", "knowledge_cutoff") == ["2023-10"]
    assert _values(result, "openai/o3-mini", "supports_vision") == ["false"]
    # no creator's entry (Llama at resellers): every entry's value is a claim, reconcile weighs them
    assert _values(result, "meta/llama-3.2-1b-instruct", "context_window") == ["128000", "60000"]
    assert (o3["supports_reasoning"], o3["supports_function_calling"], o3["open_weights"]) == ("true", "true", "false")
    gpt = _model(result, "openai/gpt-4.1-mini")
    assert (gpt["knowledge_cutoff"], gpt["supports_vision"], gpt["supports_multimodal"]) == ("2024-05", "true", "true")
    llama = _model(result, "meta/llama-3.2-1b-instruct")
    assert (llama["open_weights"], llama["supports_function_calling"], llama["knowledge_cutoff"]) == ("true", "false", "2023-12")


def test_price_tier_of_a_catalog_entry():
    gemini = offer_facts(run_case(CASES / "catalog"), "vercel-ai-gateway", "google/gemini-2.5-pro")
    assert gemini["tier_threshold_tokens"] == ("known", "200000")
    assert (gemini["input_usd_per_mtok_above_tier"], gemini["output_usd_per_mtok_above_tier"]) == (("known", "2.5"), ("known", "15"))
    assert gemini["input_usd_per_mtok"] == ("known", "1.25")


def test_every_provider_is_read_and_embeddings_image_models_and_deprecated_entries_are_skipped():
    result = run_case(CASES / "catalog")
    skips = [p.message for p in result.problems if p.severity == "skip"]
    # a provider no curated file names is a provider under its own slug and name, never skipped
    assert result.providers["302ai"] == "302.AI" and not any("'302ai'" in m for m in skips)
    assert any("text-embedding-3-small" in m for m in skips) and any("gpt-image-1" in m for m in skips)
    assert any("gpt-4-32k: deprecated" in m for m in skips)
    assert {o.provider_id for o in result.observations if o.entity == "offer"} == {
        "openai", "azure-openai", "vercel-ai-gateway", "cloudflare-workers-ai", "aws-bedrock", "302ai"}
    assert not [o for o in result.observations if o.model_id in ("openai/gpt-image-1", "openai/gpt-4-32k")]


def test_malformed_values_are_problems_naming_source_url_field_and_text():
    case = CASES / "malformed_values"
    result = run_case(case)
    errors = {p.field: p for p in result.problems if p.severity == "error" and p.field != "input_usd_per_mtok"}
    price = next(p for p in result.problems if "'1.1O'" in p.message)
    assert (price.source_id, price.url, price.field) == (SOURCE, load_page(case).url, "input_usd_per_mtok")
    assert "openai o3-mini" in price.message
    assert "'two hundred thousand'" in errors["context_window"].message
    assert "'32768.5'" in errors["max_output_tokens"].message
    assert "'autumn 2023'" in errors["knowledge_cutoff"].message and "'yes'" in errors["supports_reasoning"].message
    # the rest of the entry is kept; a month-only release date is not turned into a day
    assert offer_facts(result, "openai", "o3-mini") == {"output_usd_per_mtok": ("known", "4.4"),
                                                   "max_output_tokens": ("known", "100000")}
    assert "release_date" not in _model(result, "openai/o3-mini")


def test_a_changed_layout_makes_the_page_unusable():
    result = run_case(CASES / "layout_changed")
    (problem,) = result.problems
    assert "page unusable" in problem.message and (problem.source_id, problem.url) == (SOURCE, URL)
    assert not result.observations


# --- the recorded crawl (spiders/recorded/PLAN.md: 2026-06-04 only; tests/test_parse_recorded.py) -----

def test_recorded_golden_offers_are_exactly_the_plan():
    offers: dict[str, set[tuple[str | None, str | None]]] = {}
    for o in recorded(SOURCE).observations:
        if o.entity == "offer" and o.model_id in GOLDEN_MODELS:
            offers.setdefault(o.model_id, set()).add((o.provider_id, o.provider_model_id))
    assert offers == {
        "meta/llama-3.2-1b-instruct": {("vercel-ai-gateway", "meta/llama-3.2-1b"),
                                       ("cloudflare-workers-ai", "@cf/meta/llama-3.2-1b-instruct")},
        "openai/o3-mini": {("vercel-ai-gateway", "openai/o3-mini"), ("azure-openai", "o3-mini"), ("openai", "o3-mini")},
        "openai/gpt-4.1-mini": {("openai", "gpt-4.1-mini")},
    }


def test_recorded_golden_facts():
    cf = offer_facts(recorded(SOURCE), "cloudflare-workers-ai", "@cf/meta/llama-3.2-1b-instruct")
    assert (cf["input_usd_per_mtok"], cf["output_usd_per_mtok"]) == (("known", "0.027"), ("known", "0.2"))
    assert _model(recorded(SOURCE), "openai/o3-mini")["knowledge_cutoff"] == "2023-10"
    assert _model(recorded(SOURCE), "openai/gpt-4.1-mini")["knowledge_cutoff"] == "2024-05"
    azure = [o for o in recorded(SOURCE).observations if o.provider_id == "azure-openai" and o.provider_model_id == "o3-mini"]
    assert {o.field: o.value for o in azure}["input_usd_per_mtok"] == "1.1"


def test_recorded_vercel_route_of_llama_1b_instruct_is_not_cheaper_than_cloudflare():
    """Seed 000 names Cloudflare (0.027 in, 0.201 out) the cheapest route on 06-04, input and output alike.
    (models.dev's own copy of Cloudflare's offer says 0.20 out: the same offer, where Cloudflare's page wins.)"""
    vercel = offer_facts(recorded(SOURCE), "vercel-ai-gateway", "meta/llama-3.2-1b")
    assert Decimal(vercel["input_usd_per_mtok"][1]) >= Decimal("0.027")
    assert Decimal(vercel["output_usd_per_mtok"][1]) > Decimal("0.201")


# --- a real copy of the catalog, outside the repo (local smoke test) ------------------------------

# ../shared/real beside the repo: present on the team's machines, absent elsewhere
REAL = Path(__file__).resolve().parents[2] / "shared" / "real" / "models-dev-api-2026-07-02.json"


@lru_cache(maxsize=None)
def real_result() -> ParseResult:
    page = RawPage(source_id=SOURCE, url=URL, status=200, fetched_at=datetime(2026, 7, 2, tzinfo=UTC),
                   sha256=hashlib.sha256(REAL.read_bytes()).hexdigest(), body_file=REAL.name, base_dir=REAL.parent)
    return parse_page(page, load_sources().get(SOURCE))


@pytest.mark.skipif(not REAL.exists(), reason=f"{REAL} (a real models.dev api.json, outside the repo) is absent")
def test_real_catalog_smoke():
    result = real_result()
    assert not [p for p in result.problems if "page unusable" in p.message or "crashed" in p.message]
    # every provider of the catalog (148 in the copy) is read: none skipped for want of a mapping
    providers = {o.provider_id for o in result.observations if o.entity == "offer"}
    assert len(providers) > 130 and {"deepseek", "xai", "aws-bedrock", "azure-openai"} <= providers
    assert result.items > 4000
    # sane facts the real catalog states
    vercel = offer_facts(result, "vercel-ai-gateway", "meta/llama-3.2-1b")
    assert vercel["input_usd_per_mtok"] == ("known", "0.1") and vercel["context_window"] == ("known", "128000")
    assert {o.model_id for o in result.observations if o.provider_model_id == "meta/llama-3.2-1b"} == {"meta/llama-3.2-1b-instruct"}
    o3 = offer_facts(result, "openai", "o3-mini")
    assert (o3["input_usd_per_mtok"], o3["output_usd_per_mtok"], o3["context_window"]) == (
        ("known", "1.1"), ("known", "4.4"), ("known", "200000"))
    assert _model(result, "openai/o3-mini")["supports_reasoning"] == "true"
    prices = [Decimal(o.value) for o in result.observations if o.field == "input_usd_per_mtok" and o.status == "known"]
    assert prices and all(Decimal(0) <= p < Decimal(1000) for p in prices)
    # an id whose creator no rule can tell is a model of its provider's namespace, never an error;
    # nothing a person reads correctly is one: the whole catalog reads without an error
    assert result.items == 4892 and not [p for p in result.problems if p.severity == "error"]
    # frogbot's "1970-01-01" is a blank date, not a release date; "logo.svg" lists no models
    epoch = [p for p in result.problems if "Unix epoch" in p.message]
    assert {p.message.split(":")[0] for p in epoch} == {"frogbot gpt-oss-120b", "frogbot gpt-oss-20b"}
    assert all(p.severity == "skip" for p in epoch) and "1970-01-01" not in _model(result, "openai/gpt-oss-120b").values()
    assert "logo-svg" not in result.providers and len(result.providers) == 147  # 148 keys, one the logo
    tier = offer_facts(result, "302ai", "gpt-5.4")
    assert tier["tier_threshold_tokens"] == ("known", "272000")
    assert offer_facts(result, "deepseek", "deepseek-chat")["input_usd_per_mtok"][0] == "known"
