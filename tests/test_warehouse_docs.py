"""The analyst's interface is documented: every table, view and column carries a COMMENT, and the
promised column names exist."""
from __future__ import annotations

from pathlib import Path

from warehouse.connection import USER_OBJECTS, connect


def test_every_table_view_and_column_has_a_comment(tmp_path: Path):
    con = connect(tmp_path / "ledger.duckdb")
    missing_cols = con.execute(f"""SELECT c.table_name, c.column_name FROM duckdb_columns() c
        JOIN ({USER_OBJECTS}) u USING (table_name, column_name) WHERE c.comment IS NULL""").fetchall()
    assert missing_cols == []
    assert con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT internal AND comment IS NULL").fetchall() == []
    assert con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal AND comment IS NULL").fetchall() == []


def test_every_macro_has_a_comment(tmp_path: Path):
    con = connect(tmp_path / "ledger.duckdb")
    macros = dict(con.execute("""SELECT function_name, comment FROM duckdb_functions()
        WHERE function_type IN ('macro', 'table_macro') AND NOT internal AND schema_name = 'main'""").fetchall())
    assert {"asof_bound", "creators_own", "models_asof", "offers_asof", "benchmarks_asof", "cheapest_routes_asof",
            "typed_provenance", "typed_claims"} <= set(macros)
    assert [name for name, comment in macros.items() if not comment] == []


def test_views_have_the_columns_analysts_rely_on(tmp_path: Path):
    con = connect(tmp_path / "ledger.duckdb")

    def cols(view: str) -> set[str]:
        return {r[0] for r in con.execute(f"DESCRIBE {view}").fetchall()}

    assert {"model_id", "name", "creator", "context_window", "max_output_tokens", "parameters_total", "release_date",
            "knowledge_cutoff", "license", "open_weights", "last_reviewed"} <= cols("models_current")
    assert {"model_id", "provider_id", "provider_model_id", "input_usd_per_mtok", "output_usd_per_mtok",
            "cached_input_usd_per_mtok", "context_window", "last_reviewed"} <= cols("offers_current")
    assert {"model_id", "benchmark_id", "score", "last_reviewed"} <= cols("benchmarks_current")
    assert {"change", "old_input_usd_per_mtok", "new_input_usd_per_mtok", "input_change_pct",
            "changed_fields"} <= cols("changes")
    assert {"route_kind", "is_free_tier"} <= cols("offers_current")
    assert {"model_id", "cheapest_input_usd_per_mtok", "cheapest_input_routes", "cheapest_output_usd_per_mtok",
            "cheapest_output_routes"} <= cols("cheapest_routes")
    for macro in ("models_asof", "offers_asof", "benchmarks_asof", "cheapest_routes_asof"):
        assert con.execute(f"SELECT count(*) FROM {macro}('2026-06-04')").fetchone() == (0,)


def test_a_warehouse_with_the_same_views_is_not_remade_but_a_missing_view_is(tmp_path):
    from warehouse.connection import connect

    path = tmp_path / "w.duckdb"
    connect(path).close()
    con = connect(path)
    (stamp,) = con.execute("SELECT stamp FROM schema_objects").fetchone()
    con.execute("COMMENT ON VIEW offers_current IS 'changed by hand'")
    con.execute("DROP VIEW changes")
    con.close()
    con = connect(path)  # the same stamp, but a view is missing: everything is remade
    assert con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = 'changes'").fetchone() == (1,)
    assert con.execute("SELECT comment FROM duckdb_views() WHERE view_name = 'offers_current'").fetchone() != (
        "changed by hand",)
    assert con.execute("SELECT stamp FROM schema_objects").fetchall() == [(stamp,)]
    con.execute("COMMENT ON VIEW offers_current IS 'changed by hand'")
    con.close()
    con = connect(path)  # nothing missing, same stamp: not remade (the hand comment stays)
    assert con.execute("SELECT comment FROM duckdb_views() WHERE view_name = 'offers_current'").fetchone() == (
        "changed by hand",)
