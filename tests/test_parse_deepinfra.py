"""Golden fixture tests of the deepinfra parser (tests/fixtures/parse/deepinfra/, see tests/parse_helpers.py),
and the recorded crawl of the deepinfra source (spiders/recorded/20260604T060000Z/deepinfra/, see PLAN.md)."""
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

SOURCE = "deepinfra"
URL = "https://api.deepinfra.com/models/list"


# --- the cases, spelled out ----------------------------------------------------------------------

CASES = FIXTURES / SOURCE


def _offer(result: ParseResult, pmid: str) -> dict[str, tuple[str, str | None]]:
    return {o.field: (o.status, o.value) for o in result.observations
            if o.entity == "offer" and (o.provider_id, o.provider_model_id) == ("deepinfra", pmid)}


@pytest.mark.parametrize(("pmid", "field", "cents_per_token", "usd_per_mtok"), [
    ("meta-llama/Llama-3.2-3B-Instruct", "input_usd_per_mtok", "0.000001", "0.01"),
    ("meta-llama/Llama-3.2-3B-Instruct", "output_usd_per_mtok", "0.000002", "0.02"),
    ("meta-llama/Llama-3.3-70B-Instruct-Turbo", "input_usd_per_mtok", "1.3e-05", "0.13"),
    ("meta-llama/Llama-3.3-70B-Instruct-Turbo", "output_usd_per_mtok", "0.0000395", "0.395"),
    ("Qwen/Qwen2.5-72B-Instruct", "input_usd_per_mtok", "0.0000123456", "0.123456"),
])
def test_cents_per_token_become_exact_dollars_per_million(pmid, field, cents_per_token, usd_per_mtok):
    (obs,) = [o for o in run_case(CASES / "models_list").observations
              if (o.provider_model_id, o.field) == (pmid, field)]
    assert (obs.raw, obs.value) == (cents_per_token, usd_per_mtok)
    assert Decimal(obs.value) == Decimal(cents_per_token) / 100 * 1_000_000


def test_offer_of_the_3b_instruct_model():
    result = run_case(CASES / "models_list")
    assert _offer(result, "meta-llama/Llama-3.2-3B-Instruct") == {
        "input_usd_per_mtok": ("known", "0.01"), "output_usd_per_mtok": ("known", "0.02"),
        "context_window": ("known", "128000"), "quantization": ("known", "bfloat16")}
    assert {o.model_id for o in result.observations if o.provider_model_id == "meta-llama/Llama-3.2-3B-Instruct"} == {
        "meta/llama-3.2-3b-instruct"}


def test_a_turbo_id_names_a_model_of_its_own_unless_an_alias_says_otherwise():
    # "-turbo" names another product (gpt-4-turbo is not gpt-4): never folded by a rule (issue 9)
    (model_id,) = {o.model_id for o in run_case(CASES / "models_list").observations
                   if o.provider_model_id == "meta-llama/Llama-3.3-70B-Instruct-Turbo"}
    assert model_id == "meta/llama-3.3-70b-instruct-turbo"


def test_not_stated_limits_are_not_invented():
    assert "context_window" not in _offer(run_case(CASES / "models_list"), "Qwen/Qwen2.5-72B-Instruct")


def test_other_types_deprecated_time_priced_and_repeated_entries_are_skipped():
    result = run_case(CASES / "models_list")
    skips = [p.message for p in result.problems if p.severity == "skip"]
    assert any("BAAI/bge-m3" in m and "'embeddings'" in m for m in skips)
    assert any("FLUX-1-schnell" in m and "'text-to-image'" in m for m in skips)
    assert any("Meta-Llama-3-70B-Instruct: deprecated" in m and "Llama-3.3-70B" in m for m in skips)
    assert any("Llama-Guard-3-8B-Timed" in m and "'time'" in m for m in skips)
    assert any("listed twice" in m for m in skips)
    # the repeated 3B entry (0.09) does not replace the first one
    assert _offer(result, "meta-llama/Llama-3.2-3B-Instruct")["input_usd_per_mtok"] == ("known", "0.01")
    assert result.items == 3


