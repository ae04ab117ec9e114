"""Golden fixture tests of the groq parser (tests/fixtures/parse/groq/, see tests/parse_helpers.py),
the recorded crawl of the groq source (spiders/recorded/20260604T060000Z/groq/, see PLAN.md), and a
drift check against ../shared/real/pages/groq/transcription-2025-07-19.md (someone's markdown
transcription of groq.com/pricing's tables: the model list and prices, not the page's layout)."""
from __future__ import annotations

import re

import pytest

from pipeline.identity import resolve
from pipeline.parse.collect import price
from pipeline.parse.groq import split_name
from pipeline.parse.markdown import clean, tables
from tests.parse_helpers import (
    FIXTURES,
    GOLDEN_MODELS,
    REAL_PAGES,
    load_page,
    offer_facts,
    recorded,
    run_case,
)

SOURCE = PROVIDER = "groq"


# --- the cases, spelled out ----------------------------------------------------------------------

CASES = FIXTURES / SOURCE


@pytest.mark.parametrize(("name", "slug", "context"), [
    ("Llama 3.1 8B Instant 128k", "llama-3.1-8b-instant", "128k"),
    ("Llama 4 Scout (17Bx16E) 128k", "llama-4-scout-17b-16e", "128k"),
    ("GPT OSS 120B 128k", "gpt-oss-120b", "128k"),
    ("Qwen3 32B", "qwen3-32b", None),
])
def test_display_names_split_into_slug_and_context(name, slug, context):
    assert split_name(name) == (slug, context)


def test_one_cell_holds_both_prices():
    assert offer_facts(run_case(CASES / "pricing_combined"), PROVIDER, "llama-3.1-8b-instant") == {
        "input_usd_per_mtok": ("known", "0.05"), "output_usd_per_mtok": ("known", "0.08"),
        "context_window": ("known", "128000")}
    assert offer_facts(run_case(CASES / "pricing_combined"), PROVIDER, "gpt-oss-120b")["cached_input_usd_per_mtok"] == ("known", "0.075")


def test_separate_price_columns_read_the_same_and_ignore_tokens_per_dollar():
    assert offer_facts(run_case(CASES / "pricing_page"), PROVIDER, "llama-3.3-70b-versatile") == {
        "input_usd_per_mtok": ("known", "0.59"), "output_usd_per_mtok": ("known", "0.79"),
        "context_window": ("known", "128000")}
    assert offer_facts(run_case(CASES / "pricing_page"), PROVIDER, "kimi-k2-1t")["input_usd_per_mtok"] == ("known", "1")  # "$1.00"
    assert "1.69" not in {o.value for o in run_case(CASES / "pricing_page").observations}


@pytest.mark.parametrize("case", ["pricing_page", "pricing_combined"])
def test_speech_tables_are_skipped_with_reasons(case):
    result = run_case(CASES / case)
    skips = [p.message for p in result.problems if p.severity == "skip"]
    assert any("PlayAI" in m for m in skips) and any("Whisper" in m for m in skips)
    assert {"50", "0.111"}.isdisjoint({o.value for o in result.observations})


@pytest.mark.parametrize("case", ["pricing_page", "pricing_combined"])
def test_model_ids_go_through_identity(case):
    for o in run_case(CASES / case).observations:
        assert o.model_id == resolve(o.provider_model_id, PROVIDER).model_id


@pytest.mark.parametrize(("pmid", "model_id"), [
    # Groq serves the instruct weights under family-and-size names (warehouse/curated/aliases.yaml)
    ("llama-3-70b", "meta/llama-3-70b-instruct"), ("llama-3-8b", "meta/llama-3-8b-instruct"),
    ("gemma-2-9b", "google/gemma-2-9b-it"), ("kimi-k2-1t", "moonshotai/kimi-k2-instruct"),
])
def test_chat_models_named_by_size_are_the_instruct_models(pmid, model_id):
    assert {o.model_id for o in run_case(CASES / "pricing_page").observations if o.provider_model_id == pmid} == {model_id}


