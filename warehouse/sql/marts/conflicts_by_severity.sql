-- Marts: conflicts by severity (used by pipeline/inspect.py).
SELECT severity, entity, model_id, provider_id, provider_model_id, variant, benchmark_id, field,
       chosen_value, chosen_source, rule, claims
FROM conflicts WHERE (? IS NULL OR list_contains(?::VARCHAR[], severity))
ORDER BY CASE severity WHEN 'held' THEN 0 WHEN 'major' THEN 1 ELSE 2 END, model_id, field
