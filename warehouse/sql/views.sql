-- Analyst views and time-travel macros. Recreated on every connection by migrate().
-- "As of" a date means the end of that day (UTC); a timestamp means that instant.

CREATE OR REPLACE MACRO asof_bound(ts) AS
    CASE WHEN length(CAST(ts AS VARCHAR)) = 10 THEN CAST(CAST(ts AS DATE) + INTERVAL 1 DAY AS TIMESTAMPTZ)
         ELSE CAST(ts AS TIMESTAMPTZ) + INTERVAL 1 MICROSECOND END;

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
    SELECT model_id, provider_id, provider_model_id, variant, max(seen_at)::DATE AS last_reviewed
    FROM sightings WHERE entity = 'offer' AND seen_at < asof_bound(ts) GROUP BY ALL
)
SELECT v.* EXCLUDE (row_hash, valid_to, closed_by), p.name AS provider_name, seen.last_reviewed
FROM offer_versions v
LEFT JOIN seen USING (model_id, provider_id, provider_model_id, variant)
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
ORDER BY model_id, provider_id, provider_model_id, variant, valid_from;

-- Conflicts standing in the newest loaded crawl.
CREATE OR REPLACE VIEW conflicts AS
SELECT * EXCLUDE (crawl_id), crawl_id AS found_in_crawl FROM conflict_log
WHERE crawl_id = (SELECT crawl_id FROM crawls ORDER BY started_at DESC LIMIT 1);

CREATE OR REPLACE VIEW source_status AS
SELECT cs.*, c.started_at
FROM crawl_sources cs JOIN crawls c USING (crawl_id)
QUALIFY row_number() OVER (PARTITION BY cs.source_id ORDER BY c.started_at DESC) = 1;
