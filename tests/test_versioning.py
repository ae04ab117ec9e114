"""Story tests of reconciliation and the versioned load, on hand-made observations (no parsing).

Modelled on dlt's scd2 tests: each step loads a crawl and the story asserts the versions."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from pipeline.reconcile import reconcile
from warehouse.connection import connect
from warehouse.load import apply_versions, insert_rows

M = "meta/llama-3.2-1b-instruct"
SOURCES = [
    # source_id, authority, rank, provider
    ("curated", "override", 0, None),
    ("card", "first_party", 1, None),
    ("cf", "provider", 2, "cloudflare-workers-ai"),
    ("cat", "catalog", 3, "router"),
    ("lab", "independent", 4, None),
]
POLICY = ["override", "first_party", "provider", "catalog", "independent"]


@pytest.fixture()
def con(tmp_path: Path):
    c = connect(tmp_path / "ledger.duckdb")
    insert_rows(c, "sources", [
        {"source_id": s, "name": s, "kind": "catalog", "authority": a, "authority_rank": r, "provider_id": p,
         "provider_name": p} for s, a, r, p in SOURCES])
    insert_rows(c, "policy", [{"entity": "*", "field": "*", "authority": a, "rank": i} for i, a in enumerate(POLICY)])
    # as sources.yaml: independent evaluators first for benchmark scores
    insert_rows(c, "policy", [{"entity": "benchmark", "field": "score", "authority": a, "rank": i}
                              for i, a in enumerate(["override", "independent", "first_party", "provider", "catalog"])])
    yield c
    c.close()


def obs(source: str, field: str, value: str | None, *, entity: str = "model", provider: str = "",
        pmid: str = "", status: str = "known", raw: str | None = None, benchmark: str = "",
        variant: str = "") -> dict:
    return {"source": source, "entity": entity, "model_id": M, "provider_id": provider, "provider_model_id": pmid,
            "variant": variant, "benchmark_id": benchmark, "field": field, "raw": raw or value,
            "value": value if status == "known" else None, "status": status}


def load(con, crawl_id: str, day: int, observations: list[dict], health: dict[str, str] | None = None):
    ts = datetime(2026, 6, day, 6, tzinfo=UTC)
    con.execute("INSERT INTO crawls VALUES (?, ?, 'test', now(), 'r')", [crawl_id, ts])
    health = health or {}
    for source in {o["source"] for o in observations} | set(health):
        h = health.get(source, "ok")
        con.execute("INSERT INTO crawl_sources VALUES (?, ?, 'ok', ?, NULL, 1, 1, 1, 0, 0)", [crawl_id, source, h])
    insert_rows(con, "observations", [
        {"crawl_id": crawl_id, "source_id": o["source"], "url": f"https://{o['source']}.example/",
         **{k: v for k, v in o.items() if k != "source"}} for o in observations])
    stats = reconcile(con, crawl_id, ts)
    versions = apply_versions(con, crawl_id, ts)
    return stats, versions


def current_model(con, col: str):
    return con.execute(f"SELECT {col} FROM model_versions WHERE model_id = ? AND valid_to IS NULL", [M]).fetchall()


def test_first_party_beats_catalog_and_conflict_is_logged(con):
    load(con, "c1", 1, [obs("card", "context_window", "131072"), obs("cat", "context_window", "262144")])
    assert current_model(con, "context_window") == [(131072,)]
    rows = con.execute("SELECT field, chosen_value, chosen_source, rule FROM conflict_log").fetchall()
    assert rows == [("context_window", "131072", "card", "authority: first_party, then precision, agreement, newest")]
    assert con.execute("SELECT severity FROM conflict_log").fetchall() == [("major",)]


def test_unknown_never_beats_known(con):
    load(con, "c1", 1, [obs("card", "license", None, status="unknown"), obs("cat", "license", "MIT")])
    assert current_model(con, "license") == [("MIT",)]
    assert con.execute("SELECT count(*) FROM conflict_log").fetchone() == (0,)


def test_equal_values_are_not_conflicts(con):
    load(con, "c1", 1, [obs("card", "release_date", "2024-09-25"), obs("cat", "release_date", "2024-09-25")])
    assert con.execute("SELECT count(*) FROM conflict_log").fetchone() == (0,)


def test_provider_page_wins_for_its_own_offer(con):
    offer = {"entity": "offer", "provider": "cloudflare-workers-ai", "pmid": "@cf/x"}
    load(con, "c1", 1, [obs("cf", "input_usd_per_mtok", "0.027", **offer),
                        obs("cat", "input_usd_per_mtok", "0.03", **offer)])
    price = con.execute("SELECT input_usd_per_mtok FROM offer_versions WHERE valid_to IS NULL").fetchall()
    assert price == [(Decimal("0.027"),)]
    assert con.execute("SELECT severity FROM conflict_log").fetchall() == [("minor",)]  # 0.027 shows as $0.03


def test_same_crawl_twice_adds_no_version_and_change_opens_one(con):
    load(con, "c1", 1, [obs("card", "context_window", "131072")])
    _, v2 = load(con, "c2", 2, [obs("card", "context_window", "131072")])
    assert (v2.models_opened, v2.models_closed) == (0, 0)
    _, v3 = load(con, "c3", 3, [obs("card", "context_window", "262144")])
    assert (v3.models_opened, v3.models_closed) == (1, 1)
    history = con.execute("""SELECT context_window, opened_by, closed_by FROM model_versions
                             ORDER BY valid_from""").fetchall()
    assert history == [(131072, "c1", "c3"), (262144, "c3", None)]


def test_failed_source_keeps_its_last_good_claims(con):
    offer = {"entity": "offer", "provider": "cloudflare-workers-ai", "pmid": "@cf/x"}
    load(con, "c1", 1, [obs("cf", "input_usd_per_mtok", "0.027", **offer)])
    # c2: the source failed; whatever it "said" must not count, and nothing is retired.
    _, v = load(con, "c2", 2, [obs("cf", "input_usd_per_mtok", "9.99", **offer)], health={"cf": "failed"})
    assert (v.offers_opened, v.offers_closed) == (0, 0)
    assert con.execute("SELECT input_usd_per_mtok FROM offer_versions WHERE valid_to IS NULL").fetchall() == [
        (Decimal("0.027"),)]


def test_partial_source_updates_but_retires_nothing(con):
    a = {"entity": "offer", "provider": "cloudflare-workers-ai", "pmid": "@cf/a"}
    b = {"entity": "offer", "provider": "cloudflare-workers-ai", "pmid": "@cf/a-fp8", "variant": "fp8"}
    load(con, "c1", 1, [obs("cf", "input_usd_per_mtok", "1", **a), obs("cf", "input_usd_per_mtok", "2", **b)])
    # c2 is partial and lists only a, with a new price: a moves, b stays.
    load(con, "c2", 2, [obs("cf", "input_usd_per_mtok", "1.5", **a)], health={"cf": "partial"})
    rows = con.execute("""SELECT provider_model_id, input_usd_per_mtok FROM offer_versions WHERE valid_to IS NULL
                          ORDER BY 1""").fetchall()
    assert rows == [("@cf/a", Decimal("1.5")), ("@cf/a-fp8", Decimal("2"))]


def test_healthy_crawl_without_the_offer_retires_it(con):
    a = {"entity": "offer", "provider": "cloudflare-workers-ai", "pmid": "@cf/a"}
    b = {"entity": "offer", "provider": "cloudflare-workers-ai", "pmid": "@cf/a-fp8", "variant": "fp8"}
    load(con, "c1", 1, [obs("cf", "input_usd_per_mtok", "1", **a), obs("cf", "input_usd_per_mtok", "2", **b)])
    _, v = load(con, "c2", 2, [obs("cf", "input_usd_per_mtok", "1", **a)])
    assert v.offers_closed == 1
    assert con.execute("SELECT variant FROM offer_versions WHERE closed_by = 'c2'").fetchall() == [("fp8",)]


def test_claims_about_one_route_under_different_ids_are_one_offer_and_the_own_page_wins(con):
    # Cloudflare's own page and a catalog's report of the same route (OpenRouter names it by its own
    # id, or states none): one offer (model, provider, variant); the provider's page wins, and the
    # catalog's other price is a conflict row, not a second Cloudflare offer.
    load(con, "c1", 1, [obs("cf", "input_usd_per_mtok", "0.027", entity="offer", provider="cloudflare-workers-ai",
                            pmid="@cf/meta/llama-3.2-1b-instruct"),
                        obs("cat", "input_usd_per_mtok", "0.05", entity="offer", provider="cloudflare-workers-ai",
                            pmid="meta-llama/llama-3.2-1b-instruct")])
    rows = con.execute("SELECT provider_model_id, input_usd_per_mtok FROM offer_versions WHERE valid_to IS NULL").fetchall()
    assert rows == [("@cf/meta/llama-3.2-1b-instruct", Decimal("0.027"))]
    conflicts = con.execute("SELECT field, chosen_value, chosen_source, severity FROM conflict_log ORDER BY field").fetchall()
    assert conflicts == [("input_usd_per_mtok", "0.027", "cf", "major"),
                         ("provider_model_id", "@cf/meta/llama-3.2-1b-instruct", "cf", "major")]


def test_a_source_that_disagrees_with_itself_is_a_conflict(con):
    load(con, "c1", 1, [obs("cat", "release_date", "2024-09-25"), obs("cat", "release_date", "2024-09-18")])
    (row,) = con.execute("SELECT field, chosen_source, severity, claims FROM conflict_log").fetchall()
    assert row[:3] == ("release_date", "cat", "major")
    assert sorted(c["value"] for c in __import__("json").loads(row[3])) == ["2024-09-18", "2024-09-25"]


def test_model_limits_the_largest_claim_of_equal_authority_and_a_smaller_one_is_no_conflict(con):
    # catalogs report providers' serving limits: 60,000 at one route, 131,072 natively
    load(con, "c1", 1, [obs("cat", "context_window", "60000"), obs("cat", "context_window", "131072"),
                        obs("cat", "max_output_tokens", "4096")])
    assert current_model(con, "context_window, max_output_tokens") == [(131072, 4096)]
    assert con.execute("SELECT count(*) FROM conflict_log").fetchone() == (0,)


def test_a_limit_many_entries_state_beats_a_larger_one_a_single_entry_states(con):
    # models.dev: 17 resellers list o3-mini's output as 100,000, one as 131,072
    load(con, "c1", 1, [*(obs("cat", "max_output_tokens", "100000") for _ in range(3)),
                        obs("cat", "max_output_tokens", "131072")])
    assert current_model(con, "max_output_tokens") == [(100000,)]
    (row,) = con.execute("SELECT chosen_value, severity FROM conflict_log").fetchall()
    assert row == ("100000", "major")


def test_the_creators_page_outranks_a_larger_catalog_limit_which_is_then_a_conflict(con):
    load(con, "c1", 1, [obs("card", "context_window", "128000", raw="128,000"), obs("cat", "context_window", "200000")])
    assert current_model(con, "context_window") == [(128000,)]
    assert con.execute("SELECT chosen_source, severity FROM conflict_log").fetchall() == [("card", "major")]


def test_asof_macros_rebuild_past_states(con):
    load(con, "c1", 1, [obs("card", "context_window", "131072")])
    load(con, "c3", 3, [obs("card", "context_window", "262144")])
    assert con.execute("SELECT context_window, last_reviewed::VARCHAR FROM models_asof('2026-06-02')").fetchall() == [
        (131072, "2026-06-01")]
    assert con.execute("SELECT context_window FROM models_asof('2026-06-03')").fetchall() == [(262144,)]
    assert con.execute("SELECT count(*) FROM models_asof('2026-05-31')").fetchone() == (0,)


OFFER = {"entity": "offer", "provider": "cloudflare-workers-ai", "pmid": "@cf/x"}


def offer_price(con, col: str = "output_usd_per_mtok"):
    return con.execute(f"SELECT {col} FROM offer_versions WHERE valid_to IS NULL").fetchall()


def test_display_rounding_is_a_minor_conflict_won_by_the_precise_authoritative_value(con):
    load(con, "c1", 1, [obs("cf", "output_usd_per_mtok", "0.201", **OFFER),
                        obs("cat", "output_usd_per_mtok", "0.2", **OFFER)])
    assert offer_price(con) == [(Decimal("0.201"),)]
    assert con.execute("SELECT chosen_value, severity FROM conflict_log").fetchall() == [("0.201", "minor")]


def test_within_one_authority_the_exact_count_beats_the_label(con):
    # one source states both: its card text "128k" and its config's 131072
    load(con, "c1", 1, [obs("card", "context_window", "128000", raw="128k"), obs("card", "context_window", "131072")])
    assert current_model(con, "context_window") == [(131072,)]


def test_partial_dates_that_agree_are_minor_and_authority_still_wins(con):
    load(con, "c1", 1, [obs("card", "knowledge_cutoff", "2023-12", raw="December 2023"),
                        obs("cat", "knowledge_cutoff", "2023-12-31")])
    assert current_model(con, "knowledge_cutoff") == [("2023-12",)]
    assert con.execute("SELECT severity FROM conflict_log").fetchall() == [("minor",)]


def test_a_price_moving_more_than_tenfold_is_held_for_review(con):
    load(con, "c1", 1, [obs("cf", "output_usd_per_mtok", "0.201", **OFFER)])
    _, v = load(con, "c2", 2, [obs("cf", "output_usd_per_mtok", "20.1", **OFFER)])
    assert (v.offers_opened, v.offers_closed) == (0, 0)  # the previous value stays published
    assert offer_price(con) == [(Decimal("0.201"),)]
    held = con.execute("SELECT chosen_value, severity, rule, claims::VARCHAR FROM conflict_log").fetchall()
    assert len(held) == 1 and held[0][:2] == ("0.201", "held") and "10x" in held[0][2] and "20.1" in held[0][3]
    # a move within 10x is published
    load(con, "c3", 3, [obs("cf", "output_usd_per_mtok", "1.5", **OFFER)])
    assert offer_price(con) == [(Decimal("1.5"),)]


def test_a_shrinking_limit_is_held(con):
    load(con, "c1", 1, [obs("card", "context_window", "131072")])
    load(con, "c2", 2, [obs("card", "context_window", "60000")])
    assert current_model(con, "context_window") == [(131072,)]
    assert con.execute("SELECT severity FROM conflict_log WHERE crawl_id = 'c2'").fetchall() == [("held",)]
    load(con, "c3", 3, [obs("card", "context_window", "262144")])  # growth is published
    assert current_model(con, "context_window") == [(262144,)]


def test_curated_override_wins_is_reported_and_is_never_held(con):
    load(con, "c1", 1, [obs("card", "context_window", "131072")])
    con.execute("""INSERT INTO overrides VALUES ('curated', 'model', ?, '', '', '', '', 'context_window', '8192',
                   'reviewed: the served window is 8K', 'https://example.org/review', DATE '2026-06-01')""", [M])
    load(con, "c2", 2, [obs("card", "context_window", "131072")])
    assert current_model(con, "context_window") == [(8192,)]
    prov = con.execute("SELECT provenance->'context_window'->>'rule', provenance->'context_window'->>'source_id' "
                       "FROM model_versions WHERE valid_to IS NULL").fetchall()
    assert prov == [("authority: override, then precision, agreement, newest", "curated")]


def test_overrides_apply_from_their_review_date(con):
    con.execute("""INSERT INTO overrides VALUES ('curated', 'model', ?, '', '', '', '', 'license', 'MIT',
                   'reviewed license text', 'https://example.org/license', DATE '2026-06-03')""", [M])
    load(con, "c1", 1, [obs("card", "license", "Apache 2.0")])
    assert current_model(con, "license") == [("Apache 2.0",)]
    load(con, "c3", 3, [obs("card", "license", "Apache 2.0")])
    assert current_model(con, "license") == [("MIT",)]


def test_benchmark_scores_follow_their_own_policy(con):
    b = {"entity": "benchmark", "benchmark": "gpqa"}
    load(con, "c1", 1, [obs("card", "score", "27.2", **b), obs("lab", "score", "25.6", **b)])
    assert con.execute("SELECT score FROM benchmark_versions WHERE valid_to IS NULL").fetchall() == [(Decimal("25.6"),)]
    # while for a model field the default order puts the creator first
    load(con, "c2", 2, [obs("card", "license", "MIT"), obs("lab", "license", "Apache 2.0")])
    assert current_model(con, "license") == [("MIT",)]


def test_hashes_from_another_duckdb_version_are_recomputed_not_turned_into_versions(con):
    from pipeline.reconcile import HASH_TAG

    offer = [obs("cf", "input_usd_per_mtok", "0.027", entity="offer", provider="cloudflare-workers-ai", pmid="@cf/x"),
             obs("card", "context_window", "131072"),
             obs("lab", "score", "20.0", entity="benchmark", benchmark="mmlu-pro")]
    _, v1 = load(con, "c1", 1, offer)
    assert (v1.models_opened, v1.offers_opened, v1.benchmarks_opened) == (1, 1, 1)
    # As if an older DuckDB had computed them: hash() is only stable within one version.
    for table in ("model_versions", "offer_versions", "benchmark_versions"):
        con.execute(f"UPDATE {table} SET row_hash = 'duckdb-0.0.1:' || row_hash")
    _, v2 = load(con, "c2", 2, offer)
    assert (v2.models_opened, v2.models_closed, v2.offers_opened, v2.offers_closed,
            v2.benchmarks_opened, v2.benchmarks_closed) == (0, 0, 0, 0, 0, 0)
    tags = con.execute("""SELECT DISTINCT split_part(row_hash, ':', 1) || ':' FROM (
        SELECT row_hash FROM model_versions UNION ALL SELECT row_hash FROM offer_versions
        UNION ALL SELECT row_hash FROM benchmark_versions)""").fetchall()
    assert tags == [(HASH_TAG,)]


def test_an_unreadable_value_in_a_healthy_crawl_keeps_the_sources_last_readable_claim(con):
    offer = {"entity": "offer", "provider": "cloudflare-workers-ai", "pmid": "@cf/x"}
    load(con, "c1", 1, [obs("cat", "input_usd_per_mtok", "0.027", **offer), obs("cat", "output_usd_per_mtok", "0.2", **offer)])
    # c2 is healthy (one bad cell among many items) but its input price reads "N/A": a problem
    con.execute("""INSERT INTO problems (crawl_id, source_id, url, field, severity, message, entity, model_id,
                                         provider_id, variant)
                   VALUES ('c2', 'cat', 'https://cat.example/', 'input_usd_per_mtok', 'error',
                           'cannot read input_usd_per_mtok from ''N/A''', 'offer', ?, 'cloudflare-workers-ai', '')""", [M])
    _, v = load(con, "c2", 2, [obs("cat", "output_usd_per_mtok", "0.2", **offer)])
    assert (v.offers_opened, v.offers_closed) == (0, 0)  # nothing moved: the last readable price stands
    assert con.execute("SELECT input_usd_per_mtok FROM offer_versions WHERE valid_to IS NULL").fetchall() == [
        (Decimal("0.027"),)]
    # once the source reads it again, the new value wins
    load(con, "c3", 3, [obs("cat", "input_usd_per_mtok", "0.03", **offer), obs("cat", "output_usd_per_mtok", "0.2", **offer)])
    assert con.execute("SELECT input_usd_per_mtok FROM offer_versions WHERE valid_to IS NULL").fetchall() == [
        (Decimal("0.03"),)]


def test_a_model_fact_most_entries_agree_on_beats_a_resellers_listing_date(con):
    # models.dev lists a model once per reseller; some give the day they listed it as its release date
    load(con, "c1", 1, [obs("cat", "release_date", "2025-04-03"),
                        *(obs("cat", "release_date", "2024-09-25") for _ in range(3)),
                        obs("card", "license", "Llama 3.2 Community License")])
    assert current_model(con, "release_date") == [(__import__("datetime").date(2024, 9, 25),)]
