"""Golden fixture tests of the aws_bedrock parser (tests/fixtures/parse/aws-bedrock/, see tests/parse_helpers.py),
and the recorded crawls of the aws-bedrock source (spiders/recorded/2026*/aws-bedrock/, see PLAN.md)."""
from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import pytest

from pipeline.config import load_sources
from pipeline.models import ParseResult
from pipeline.parse import parse_page
from pipeline.raw import RawArchive, verify
from tests.parse_helpers import (
    FIXTURES, load_page, run_case,
)

SOURCE = "aws-bedrock"
URL = "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonBedrock/current/index.json"
LLAMA_1B = "meta.llama3-2-1b-instruct-v1:0"


# --- the cases, spelled out ----------------------------------------------------------------------

CASES = FIXTURES / SOURCE


def _offer(result: ParseResult, pmid: str, region: str) -> dict[str, tuple[str, str | None]]:
    return {o.field: (o.status, o.value) for o in result.observations
            if o.entity == "offer" and (o.provider_id, o.provider_model_id, o.variant) == ("aws-bedrock", pmid, region)}


@pytest.mark.parametrize(("pmid", "region", "field", "raw", "value"), [
    (LLAMA_1B, "us-east-1", "input_usd_per_mtok", "0.0001000000 USD per 1K tokens", "0.1"),
    ("anthropic.claude-3-haiku-20240307-v1:0", "us-east-1", "output_usd_per_mtok", "0.0012500000 USD per 1K tokens", "1.25"),
    ("amazon.nova-micro-v1:0", "us-east-1", "input_usd_per_mtok", "0.0000350000 USD per 1K tokens", "0.035"),
    ("amazon.nova-micro-v1:0", "us-east-1", "cached_input_usd_per_mtok", "0.0000087500 USD per 1K tokens", "0.00875"),
    ("meta.llama3-3-70b-instruct-v1:0", "us-east-1", "input_usd_per_mtok", "0.7200000000 USD per 1M tokens", "0.72"),
])
def test_prices_per_1k_or_1m_tokens_become_exact_usd_per_million(pmid, region, field, raw, value):
    (obs,) = [o for o in run_case(CASES / "price_list").observations
              if (o.provider_model_id, o.variant, o.field) == (pmid, region, field)]
    assert (obs.raw, obs.value) == (raw, value)
    usd, _, _, unit = raw.split(" ", 3)
    assert Decimal(obs.value) == Decimal(usd) * (1000 if unit == "1K tokens" else 1)


def test_each_region_is_an_offer_variant_of_the_bedrock_model_id():
    result = run_case(CASES / "price_list")
    for region in ("us-east-1", "us-west-2"):
        assert _offer(result, LLAMA_1B, region) == {"input_usd_per_mtok": ("known", "0.1"),
                                                    "output_usd_per_mtok": ("known", "0.1")}
    haiku = "anthropic.claude-3-haiku-20240307-v1:0"
    assert _offer(result, haiku, "eu-central-1")["input_usd_per_mtok"] == ("known", "0.3")  # regional price
    assert _offer(result, haiku, "us-east-1")["input_usd_per_mtok"] == ("known", "0.25")
    assert {o.model_id for o in result.observations if o.provider_model_id == LLAMA_1B} == {"meta/llama-3.2-1b-instruct"}


def test_batch_provisioned_embeddings_images_and_unknown_models_are_skipped_with_reasons():
    result = run_case(CASES / "price_list")
    skips = [p.message for p in result.problems if p.severity == "skip"]
    assert any("batch-input-tokens" in m and "Batch Inference" in m for m in skips)
    assert any("Provisioned Throughput" in m for m in skips)
    assert any("Titan Text Embeddings V2 is an embedding model" in m for m in skips)
    assert any("'Images'" in m for m in skips)
    assert any("'Pixtral Large (25.02)'" in m and "bedrock_names.yaml" in m for m in skips)
    assert "0.05" not in {o.value for o in result.observations}  # the batch price is not the on-demand price
    assert result.items == 6


