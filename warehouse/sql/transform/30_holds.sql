-- Layer 3a, holds: values that would move too far are held for review. The previous value stays
-- published and the new claim is logged as a `held` conflict (curated overrides are never held).
-- Parameters: $crawl_id, $price_jump (a price moving more than this factor between crawls),
-- $limit_fields (limits that may not shrink). Template variables (pipeline/reconcile.py, from
-- pipeline/fields.py): held_offer (offer columns: name, is_decimal), held_model (model columns).

-- the open versions' values of the watched fields, as the canonical text a claim carries
-- (pipeline.normalize.decimal_text: a decimal without trailing zeros)
CREATE OR REPLACE TEMP TABLE previous AS
SELECT 'offer' AS entity, model_id, provider_id, '' AS provider_model_id, variant, '' AS benchmark_id, field, prev
FROM (UNPIVOT (SELECT model_id, provider_id, variant,
{% for f, is_decimal in held_offer %}
                      {% if is_decimal %}CASE WHEN {{ f }} = 0 THEN '0' ELSE rtrim(rtrim(CAST({{ f }} AS VARCHAR), '0'), '.') END{% else %}CAST({{ f }} AS VARCHAR){% endif %} AS {{ f }}{{ "," if not loop.last }}
{% endfor %}
               FROM offer_versions WHERE valid_to IS NULL)
      ON {{ held_offer | map(attribute=0) | join(", ") }} INTO NAME field VALUE prev)
UNION ALL
SELECT 'model', model_id, '', '', '', '', field, prev
FROM (UNPIVOT (SELECT model_id, {% for f in held_model %}CAST({{ f }} AS VARCHAR) AS {{ f }}{{ ", " if not loop.last }}{% endfor %}
               FROM model_versions WHERE valid_to IS NULL)
      ON {{ held_model | join(", ") }} INTO NAME field VALUE prev);

CREATE OR REPLACE TEMP TABLE held AS
SELECT w.entity, w.model_id, w.provider_id, w.provider_model_id, w.variant, w.benchmark_id, w.field,
       p.prev, w.value AS claimed, w.source_id, w.url, w.raw, w.observed_at,
       CASE WHEN w.ftype = 'decimal' THEN 'held for review: price moved more than ' || $price_jump || 'x'
            ELSE 'held for review: limit shrank' END AS rule
FROM winners w
JOIN previous p USING (entity, model_id, provider_id, provider_model_id, variant, benchmark_id, field)
WHERE w.status = 'known' AND w.authority <> 'override' AND p.prev IS NOT NULL AND w.value <> p.prev AND (
      (w.ftype = 'decimal' AND w.entity = 'offer' AND CAST(p.prev AS DECIMAL(38, 18)) > 0
       AND CAST(w.value AS DECIMAL(38, 18)) > 0
       AND (CAST(w.value AS DECIMAL(38, 18)) > $price_jump * CAST(p.prev AS DECIMAL(38, 18))
            OR CAST(p.prev AS DECIMAL(38, 18)) > $price_jump * CAST(w.value AS DECIMAL(38, 18))))
   OR (list_contains($limit_fields, w.field) AND CAST(w.value AS BIGINT) < CAST(p.prev AS BIGINT)));

INSERT INTO conflict_log
SELECT $crawl_id, entity, model_id, provider_id, provider_model_id, variant, benchmark_id, field,
       prev, 'previous version', rule, 'held',
       to_json([struct_pack(source_id := source_id, value := claimed, raw := raw, url := url,
                            observed_at := observed_at::DATE)])
FROM held;

UPDATE winners SET value = held.prev, rule = held.rule
FROM held
WHERE winners.entity = held.entity AND winners.model_id = held.model_id
  AND winners.provider_id = held.provider_id AND winners.provider_model_id = held.provider_model_id
  AND winners.variant = held.variant AND winners.benchmark_id = held.benchmark_id AND winners.field = held.field;
