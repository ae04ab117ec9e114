-- Layer 5, SCD2: the versioned load of one entity's staged state ({{ stage }}, layer 4) into
-- {{ versions }}. Rendered once per entity of pipeline/fields.py (warehouse/transform.py);
-- parameters: $ts (the crawl's time), $crawl_id.
-- 1. diff: the row hashes of the staged rows against those of the open versions. The hash covers
--    the key and every fact (pipeline/fields.py), so equal hashes are an unchanged row and one join
--    on one column finds the changed, new and vanished ones (a 64-bit hash: two different rows of
--    one day collide with odds of about 1 in 10^10);
-- 2. retire the open versions the diff names (changed, or gone from the resolved state);
-- 3. insert the staged rows the diff names (changed or new).
-- Loading the same state twice finds an empty diff and changes nothing (idempotent).

CREATE OR REPLACE TEMP TABLE diff_{{ entity }} AS
SELECT v.row_hash AS old_hash, s.row_hash AS new_hash
FROM {{ stage }} s
FULL JOIN (SELECT row_hash FROM {{ versions }} WHERE valid_to IS NULL) v ON s.row_hash = v.row_hash
WHERE s.row_hash IS NULL OR v.row_hash IS NULL;

UPDATE {{ versions }} SET valid_to = $ts, closed_by = $crawl_id
WHERE valid_to IS NULL AND row_hash IN (SELECT old_hash FROM diff_{{ entity }} WHERE old_hash IS NOT NULL);

INSERT INTO {{ versions }} BY NAME
SELECT s.*, $ts AS valid_from, NULL AS valid_to, $crawl_id AS opened_by, NULL AS closed_by
FROM {{ stage }} s
WHERE s.row_hash IN (SELECT new_hash FROM diff_{{ entity }} WHERE new_hash IS NOT NULL);
