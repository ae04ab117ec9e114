"""Loading one parsed crawl: raw page index, per-source health, observations, problems — set-wise
through Arrow (never row by row) — then the versioned load of the resolved state."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import pyarrow as pa

from pipeline.fields import FIELDS, Entity
from warehouse import transform

ENTITIES: tuple[Entity, ...] = tuple(FIELDS)


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, object]]) -> int:
    """Insert dict rows by column name through one Arrow table."""
    if not rows:
        return 0
    arrow = pa.Table.from_pylist(rows)
    con.register("_rows", arrow)
    try:
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _rows")
    finally:
        con.unregister("_rows")
    return len(rows)


@dataclass(frozen=True)
class VersionStats:
    models_opened: int
    models_closed: int
    offers_opened: int
    offers_closed: int
    benchmarks_opened: int = 0
    benchmarks_closed: int = 0


def apply_versions(con: duckdb.DuckDBPyConnection, crawl_id: str, ts: datetime) -> VersionStats:
    """The SCD2 layer (warehouse/sql/transform/50_scd2.sql, per entity) over the stage tables
    reconcile built (layer 40)."""
    params = {"ts": ts, "crawl_id": crawl_id}
    for entity in ENTITIES:
        transform.run(con, "50_scd2.sql", params, **transform.entity_context(entity))

    def count(entity: str, column: str) -> int:
        # From the diff, not by scanning the whole history for this crawl's id.
        return int(con.execute(f"SELECT count(*) FROM diff_{entity} WHERE {column} IS NOT NULL").fetchall()[0][0])

    return VersionStats(
        models_opened=count("model", "new_hash"),
        models_closed=count("model", "old_hash"),
        offers_opened=count("offer", "new_hash"),
        offers_closed=count("offer", "old_hash"),
        benchmarks_opened=count("benchmark", "new_hash"),
        benchmarks_closed=count("benchmark", "old_hash"),
    )
