-- Marts: unmatched models (used by pipeline/inspect.py).
-- A model nothing corroborates: one listing (one source, one provider) names it, not under its

-- creator's own API, so nothing says

-- its id is not a model others call by another id. Reviewed by people, who add an alias or

-- confirm it as a model of its own. (A model that ten providers of one catalog list under ids

-- that all resolve to it is corroborated by those spellings.)

WITH listings AS (
    SELECT model_id, source_id, provider_id FROM observations WHERE entity = 'offer'
    UNION
    SELECT model_id, source_id, '' FROM observations o WHERE entity <> 'offer'
      AND NOT EXISTS (SELECT 1 FROM observations x WHERE x.entity = 'offer' AND x.model_id = o.model_id
                      AND x.source_id = o.source_id)
)
SELECT model_id, min(source_id) AS source_id, count(DISTINCT provider_id) FILTER (WHERE provider_id <> '') AS offers,
       count(*) AS listings,
       -- listed by its creator's own API (anthropic's claude-2.1, google-vertex's chat-bison): the id
       -- is the creator's own spelling, nothing to match
       bool_or(creators_own(provider_id, model_id)) AS creator_listed
FROM listings
WHERE model_id IN (SELECT model_id FROM models_current)
GROUP BY model_id
ORDER BY model_id
