"""Reconciliation: every source's current claims -> one resolved value per field, plus conflicts.

Policy (DESIGN.md rule 4; the order is configuration: the `policy` table, from sources.yaml): a known value beats
`unknown`; then the better authority (curated override > the model's creator > the provider's
own page for its own offer > catalogs); then the newest observation; then the source id, so
the choice is deterministic. Known values that still disagree are logged as conflicts.

It runs set-wise in DuckDB over the observations table; no source is named here.
"""
from __future__ import annotations

from dataclasses import dataclass

import duckdb

from pipeline.fields import BENCHMARK_FIELDS, MODEL_FIELDS, OFFER_FIELDS, FieldType

OFFER_KEY = ("model_id", "provider_id", "provider_model_id", "variant")
BENCHMARK_KEY = ("model_id", "benchmark_id")
# Every observation's entity key (empty strings where a part does not apply).
ENTITY_KEY = "entity, model_id, provider_id, provider_model_id, variant, benchmark_id"

# The claims that stand as of a crawl: per source, the observations of its latest healthy
# crawl, plus those of partial crawls since (which add or update, but retire nothing).
# Failed crawls contribute nothing, so a broken source keeps its last good state.
CLAIMS_SQL = """
CREATE OR REPLACE TEMP TABLE claims AS
WITH usable_crawls AS (
    SELECT cs.crawl_id, cs.source_id, cs.health, c.started_at
    FROM crawl_sources cs JOIN crawls c USING (crawl_id)
    WHERE c.started_at <= $ts AND cs.health <> 'failed'
), base AS (
    SELECT source_id, max(started_at) AS base_at FROM usable_crawls WHERE health = 'ok' GROUP BY source_id
), standing AS (
    SELECT u.* FROM usable_crawls u LEFT JOIN base b USING (source_id)
    WHERE b.base_at IS NULL OR u.started_at >= b.base_at
)
, claimed AS (
    -- For an offer, what counts is whose offer it is: the provider's own page speaks for it
    -- first-hand, any other source (even a first-party page of someone else) is a catalog claim.
    SELECT o.*, s.started_at AS observed_at,
           CASE WHEN o.entity <> 'offer' OR src.authority = 'override' THEN src.authority
                WHEN src.provider_id = o.provider_id AND src.authority = 'first_party' THEN 'first_party'
                WHEN src.provider_id = o.provider_id THEN 'provider'
                ELSE 'catalog' END AS authority
    FROM observations o
    JOIN standing s USING (crawl_id, source_id)
    JOIN sources src USING (source_id)
)
SELECT c.*, coalesce(specific.rank, dflt.rank) AS rank
FROM claimed c
LEFT JOIN policy specific ON specific.entity = c.entity AND specific.field = c.field AND specific.authority = c.authority
JOIN policy dflt ON dflt.entity = '*' AND dflt.authority = c.authority
QUALIFY row_number() OVER (
    PARTITION BY c.source_id, c.entity, c.model_id, c.provider_id, c.provider_model_id, c.variant,
                 c.benchmark_id, c.field
    ORDER BY c.observed_at DESC, c.url, c.value NULLS LAST) = 1
"""

WINNERS_SQL = """
CREATE OR REPLACE TEMP TABLE winners AS
SELECT *,
       CASE WHEN status <> 'known' THEN 'no known value'
            WHEN n_known = 1 THEN 'only claim (' || authority || ')'
            ELSE 'authority: ' || authority || ', then newest' END AS rule
FROM (
    SELECT c.*, count(*) FILTER (WHERE status = 'known') OVER k AS n_known
    FROM claims c
    WINDOW k AS (PARTITION BY entity, model_id, provider_id, provider_model_id, variant, benchmark_id, field)
)
QUALIFY row_number() OVER (
    PARTITION BY entity, model_id, provider_id, provider_model_id, variant, benchmark_id, field
    ORDER BY (status = 'known') DESC, rank, observed_at DESC, source_id) = 1
"""

CONFLICTS_SQL = """
INSERT INTO conflict_log
SELECT $crawl_id, w.entity, w.model_id, w.provider_id, w.provider_model_id, w.variant, w.benchmark_id, w.field,
       w.value, w.source_id, w.rule,
       CASE WHEN w.entity = 'offer' AND w.field LIKE '%usd_per_mtok' THEN 'major' ELSE 'minor' END,
       to_json(list(struct_pack(source_id := c.source_id, value := c.value, raw := c.raw, url := c.url,
                                observed_at := c.observed_at::DATE) ORDER BY c.rank, c.source_id))
FROM winners w
JOIN claims c USING (entity, model_id, provider_id, provider_model_id, variant, benchmark_id, field)
WHERE c.status = 'known' AND w.status = 'known'
GROUP BY ALL
HAVING count(DISTINCT c.value) > 1
"""


