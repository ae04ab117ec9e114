-- Analyst views and time-travel macros. Recreated on every connection by migrate(); comments.sql
-- gives each one a COMMENT (duckdb_views(), duckdb_functions()).
-- "As of" a date means the end of that day (UTC); a timestamp means that instant.

-- The exclusive upper bound of an "as of": a DATE or 'YYYY-MM-DD' text is the end of that day (the
-- next midnight, UTC); a TIMESTAMP/TIMESTAMPTZ is that instant (plus one microsecond, so a version
-- that opened exactly then is in). Every *_asof macro keeps what is valid before this bound.
CREATE OR REPLACE MACRO asof_bound(ts) AS
    CASE WHEN length(CAST(ts AS VARCHAR)) = 10 THEN CAST(CAST(ts AS DATE) + INTERVAL 1 DAY AS TIMESTAMPTZ)
         ELSE CAST(ts AS TIMESTAMPTZ) + INTERVAL 1 MICROSECOND END;

-- Whether a provider is the model's creator selling it (a lab's own API for its model): the SQL twin
-- of pipeline.identity.is_creators_own.
CREATE OR REPLACE MACRO creators_own(provider_id, model_id) AS
    split_part(provider_id, '-', 1) = split_part(model_id, '/', 1);

-- The stored provenance (JSON text, field -> winning claim) as a typed MAP:
-- provenance['context_window'].source_id, .url, .observed_at (DATE), .rule, .status, .raw.
CREATE OR REPLACE MACRO typed_provenance(provenance) AS
    json_transform(provenance,
        '"MAP(VARCHAR, STRUCT(source_id VARCHAR, url VARCHAR, observed_at DATE, rule VARCHAR, status VARCHAR, raw VARCHAR))"');

-- The stored claims of a conflict (JSON text) as a typed list, best ranked source first:
-- claims[1].source_id, .value, .raw, .url, .observed_at (DATE); unnest(claims) gives one row per claim.
CREATE OR REPLACE MACRO typed_claims(claims) AS
    json_transform(claims,
        '[{"source_id": "VARCHAR", "value": "VARCHAR", "raw": "VARCHAR", "url": "VARCHAR", "observed_at": "DATE"}]');

-- When a healthy (or partial) crawl of any source last saw each entity: the basis of last_reviewed.
CREATE OR REPLACE VIEW sightings AS
SELECT DISTINCT o.entity, o.model_id, o.provider_id, o.provider_model_id, o.variant, o.benchmark_id, o.source_id,
       c.started_at AS seen_at
FROM observations o
JOIN crawl_sources cs USING (crawl_id, source_id)
JOIN crawls c USING (crawl_id)
WHERE cs.health <> 'failed';

-- The models as they stood at ts (models_asof('2026-04-24'): the end of that day, UTC): the
-- version valid then, with typed provenance and last_reviewed (the last healthy crawl before ts
-- that saw the model). models_current is models_asof(now()).
CREATE OR REPLACE MACRO models_asof(ts) AS TABLE
WITH seen AS (
    -- sightings' rows, aggregated straight from the tables: max() needs no DISTINCT first
    SELECT o.model_id, max(c.started_at)::DATE AS last_reviewed
    FROM observations o JOIN crawl_sources cs USING (crawl_id, source_id) JOIN crawls c USING (crawl_id)
    WHERE cs.health <> 'failed' AND c.started_at < asof_bound(ts) GROUP BY o.model_id
)
SELECT v.* EXCLUDE (row_hash, valid_to, closed_by) REPLACE (typed_provenance(v.provenance) AS provenance),
       seen.last_reviewed
FROM model_versions v LEFT JOIN seen USING (model_id)
WHERE v.valid_from < asof_bound(ts) AND (v.valid_to IS NULL OR v.valid_to >= asof_bound(ts));

