-- Layer 1, claims: what each source claims now, one row per source and field.
-- Parameters: $ts (the crawl's time), $model_limits (pipeline/reconcile.py MODEL_LIMITS).
-- The claims that stand as of a crawl: per source, the observations of its latest healthy
-- crawl, plus those of partial crawls since (which add or update, but retire nothing).
-- Failed crawls contribute nothing, so a broken source keeps its last good state.
-- Curated overrides reviewed on or before the crawl stand beside them.
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
    WHERE entity = 'offer' AND variant = '' AND list_contains($model_limits, field) AND status = 'known'
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
            WHEN ft.type = 'int' THEN CASE WHEN regexp_matches(coalesce(c.raw, ''), '\d\s*[kKmMbB]') THEN 0 ELSE 1 END
            WHEN ft.type = 'partial_date' THEN length(c.value)
            ELSE 0 END AS precision,
       -- Model limits: the largest claim first (see MODEL_LIMITS)
       CASE WHEN c.entity = 'model' AND c.status = 'known' AND list_contains($model_limits, c.field)
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
    ORDER BY coalesce(specific.rank, dflt.rank), precision DESC, c.seq, c.url) = 1;
