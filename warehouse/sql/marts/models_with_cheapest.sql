-- Marts: models with cheapest (used by pipeline/inspect.py).
-- One row per model as of a date, with its cheapest tracked route (the comparison's rules:

-- standard prices of reviewed providers) from the temp table `sides` compare.prepare built.

SELECT m.model_id, m.name, m.creator, m.context_window, m.max_output_tokens,
       s.cheapest_input AS cheapest_input_usd_per_mtok, coalesce(s.cheapest_input_providers, []) AS cheapest_input_providers,
       s.cheapest_output AS cheapest_output_usd_per_mtok,
       coalesce(s.cheapest_output_providers, []) AS cheapest_output_providers,
       coalesce(s.providers_count, 0) AS providers_count
FROM models_asof(?) m LEFT JOIN sides s USING (model_id)
WHERE ? IS NULL OR contains(lower(m.model_id || ' ' || coalesce(m.name, '') || ' ' || coalesce(m.creator, '')), lower(?))
ORDER BY m.model_id
