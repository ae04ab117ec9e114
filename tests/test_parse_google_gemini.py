"""Golden fixture tests of the google_gemini parser (tests/fixtures/parse/google-gemini/, see
tests/parse_helpers.py), and the recorded crawl of the google-gemini source
(spiders/recorded/20260604T060000Z/google-gemini/, see PLAN.md)."""
from __future__ import annotations

import pytest

from pipeline.identity import resolve
from tests.parse_helpers import (
    FIXTURES,
    GOLDEN_MODELS,
    load_page,
    offer_facts,
    parse_real,
    recorded,
    run_case,
)

SOURCE = "google-gemini"
PROVIDER = "google-gemini"


# --- the cases, spelled out ----------------------------------------------------------------------

CASES = FIXTURES / SOURCE
REAL_URL = "https://ai.google.dev/gemini-api/docs/pricing.md.txt"


def test_prompt_size_tiers_stay_tiers_never_the_base_price():
    pro = offer_facts(run_case(CASES / "pricing_page"), PROVIDER, "gemini-2.5-pro")
    assert pro["input_usd_per_mtok"] == ("known", "1.25") and pro["output_usd_per_mtok"] == ("known", "10")
    assert pro["tier_threshold_tokens"] == ("known", "200000")
    assert pro["input_usd_per_mtok_above_tier"] == ("known", "2.5")
    assert pro["output_usd_per_mtok_above_tier"] == ("known", "15")
    # cached input has no above-tier field: the >200k cache price is skipped, never the base
    assert pro["cached_input_usd_per_mtok"] == ("known", "0.125")
    # an untiered model has no tier fields at all
    assert "tier_threshold_tokens" not in offer_facts(run_case(CASES / "pricing_page"), PROVIDER, "gemini-2.5-flash")


def test_batch_flex_and_priority_tables_are_variants_matched_to_the_tab_row():
    result = run_case(CASES / "pricing_page")
    prices = {v: (offer_facts(result, PROVIDER, "gemini-2.5-pro", v)["input_usd_per_mtok"][1],
                  offer_facts(result, PROVIDER, "gemini-2.5-pro", v)["output_usd_per_mtok_above_tier"][1])
              for v in ("", "batch", "flex", "priority")}
    assert prices == {"": ("1.25", "15"), "batch": ("0.625", "7.5"), "flex": ("0.625", "7.5"),
                      "priority": ("2.25", "27")}
    # a row of two tabs with two tables: Standard and Batch, nothing else
    assert {o.variant for o in result.observations if o.provider_model_id == "gemini-2.5-flash"} == {
        "", "free", "batch"}
    # "### Batch" headings (the .md.txt form) name the tier just as well; "Same as Standard" is a note
    batch = offer_facts(result, PROVIDER, "gemini-3-pro-preview", "batch")
    assert (batch["input_usd_per_mtok"], batch["cached_input_usd_per_mtok"]) == (("known", "1"), ("known", "0.2"))


def test_text_price_is_the_base_price_and_audio_image_and_storage_are_skipped():
    result = run_case(CASES / "pricing_page")
    flash = offer_facts(result, PROVIDER, "gemini-2.5-flash")
    assert flash == {"input_usd_per_mtok": ("known", "0.3"), "output_usd_per_mtok": ("known", "2.5"),
                     "cached_input_usd_per_mtok": ("known", "0.03")}
    live = offer_facts(result, PROVIDER, "gemini-3-flash-live-preview")
    assert (live["input_usd_per_mtok"], live["output_usd_per_mtok"]) == (("known", "0.6"), ("known", "4"))
    image = offer_facts(result, PROVIDER, "gemini-2.5-flash-image")
    assert image["output_usd_per_mtok"] == ("known", "2.5")  # "(text and thinking)", not the per-image price
    skips = [p.message for p in result.problems if p.severity == "skip"]
    assert any("'$1.00 (audio)' (audio only)" in m for m in skips)
    assert any("'$2.50 or $0.004/min (audio)' (audio only)" in m for m in skips)
    assert any("'$0.039 per image' (a price per image)" in m for m in skips)
    assert any("(cache storage)" in m for m in skips)