-- The offers as they stood at ts, with provider_name, last_reviewed and typed provenance, each
-- with the kind of route it is (route_kind) and whether it is a free tier (is_free_tier). The rule
-- is the comparisons' (pipeline/compare.py, comparisons.yaml, synced into route_rules and
-- route_settings), applied in this order:
--   1. the first route rule (by precedence) whose variant parts ('eu/batch' -> eu, batch) or
--      providers match names the kind (free, batch, flex, priority, commitment, regional-surcharge);
--   2. with cheapest_from 'reviewed', a provider nobody reviewed is 'unreviewed' (reviewed: in
--      reviewed_provider_ids when it is set, else named by curated in `providers`);
--   3. a route priced $0 for input and output (the known prices, at least one known) is 'free',
--      unless its model is one of free_model_ids (a model its source says is free to use);
--   4. anything else is 'standard': the routes "the cheapest tracked route" is chosen from.
-- is_free_tier: a rule of kind free matches the route (a 'free' variant part, e.g. a ':free' id),
-- or rule 3's $0 price holds, whatever kind an earlier rule gave the route.
CREATE OR REPLACE MACRO offers_asof(ts) AS TABLE
WITH seen AS (
    SELECT o.model_id, o.provider_id, o.variant, max(c.started_at)::DATE AS last_reviewed
    FROM observations o JOIN crawl_sources cs USING (crawl_id, source_id) JOIN crawls c USING (crawl_id)
    WHERE o.entity = 'offer' AND cs.health <> 'failed' AND c.started_at < asof_bound(ts) GROUP BY ALL
),
offers AS (
    SELECT v.* EXCLUDE (row_hash, valid_to, closed_by) REPLACE (typed_provenance(v.provenance) AS provenance),
           p.name AS provider_name, seen.last_reviewed,
           coalesce(k.rule_kinds, []) AS rule_kinds,
           s.cheapest_from = 'reviewed' AND NOT coalesce(list_contains(s.reviewed_provider_ids, v.provider_id),
                                                        p.named_by = 'curated', false) AS unreviewed,
           (v.input_usd_per_mtok IS NOT NULL OR v.output_usd_per_mtok IS NOT NULL)
             AND coalesce(v.input_usd_per_mtok, 0) = 0 AND coalesce(v.output_usd_per_mtok, 0) = 0
             AND NOT list_contains(coalesce(s.free_model_ids, []), v.model_id) AS priced_free
    FROM offer_versions v
    LEFT JOIN seen USING (model_id, provider_id, variant)
    LEFT JOIN providers p USING (provider_id)
    LEFT JOIN route_settings s ON true
    LEFT JOIN LATERAL (
        SELECT list(r.route_kind ORDER BY r.precedence) AS rule_kinds FROM route_rules r
        WHERE list_has_any(r.variant_parts, string_split(lower(v.variant), '/')) OR list_contains(r.provider_ids, v.provider_id)
    ) k ON true
    WHERE v.valid_from < asof_bound(ts) AND (v.valid_to IS NULL OR v.valid_to >= asof_bound(ts))
)
SELECT * EXCLUDE (rule_kinds, unreviewed, priced_free),
       coalesce(rule_kinds[1], CASE WHEN unreviewed THEN 'unreviewed' END, CASE WHEN priced_free THEN 'free' END,
                'standard') AS route_kind,
       list_contains(rule_kinds, 'free') OR priced_free AS is_free_tier
FROM offers;

-- The benchmark scores as they stood at ts, with typed provenance and last_reviewed.
CREATE OR REPLACE MACRO benchmarks_asof(ts) AS TABLE
WITH seen AS (
    SELECT o.model_id, o.benchmark_id, max(c.started_at)::DATE AS last_reviewed
    FROM observations o JOIN crawl_sources cs USING (crawl_id, source_id) JOIN crawls c USING (crawl_id)
    WHERE o.entity = 'benchmark' AND cs.health <> 'failed' AND c.started_at < asof_bound(ts) GROUP BY ALL
)
SELECT v.* EXCLUDE (row_hash, valid_to, closed_by) REPLACE (typed_provenance(v.provenance) AS provenance),
       seen.last_reviewed
