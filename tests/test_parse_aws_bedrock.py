"""Golden fixture tests of the aws_bedrock parser (tests/fixtures/parse/aws-bedrock/, see tests/parse_helpers.py),
and the recorded crawls of the aws-bedrock source (spiders/recorded/2026*/aws-bedrock/, see PLAN.md)."""
from __future__ import annotations

from decimal import Decimal

import pytest

from pipeline.parse import parse_page
from tests.parse_helpers import (
    FIXTURES,
    GOLDEN_MODELS,
    load_page,
    offer_facts,
    recorded,
    run_case,
)

SOURCE = PROVIDER = "aws-bedrock"
URL = "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonBedrock/current/index.json"
LLAMA_1B = "meta.llama3-2-1b-instruct-v1:0"


# --- the cases, spelled out ----------------------------------------------------------------------

CASES = FIXTURES / SOURCE


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
        assert offer_facts(result, PROVIDER, LLAMA_1B, region) == {"input_usd_per_mtok": ("known", "0.1"),
                                                    "output_usd_per_mtok": ("known", "0.1")}
    haiku = "anthropic.claude-3-haiku-20240307-v1:0"
    assert offer_facts(result, PROVIDER, haiku, "eu-central-1")["input_usd_per_mtok"] == ("known", "0.3")  # regional price
    assert offer_facts(result, PROVIDER, haiku, "us-east-1")["input_usd_per_mtok"] == ("known", "0.25")
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
    assert offer_facts(result, PROVIDER, LLAMA_1B, "us-east-1") == {"output_usd_per_mtok": ("known", "0.1")}
    assert offer_facts(result, PROVIDER, LLAMA_1B, "us-west-2") == {"input_usd_per_mtok": ("known", "0.1")}
    assert len(result.problems) == 4


SONNET_45 = "anthropic.claude-sonnet-4-5-20250929-v1:0"
HAIKU_45 = "anthropic.claude-haiku-4-5-20251001-v1:0"


def test_the_marketplace_file_names_models_by_servicename_and_prices_by_usagetype():
    """AmazonBedrockFoundationModels: no model/inferenceType/feature attributes; the servicename names
    the model ("... (Amazon Bedrock Edition)") and the usagetype what is priced, in both namings."""
    result = run_case(CASES / "foundation_models")
    assert offer_facts(result, PROVIDER, SONNET_45, "us-east-1") == {  # input_tokens_standard, cache_read_tokens_standard, ...
        "input_usd_per_mtok": ("known", "3.3"), "output_usd_per_mtok": ("known", "16.5"),
        "cached_input_usd_per_mtok": ("known", "0.33"), "cache_write_usd_per_mtok": ("known", "4.125")}
    assert offer_facts(result, PROVIDER, HAIKU_45, "us-west-2") == {  # InputTokenCount, CacheReadInputTokenCount
        "input_usd_per_mtok": ("known", "1.1"), "output_usd_per_mtok": ("known", "5.5"),
        "cached_input_usd_per_mtok": ("known", "0.11")}
    assert offer_facts(result, PROVIDER, "cohere.command-r-plus-v1:0", "us-east-1")["output_usd_per_mtok"] == ("known", "15")  # per 1K
    # the Global (cross-region) and batch prices are other routes: never the regional offer's price
    assert not {"3", "15", "1", "0.55", "6.6"} & {o.value for o in result.observations if o.provider_model_id != "cohere.command-r-plus-v1:0"}
    assert {o.model_id for o in result.observations} == {
        "anthropic/claude-sonnet-4.5", "anthropic/claude-haiku-4.5", "cohere/command-r-plus", "ai21/jamba-1.5-large"}


def test_an_unknown_offer_code_or_unit_is_not_guessed(tmp_path):
    import json

    from pipeline.models import RawPage
    from tests.parse_helpers import FETCHED_AT, _registry
    doc = json.loads((CASES / "foundation_models" / "body.json").read_text())
    dims = [d for t in doc["terms"]["OnDemand"].values() for term in t.values() for d in term["priceDimensions"].values()]
    for d in dims:
        d["unit"] = "Units"
    cases = {"units": doc, "code": {**doc, "offerCode": "AmazonSageMaker"}}
    for name, body in cases.items():
        (tmp_path / f"{name}.json").write_text(json.dumps(body))
    def parse(name):
        page = RawPage(source_id=SOURCE, url=URL, status=200, fetched_at=FETCHED_AT, sha256="0" * 64,
                       body_file=f"{name}.json", base_dir=tmp_path)
        return parse_page(page, _registry().get(SOURCE))
    units = parse("units")
    assert not units.observations and units.items == 0
    assert any(p.severity == "error" and "priced per 'Units', not per tokens" in p.message for p in units.problems)
    (problem,) = parse("code").problems
    assert "page unusable" in problem.message and "AmazonSageMaker" in problem.message


def test_a_changed_layout_makes_the_page_unusable():
    result = run_case(CASES / "layout_changed")
    (problem,) = result.problems
    assert "page unusable" in problem.message and (problem.source_id, problem.url) == (SOURCE, URL)
    assert not result.observations


# --- the recorded crawls (spiders/recorded/PLAN.md: 2026-04-24 and 2026-06-04; test_parse_recorded.py) --

CRAWLS = ["20260424T060000Z", "20260604T060000Z"]


def test_recorded_2026_04_24_sells_llama_1b_instruct_in_two_regions():
    offers = {(o.provider_model_id, o.variant) for o in recorded(SOURCE, CRAWLS[0]).observations
              if o.model_id in GOLDEN_MODELS}
    assert offers == {(LLAMA_1B, "us-east-1"), (LLAMA_1B, "us-west-2")}
    for region in ("us-east-1", "us-west-2"):
        assert offer_facts(recorded(SOURCE, CRAWLS[0]), PROVIDER, LLAMA_1B, region) == {
            "input_usd_per_mtok": ("known", "0.1"), "output_usd_per_mtok": ("known", "0.1")}


def test_recorded_2026_06_04_no_longer_lists_llama_1b_instruct():
    result = recorded(SOURCE, CRAWLS[1])
    assert not {o.model_id for o in result.observations} & GOLDEN_MODELS
    assert result.items >= 3  # a healthy listing of other models: the 1B offer is retired, not the source


FOUNDATION_MODELS = "AmazonBedrockFoundationModels"


@pytest.mark.parametrize("crawl", CRAWLS)
def test_recorded_marketplace_file_prices_claude_cohere_and_ai21(crawl):
    result = recorded(SOURCE, crawl)
    fm = [o for o in result.observations if FOUNDATION_MODELS in o.url]
    assert offer_facts(result, PROVIDER, SONNET_45, "us-east-1")["input_usd_per_mtok"] == ("known", "3.3")
    assert offer_facts(result, PROVIDER, HAIKU_45, "us-east-1")["output_usd_per_mtok"] == ("known", "5.5")
    assert offer_facts(result, PROVIDER, "cohere.command-r-plus-v1:0", "us-east-1")["input_usd_per_mtok"] == ("known", "3")
    assert offer_facts(result, PROVIDER, "ai21.jamba-1-5-large-v1:0", "us-east-1")["output_usd_per_mtok"] == ("known", "8")
    assert not {o.model_id for o in fm} & GOLDEN_MODELS  # PLAN.md: AWS Bedrock's golden offers are the 1B's only
    opus = offer_facts(result, PROVIDER, "anthropic.claude-opus-4-1-20250805-v1:0", "us-east-1")
    assert (opus.get("input_usd_per_mtok") == ("known", "15")) == (crawl == CRAWLS[1])  # listed from 06-04 on