def test_free_tier_is_a_free_variant_of_the_same_offer():
    result = run_case(CASES / "pricing_page")
    assert offer_facts(result, PROVIDER, "gemini-2.5-pro", "free") == {
        "input_usd_per_mtok": ("known", "0"), "output_usd_per_mtok": ("known", "0"),
        "cached_input_usd_per_mtok": ("not_offered", None)}
    assert offer_facts(result, PROVIDER, "gemini-3-pro-preview", "free") == {}  # "Not available": no free tier
    # Gemma: free only, not sold on the paid tier
    assert offer_facts(result, PROVIDER, "gemma-3-27b-it") == {}
    assert offer_facts(result, PROVIDER, "gemma-3-27b-it", "free")["input_usd_per_mtok"] == ("known", "0")


def test_a_section_naming_several_codes_gives_each_its_offers():
    result = run_case(CASES / "pricing_page")
    assert offer_facts(result, PROVIDER, "gemini-3-pro-preview") == offer_facts(result, PROVIDER, "gemini-3-pro-preview-customtools")
    assert offer_facts(result, PROVIDER, "gemini-3-pro-preview-customtools")["input_usd_per_mtok"] == ("known", "2")


def test_image_embedding_and_codeless_sections_are_skipped_with_reasons():
    result = run_case(CASES / "pricing_page")
    assert not [o for o in result.observations if "embedding" in o.model_id or "imagen" in o.model_id]
    skips = [p.message for p in result.problems if p.severity == "skip"]
    assert any(m.startswith("Gemma 4: the section names no model code") for m in skips)
    assert any(m.startswith("Imagen 4: prices no input / output tokens") for m in skips)


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
    pro = offer_facts(result, PROVIDER, "gemini-2.5-pro")
    assert pro == {"cached_input_usd_per_mtok": ("known", "0.125")}
    assert offer_facts(result, PROVIDER, "gemini-2.5-pro", "free")["cached_input_usd_per_mtok"] == ("unknown", None)


def test_tables_that_cannot_be_matched_to_their_tiers_are_loud_errors():
    result = run_case(CASES / "pricing_malformed_price")
    errors = [p.message for p in result.problems if p.severity == "error"]
    # three tabs over two tables; two tables with neither labels nor tabs; a Batch table without output
    assert any(m.startswith("Gemini 2.5 Flash-Lite: cannot tell which service tier") for m in errors)
    assert any(m.startswith("Gemini 2.0 Flash: cannot tell which service tier") for m in errors)
    assert "Gemini 2.5 Flash Preview (Batch): no output_usd_per_mtok row: not read" in errors
    assert not [o for o in result.observations if o.provider_model_id in ("gemini-2.5-flash-lite", "gemini-2.0-flash")]
    assert not offer_facts(result, PROVIDER, "gemini-2.5-flash-preview-05-20", "batch")


def test_layout_change_makes_the_page_unusable():
    result = run_case(CASES / "pricing_layout_changed")
    (problem,) = result.problems
    assert "page unusable" in problem.message and problem.url.endswith("/pricing.md.txt")
    assert not result.observations and result.items == 0


# --- the real copy (../shared/real/pages/google-gemini/, a browser rendering of the page) ---------

def test_real_pricing_page_reads_every_text_model_with_its_tiers():
    result = parse_real(SOURCE, "pricing-rendered-2026-06-02.md", REAL_URL, "text/markdown; charset=utf-8")
    assert [str(p) for p in result.problems if p.severity == "error"] == []
    pro = {v: offer_facts(result, PROVIDER, "gemini-2.5-pro", v) for v in ("", "batch", "flex", "priority", "free")}
    assert {f: v for f, (_, v) in pro[""].items()} == {
        "input_usd_per_mtok": "1.25", "output_usd_per_mtok": "10", "tier_threshold_tokens": "200000",
        "input_usd_per_mtok_above_tier": "2.5", "output_usd_per_mtok_above_tier": "15",
        "cached_input_usd_per_mtok": "0.125"}
    assert [(pro[v]["input_usd_per_mtok"][1], pro[v]["output_usd_per_mtok"][1],
             pro[v]["input_usd_per_mtok_above_tier"][1], pro[v]["output_usd_per_mtok_above_tier"][1])
            for v in ("batch", "flex", "priority")] == [
        ("0.625", "5", "1.25", "7.5"), ("0.625", "5", "1.25", "7.5"), ("2.25", "18", "4.5", "27")]
    assert pro["free"]["input_usd_per_mtok"] == ("known", "0")
    # "$0.30 (text / image / video) $1.00 (audio)": the text price; "$0.75 (text) $3.00 or $0.005/min (audio)"
    assert offer_facts(result, PROVIDER, "gemini-2.5-flash")["input_usd_per_mtok"] == ("known", "0.3")
    assert offer_facts(result, PROVIDER, "gemini-3.1-flash-live-preview")["input_usd_per_mtok"] == ("known", "0.75")
    # a section of four tabs showing one table: its Standard prices, the other tabs named as skipped
    assert offer_facts(result, PROVIDER, "gemini-3.6-flash")["output_usd_per_mtok"] == ("known", "7.5")
    assert not offer_facts(result, PROVIDER, "gemini-3.6-flash", "batch")
    # 22 model codes priced per token (two codes in one section): 75 offers, free and tiers included
    assert len({o.provider_model_id for o in result.observations}) == 22
    assert result.items == 75


