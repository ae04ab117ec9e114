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

from pipeline.fields import BENCHMARK_FIELDS, FIELDS, MODEL_FIELDS, OFFER_FIELDS, FieldType

# An offer is what is sold: one model, by one provider, in one variant. The provider's own id for
# the model is a claimed field (OFFER_FIELDS["provider_model_id"]): a router's report of a
# provider's route, the catalogs' entries and the provider's own page are claims about one offer,
# so the authority rule applies between them and disagreements are conflict rows.
OFFER_KEY = ("model_id", "provider_id", "variant")
BENCHMARK_KEY = ("model_id", "benchmark_id")
# Every observation's entity key (empty strings where a part does not apply). provider_model_id
# stays a column of the claims (always '' there) so the conflict log keeps its shape.
ENTITY_KEY = "entity, model_id, provider_id, provider_model_id, variant, benchmark_id"

# Model limits: a provider serves at most the model's native limit, so between claims of equal
# authority the largest is the model's, and a smaller one is a serving limit, not a conflict.
MODEL_LIMITS = ("context_window", "max_input_tokens", "max_output_tokens")

# The claims that stand as of a crawl: per source, the observations of its latest healthy
# crawl, plus those of partial crawls since (which add or update, but retire nothing).
# Failed crawls contribute nothing, so a broken source keeps its last good state.
# Curated overrides reviewed on or before the crawl stand beside them.
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
), failed_pages AS (
    -- pages of standing crawls that could not be used (an endpoints page gone 404, a changed layout)
    SELECT DISTINCT rp.source_id, rp.url
    FROM raw_pages rp JOIN standing s USING (crawl_id, source_id)
    WHERE NOT coalesce(rp.usable, true)
), last_good AS (
    -- the newest earlier crawl in which each such page parsed: what it said then still stands
    SELECT rp.source_id, rp.url, arg_max(rp.crawl_id, u.started_at) AS crawl_id, max(u.started_at) AS started_at
    FROM raw_pages rp JOIN usable_crawls u USING (crawl_id, source_id)
    JOIN failed_pages f USING (source_id, url)
    WHERE coalesce(rp.usable, true)
    GROUP BY rp.source_id, rp.url
), unreadable AS (
    -- values a standing crawl could not read (an "N/A" price, a renamed field): a problem each
    SELECT DISTINCT p.source_id, p.entity, p.model_id, coalesce(p.provider_id, '') AS provider_id,
           coalesce(p.variant, '') AS variant, p.field
    FROM problems p JOIN standing s USING (crawl_id, source_id)
    WHERE p.severity = 'error' AND p.entity IN ('model', 'offer') AND p.model_id IS NOT NULL AND p.field IS NOT NULL
    UNION
    -- ... and values it now gives as unknown ("N/A", blank): an unknown never replaces the
    -- source's own earlier known value; that value stands and the change is logged as held
    SELECT DISTINCT o.source_id, o.entity, o.model_id, o.provider_id, o.variant, o.field
    FROM observations o JOIN standing s USING (crawl_id, source_id)
    WHERE o.status = 'unknown' AND o.entity IN ('model', 'offer')
), last_read AS (
    -- ... and the source's last readable claim of each such field, from before its base crawl,
    -- stands (the newest claim of a field wins, so a readable value stated now still beats it)
    SELECT o.* EXCLUDE (crawl_id), u.started_at AS observed_at
    FROM observations o JOIN usable_crawls u USING (crawl_id, source_id)
    JOIN unreadable r ON r.source_id = o.source_id AND r.entity = o.entity AND r.model_id = o.model_id
                     AND r.provider_id = o.provider_id AND r.variant = o.variant AND r.field = o.field
    LEFT JOIN base b ON b.source_id = o.source_id
    WHERE (b.base_at IS NULL OR u.started_at < b.base_at) AND o.status = 'known'
    QUALIFY rank() OVER (PARTITION BY o.source_id, o.entity, o.model_id, o.provider_id, o.variant, o.field
                         ORDER BY u.started_at DESC) = 1
), stated AS (
    SELECT o.* EXCLUDE (crawl_id), s.started_at AS observed_at,
           o.status = 'unknown' AND EXISTS (
               SELECT 1 FROM last_read r
               WHERE r.source_id = o.source_id AND r.entity = o.entity AND r.model_id = o.model_id
                 AND r.provider_id = o.provider_id AND r.variant = o.variant AND r.field = o.field) AS withheld
    FROM observations o JOIN standing s USING (crawl_id, source_id)
    UNION ALL BY NAME
    SELECT * FROM last_read
    UNION ALL BY NAME
    SELECT o.* EXCLUDE (crawl_id), g.started_at AS observed_at
    FROM last_good g
    JOIN observations o ON o.crawl_id = g.crawl_id AND o.source_id = g.source_id AND o.url = g.url
    LEFT JOIN base b ON b.source_id = g.source_id
    WHERE b.base_at IS NULL OR g.started_at < b.base_at
), observed AS (
    SELECT * REPLACE ('' AS provider_model_id) FROM stated
    UNION ALL BY NAME
    -- The creator's own API offer states the model's limits first-hand (a lab's offer of its model):
    -- its limits are model claims too, ranked as the creator's page when the creator's own source
    -- says them, else as a provider's claim about its own offer (above catalogs' model claims).
    SELECT source_id, url, 'model' AS entity, model_id, '' AS provider_id, '' AS provider_model_id, '' AS variant,
           benchmark_id, field, raw, value, status, observed_at, seq, true AS creator_offer
    FROM stated
    WHERE entity = 'offer' AND variant = '' AND field IN {limits} AND status = 'known'
      AND creators_own(provider_id, model_id)
    UNION ALL BY NAME
    -- the provider's own model id, as each source states it: a claim like any other
    SELECT source_id, url, entity, model_id, provider_id, '' AS provider_model_id, variant, benchmark_id,
           'provider_model_id' AS field, provider_model_id AS raw, provider_model_id AS value,
           'known' AS status, observed_at, min(seq) AS seq
    FROM stated WHERE entity = 'offer' AND provider_model_id <> ''
    GROUP BY ALL
    UNION ALL BY NAME
    -- the creator of a model whose id names a creator the identity rules know (curated)
    SELECT 'curated' AS source_id, 'warehouse/curated/aliases.yaml' AS url, 'model' AS entity, m.model_id,
           '' AS provider_id, '' AS provider_model_id, '' AS variant, '' AS benchmark_id, 'creator' AS field,
           cr.creator_id AS raw, cr.name AS value, 'known' AS status,
           TIMESTAMPTZ '2000-01-01 00:00:00+00' AS observed_at, 0 AS seq
    FROM (SELECT DISTINCT model_id FROM stated WHERE entity <> 'benchmark') m
    JOIN creators cr ON cr.creator_id = split_part(m.model_id, '/', 1)
    UNION ALL BY NAME
    SELECT source_id, source_url AS url, entity, model_id, provider_id, '' AS provider_model_id, variant,
           benchmark_id, field, reason AS raw, value, 'known' AS status,
           CAST(reviewed_on AS TIMESTAMPTZ) AS observed_at, 0 AS seq
    FROM overrides WHERE CAST(reviewed_on AS TIMESTAMPTZ) <= $ts
), claimed AS (
    -- For an offer, what counts is whose offer it is: the provider's own page speaks for it
    -- first-hand, any other source (even a first-party page of someone else) is a catalog claim.
    SELECT o.*,
           CASE WHEN o.creator_offer AND src.authority NOT IN ('override', 'first_party') THEN 'provider'
                WHEN o.entity <> 'offer' OR src.authority = 'override' THEN src.authority
                WHEN src.provider_id = o.provider_id AND src.authority = 'first_party' THEN 'first_party'
                WHEN src.provider_id = o.provider_id THEN 'provider'
                ELSE 'catalog' END AS authority
    FROM observed o JOIN sources src USING (source_id)
)
SELECT c.* EXCLUDE (seq, creator_offer, withheld), coalesce(c.seq, 0) AS seq, coalesce(c.withheld, false) AS withheld, coalesce(specific.rank, dflt.rank) AS rank, ft.type AS ftype,
       -- How exactly a claim states its value: more decimals, an exact count rather than a
       -- "128K" label, a day rather than a month. Decides between claims of equal authority.
       CASE WHEN c.status <> 'known' THEN 0
            WHEN ft.type = 'decimal' THEN length(split_part(c.value, '.', 2))
            WHEN ft.type = 'int' THEN CASE WHEN regexp_matches(coalesce(c.raw, ''), '\\d\\s*[kKmMbB]') THEN 0 ELSE 1 END
            WHEN ft.type = 'partial_date' THEN length(c.value)
            ELSE 0 END AS precision,
       -- Model limits: the largest claim first (see MODEL_LIMITS)
       CASE WHEN c.entity = 'model' AND c.status = 'known' AND c.field IN {limits}
            THEN TRY_CAST(c.value AS BIGINT) END AS limit_value,
       -- how many of the source's entries state this value (a catalog lists a model once per reseller)
       count(*) OVER (PARTITION BY c.source_id, c.entity, c.model_id, c.provider_id, c.variant, c.benchmark_id,
                                   c.field, c.observed_at, c.value) AS support