def test_malformed_values_are_problems_naming_source_url_field_and_text():
    case = CASES / "malformed_values"
    result = run_case(case)
    price = next(p for p in result.problems if "'0.00000l'" in p.message)
    assert (price.source_id, price.url, price.field, price.severity) == (
        SOURCE, load_page(case).url, "input_usd_per_mtok", "error")
    assert "meta-llama/Llama-3.2-3B-Instruct" in price.message
    by_field = {p.field: p.message for p in result.problems if "Meta-Llama-3.1-8B" in p.message}
    assert "cents_per_output_token" in by_field["output_usd_per_mtok"] and "'131072.5'" in by_field["context_window"]
    assert any("Mistral-Small-24B" in p.message and p.field == "input_usd_per_mtok" for p in result.problems)
    assert any("models[3] has no model_name" in p.message for p in result.problems)
    # the readable values of the same entries are kept
    assert _offer(result, "meta-llama/Llama-3.2-3B-Instruct")["output_usd_per_mtok"] == ("known", "0.02")
    assert "input_usd_per_mtok" not in _offer(result, "meta-llama/Llama-3.2-3B-Instruct")


def test_a_changed_layout_makes_the_page_unusable():
    result = run_case(CASES / "layout_changed")
    (problem,) = result.problems
    assert "page unusable" in problem.message and (problem.source_id, problem.url) == (SOURCE, URL)
    assert not result.observations


# --- the recorded crawl (spiders/recorded/PLAN.md: 2026-06-04 only) --------------------------------

RECORDED = Path(__file__).resolve().parents[1] / "spiders" / "recorded"
CRAWL = "20260604T060000Z"
GOLDEN_MODELS = {"meta/llama-3.2-1b-instruct", "meta/llama-3.2-1b", "meta/llama-3.2-3b-instruct", "openai/o3-mini",
                 "openai/o4-mini", "openai/gpt-4.1-mini", "openai/gpt-5.3-codex", "mistral/mixtral-8x22b-instruct-v0.3"}


@lru_cache(maxsize=None)
def recorded() -> ParseResult:
    source = load_sources().get(SOURCE)
    out = ParseResult()
    for page in RawArchive(RECORDED).pages(CRAWL, SOURCE):
        out.extend(parse_page(page, source))
    return out


def test_the_source_is_recorded_only_on_its_plan_date():
    assert sorted(p.parent.parent.name for p in RECORDED.glob(f"*/{SOURCE}/pages.jsonl")) == [CRAWL]


def test_recorded_folder_is_sealed_dated_and_fetched_from_the_start_url():
    assert verify(RECORDED / CRAWL / SOURCE) == []
    (fetch,) = [f for f in RawArchive(RECORDED).fetches(CRAWL) if f.source_id == SOURCE]
    pages = list(RawArchive(RECORDED).pages(CRAWL, SOURCE))
    assert (fetch.status, fetch.errors, fetch.pages) == ("ok", [], len(pages))
    assert [p.url for p in pages] == load_sources().get(SOURCE).start_urls
    assert all(p.status == 200 and p.fetched_at.date().isoformat() == "2026-06-04" for p in pages)


def test_every_recorded_page_parses_without_errors():
    assert not [str(p) for p in recorded().problems if p.severity == "error"]
    assert recorded().items >= 3


def test_recorded_llama_3b_instruct_offer_and_no_other_golden_model():
    assert _offer(recorded(), "meta-llama/Llama-3.2-3B-Instruct") == {
        "input_usd_per_mtok": ("known", "0.01"), "output_usd_per_mtok": ("known", "0.02"),
        "context_window": ("known", "128000"), "quantization": ("known", "bfloat16")}
    golden = {o.model_id for o in recorded().observations} & GOLDEN_MODELS
    assert golden == {"meta/llama-3.2-3b-instruct"}  # NOT the 1B Instruct
    assert {o.provider_id for o in recorded().observations} == {"deepinfra"}