def test_malformed_price_names_source_url_field_and_text_and_keeps_the_other_price():
    case = CASES / "pricing_malformed_price"
    result = run_case(case)
    problem = next(p for p in result.problems if "$0.O5" in p.message)
    assert (problem.source_id, problem.url, problem.field, problem.severity) == (
        SOURCE, load_page(case).url, "input_usd_per_mtok", "error")
    assert offer_facts(result, PROVIDER, "llama-3.1-8b-instant")["output_usd_per_mtok"] == ("known", "0.08")
    assert "input_usd_per_mtok" not in offer_facts(result, PROVIDER, "llama-3.1-8b-instant")
    assert offer_facts(result, PROVIDER, "llama-3.3-70b-versatile")["input_usd_per_mtok"] == ("unknown", None)  # "—", not zero
    assert "output_usd_per_mtok" not in offer_facts(result, PROVIDER, "qwen3-32b")  # a euro price is refused, never converted


def test_layout_change_makes_the_page_unusable():
    result = run_case(CASES / "pricing_layout_changed")
    (problem,) = result.problems
    assert "page unusable" in problem.message and problem.url == "https://groq.com/pricing"
    assert not result.observations


# --- the recorded crawl (spiders/recorded/PLAN.md: 2026-06-04 only; tests/test_parse_recorded.py) -----

@pytest.mark.parametrize(("pmid", "input_price", "output_price"), [
    ("llama-3.1-8b-instant", "0.05", "0.08"), ("llama-3.3-70b-versatile", "0.59", "0.79"),
    ("llama-4-scout-17b-16e", "0.11", "0.34"), ("gpt-oss-20b", "0.075", "0.3"), ("gpt-oss-120b", "0.15", "0.6"),
    ("qwen3-32b", "0.29", "0.59"),
])
def test_recorded_prices(pmid, input_price, output_price):
    offer = offer_facts(recorded(SOURCE), PROVIDER, pmid)
    assert (offer["input_usd_per_mtok"], offer["output_usd_per_mtok"]) == (("known", input_price), ("known", output_price))


def test_recorded_offers():
    assert recorded(SOURCE).items == 8
    assert offer_facts(recorded(SOURCE), PROVIDER, "qwen3-32b")["context_window"] == ("known", "131000")
    assert {o.model_id for o in recorded(SOURCE).observations if o.provider_model_id == "gpt-oss-20b"} == {"openai/gpt-oss-20b"}


def test_recorded_crawl_touches_no_golden_model():
    assert {o.model_id for o in recorded(SOURCE).observations}.isdisjoint(GOLDEN_MODELS)
    assert {o.provider_id for o in recorded(SOURCE).observations} == {"groq"}


# --- drift: the fixture page against the transcription of groq.com/pricing (2025-07-19) -----------

TRANSCRIPTION = REAL_PAGES / SOURCE / "transcription-2025-07-19.md"


def _dollars(cell: str) -> str:
    """``$0.11 (9.09M / $1)`` -> ``0.11``: the first dollar figure of a transcribed cell."""
    m = re.match(r"\$\s*[\d.,]+", clean(cell))
    assert m is not None, cell
    return price(m.group(0))


def _transcribed() -> list:
    if not TRANSCRIPTION.exists():
        pytest.skip(f"real copy {TRANSCRIPTION} is absent (../shared/real is on the team's machines, not in a clone)")
    return tables(TRANSCRIPTION.read_text())


def test_fixture_page_lists_the_transcribed_models_and_prices():
    (llms,) = [t for t in _transcribed() if "Large Language Models" in t.heading]
    keys = llms.keys
    model, inp, out = keys.index("model"), keys.index("input (per 1m tokens)"), keys.index("output (per 1m tokens)")
    want = {}
    for row in llms.rows:
        pmid, context = split_name(clean(row[model]))
        want[pmid] = {"input_usd_per_mtok": ("known", _dollars(row[inp])),
                      "output_usd_per_mtok": ("known", _dollars(row[out])),
                      "context_window": ("known", str(int(context[:-1]) * 1000))}
    result = run_case(CASES / "pricing_page")
    got = {pmid: offer_facts(result, PROVIDER, pmid) for pmid in {o.provider_model_id for o in result.observations}}
    assert len(want) == 13 and got == want


def test_fixture_page_skips_the_transcribed_non_token_models():
    names = {clean(row[0]) for t in _transcribed() if "Large Language Models" not in t.heading for row in t.rows}
    skipped = {p.message.split(":")[0] for p in run_case(CASES / "pricing_page").problems if p.severity == "skip"}
    assert names == skipped == {"PlayAI Dialog v1.0", "Whisper V3 Large", "Whisper Large v3 Turbo", "Distil-Whisper"}
