"""What an analyst in DuckDB relies on (issue 12): typed claims and provenance readable with plain
SQL, one name per idea, is_free_tier and route_kind on offers, cheapest_routes with its ties, the
fields a changed offer changed, and an older warehouse migrated without losing a row."""
from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pipeline.compare import ComparisonConfig
from pipeline.process import sync_route_rules
from warehouse.connection import MIGRATIONS, SCHEMA_VERSION, USER_OBJECTS, connect, sql_text
from warehouse.load import insert_rows

LLAMA = "meta/llama-3.2-1b-instruct"
M = "acme/model-1"
CRAWLS = ["20260601T060000Z", "20260602T060000Z"]
# names an idea used to have besides its one name (conflicts.found_in_crawl is crawl_id, a
# provenance entry's `source` is source_id)
OLD_NAMES = {"found_in_crawl"}


@pytest.fixture(scope="module")
def recorded(recorded_warehouse: Path):
    con = duckdb.connect(str(recorded_warehouse), read_only=True)
    yield con
    con.close()


def _at(i: int) -> datetime:
    return datetime(2026, 6, 1 + i, 6, tzinfo=UTC)


def offer(provider: str, variant: str, price_in: str | None, price_out: str | None, crawl: int = 0,
          closed: bool = False, **fields: object) -> dict[str, object]:
    """One offer version of M opened by CRAWLS[crawl] (and closed by the next crawl)."""
    return {"model_id": M, "provider_id": provider, "provider_model_id": f"{provider}/m1", "variant": variant,
            "input_usd_per_mtok": None if price_in is None else Decimal(price_in),
            "output_usd_per_mtok": None if price_out is None else Decimal(price_out),
            "row_hash": f"{provider}{variant}{crawl}", "valid_from": _at(crawl), "opened_by": CRAWLS[crawl],
            "valid_to": _at(crawl + 1) if closed else None, "closed_by": CRAWLS[crawl + 1] if closed else None,
            **fields}


@pytest.fixture()
def con(tmp_path: Path):
    """An empty warehouse with two crawls and the default route rules (cheapest from reviewed providers)."""
    c = connect(tmp_path / "ledger.duckdb")
    c.executemany("INSERT INTO crawls VALUES (?, ?, 'test', now(), 'r')", [[k, _at(i)] for i, k in enumerate(CRAWLS)])
    insert_rows(c, "providers", [{"provider_id": p, "name": p.title(), "named_by": "curated"}
                                 for p in ("alpha", "beta", "gamma", "delta")])
    sync_route_rules(c, ComparisonConfig())
    yield c
    c.close()


def test_claims_are_a_typed_list_read_with_plain_sql(recorded):
    assert recorded.execute("SELECT typeof(claims) FROM conflicts LIMIT 1").fetchone()[0] == \
        "STRUCT(source_id VARCHAR, \"value\" VARCHAR, raw VARCHAR, url VARCHAR, observed_at DATE)[]"
    claims = recorded.execute("""SELECT c.source_id, c.value, c.observed_at FROM conflicts, unnest(claims) AS u(c)
                                 WHERE model_id = ? AND field = 'knowledge_cutoff' ORDER BY ALL""", [LLAMA]).fetchall()
    assert ("openrouter", "2023-12-31") in [(s, v) for s, v, _ in claims]
    assert all(isinstance(day, type(_at(0).date())) for _, _, day in claims)
    # the best ranked claim first: the chosen one of a first_party win
    first = recorded.execute("SELECT claims[1].source_id, chosen_source FROM conflicts WHERE model_id = ? "
                             "AND field = 'knowledge_cutoff'", [LLAMA]).fetchone()
    assert first[0] == first[1]


def test_provenance_is_a_typed_map_read_with_plain_sql(recorded):
    row = recorded.execute("""SELECT provenance['context_window'].source_id, provenance['context_window'].rule,
                                     typeof(provenance['context_window'].observed_at)
                              FROM models_current WHERE model_id = ?""", [LLAMA]).fetchone()
    assert row[0] == "curated" and row[1].startswith("authority: override") and row[2] == "DATE"
    price = recorded.execute("""SELECT provenance['input_usd_per_mtok'].source_id FROM offers_current
                                WHERE model_id = ? AND provider_id = 'cloudflare-workers-ai'""", [LLAMA]).fetchone()
    assert price == ("cloudflare-workers-ai",)
    for macro in ("models_asof", "offers_asof", "benchmarks_asof"):
        kind = recorded.execute(f"SELECT typeof(provenance) FROM {macro}('2026-06-04') LIMIT 1").fetchone()[0]
        assert kind.startswith("MAP(VARCHAR, STRUCT(source_id VARCHAR, url VARCHAR, observed_at DATE"), macro


def test_one_name_per_idea(recorded):
    columns = recorded.execute(USER_OBJECTS.replace("SELECT table_name, column_name",
                                                    "SELECT table_name, column_name, data_type", 1)).fetchall()
    assert [(t, c) for t, c, _ in columns if c in OLD_NAMES] == []
    # no struct field, map value or claim of any table or view calls the source anything but source_id
    assert [(t, c) for t, c, kind in columns if re.search(r"\bsource VARCHAR", kind)] == []
    assert {c for t, c, _ in columns if t == "conflicts"} >= {"crawl_id", "claims"}
    stored = recorded.execute("""SELECT count(*) FROM (
        SELECT unnest(map_values(CAST(provenance AS MAP(VARCHAR, JSON)))) AS claim FROM offer_versions
        UNION ALL SELECT unnest(map_values(CAST(provenance AS MAP(VARCHAR, JSON)))) FROM model_versions)
        WHERE json_exists(claim, '$.source') OR NOT json_exists(claim, '$.source_id')""").fetchone()
    assert stored == (0,)


