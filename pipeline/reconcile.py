"""Reconciliation: every source's current claims -> one resolved value per field, plus conflicts.

Policy (DESIGN.md rule 4; the order is configuration: the `policy` table, from sources.yaml): a known value beats
`unknown`; then the better authority (curated override > the model's creator > the provider's
own page for its own offer > catalogs); then the newest observation; then the source id, so
the choice is deterministic. Known values that still disagree are logged as conflicts.

It runs set-wise in DuckDB over the observations table; no source is named here. The SQL is
the transform layers of warehouse/sql/transform/ (warehouse/transform.py): 10 claims -> 20 winners
-> 30 holds -> 35 conflicts -> 40 staged versions; warehouse/load.py runs layer 50 (SCD2).
"""
from __future__ import annotations

from dataclasses import dataclass

import duckdb

from pipeline.fields import FIELDS, KEYS, MODEL_FIELDS, OFFER_FIELDS, Entity, FieldType
from warehouse import transform

# An offer is what is sold: one model, by one provider, in one variant. The provider's own id for
# the model is a claimed field (OFFER_FIELDS["provider_model_id"]): a router's report of a
# provider's route, the catalogs' entries and the provider's own page are claims about one offer,
# so the authority rule applies between them and disagreements are conflict rows.
OFFER_KEY = KEYS["offer"]
BENCHMARK_KEY = KEYS["benchmark"]
# Every observation's entity key (empty strings where a part does not apply). provider_model_id
# stays a column of the claims (always '' there) so the conflict log keeps its shape.
ENTITY_KEY = "entity, model_id, provider_id, provider_model_id, variant, benchmark_id"

# Model limits: a provider serves at most the model's native limit, so between claims of equal
# authority the largest is the model's, and a smaller one is a serving limit, not a conflict.
MODEL_LIMITS = ("context_window", "max_input_tokens", "max_output_tokens")

# Values that would move too far are held for review (layer 30_holds.sql).
PRICE_JUMP = 10  # a price moving more than 10x between crawls
LIMIT_FIELDS = ("context_window", "max_output_tokens")  # a limit that shrinks


def _holds_context() -> dict[str, object]:
    """The watched columns of 30_holds.sql: every offer price and the limits that may not shrink."""
    return {
        "held_offer": [(f, t is FieldType.DECIMAL) for f, t in OFFER_FIELDS.items()
                       if t is FieldType.DECIMAL or f in LIMIT_FIELDS],
        "held_model": [f for f in MODEL_FIELDS if f in LIMIT_FIELDS],
    }


def _field_types(con: duckdb.DuckDBPyConnection) -> None:
    rows = [(entity, f, str(t)) for entity, fields in FIELDS.items() for f, t in fields.items()]
    con.execute("CREATE OR REPLACE TEMP TABLE field_types (entity VARCHAR, field VARCHAR, type VARCHAR)")
    con.executemany("INSERT INTO field_types VALUES (?, ?, ?)", rows)  # a few dozen rows


# DuckDB's hash() is ~4x cheaper than md5 over the row's text, and one hash() of the columns
# (not of a struct_pack of them) costs almost nothing over copying the row (bench/bench_load.py).
# It is only stable within one DuckDB version, so each stored hash is tagged with the version and
# the form that computed it, and open versions tagged otherwise are re-hashed before a load
# compares against them (rehash_open_versions).
HASH_TAG = f"duckdb-{duckdb.__version__}/h2:"


def _hash(cols: list[str]) -> str:
    # A row hash over the key and the facts only: provenance changes alone do not make a new version.
    return f"'{HASH_TAG}' || CAST(hash({', '.join(cols)}) AS VARCHAR)"


def hashed_columns(entity: Entity) -> list[str]:
    return [*KEYS[entity], *FIELDS[entity]]


def rehash_open_versions(con: duckdb.DuckDBPyConnection) -> int:
    """Re-hash the open versions of each table whose hashes another DuckDB version (or another
    hash form) computed, so that unchanged facts still compare equal. Returns the tables done."""
    done = 0
    for entity in FIELDS:
        table = transform.versions_table(entity)
        stale = con.execute(
            f"SELECT 1 FROM {table} WHERE valid_to IS NULL AND NOT starts_with(row_hash, ?) LIMIT 1",
            [HASH_TAG]).fetchall()
        if stale:
            con.execute(f"UPDATE {table} SET row_hash = {_hash(hashed_columns(entity))} WHERE valid_to IS NULL")
            done += 1
    return done


def stage_context(entity: Entity) -> dict[str, object]:
    return transform.entity_context(entity) | {"row_hash": _hash(hashed_columns(entity))}


@dataclass(frozen=True)
class ReconcileStats:
    claims: int
    models: int
    offers: int
    benchmarks: int
    conflicts: int
    held: int


def reconcile(con: duckdb.DuckDBPyConnection, crawl_id: str, ts: object) -> ReconcileStats:
    """Build temp tables stage_models / stage_offers (the resolved state as of ``ts``) and log conflicts."""
    _field_types(con)
    rehash_open_versions(con)
    params = {"ts": ts, "crawl_id": crawl_id, "model_limits": list(MODEL_LIMITS),
              "price_jump": PRICE_JUMP, "limit_fields": list(LIMIT_FIELDS)}
    transform.run(con, "10_claims.sql", params)
    transform.run(con, "20_winners.sql", params)
    transform.run(con, "30_holds.sql", params, **_holds_context())
    transform.run(con, "35_conflicts.sql", params)
    for entity in FIELDS:
        transform.run(con, "40_staged.sql", params, **stage_context(entity))

    def count(sql: str, params: list[object] | None = None) -> int:
        row = con.execute(sql, params or []).fetchone()
        return int(row[0]) if row else 0

    return ReconcileStats(
        claims=count("SELECT count(*) FROM claims"),
        models=count("SELECT count(*) FROM stage_models"),
        offers=count("SELECT count(*) FROM stage_offers"),
        benchmarks=count("SELECT count(*) FROM stage_benchmarks"),
        held=count("SELECT count(*) FROM held") + count("SELECT count(DISTINCT (entity, model_id, provider_id, "
                                                       "variant, benchmark_id, field)) FROM claims WHERE withheld"),
        conflicts=count("SELECT count(*) FROM conflict_log WHERE crawl_id = ?", [crawl_id]),
    )
