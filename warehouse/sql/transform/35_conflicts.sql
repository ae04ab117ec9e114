-- Layer 3b, conflicts: known values that still disagree after the winner was chosen, and the
-- unknowns withheld in layer 1. Parameter: $crawl_id.
--
-- Two known values "within display rounding" are a `minor` conflict: a decimal that rounds to the
-- other (0.201 -> 0.20), token counts within 2.5% (131,072 and 128,000 are both "128K"), a month
-- that contains the day. Everything else is `major`. The decimal test is a tolerance check only:
-- the values themselves never go through floats.
-- Only fields whose claims state more than one value can be in conflict (winners' n_values; most
-- fields have one): the join of claims to winners below is over those alone.
CREATE OR REPLACE TEMP TABLE disputed AS
SELECT * FROM winners WHERE status = 'known' AND n_values > 1;

INSERT INTO conflict_log
SELECT $crawl_id, w.entity, w.model_id, w.provider_id, w.provider_model_id, w.variant, w.benchmark_id, w.field,
       w.value, w.source_id, w.rule,
       CASE WHEN bool_and(within) THEN 'minor' ELSE 'major' END,
       to_json(list(struct_pack(source_id := c.source_id, value := c.value, raw := c.raw, url := c.url,
                                observed_at := c.observed_at::DATE) ORDER BY c.rank, c.source_id, c.value, c.raw, c.url))
FROM disputed w
JOIN (
    SELECT c.*,
           CASE WHEN c.value = w2.value THEN true
                WHEN c.ftype = 'decimal' THEN
                     abs(CAST(c.value AS DOUBLE) - CAST(w2.value AS DOUBLE))
                       <= 0.5 * pow(10, -least(length(split_part(c.value, '.', 2)), length(split_part(w2.value, '.', 2)))) + 1e-12
                WHEN c.ftype = 'int' THEN
                     abs(CAST(c.value AS DOUBLE) - CAST(w2.value AS DOUBLE))
                       <= 0.025 * greatest(CAST(c.value AS DOUBLE), CAST(w2.value AS DOUBLE))
                WHEN c.ftype = 'partial_date' THEN starts_with(c.value, w2.value) OR starts_with(w2.value, c.value)
                ELSE false END AS within
    FROM claims c JOIN disputed w2 USING (entity, model_id, provider_id, provider_model_id, variant, benchmark_id, field)
    WHERE c.status = 'known'
      -- a smaller model limit than the chosen one is a serving limit (MODEL_LIMITS), not a conflict
      AND NOT coalesce(c.limit_value < TRY_CAST(w2.value AS BIGINT), false)
) c USING (entity, model_id, provider_id, provider_model_id, variant, benchmark_id, field)
GROUP BY ALL
HAVING count(DISTINCT c.value) > 1;

-- A source that now gives "unknown" where it stated a value: its known value stands (claims),
-- and each such field is logged as held until the source states a value again or a person decides.
INSERT INTO conflict_log
SELECT $crawl_id, w.entity, w.model_id, w.provider_id, w.provider_model_id, w.variant, w.benchmark_id, w.field,
       w.value, 'previous version', 'held: the source now gives no value; its last known value stands', 'held',
       to_json(list(struct_pack(source_id := c.source_id, value := c.value, raw := c.raw, url := c.url,
                                observed_at := c.observed_at::DATE) ORDER BY c.source_id, c.url))
FROM claims c
JOIN winners w USING (entity, model_id, provider_id, provider_model_id, variant, benchmark_id, field)
WHERE c.withheld AND w.status = 'known'
GROUP BY ALL;