def test_a_free_variant_is_a_free_tier_in_the_recorded_crawl(recorded):
    free = recorded.execute("""SELECT DISTINCT route_kind, is_free_tier FROM offers_current
                               WHERE provider_id = 'google-gemini' AND variant = 'free'""").fetchall()
    assert free == [("free", True)]
    paid = recorded.execute("""SELECT DISTINCT route_kind, is_free_tier FROM offers_current
                               WHERE model_id = ? AND provider_id = 'cloudflare-workers-ai'""", [LLAMA]).fetchall()
    assert paid == [("standard", False)]


def test_cheapest_routes_list_every_tie_and_never_a_free_tier_or_batch(con):
    insert_rows(con, "offer_versions", [
        offer("alpha", "", "0.10", "0.50"),
        offer("beta", "", "0.10", "0.40"),
        offer("beta", "batch", "0.05", "0.20"),  # batch: never the cheapest standard route
        offer("gamma", "free", "0", "0"),  # a free variant
        offer("delta", "", "0", None),  # priced $0: a free tier unless the model is free
        offer("omega", "", "0.01", "0.01"),  # a provider nobody reviewed
    ])
    kinds = con.execute("SELECT provider_id, variant, route_kind, is_free_tier FROM offers_current ORDER BY ALL").fetchall()
    assert kinds == [("alpha", "", "standard", False), ("beta", "", "standard", False), ("beta", "batch", "batch", False),
                     ("delta", "", "free", True), ("gamma", "free", "free", True), ("omega", "", "unreviewed", False)]
    (row,) = con.execute("""SELECT cheapest_input_usd_per_mtok, list_transform(cheapest_input_routes, lambda r: r.provider_id),
                                   cheapest_output_usd_per_mtok, list_transform(cheapest_output_routes, lambda r: r.provider_id)
                            FROM cheapest_routes WHERE model_id = ?""", [M]).fetchall()
    assert row == (Decimal("0.1"), ["alpha", "beta"], Decimal("0.4"), ["beta"])
    tie = con.execute("SELECT unnest(cheapest_input_routes) FROM cheapest_routes").fetchall()
    assert tie[0][0] == {"provider_id": "alpha", "provider_name": "Alpha", "variant": "", "provider_model_id": "alpha/m1"}

    # a model its own source says is free: its $0 route is standard (and the cheapest), the free variant stays a free tier
    sync_route_rules(con, ComparisonConfig(free_models=[M], cheapest_from="all"))
    kinds = dict(((p, v), (k, f)) for p, v, k, f in con.execute(
        "SELECT provider_id, variant, route_kind, is_free_tier FROM offers_current").fetchall())
    assert kinds[("delta", "")] == ("standard", False) and kinds[("gamma", "free")] == ("free", True)
    assert kinds[("omega", "")] == ("standard", False)
    assert con.execute("SELECT cheapest_input_usd_per_mtok, cheapest_input_routes[1].provider_id FROM cheapest_routes"
                       ).fetchone() == (Decimal("0"), "delta")


def test_a_model_with_only_non_standard_routes_has_no_cheapest_price(con):
    insert_rows(con, "offer_versions", [offer("beta", "batch", "0.05", "0.20"), offer("gamma", "free", "0", "0")])
    assert con.execute("SELECT * FROM cheapest_routes").fetchall() == [(M, None, [], None, [])]


def test_changes_name_the_changed_fields(con):
    insert_rows(con, "offer_versions", [
        offer("alpha", "", "0.10", "0.50", closed=True, context_window=8192),
        offer("alpha", "", "0.10", "0.50", crawl=1, provider_model_id="alpha/m1-v2", context_window=16384),
        offer("beta", "", "0.10", "0.40", closed=True),
        offer("beta", "", "0.20", "0.40", crawl=1),
        offer("gamma", "", "0.30", "0.30", crawl=1),
    ])
    rows = con.execute("SELECT provider_id, change, changed_fields FROM changes WHERE crawl_id = ? ORDER BY ALL",
                       [CRAWLS[1]]).fetchall()
    assert rows == [("alpha", "changed", ["provider_model_id", "context_window"]),
                    ("beta", "price move", ["input_usd_per_mtok"]),
                    ("gamma", "new offer", None)]


def test_a_warehouse_of_schema_2_is_migrated_keeping_its_rows(tmp_path: Path):
    """A warehouse written before schema 3 (provenance said `source`) opens, keeps its versions,
    and reads with one name."""
    path = tmp_path / "ledger.duckdb"
    old = duckdb.connect(str(path))
    for version, name in enumerate(MIGRATIONS[:2], start=1):
        old.execute(sql_text(name))
        old.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        old.execute("INSERT INTO schema_version VALUES (?)", [version])
    old.execute("INSERT INTO crawls VALUES (?, ?, 'test', now(), 'r')", [CRAWLS[0], _at(0)])
    insert_rows(old, "offer_versions", [offer(
        "alpha", "", "0.10", "0.50", provenance='{"input_usd_per_mtok":{"source":"alpha","url":"https://a.example/",'
        '"observed_at":"2026-06-01","rule":"only claim (provider)","status":"known","raw":"$0.10 \\"source\\": x"}}')])
    old.close()

    con = connect(path)
    assert con.execute("SELECT max(version) FROM schema_version").fetchone() == (SCHEMA_VERSION,)
    row = con.execute("""SELECT provenance['input_usd_per_mtok'].source_id, provenance['input_usd_per_mtok'].raw,
                                input_usd_per_mtok FROM offers_current""").fetchone()
    assert row == ("alpha", '$0.10 "source": x', Decimal("0.1"))