def _cast(ftype: FieldType, expr: str) -> str:
    return {
        FieldType.DECIMAL: f"CAST({expr} AS DECIMAL(18, 9))",
        FieldType.INT: f"CAST({expr} AS BIGINT)",
        FieldType.DATE: f"CAST({expr} AS DATE)",
        FieldType.BOOL: f"({expr} = 'true')",
    }.get(ftype, expr)


def _pivot(fields: dict[str, FieldType]) -> str:
    return ",\n       ".join(
        _cast(t, f"max(value) FILTER (WHERE field = '{f}' AND status = 'known')") + f" AS {f}"
        for f, t in fields.items()
    )


def _provenance() -> str:
    return (
        "json_group_object(field, json_object('source', source_id, 'url', url, 'observed_at', "
        "observed_at::DATE, 'rule', rule, 'status', status, 'raw', raw)) AS provenance"
    )


def _hash(cols: list[str]) -> str:
    # A row hash over the facts only: provenance changes alone do not make a new version.
    return "md5(CAST(struct_pack(" + ", ".join(f"{c} := {c}" for c in cols) + ") AS VARCHAR))"


def stage_models_sql() -> str:
    fields = list(MODEL_FIELDS)
    return f"""
CREATE OR REPLACE TEMP TABLE stage_models AS
WITH ids AS (SELECT DISTINCT model_id FROM claims WHERE entity <> 'benchmark'),
piv AS (
    SELECT model_id,
       {_pivot(MODEL_FIELDS)},
       {_provenance()}
    FROM winners WHERE entity = 'model' GROUP BY model_id
)
SELECT ids.model_id, {", ".join(f"piv.{f}" for f in fields)}, piv.provenance,
       {_hash(["model_id", *fields])} AS row_hash
FROM ids LEFT JOIN piv USING (model_id)
"""


def stage_offers_sql() -> str:
    fields = list(OFFER_FIELDS)
    key = ", ".join(OFFER_KEY)
    return f"""
CREATE OR REPLACE TEMP TABLE stage_offers AS
SELECT *, {_hash([*OFFER_KEY, *fields])} AS row_hash FROM (
    SELECT {key},
       {_pivot(OFFER_FIELDS)},
       {_provenance()}
    FROM winners WHERE entity = 'offer' GROUP BY {key}
)
"""


def stage_benchmarks_sql() -> str:
    fields = list(BENCHMARK_FIELDS)
    key = ", ".join(BENCHMARK_KEY)
    return f"""
CREATE OR REPLACE TEMP TABLE stage_benchmarks AS
SELECT *, {_hash([*BENCHMARK_KEY, *fields])} AS row_hash FROM (
    SELECT {key},
       {_pivot(BENCHMARK_FIELDS)},
       {_provenance()}
    FROM winners WHERE entity = 'benchmark' GROUP BY {key}
)
"""


@dataclass(frozen=True)
class ReconcileStats:
    claims: int
    models: int
    offers: int
    conflicts: int


def reconcile(con: duckdb.DuckDBPyConnection, crawl_id: str, ts: object) -> ReconcileStats:
    """Build temp tables stage_models / stage_offers (the resolved state as of ``ts``) and log conflicts."""
    con.execute(CLAIMS_SQL, {"ts": ts})
    con.execute(WINNERS_SQL)
    con.execute(stage_models_sql())
    con.execute(stage_offers_sql())
    con.execute(stage_benchmarks_sql())
    con.execute(CONFLICTS_SQL, {"crawl_id": crawl_id})

    def count(sql: str, params: list[object] | None = None) -> int:
        row = con.execute(sql, params or []).fetchone()
        return int(row[0]) if row else 0

    return ReconcileStats(
        claims=count("SELECT count(*) FROM claims"),
        models=count("SELECT count(*) FROM stage_models"),
        offers=count("SELECT count(*) FROM stage_offers"),
        conflicts=count("SELECT count(*) FROM conflict_log WHERE crawl_id = ?", [crawl_id]),
    )
