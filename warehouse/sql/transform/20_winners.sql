-- Layer 2, winners: one claim per entity and field, by the policy of pipeline/reconcile.py's
-- docstring (known beats unknown, then authority rank, precision, agreement, newest, source id).
CREATE OR REPLACE TEMP TABLE winners AS
SELECT *,
       CASE WHEN status <> 'known' THEN 'no known value'
            WHEN n_known = 1 THEN 'only claim (' || authority || ')'
            WHEN n_values = 1 THEN 'agreed (' || authority || ')'
            ELSE 'authority: ' || authority || ', then precision, agreement, newest' END AS rule
FROM (
    SELECT c.*, count(*) FILTER (WHERE status = 'known') OVER k AS n_known,
           count(DISTINCT value) OVER k AS n_values,
           -- how many entries of equally ranked claims state this value (a catalog lists a model
           -- once per reseller, and resellers give the day they listed it as its release date)
           sum(support) OVER (PARTITION BY entity, model_id, provider_id, provider_model_id, variant, benchmark_id,
                                           field, rank, value) AS agreement
    FROM claims c
    WHERE NOT withheld
    WINDOW k AS (PARTITION BY entity, model_id, provider_id, provider_model_id, variant, benchmark_id, field)
)
QUALIFY row_number() OVER (
    PARTITION BY entity, model_id, provider_id, provider_model_id, variant, benchmark_id, field
    -- model limits: a value two entries state before a larger one a single entry states (one
    -- reseller's odd limit is not the model's), then the largest
    ORDER BY (status = 'known') DESC, rank, (limit_value IS NOT NULL AND support >= 2) DESC,
             limit_value DESC NULLS LAST, precision DESC,
             CASE WHEN entity = 'model' THEN agreement END DESC NULLS LAST, observed_at DESC, source_id, seq) = 1;
