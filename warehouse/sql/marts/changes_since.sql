-- Marts: changes since (used by pipeline/inspect.py).
SELECT changed_at::DATE AS day, change, model_id, provider_id, provider_model_id, variant,
       old_input_usd_per_mtok, new_input_usd_per_mtok, input_change_pct,
       old_output_usd_per_mtok, new_output_usd_per_mtok, output_change_pct, changed_fields
FROM changes WHERE changed_at >= CAST(? AS DATE)
