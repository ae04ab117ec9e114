-- Marts: model changes (used by pipeline/model_log.py).
-- Every version of a model's facts opened by a crawl up to the date, with the version it replaced

-- (NULL: the model's first version).

SELECT c.started_at AS changed_at, o.model_id, to_json(o) AS new,
       CASE WHEN x.model_id IS NOT NULL THEN to_json(x) END AS old  -- a missing row is all NULLs in to_json
FROM model_versions o JOIN crawls c ON c.crawl_id = o.opened_by
LEFT JOIN model_versions x ON x.closed_by = o.opened_by AND x.model_id = o.model_id
WHERE c.started_at < asof_bound($as_of)