FROM claimed c
JOIN field_types ft USING (entity, field)
LEFT JOIN policy specific ON specific.entity = c.entity AND specific.field = c.field AND specific.authority = c.authority
JOIN policy dflt ON dflt.entity = '*' AND dflt.authority = c.authority
-- A source's claims from its newest observation of the field; all the distinct values it states
-- there stay (a source that disagrees with itself is a conflict like any other). A withheld
-- unknown yields to the known value it would have replaced, and stays only to be logged.
QUALIFY (rank() OVER (
    PARTITION BY c.source_id, c.entity, c.model_id, c.provider_id, c.variant, c.benchmark_id, c.field
    ORDER BY coalesce(c.withheld, false), c.observed_at DESC) = 1 OR coalesce(c.withheld, false))
  AND row_number() OVER (
    PARTITION BY c.source_id, c.entity, c.model_id, c.provider_id, c.variant, c.benchmark_id, c.field,
                 c.observed_at, c.status, c.value
    ORDER BY coalesce(specific.rank, dflt.rank), precision DESC, c.seq, c.url) = 1
""".format(limits=str(MODEL_LIMITS))

WINNERS_SQL = """
CREATE OR REPLACE TEMP TABLE winners AS
SELECT *,
       CASE WHEN status <> 'known' THEN 'no known value'
            WHEN n_known = 1 THEN 'only claim (' || authority || ')'
            WHEN n_values = 1 THEN 'agreed (' || authority || ')'
            ELSE 'authority: ' || authority || ', then precision, agreement, newest' END AS rule
