-- Marts: the conflicts standing as of $as_of, with the provider's name (used by pipeline/model_log.py).
SELECT l.*, coalesce(p.name, l.provider_id) AS provider_name
FROM conflicts_asof($as_of) l LEFT JOIN providers p USING (provider_id)
ORDER BY l.model_id, l.entity, l.provider_id, l.provider_model_id, l.variant, l.benchmark_id, l.field
