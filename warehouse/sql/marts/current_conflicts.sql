-- Marts: current conflicts (used by pipeline/report.py).
SELECT entity, model_id, provider_id, provider_model_id, variant, field,
       chosen_value, chosen_source, rule, severity, CAST(to_json(claims) AS VARCHAR) AS claims, crawl_id
FROM conflicts
