-- Marts: offer changes (used by pipeline/model_log.py).
-- Offer changes as the `changes` view defines them, with both versions for the changed values.

SELECT ch.changed_at, ch.model_id, ch.provider_id, coalesce(p.name, ch.provider_id) AS provider_name,
       ch.variant, ch.change, ch.changed_fields,
       CASE WHEN o.model_id IS NOT NULL THEN to_json(o) END AS new, CASE WHEN x.model_id IS NOT NULL THEN to_json(x) END AS old
FROM changes ch
LEFT JOIN offer_versions o ON o.opened_by = ch.crawl_id AND o.model_id = ch.model_id
     AND o.provider_id = ch.provider_id AND o.variant = ch.variant
LEFT JOIN offer_versions x ON x.closed_by = ch.crawl_id AND x.model_id = ch.model_id
     AND x.provider_id = ch.provider_id AND x.variant = ch.variant
LEFT JOIN providers p ON p.provider_id = ch.provider_id
WHERE ch.changed_at < asof_bound($as_of)