FROM benchmark_versions v LEFT JOIN seen USING (model_id, benchmark_id)
WHERE v.valid_from < asof_bound(ts) AND (v.valid_to IS NULL OR v.valid_to >= asof_bound(ts));

CREATE OR REPLACE VIEW models_current AS
SELECT * FROM models_asof(now());

CREATE OR REPLACE VIEW offers_current AS
SELECT * FROM offers_asof(now());

CREATE OR REPLACE VIEW benchmarks_current AS
SELECT * FROM benchmarks_asof(now());

-- Per model with an offer as of a date: the cheapest standard route (route_kind 'standard': no
-- free tier, batch, flex, priority, commitment, regional surcharge or unreviewed provider) for input
-- and for output, with every route at that price (ties), by provider name, provider id, variant.
-- A model whose routes are all non-standard has NULL prices and empty lists.
CREATE OR REPLACE MACRO cheapest_routes_asof(ts) AS TABLE
WITH routes AS (
    SELECT * FROM offers_asof(ts)
),
priced AS (
    UNPIVOT (SELECT model_id, provider_id, provider_name, variant, provider_model_id,
                    input_usd_per_mtok AS input, output_usd_per_mtok AS output
             FROM routes WHERE route_kind = 'standard')
    ON input, output INTO NAME side VALUE usd_per_mtok
),
cheapest AS (
    SELECT model_id, side, any_value(usd_per_mtok) AS usd_per_mtok,
           list(struct_pack(provider_id := provider_id, provider_name := provider_name, variant := variant,
                            provider_model_id := provider_model_id)
                ORDER BY coalesce(provider_name, provider_id), provider_id, variant) AS routes
    FROM (SELECT * FROM priced QUALIFY usd_per_mtok = min(usd_per_mtok) OVER (PARTITION BY model_id, side))
    GROUP BY model_id, side
)
SELECT m.model_id,
       i.usd_per_mtok AS cheapest_input_usd_per_mtok, coalesce(i.routes, []) AS cheapest_input_routes,
       o.usd_per_mtok AS cheapest_output_usd_per_mtok, coalesce(o.routes, []) AS cheapest_output_routes
FROM (SELECT DISTINCT model_id FROM routes) m
LEFT JOIN cheapest i ON i.model_id = m.model_id AND i.side = 'input'
LEFT JOIN cheapest o ON o.model_id = m.model_id AND o.side = 'output'
ORDER BY m.model_id;

CREATE OR REPLACE VIEW cheapest_routes AS
SELECT * FROM cheapest_routes_asof(now());

CREATE OR REPLACE VIEW price_history AS
SELECT model_id, provider_id, provider_model_id, variant,
       input_usd_per_mtok, output_usd_per_mtok, cached_input_usd_per_mtok, cache_write_usd_per_mtok,
       valid_from, valid_to, opened_by, closed_by
FROM offer_versions
ORDER BY model_id, provider_id, variant, valid_from;

-- The `changes` view (what changed between consecutive crawls) is defined once, in
-- transform/60_changes.sql, and created right after these.

-- The conflicts standing as of ts: those logged by the newest crawl loaded before asof_bound(ts).
CREATE OR REPLACE MACRO conflicts_asof(ts) AS TABLE
SELECT * FROM conflict_log
WHERE crawl_id = (SELECT crawl_id FROM crawls WHERE started_at < asof_bound(ts) ORDER BY started_at DESC LIMIT 1)
ORDER BY entity, model_id, provider_id, provider_model_id, variant, benchmark_id, field;

-- Conflicts standing in the newest loaded crawl (crawl_id), with their claims typed.
CREATE OR REPLACE VIEW conflicts AS
SELECT * REPLACE (typed_claims(claims) AS claims) FROM conflict_log
WHERE crawl_id = (SELECT crawl_id FROM crawls ORDER BY started_at DESC LIMIT 1);

CREATE OR REPLACE VIEW source_status AS
SELECT cs.*, c.started_at
FROM crawl_sources cs JOIN crawls c USING (crawl_id)
QUALIFY row_number() OVER (PARTITION BY cs.source_id ORDER BY c.started_at DESC) = 1;