FROM (
    SELECT c.*, count(*) FILTER (WHERE status = 'known') OVER k AS n_known,
           count(DISTINCT value) OVER k AS n_values,
           -- how many entries of equally ranked claims state this value (a catalog lists a model
           -- once per reseller, and resellers give the day they listed it as its release date)
           sum(support) OVER (PARTITION BY entity, model_id, provider_id, provider_model_id, variant, benchmark_id,
                                           field, rank, value) AS agreement
    FROM claims c
    WHERE NOT withheld
    WINDOW k AS (PARTITION BY entity, model_id, provider_id, provider_model_id, variant, benchmark_id, field)
)
QUALIFY row_number() OVER (
    PARTITION BY entity, model_id, provider_id, provider_model_id, variant, benchmark_id, field
    -- model limits: a value two entries state before a larger one a single entry states (one
    -- reseller's odd limit is not the model's), then the largest
    ORDER BY (status = 'known') DESC, rank, (limit_value IS NOT NULL AND support >= 2) DESC,
             limit_value DESC NULLS LAST, precision DESC,
             CASE WHEN entity = 'model' THEN agreement END DESC NULLS LAST, observed_at DESC, source_id, seq) = 1
"""

# Two known values "within display rounding": a decimal that rounds to the other (0.201 ->
# 0.20), token counts within 2.5% (131,072 and 128,000 are both "128K"), a month that contains
# the day. Such disagreements are `minor`; everything else is `major`.
_WITHIN_ROUNDING = """
    CASE WHEN a.value = b.value THEN true
         WHEN ft = 'decimal' THEN
              -- the less precise one is the other rounded to its own decimals (a tolerance
              -- check only: the values themselves never go through floats)
              abs(CAST(a.value AS DOUBLE) - CAST(b.value AS DOUBLE))
                <= 0.5 * pow(10, -least(length(split_part(a.value, '.', 2)), length(split_part(b.value, '.', 2)))) + 1e-12
         WHEN ft = 'int' THEN
              abs(CAST(a.value AS DOUBLE) - CAST(b.value AS DOUBLE)) <= 0.025 * greatest(CAST(a.value AS DOUBLE), CAST(b.value AS DOUBLE))
         WHEN ft = 'partial_date' THEN starts_with(a.value, b.value) OR starts_with(b.value, a.value)
         ELSE false END
"""

CONFLICTS_SQL = f"""
INSERT INTO conflict_log
SELECT $crawl_id, w.entity, w.model_id, w.provider_id, w.provider_model_id, w.variant, w.benchmark_id, w.field,
       w.value, w.source_id, w.rule,
       CASE WHEN bool_and(within) THEN 'minor' ELSE 'major' END,
       to_json(list(struct_pack(source_id := c.source_id, value := c.value, raw := c.raw, url := c.url,
                                observed_at := c.observed_at::DATE) ORDER BY c.rank, c.source_id, c.value, c.raw, c.url))