def test_malformed_values_are_problems_naming_source_url_field_and_text():
    case = CASES / "malformed_values"
    result = run_case(case)
    price = next(p for p in result.problems if "0.0001O00000" in p.message)
    assert (price.source_id, price.url, price.field, price.severity) == (
        SOURCE, load_page(case).url, "input_usd_per_mtok", "error")
    assert LLAMA_1B in price.message and "us-east-1" in price.message
    # two price dimensions for one price, a sku without terms, a product without region: named, not guessed
    multi = next(p for p in result.problems if "M1B2C3D4E5F6G7H4" in p.message)
    assert multi.field == "output_usd_per_mtok" and "us-west-2" in multi.message
    assert any("states no regionCode" in p.message for p in result.problems)
    # the readable prices stay, and nothing is reported twice
    assert _offer(result, LLAMA_1B, "us-east-1") == {"output_usd_per_mtok": ("known", "0.1")}
    assert _offer(result, LLAMA_1B, "us-west-2") == {"input_usd_per_mtok": ("known", "0.1")}
    assert len(result.problems) == 4


def test_a_changed_layout_makes_the_page_unusable():
    result = run_case(CASES / "layout_changed")
    (problem,) = result.problems
    assert "page unusable" in problem.message and (problem.source_id, problem.url) == (SOURCE, URL)
    assert not result.observations


# --- the recorded crawls (spiders/recorded/PLAN.md: 2026-04-24 and 2026-06-04) ---------------------

RECORDED = Path(__file__).resolve().parents[1] / "spiders" / "recorded"
CRAWLS = ["20260424T060000Z", "20260604T060000Z"]
GOLDEN_MODELS = {"meta/llama-3.2-1b-instruct", "meta/llama-3.2-1b", "meta/llama-3.2-3b-instruct", "openai/o3-mini",
                 "openai/o4-mini", "openai/gpt-4.1-mini", "openai/gpt-5.3-codex", "mistral/mixtral-8x22b-instruct-v0.3"}


@lru_cache(maxsize=None)
def recorded(crawl: str) -> ParseResult:
    source = load_sources().get(SOURCE)
    out = ParseResult()
    for page in RawArchive(RECORDED).pages(crawl, SOURCE):
        out.extend(parse_page(page, source))
    return out


def test_the_source_is_recorded_on_its_plan_dates():
    assert sorted(p.parent.parent.name for p in RECORDED.glob(f"*/{SOURCE}/pages.jsonl")) == CRAWLS


@pytest.mark.parametrize("crawl", CRAWLS)
def test_recorded_folder_is_sealed_dated_and_fetched_from_the_start_url(crawl):
    assert verify(RECORDED / crawl / SOURCE) == []
    (fetch,) = [f for f in RawArchive(RECORDED).fetches(crawl) if f.source_id == SOURCE]
    pages = list(RawArchive(RECORDED).pages(crawl, SOURCE))
    day = f"{crawl[:4]}-{crawl[4:6]}-{crawl[6:8]}"
    assert (fetch.status, fetch.errors, fetch.pages) == ("ok", [], len(pages))
    assert [p.url for p in pages] == load_sources().get(SOURCE).start_urls
    assert all(p.status == 200 and p.fetched_at.date().isoformat() == day for p in pages)


@pytest.mark.parametrize("crawl", CRAWLS)
def test_every_recorded_page_parses_without_errors(crawl):
    assert not [str(p) for p in recorded(crawl).problems if p.severity == "error"]
    assert recorded(crawl).items >= 3


def test_recorded_2026_04_24_sells_llama_1b_instruct_in_two_regions():
    offers = {(o.provider_model_id, o.variant) for o in recorded(CRAWLS[0]).observations
              if o.model_id in GOLDEN_MODELS}
    assert offers == {(LLAMA_1B, "us-east-1"), (LLAMA_1B, "us-west-2")}
    for region in ("us-east-1", "us-west-2"):
        assert _offer(recorded(CRAWLS[0]), LLAMA_1B, region) == {
            "input_usd_per_mtok": ("known", "0.1"), "output_usd_per_mtok": ("known", "0.1")}


def test_recorded_2026_06_04_no_longer_lists_llama_1b_instruct():
    result = recorded(CRAWLS[1])
    assert not {o.model_id for o in result.observations} & GOLDEN_MODELS
    assert result.items >= 3  # a healthy listing of other models: the 1B offer is retired, not the source
