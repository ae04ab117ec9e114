-- Marts: claims seen (used by pipeline/inspect.py).
-- Every claim seen about a model up to a date, newest first (the "other values seen").

SELECT o.entity, o.provider_id, o.provider_model_id, o.variant, o.benchmark_id, o.field, o.value, o.raw,
       o.status, o.source_id, o.url, c.started_at::DATE AS observed
FROM observations o JOIN crawls c USING (crawl_id)
WHERE o.model_id = ? AND c.started_at < asof_bound(?)
ORDER BY o.field, c.started_at DESC, o.source_id