FROM winners w
JOIN (
    SELECT c.*, {_WITHIN_ROUNDING.replace("a.value", "c.value").replace("b.value", "w2.value").replace("ft =", "c.ftype =")} AS within
    FROM claims c JOIN winners w2 USING (entity, model_id, provider_id, provider_model_id, variant, benchmark_id, field)
    WHERE c.status = 'known'
      -- a smaller model limit than the chosen one is a serving limit (MODEL_LIMITS), not a conflict
      AND NOT coalesce(c.limit_value < TRY_CAST(w2.value AS BIGINT), false)
) c USING (entity, model_id, provider_id, provider_model_id, variant, benchmark_id, field)
WHERE w.status = 'known'
GROUP BY ALL
HAVING count(DISTINCT c.value) > 1
"""


# Values that would move too far are held for review: the previous value stays published and
# the new claim is logged as a `held` conflict (curated overrides are never held).
PRICE_JUMP = 10  # a price moving more than 10x between crawls
LIMIT_FIELDS = ("context_window", "max_output_tokens")  # a limit that shrinks

PREVIOUS_SQL = """
CREATE OR REPLACE TEMP TABLE previous AS
SELECT 'offer' AS entity, model_id, provider_id, '' AS provider_model_id, variant, '' AS benchmark_id, field, prev
FROM (UNPIVOT (SELECT model_id, provider_id, variant, {offer_cols} FROM offer_versions
               WHERE valid_to IS NULL)
      ON {offer_names} INTO NAME field VALUE prev)
UNION ALL
SELECT 'model', model_id, '', '', '', '', field, prev
FROM (UNPIVOT (SELECT model_id, {model_cols} FROM model_versions WHERE valid_to IS NULL)
      ON {model_names} INTO NAME field VALUE prev)
"""

HELD_SQL = f"""
CREATE OR REPLACE TEMP TABLE held AS
SELECT w.entity, w.model_id, w.provider_id, w.provider_model_id, w.variant, w.benchmark_id, w.field,
       p.prev, w.value AS claimed, w.source_id, w.url, w.raw, w.observed_at,
       CASE WHEN w.ftype = 'decimal' THEN 'held for review: price moved more than {PRICE_JUMP}x'
            ELSE 'held for review: limit shrank' END AS rule
FROM winners w
JOIN previous p USING (entity, model_id, provider_id, provider_model_id, variant, benchmark_id, field)
WHERE w.status = 'known' AND w.authority <> 'override' AND p.prev IS NOT NULL AND w.value <> p.prev AND (
      (w.ftype = 'decimal' AND w.entity = 'offer' AND CAST(p.prev AS DECIMAL(38, 18)) > 0
       AND CAST(w.value AS DECIMAL(38, 18)) > 0
       AND (CAST(w.value AS DECIMAL(38, 18)) > {PRICE_JUMP} * CAST(p.prev AS DECIMAL(38, 18))
            OR CAST(p.prev AS DECIMAL(38, 18)) > {PRICE_JUMP} * CAST(w.value AS DECIMAL(38, 18))))
   OR (w.field IN {LIMIT_FIELDS} AND CAST(w.value AS BIGINT) < CAST(p.prev AS BIGINT)))
"""

HOLD_SQL = [
    """
INSERT INTO conflict_log
SELECT $crawl_id, entity, model_id, provider_id, provider_model_id, variant, benchmark_id, field,
       prev, 'previous version', rule, 'held',
       to_json([struct_pack(source_id := source_id, value := claimed, raw := raw, url := url,
                            observed_at := observed_at::DATE)])
FROM held
""",
    """
UPDATE winners SET value = held.prev, rule = held.rule
FROM held
WHERE winners.entity = held.entity AND winners.model_id = held.model_id
  AND winners.provider_id = held.provider_id AND winners.provider_model_id = held.provider_model_id
  AND winners.variant = held.variant AND winners.benchmark_id = held.benchmark_id AND winners.field = held.field
""",
]


# A source that now gives "unknown" where it stated a value: its known value stands (claims),
# and each such field is logged as held until the source states a value again or a person decides.
WITHHELD_SQL = """
INSERT INTO conflict_log
SELECT $crawl_id, w.entity, w.model_id, w.provider_id, w.provider_model_id, w.variant, w.benchmark_id, w.field,
       w.value, 'previous version', 'held: the source now gives no value; its last known value stands', 'held',
       to_json(list(struct_pack(source_id := c.source_id, value := c.value, raw := c.raw, url := c.url,
                                observed_at := c.observed_at::DATE) ORDER BY c.source_id, c.url))
