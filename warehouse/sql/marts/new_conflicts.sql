-- Marts: new conflicts (used by pipeline/report.py).
-- A conflict of a crawl is new when the same field of the same entity had no conflict in the

-- crawl loaded just before it (every conflict of the first crawl is new).

WITH ordered AS (
    SELECT crawl_id, lag(crawl_id) OVER (ORDER BY started_at, crawl_id) AS previous_crawl FROM crawls
)
SELECT l.crawl_id, l.entity, l.model_id, l.provider_id, l.provider_model_id, l.variant, l.field,
       l.chosen_value, l.chosen_source, l.rule, l.severity, CAST(l.claims AS VARCHAR) AS claims
FROM conflict_log l JOIN ordered c USING (crawl_id)
WHERE l.crawl_id IN (SELECT unnest($crawl_ids::VARCHAR[]))
  AND NOT EXISTS (SELECT 1 FROM conflict_log p
                  WHERE p.crawl_id = c.previous_crawl AND p.entity = l.entity AND p.model_id = l.model_id
                    AND p.provider_id = l.provider_id AND p.variant = l.variant AND p.field = l.field)
ORDER BY l.crawl_id, l.severity, l.entity, l.model_id, l.provider_id, l.variant, l.provider_model_id, l.field
