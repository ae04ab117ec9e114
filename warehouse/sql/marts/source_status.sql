-- Marts: source status (used by pipeline/inspect.py).
-- A model's routes (its prices per provider) from the temp table cmp_routes of compare.prepare:

-- standard routes first, cheapest first; `kind` names a route that is never the cheapest tracked one.

SELECT source_id, crawl_id, started_at::DATE AS crawled, health, pages, items, observations, errors, skipped, reason
FROM source_status
