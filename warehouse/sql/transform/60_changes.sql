{#- Marts: what changed, defined once. `offer_changes(old, new)` pairs two states of the offers:
    relations with the offer's key, its facts (pipeline/fields.py) and a crawl_id; rows of one
    crawl_id are compared on the key. It is rendered for the history (the `changes` view: the
    versions a crawl closed against those it opened; report.changes_in_crawls) and for two
    snapshots of the warehouse (report.changes_between: before and after a rebuild).
    Variables: key (the offer key), fields (every offer fact), prices (the DECIMAL ones). -#}
{% macro offer_changes(old, new) -%}
SELECT coalesce(n.crawl_id, o.crawl_id) AS crawl_id,
{% for k in key %}
       coalesce(n.{{ k }}, o.{{ k }}) AS {{ k }},
{% endfor %}
       -- a fact of the offer, not its key: shown, not matched
       coalesce(n.provider_model_id, o.provider_model_id) AS provider_model_id,
       CASE WHEN o.crawl_id IS NULL THEN 'new offer'
            WHEN n.crawl_id IS NULL THEN 'retired offer'
            WHEN {% for f in prices %}o.{{ f }} IS DISTINCT FROM n.{{ f }}{{ "\n              OR " if not loop.last }}{% endfor %} THEN 'price move'
            ELSE 'changed' END AS change,
       o.input_usd_per_mtok AS old_input_usd_per_mtok, n.input_usd_per_mtok AS new_input_usd_per_mtok,
       o.output_usd_per_mtok AS old_output_usd_per_mtok, n.output_usd_per_mtok AS new_output_usd_per_mtok,
       -- every fact that differs, in the order of pipeline/fields.py (NULL for a new or retired offer)
       CASE WHEN o.crawl_id IS NOT NULL AND n.crawl_id IS NOT NULL THEN list_filter([
{% for f in fields %}
           CASE WHEN o.{{ f }} IS DISTINCT FROM n.{{ f }} THEN '{{ f }}' END{{ "," if not loop.last }}
{% endfor %}
       ], f -> f IS NOT NULL) END AS changed_fields,
       -- every price that moved: field, old, new (empty for a new or retired offer)
       list_filter([
{% for f in prices %}
           CASE WHEN o.crawl_id IS NOT NULL AND n.crawl_id IS NOT NULL AND o.{{ f }} IS DISTINCT FROM n.{{ f }}
                THEN struct_pack(field := '{{ f }}', old := CAST(o.{{ f }} AS DECIMAL(18, 9)), new := CAST(n.{{ f }} AS DECIMAL(18, 9))) END{{ "," if not loop.last }}
{% endfor %}
       ], m -> m IS NOT NULL) AS price_moves
FROM ({{ old }}) o
FULL JOIN ({{ new }}) n ON o.crawl_id = n.crawl_id{% for k in key %} AND o.{{ k }} = n.{{ k }}{% endfor %}

WHERE o.crawl_id IS NULL OR n.crawl_id IS NULL
{% for f in fields %}
   OR o.{{ f }} IS DISTINCT FROM n.{{ f }}
{% endfor %}
{%- endmacro %}

{% macro history(where_closed="closed_by IS NOT NULL", where_opened="opened_by IS NOT NULL") -%}
{{ offer_changes("SELECT *, closed_by AS crawl_id FROM offer_versions WHERE " ~ where_closed,
                 "SELECT *, opened_by AS crawl_id FROM offer_versions WHERE " ~ where_opened) }}
{%- endmacro %}

-- What changed between consecutive crawls: offers new, retired, or changed (price moves with
-- the old and new price and the percent move). One row per offer and crawl; changed_fields names
-- every fact of the offer whose value differs between the retired and the new version, NULL for
-- a new or retired offer; price_moves lists every price that moved (field, old, new).
CREATE OR REPLACE VIEW changes AS
SELECT c.started_at AS changed_at, m.*,
       round((m.new_input_usd_per_mtok / nullif(m.old_input_usd_per_mtok, 0) - 1) * 100, 2) AS input_change_pct,
       round((m.new_output_usd_per_mtok / nullif(m.old_output_usd_per_mtok, 0) - 1) * 100, 2) AS output_change_pct
FROM ({{ history() }}) m JOIN crawls c USING (crawl_id)
ORDER BY changed_at, model_id, provider_id, variant;
