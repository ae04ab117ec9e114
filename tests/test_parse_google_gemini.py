"""Golden fixture tests of the google_gemini parser (tests/fixtures/parse/google-gemini/, see
tests/parse_helpers.py), and the recorded crawl of the google-gemini source
(spiders/recorded/20260604T060000Z/google-gemini/, see PLAN.md)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest

from pipeline.config import load_sources
from pipeline.identity import resolve
from pipeline.models import ParseResult
from pipeline.parse import parse_page
from pipeline.raw import RawArchive, verify
from tests.parse_helpers import (
    FIXTURES, load_page, run_case,
)

SOURCE = "google-gemini"
PROVIDER = "google-gemini"


# --- the cases, spelled out ----------------------------------------------------------------------

CASES = FIXTURES / SOURCE


def _offer(result: ParseResult, code: str, variant: str = "") -> dict[str, tuple[str, str | None]]:
    return {o.field: (o.status, o.value) for o in result.observations
            if o.entity == "offer" and (o.provider_id, o.provider_model_id, o.variant) == (PROVIDER, code, variant)}


def test_prompt_size_tiers_stay_tiers_never_the_base_price():
    pro = _offer(run_case(CASES / "pricing_page"), "gemini-2.5-pro")
    assert pro["input_usd_per_mtok"] == ("known", "1.25") and pro["output_usd_per_mtok"] == ("known", "10")
    assert pro["tier_threshold_tokens"] == ("known", "200000")
    assert pro["input_usd_per_mtok_above_tier"] == ("known", "2.5")
    assert pro["output_usd_per_mtok_above_tier"] == ("known", "15")
    # cached input has no above-tier field: the >200k cache price is skipped, never the base
    assert pro["cached_input_usd_per_mtok"] == ("known", "0.125")
    # an untiered model has no tier fields at all
    assert "tier_threshold_tokens" not in _offer(run_case(CASES / "pricing_page"), "gemini-2.5-flash")


def test_text_price_is_the_base_price_and_audio_and_storage_are_skipped():
    result = run_case(CASES / "pricing_page")
    flash = _offer(result, "gemini-2.5-flash")
    assert flash == {"input_usd_per_mtok": ("known", "0.3"), "output_usd_per_mtok": ("known", "2.5"),
                     "cached_input_usd_per_mtok": ("known", "0.03")}
    skips = [p.message for p in result.problems if p.severity == "skip"]
    assert any("'$1.00 (audio)'" in m for m in skips) and any("storage price" in m for m in skips)


def test_free_tier_is_a_free_variant_of_the_same_offer():
    result = run_case(CASES / "pricing_page")
    assert _offer(result, "gemini-2.5-pro", "free") == {
        "input_usd_per_mtok": ("known", "0"), "output_usd_per_mtok": ("known", "0"),
        "cached_input_usd_per_mtok": ("not_offered", None)}
    assert _offer(result, "gemini-3-pro-preview", "free") == {}  # "Not available": no free tier
    # Gemma: free only, not sold on the paid tier
    assert _offer(result, "gemma-3-27b-it") == {}
    assert _offer(result, "gemma-3-27b-it", "free")["input_usd_per_mtok"] == ("known", "0")


def test_batch_image_and_embedding_prices_are_not_read():
    result = run_case(CASES / "pricing_page")
    values = {o.value for o in result.observations}
    assert "0.625" not in values and "0.04" not in values and "0.15" not in values
    assert not [o for o in result.observations if "embedding" in o.model_id or "imagen" in o.model_id]


def test_model_ids_come_from_the_section_code_through_identity():
    for o in run_case(CASES / "pricing_page").observations:
        assert o.model_id == resolve(o.provider_model_id, PROVIDER).model_id


def test_malformed_price_names_source_url_field_and_text():
    case = CASES / "pricing_malformed_price"
    result = run_case(case)
    problem = next(p for p in result.problems if "$1.2S" in p.message)
    assert (problem.source_id, problem.url, problem.field, problem.severity) == (
        SOURCE, load_page(case).url, "input_usd_per_mtok", "error")
    # nothing of the unreadable cells became a number; the readable cell of the same model did
    pro = _offer(result, "gemini-2.5-pro")
    assert pro == {"cached_input_usd_per_mtok": ("known", "0.125")}
    assert _offer(result, "gemini-2.5-pro", "free")["cached_input_usd_per_mtok"] == ("unknown", None)


def test_layout_change_makes_the_page_unusable():
    result = run_case(CASES / "pricing_layout_changed")
    (problem,) = result.problems
    assert "page unusable" in problem.message and problem.url.endswith("/pricing.md.txt")
    assert not result.observations and result.items == 0


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


def offer(model_id: str, variant: str = "") -> dict[str, str | None]:
    return {o.field: o.value for o in recorded().observations
            if (o.entity, o.model_id, o.variant) == ("offer", model_id, variant)}


def test_the_source_is_recorded_only_on_its_plan_date():
    assert sorted(p.parent.parent.name for p in RECORDED.glob(f"*/{SOURCE}/pages.jsonl")) == [CRAWL]


def test_recorded_folder_is_sealed_dated_and_fetched_from_the_start_urls():
    assert verify(RECORDED / CRAWL / SOURCE) == []
    (fetch,) = [f for f in RawArchive(RECORDED).fetches(CRAWL) if f.source_id == SOURCE]
    pages = list(RawArchive(RECORDED).pages(CRAWL, SOURCE))
    assert (fetch.status, fetch.errors, fetch.pages) == ("ok", [], len(pages))
    assert fetch.started_at.date().isoformat() == "2026-06-04" == fetch.finished_at.date().isoformat()
    assert [p.url for p in pages] == load_sources().get(SOURCE).start_urls
    assert all(p.status == 200 and p.fetched_at.date().isoformat() == "2026-06-04" and len(p.body()) < 30_000
               for p in pages)


def test_every_recorded_page_parses_without_errors():
    source = load_sources().get(SOURCE)
    for page in RawArchive(RECORDED).pages(CRAWL, SOURCE):
        result = parse_page(page, source)
        errors = [str(p) for p in result.problems if p.severity == "error"]
        assert not errors, errors
        assert result.observations and result.items >= 1, page.url


@pytest.mark.parametrize(("model_id", "input_price", "output_price"), [
    ("google/gemini-3-pro-preview", "2", "12"), ("google/gemini-2.5-pro", "1.25", "10"),
    ("google/gemini-2.5-flash", "0.3", "2.5"), ("google/gemini-2.5-flash-lite", "0.1", "0.4"),
    ("google/gemini-2.0-flash", "0.1", "0.4"), ("google/gemini-2.0-flash-lite", "0.075", "0.3"),
])
def test_recorded_prices(model_id, input_price, output_price):
    paid = offer(model_id)
    assert (paid["input_usd_per_mtok"], paid["output_usd_per_mtok"]) == (input_price, output_price)


def test_recorded_tiers_and_free_tier():
    pro = offer("google/gemini-2.5-pro")
    assert (pro["tier_threshold_tokens"], pro["input_usd_per_mtok_above_tier"], pro["output_usd_per_mtok_above_tier"]) \
        == ("200000", "2.5", "15")
    assert offer("google/gemini-3-pro-preview")["input_usd_per_mtok_above_tier"] == "4"
    assert offer("google/gemini-2.5-flash", "free")["input_usd_per_mtok"] == "0"
    assert offer("google/gemini-3-pro-preview", "free") == {}
    lite = [o for o in recorded().observations
            if o.model_id == "google/gemini-2.0-flash-lite" and o.field == "cached_input_usd_per_mtok" and not o.variant]
    assert [(o.status, o.value) for o in lite] == [("not_offered", None)]


def test_recorded_crawl_touches_no_golden_model():
    assert {o.model_id for o in recorded().observations}.isdisjoint(GOLDEN_MODELS)
    assert {o.provider_id for o in recorded().observations} == {PROVIDER}
    assert {o.variant for o in recorded().observations} == {"", "free"}
