"""Reconciliation: every source's current claims -> one resolved value per field, plus conflicts.

Policy (DESIGN.md rule 4, ranks in pipeline.config.AUTHORITY_RANK): a known value beats
`unknown`; then the better authority (curated override > the model's creator > the provider's
own page for its own offer > catalogs); then the newest observation; then the source id, so
the choice is deterministic. Known values that still disagree are logged as conflicts.

It runs set-wise in DuckDB over the observations table; no source is named here.
"""
from __future__ import annotations

from dataclasses import dataclass

import duckdb

from pipeline.fields import MODEL_FIELDS, OFFER_FIELDS, FieldType

OFFER_KEY = ("model_id", "provider_id", "provider_model_id", "variant")

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
SELECT o.*, s.started_at AS observed_at,
       CASE WHEN o.entity = 'offer' AND src.provider_id = o.provider_id THEN least(src.authority_rank, 2)
            WHEN o.entity = 'offer' THEN greatest(src.authority_rank, 3)
            ELSE src.authority_rank END AS rank,
       src.authority
FROM observations o
JOIN standing s USING (crawl_id, source_id)
JOIN sources src USING (source_id)
QUALIFY row_number() OVER (
    PARTITION BY o.source_id, o.entity, o.model_id, o.provider_id, o.provider_model_id, o.variant, o.field
    ORDER BY s.started_at DESC, o.url, o.value NULLS LAST) = 1
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
    WINDOW k AS (PARTITION BY entity, model_id, provider_id, provider_model_id, variant, field)
)
QUALIFY row_number() OVER (
    PARTITION BY entity, model_id, provider_id, provider_model_id, variant, field
    ORDER BY (status = 'known') DESC, rank, observed_at DESC, source_id) = 1
"""

CONFLICTS_SQL = """
INSERT INTO conflict_log
SELECT $crawl_id, w.entity, w.model_id, w.provider_id, w.provider_model_id, w.variant, w.field,
       w.value, w.source_id, w.rule,
       CASE WHEN w.entity = 'offer' AND w.field LIKE '%usd_per_mtok' THEN 'major' ELSE 'minor' END,
       to_json(list(struct_pack(source_id := c.source_id, value := c.value, raw := c.raw, url := c.url,
                                observed_at := c.observed_at::DATE) ORDER BY c.rank, c.source_id))
FROM winners w
JOIN claims c USING (entity, model_id, provider_id, provider_model_id, variant, field)
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
WITH ids AS (SELECT DISTINCT model_id FROM claims),
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
