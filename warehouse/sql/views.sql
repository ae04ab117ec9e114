-- Analyst views and time-travel macros. Recreated on every connection by migrate().
-- "As of" a date means the end of that day (UTC); a timestamp means that instant.

CREATE OR REPLACE MACRO asof_bound(ts) AS
    CASE WHEN length(CAST(ts AS VARCHAR)) = 10 THEN CAST(CAST(ts AS DATE) + INTERVAL 1 DAY AS TIMESTAMPTZ)
         ELSE CAST(ts AS TIMESTAMPTZ) + INTERVAL 1 MICROSECOND END;

-- Whether a provider is the model's creator selling it (a lab's own API for its model): the SQL twin
-- of pipeline.identity.is_creators_own.
CREATE OR REPLACE MACRO creators_own(provider_id, model_id) AS
    split_part(provider_id, '-', 1) = split_part(model_id, '/', 1);

-- When a healthy (or partial) crawl of any source last saw each entity: the basis of last_reviewed.
CREATE OR REPLACE VIEW sightings AS
SELECT DISTINCT o.entity, o.model_id, o.provider_id, o.provider_model_id, o.variant, o.benchmark_id, o.source_id,
       c.started_at AS seen_at
FROM observations o
JOIN crawl_sources cs USING (crawl_id, source_id)
JOIN crawls c USING (crawl_id)
WHERE cs.health <> 'failed';

CREATE OR REPLACE MACRO models_asof(ts) AS TABLE
WITH seen AS (
    SELECT model_id, max(seen_at)::DATE AS last_reviewed FROM sightings
    WHERE seen_at < asof_bound(ts) GROUP BY model_id
)
SELECT v.* EXCLUDE (row_hash, valid_to, closed_by), seen.last_reviewed
FROM model_versions v LEFT JOIN seen USING (model_id)
WHERE v.valid_from < asof_bound(ts) AND (v.valid_to IS NULL OR v.valid_to >= asof_bound(ts));

CREATE OR REPLACE MACRO offers_asof(ts) AS TABLE
WITH seen AS (
    SELECT model_id, provider_id, variant, max(seen_at)::DATE AS last_reviewed
    FROM sightings WHERE entity = 'offer' AND seen_at < asof_bound(ts) GROUP BY ALL
)
SELECT v.* EXCLUDE (row_hash, valid_to, closed_by), p.name AS provider_name, seen.last_reviewed
FROM offer_versions v
LEFT JOIN seen USING (model_id, provider_id, variant)
LEFT JOIN providers p USING (provider_id)
WHERE v.valid_from < asof_bound(ts) AND (v.valid_to IS NULL OR v.valid_to >= asof_bound(ts));

CREATE OR REPLACE MACRO benchmarks_asof(ts) AS TABLE
WITH seen AS (
    SELECT model_id, benchmark_id, max(seen_at)::DATE AS last_reviewed
    FROM sightings WHERE entity = 'benchmark' AND seen_at < asof_bound(ts) GROUP BY ALL
)
SELECT v.* EXCLUDE (row_hash, valid_to, closed_by), seen.last_reviewed
FROM benchmark_versions v LEFT JOIN seen USING (model_id, benchmark_id)
WHERE v.valid_from < asof_bound(ts) AND (v.valid_to IS NULL OR v.valid_to >= asof_bound(ts));

CREATE OR REPLACE VIEW models_current AS
SELECT * FROM models_asof(now());

CREATE OR REPLACE VIEW offers_current AS
SELECT * FROM offers_asof(now());

CREATE OR REPLACE VIEW benchmarks_current AS
SELECT * FROM benchmarks_asof(now());

CREATE OR REPLACE VIEW price_history AS
SELECT model_id, provider_id, provider_model_id, variant,
       input_usd_per_mtok, output_usd_per_mtok, cached_input_usd_per_mtok, cache_write_usd_per_mtok,
       valid_from, valid_to, opened_by, closed_by
FROM offer_versions
ORDER BY model_id, provider_id, variant, valid_from;

-- What changed between consecutive crawls: offers new, retired, or changed (price moves with
-- the old and new price and the percent move). One row per offer and crawl.
CREATE OR REPLACE VIEW changes AS
WITH opened AS (SELECT * FROM offer_versions WHERE opened_by IS NOT NULL),
closed AS (SELECT * FROM offer_versions WHERE closed_by IS NOT NULL),
moves AS (
    SELECT coalesce(o.opened_by, x.closed_by) AS crawl_id,
           coalesce(o.model_id, x.model_id) AS model_id,
           coalesce(o.provider_id, x.provider_id) AS provider_id,
           coalesce(o.provider_model_id, x.provider_model_id) AS provider_model_id,  -- a field of the offer, not its key
           coalesce(o.variant, x.variant) AS variant,
           CASE WHEN x.model_id IS NULL THEN 'new offer'
                WHEN o.model_id IS NULL THEN 'retired offer'
                WHEN o.input_usd_per_mtok IS DISTINCT FROM x.input_usd_per_mtok
                  OR o.output_usd_per_mtok IS DISTINCT FROM x.output_usd_per_mtok THEN 'price move'
                ELSE 'changed' END AS change,
           x.input_usd_per_mtok AS old_input_usd_per_mtok, o.input_usd_per_mtok AS new_input_usd_per_mtok,
           x.output_usd_per_mtok AS old_output_usd_per_mtok, o.output_usd_per_mtok AS new_output_usd_per_mtok
    FROM opened o
    FULL OUTER JOIN closed x
      ON o.opened_by = x.closed_by AND o.model_id = x.model_id AND o.provider_id = x.provider_id
     AND o.variant = x.variant
)
SELECT c.started_at AS changed_at, m.*,
       round((m.new_input_usd_per_mtok / nullif(m.old_input_usd_per_mtok, 0) - 1) * 100, 2) AS input_change_pct,
       round((m.new_output_usd_per_mtok / nullif(m.old_output_usd_per_mtok, 0) - 1) * 100, 2) AS output_change_pct
FROM moves m JOIN crawls c USING (crawl_id)
ORDER BY changed_at, model_id, provider_id, variant;

-- Conflicts standing in the newest loaded crawl.
CREATE OR REPLACE VIEW conflicts AS
SELECT * EXCLUDE (crawl_id), crawl_id AS found_in_crawl FROM conflict_log
WHERE crawl_id = (SELECT crawl_id FROM crawls ORDER BY started_at DESC LIMIT 1);

CREATE OR REPLACE VIEW source_status AS
SELECT cs.*, c.started_at
FROM crawl_sources cs JOIN crawls c USING (crawl_id)
QUALIFY row_number() OVER (PARTITION BY cs.source_id ORDER BY c.started_at DESC) = 1;
