"""Golden fixture tests of the groq parser (tests/fixtures/parse/groq/, see tests/parse_helpers.py),
and the recorded crawl of the groq source (spiders/recorded/20260604T060000Z/groq/, see PLAN.md)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest

from pipeline.config import load_sources
from pipeline.identity import resolve
from pipeline.models import ParseResult
from pipeline.parse import parse_page
from pipeline.parse.groq import split_name
from pipeline.raw import RawArchive, verify
from tests.parse_helpers import (
    FIXTURES, load_page, run_case,
)

SOURCE = "groq"


# --- the cases, spelled out ----------------------------------------------------------------------

CASES = FIXTURES / SOURCE


def _offer(result: ParseResult, pmid: str) -> dict[str, tuple[str, str | None]]:
    return {o.field: (o.status, o.value) for o in result.observations
            if o.entity == "offer" and (o.provider_id, o.provider_model_id) == ("groq", pmid)}


@pytest.mark.parametrize(("name", "slug", "context"), [
    ("Llama 3.1 8B Instant 128k", "llama-3.1-8b-instant", "128k"),
    ("Llama 4 Scout (17Bx16E) 128k", "llama-4-scout-17b-16e", "128k"),
    ("GPT OSS 120B 128k", "gpt-oss-120b", "128k"),
    ("Qwen3 32B", "qwen3-32b", None),
])
def test_display_names_split_into_slug_and_context(name, slug, context):
    assert split_name(name) == (slug, context)


def test_one_cell_holds_both_prices():
    assert _offer(run_case(CASES / "pricing_page"), "llama-3.1-8b-instant") == {
        "input_usd_per_mtok": ("known", "0.05"), "output_usd_per_mtok": ("known", "0.08"),
        "context_window": ("known", "128000")}
    assert _offer(run_case(CASES / "pricing_page"), "gpt-oss-120b")["cached_input_usd_per_mtok"] == ("known", "0.075")


def test_separate_price_columns_read_the_same_and_ignore_tokens_per_dollar():
    assert _offer(run_case(CASES / "pricing_columns"), "llama-3.3-70b-versatile") == {
        "input_usd_per_mtok": ("known", "0.59"), "output_usd_per_mtok": ("known", "0.79"),
        "context_window": ("known", "128000")}
    assert "1.69" not in {o.value for o in run_case(CASES / "pricing_columns").observations}


def test_speech_tables_are_skipped_with_reasons():
    result = run_case(CASES / "pricing_page")
    skips = [p.message for p in result.problems if p.severity == "skip"]
    assert any("PlayAI" in m for m in skips) and any("Whisper" in m for m in skips)
    assert {"50", "0.111"}.isdisjoint({o.value for o in result.observations})


def test_model_ids_go_through_identity():
    for o in run_case(CASES / "pricing_page").observations:
        assert o.model_id == resolve(o.provider_model_id, "groq").model_id


def test_malformed_price_names_source_url_field_and_text_and_keeps_the_other_price():
    case = CASES / "pricing_malformed_price"
    result = run_case(case)
    problem = next(p for p in result.problems if "$0.O5" in p.message)
    assert (problem.source_id, problem.url, problem.field, problem.severity) == (
        SOURCE, load_page(case).url, "input_usd_per_mtok", "error")
    assert _offer(result, "llama-3.1-8b-instant")["output_usd_per_mtok"] == ("known", "0.08")
    assert "input_usd_per_mtok" not in _offer(result, "llama-3.1-8b-instant")
    assert _offer(result, "llama-3.3-70b-versatile")["input_usd_per_mtok"] == ("unknown", None)  # "—", not zero
    assert "output_usd_per_mtok" not in _offer(result, "qwen3-32b")  # a euro price is refused, never converted


def test_layout_change_makes_the_page_unusable():
    result = run_case(CASES / "pricing_layout_changed")
    (problem,) = result.problems
    assert "page unusable" in problem.message and problem.url == "https://groq.com/pricing"
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


@pytest.mark.parametrize(("pmid", "input_price", "output_price"), [
    ("llama-3.1-8b-instant", "0.05", "0.08"), ("llama-3.3-70b-versatile", "0.59", "0.79"),
    ("llama-4-scout-17b-16e", "0.11", "0.34"), ("gpt-oss-20b", "0.075", "0.3"), ("gpt-oss-120b", "0.15", "0.6"),
    ("qwen3-32b", "0.29", "0.59"),
])
def test_recorded_prices(pmid, input_price, output_price):
    offer = _offer(recorded(), pmid)
    assert (offer["input_usd_per_mtok"], offer["output_usd_per_mtok"]) == (("known", input_price), ("known", output_price))


def test_recorded_offers():
    assert recorded().items == 8
    assert _offer(recorded(), "qwen3-32b")["context_window"] == ("known", "131000")
    assert {o.model_id for o in recorded().observations if o.provider_model_id == "gpt-oss-20b"} == {"openai/gpt-oss-20b"}


def test_recorded_crawl_touches_no_golden_model():
    assert {o.model_id for o in recorded().observations}.isdisjoint(GOLDEN_MODELS)
    assert {o.provider_id for o in recorded().observations} == {"groq"}
