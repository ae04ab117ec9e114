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


# Whether an entity has anything to version: staged rows, or open versions that may have to close.
ANY_WORK_SQL = "SELECT EXISTS (SELECT 1 FROM {stage}) OR EXISTS (SELECT 1 FROM {versions} WHERE valid_to IS NULL)"
DIFF_COUNTS_SQL = "SELECT count(new_hash), count(old_hash) FROM diff_{entity}"


def apply_versions(con: duckdb.DuckDBPyConnection, crawl_id: str, ts: datetime) -> VersionStats:
    """The SCD2 layer (warehouse/sql/transform/50_scd2.sql, per entity) over the stage tables
    reconcile built (layer 40). Returns the versions opened and closed per entity (from the diff,
    not by scanning the whole history for this crawl's id)."""
    params = {"ts": ts, "crawl_id": crawl_id}
    counts: dict[str, int] = {}
    for entity in ENTITIES:
        context = transform.entity_context(entity)
        opened = closed = 0
        if con.execute(ANY_WORK_SQL.format(**context)).fetchone()[0]:  # e.g. no benchmarks at all: nothing to do
            transform.run(con, "50_scd2.sql", params, **context)
            opened, closed = con.execute(DIFF_COUNTS_SQL.format(entity=entity)).fetchone()
        counts[f"{entity}s_opened"], counts[f"{entity}s_closed"] = int(opened), int(closed)
    return VersionStats(**counts)