FROM claims c
JOIN winners w USING (entity, model_id, provider_id, provider_model_id, variant, benchmark_id, field)
WHERE c.withheld AND w.status = 'known'
GROUP BY ALL
"""


def _previous_sql() -> str:
    held_offer = [f for f, t in OFFER_FIELDS.items() if t is FieldType.DECIMAL or f in LIMIT_FIELDS]
    held_model = [f for f in MODEL_FIELDS if f in LIMIT_FIELDS]
    def text(f: str) -> str:  # the canonical text of pipeline.normalize.decimal_text: no trailing zeros
        if OFFER_FIELDS.get(f) is FieldType.DECIMAL:
            return f"CASE WHEN {f} = 0 THEN '0' ELSE rtrim(rtrim(CAST({f} AS VARCHAR), '0'), '.') END AS {f}"
        return f"CAST({f} AS VARCHAR) AS {f}"

    return PREVIOUS_SQL.format(
        offer_cols=", ".join(text(f) for f in held_offer),
        offer_names=", ".join(held_offer),
        model_cols=", ".join(f"CAST({f} AS VARCHAR) AS {f}" for f in held_model),
        model_names=", ".join(held_model),
    )


def _field_types(con: duckdb.DuckDBPyConnection) -> None:
    rows = [(entity, f, str(t)) for entity, fields in FIELDS.items() for f, t in fields.items()]
    con.execute("CREATE OR REPLACE TEMP TABLE field_types (entity VARCHAR, field VARCHAR, type VARCHAR)")
    con.executemany("INSERT INTO field_types VALUES (?, ?, ?)", rows)  # a few dozen rows


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
        # keys in field order: json_group_object keeps the (unstable) order rows arrive in, and a
        # rebuild must give the same bytes
        "to_json(map(list(field ORDER BY field), list(json_object('source_id', source_id, 'url', url, 'observed_at', "
        "observed_at::DATE, 'rule', rule, 'status', status, 'raw', raw) ORDER BY field))) AS provenance"
    )


# DuckDB's hash() is ~4x cheaper than md5 over the row's text (the text cast of every DECIMAL
# dominated the daily load: bench/bench_load.py), but it is only stable within one DuckDB
# version. So each stored hash is tagged with the version that computed it, and open versions
# hashed by another version are re-hashed before a load compares against them.
HASH_TAG = f"duckdb-{duckdb.__version__}:"


def _hash(cols: list[str]) -> str:
    # A row hash over the facts only: provenance changes alone do not make a new version.
    return f"'{HASH_TAG}' || CAST(hash(struct_pack(" + ", ".join(f"{c} := {c}" for c in cols) + ")) AS VARCHAR)"


def _hashed_columns() -> dict[str, list[str]]:
    return {
        "model_versions": ["model_id", *MODEL_FIELDS],
        "offer_versions": [*OFFER_KEY, *OFFER_FIELDS],
        "benchmark_versions": [*BENCHMARK_KEY, *BENCHMARK_FIELDS],
    }


def rehash_open_versions(con: duckdb.DuckDBPyConnection) -> int:
    """Re-hash the open versions of each table whose hashes another DuckDB version computed
    (after an upgrade), so that unchanged facts still compare equal. Returns the tables done."""
    done = 0
    for table, cols in _hashed_columns().items():
        stale = con.execute(
            f"SELECT 1 FROM {table} WHERE valid_to IS NULL AND NOT starts_with(row_hash, ?) LIMIT 1",
            [HASH_TAG]).fetchall()
        if stale:
            con.execute(f"UPDATE {table} SET row_hash = {_hash(cols)} WHERE valid_to IS NULL")
            done += 1
    return done


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
    benchmarks: int
    conflicts: int
    held: int


def reconcile(con: duckdb.DuckDBPyConnection, crawl_id: str, ts: object) -> ReconcileStats:
    """Build temp tables stage_models / stage_offers (the resolved state as of ``ts``) and log conflicts."""
    _field_types(con)
    rehash_open_versions(con)
    con.execute(CLAIMS_SQL, {"ts": ts})
    con.execute(WINNERS_SQL)
    con.execute(_previous_sql())
    con.execute(HELD_SQL)
    for statement in HOLD_SQL:
        con.execute(statement, {"crawl_id": crawl_id} if "$crawl_id" in statement else None)
    con.execute(stage_models_sql())
    con.execute(stage_offers_sql())
    con.execute(stage_benchmarks_sql())
    con.execute(CONFLICTS_SQL, {"crawl_id": crawl_id})
    con.execute(WITHHELD_SQL, {"crawl_id": crawl_id})

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