# --- the recorded crawl (spiders/recorded/PLAN.md: 2026-06-04 only; tests/test_parse_recorded.py) -----

@pytest.mark.parametrize(("model_id", "input_price", "output_price"), [
    ("google/gemini-3-pro-preview", "2", "12"), ("google/gemini-2.5-pro", "1.25", "10"),
    ("google/gemini-2.5-flash", "0.3", "2.5"), ("google/gemini-2.5-flash-lite", "0.1", "0.4"),
    ("google/gemini-2.0-flash", "0.1", "0.4"), ("google/gemini-2.0-flash-lite", "0.075", "0.3"),
])
def test_recorded_prices(model_id, input_price, output_price):
    code = model_id.removeprefix("google/")  # the section's model code, through identity, one to one
    assert {o.model_id for o in recorded(SOURCE).observations if o.provider_model_id == code} == {model_id}
    assert {o.provider_model_id for o in recorded(SOURCE).observations if o.model_id == model_id} == {code}
    offer = offer_facts(recorded(SOURCE), PROVIDER, code)
    assert (offer["input_usd_per_mtok"], offer["output_usd_per_mtok"]) == (("known", input_price), ("known", output_price))


def test_recorded_tiers_and_free_tier():
    pro = offer_facts(recorded(SOURCE), PROVIDER, "gemini-2.5-pro")
    assert (pro["tier_threshold_tokens"], pro["input_usd_per_mtok_above_tier"], pro["output_usd_per_mtok_above_tier"]) \
        == (("known", "200000"), ("known", "2.5"), ("known", "15"))
    assert offer_facts(recorded(SOURCE), PROVIDER, "gemini-3-pro-preview")["input_usd_per_mtok_above_tier"] == ("known", "4")
    assert offer_facts(recorded(SOURCE), PROVIDER, "gemini-2.5-flash", "free")["input_usd_per_mtok"] == ("known", "0")
    assert offer_facts(recorded(SOURCE), PROVIDER, "gemini-3-pro-preview", "free") == {}
    lite = [o for o in recorded(SOURCE).observations
            if o.model_id == "google/gemini-2.0-flash-lite" and o.field == "cached_input_usd_per_mtok" and not o.variant]
    assert [(o.status, o.value) for o in lite] == [("not_offered", None)]


def test_recorded_crawl_touches_no_golden_model():
    assert {o.model_id for o in recorded(SOURCE).observations}.isdisjoint(GOLDEN_MODELS)
    assert {o.provider_id for o in recorded(SOURCE).observations} == {PROVIDER}
    assert {o.variant for o in recorded(SOURCE).observations} == {"", "free", "batch"}


def test_recorded_batch_tables_are_batch_variants():
    batch = offer_facts(recorded(SOURCE), PROVIDER, "gemini-2.5-pro", "batch")
    assert (batch["input_usd_per_mtok"], batch["output_usd_per_mtok"], batch["input_usd_per_mtok_above_tier"]) == (
        ("known", "0.625"), ("known", "5"), ("known", "1.25"))
    assert not offer_facts(recorded(SOURCE), PROVIDER, "gemini-2.0-flash", "batch")
