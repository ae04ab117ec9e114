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
    ("card", "first_party", 1, None),
    ("cf", "provider", 2, "cloudflare-workers-ai"),
    ("cat", "catalog", 3, "router"),
]


@pytest.fixture()
def con(tmp_path: Path):
    c = connect(tmp_path / "ledger.duckdb")
    insert_rows(c, "sources", [
        {"source_id": s, "name": s, "kind": "catalog", "authority": a, "authority_rank": r, "provider_id": p,
         "provider_name": p} for s, a, r, p in SOURCES])
    insert_rows(c, "policy", [{"entity": "*", "field": "*", "authority": a, "rank": i}
                              for i, a in enumerate(["override", "first_party", "provider", "catalog", "independent"])])
    yield c
    c.close()


def obs(source: str, field: str, value: str | None, *, entity: str = "model", provider: str = "",
        pmid: str = "", status: str = "known") -> dict:
    return {"source": source, "entity": entity, "model_id": M, "provider_id": provider, "provider_model_id": pmid,
            "variant": "", "benchmark_id": "", "field": field, "raw": value, "value": value if status == "known" else None,
            "status": status}


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
    load(con, "c1", 1, [obs("card", "context_window", "131072"), obs("cat", "context_window", "60000")])
    assert current_model(con, "context_window") == [(131072,)]
    rows = con.execute("SELECT field, chosen_value, chosen_source, rule FROM conflict_log").fetchall()
    assert rows == [("context_window", "131072", "card", "authority: first_party, then newest")]


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
    assert con.execute("SELECT severity FROM conflict_log").fetchall() == [("major",)]


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
    b = {"entity": "offer", "provider": "cloudflare-workers-ai", "pmid": "@cf/b"}
    load(con, "c1", 1, [obs("cf", "input_usd_per_mtok", "1", **a), obs("cf", "input_usd_per_mtok", "2", **b)])
    # c2 is partial and lists only a, with a new price: a moves, b stays.
    load(con, "c2", 2, [obs("cf", "input_usd_per_mtok", "1.5", **a)], health={"cf": "partial"})
    rows = con.execute("""SELECT provider_model_id, input_usd_per_mtok FROM offer_versions WHERE valid_to IS NULL
                          ORDER BY 1""").fetchall()
    assert rows == [("@cf/a", Decimal("1.5")), ("@cf/b", Decimal("2"))]


def test_healthy_crawl_without_the_offer_retires_it(con):
    a = {"entity": "offer", "provider": "cloudflare-workers-ai", "pmid": "@cf/a"}
    b = {"entity": "offer", "provider": "cloudflare-workers-ai", "pmid": "@cf/b"}
    load(con, "c1", 1, [obs("cf", "input_usd_per_mtok", "1", **a), obs("cf", "input_usd_per_mtok", "2", **b)])
    _, v = load(con, "c2", 2, [obs("cf", "input_usd_per_mtok", "1", **a)])
    assert v.offers_closed == 1
    assert con.execute("SELECT provider_model_id FROM offer_versions WHERE closed_by = 'c2'").fetchall() == [("@cf/b",)]


def test_asof_macros_rebuild_past_states(con):
    load(con, "c1", 1, [obs("card", "context_window", "131072")])
    load(con, "c3", 3, [obs("card", "context_window", "262144")])
    assert con.execute("SELECT context_window, last_reviewed::VARCHAR FROM models_asof('2026-06-02')").fetchall() == [
        (131072, "2026-06-01")]
    assert con.execute("SELECT context_window FROM models_asof('2026-06-03')").fetchall() == [(262144,)]
    assert con.execute("SELECT count(*) FROM models_asof('2026-05-31')").fetchone() == (0,)
