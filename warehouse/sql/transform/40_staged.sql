-- Layer 4, staged versions: one entity's resolved state as one row per key (the winners pivoted to
-- typed columns), with the provenance of each field and the row hash the SCD2 layer compares.
-- Rendered once per entity of pipeline/fields.py: key, fields (name, type), row_hash (the hash
-- expression of pipeline/reconcile.py over the key and every fact).
{% macro typed(f, t) -%}
{% set v = "max(value) FILTER (WHERE field = '" ~ f ~ "' AND status = 'known')" -%}
{% if t == 'decimal' %}CAST({{ v }} AS DECIMAL(18, 9)){% elif t == 'int' %}CAST({{ v }} AS BIGINT)
{%- elif t == 'date' %}CAST({{ v }} AS DATE){% elif t == 'bool' %}({{ v }} = 'true'){% else %}{{ v }}{% endif %}
{%- endmacro %}
CREATE OR REPLACE TEMP TABLE {{ stage }} AS
WITH piv AS (
    SELECT {{ key | join(", ") }},
{% for f, t in typed_fields %}
           {{ typed(f, t) }} AS {{ f }},
{% endfor %}
           -- keys in field order: json_group_object keeps the (unstable) order rows arrive in, and
           -- a rebuild must give the same bytes
           to_json(map(list(field ORDER BY field),
                       list(json_object('source_id', source_id, 'url', url, 'observed_at', observed_at::DATE,
                                        'rule', rule, 'status', status, 'raw', raw) ORDER BY field))) AS provenance
    FROM winners WHERE entity = '{{ entity }}' GROUP BY {{ key | join(", ") }}
{% if entity == 'model' %}
), ids AS (
    -- a model exists once any model or offer claim names it, known values or not
    SELECT DISTINCT model_id FROM claims WHERE entity <> 'benchmark'
)
SELECT ids.model_id, piv.* EXCLUDE (model_id), {{ row_hash }} AS row_hash
FROM ids LEFT JOIN piv USING (model_id)
{% else %}
)
SELECT *, {{ row_hash }} AS row_hash FROM piv
{% endif %}
;
