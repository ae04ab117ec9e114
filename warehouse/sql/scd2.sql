-- Versioned (SCD2) load of one resolved state, set-wise. Parameters: $ts (the crawl's time),
-- $crawl_id. Reads the temp tables stage_models / stage_offers / stage_benchmarks built by
-- pipeline.reconcile. Per entity:
-- 1. diff: one full join of the staged rows with the open versions on the key, keeping the keys
--    whose row hash differs (changed, new or vanished): one pass instead of two anti-joins;
-- 2. retire the open versions the diff names (changed or no longer in the resolved state);
-- 3. insert the staged rows the diff names (changed or new).
-- Loading the same state twice finds an empty diff and changes nothing (idempotent).

CREATE OR REPLACE TEMP TABLE diff_model AS
SELECT COALESCE(s.model_id, v.model_id) AS model_id, v.row_hash AS old_hash, s.row_hash AS new_hash
FROM stage_models s
FULL JOIN (SELECT model_id, row_hash FROM model_versions WHERE valid_to IS NULL) v ON s.model_id = v.model_id
WHERE s.row_hash IS DISTINCT FROM v.row_hash;

UPDATE model_versions SET valid_to = $ts, closed_by = $crawl_id
FROM diff_model d
WHERE model_versions.valid_to IS NULL AND d.old_hash IS NOT NULL AND model_versions.model_id = d.model_id
  AND model_versions.row_hash = d.old_hash;

INSERT INTO model_versions BY NAME
SELECT s.*, $ts AS valid_from, NULL AS valid_to, $crawl_id AS opened_by, NULL AS closed_by
FROM stage_models s
WHERE EXISTS (SELECT 1 FROM diff_model d WHERE d.new_hash IS NOT NULL AND d.model_id = s.model_id);

CREATE OR REPLACE TEMP TABLE diff_offer AS
SELECT COALESCE(s.model_id, v.model_id) AS model_id, COALESCE(s.provider_id, v.provider_id) AS provider_id, COALESCE(s.variant, v.variant) AS variant, v.row_hash AS old_hash, s.row_hash AS new_hash
FROM stage_offers s
FULL JOIN (SELECT model_id, provider_id, variant, row_hash FROM offer_versions WHERE valid_to IS NULL) v ON s.model_id = v.model_id AND s.provider_id = v.provider_id AND s.variant = v.variant
WHERE s.row_hash IS DISTINCT FROM v.row_hash;

UPDATE offer_versions SET valid_to = $ts, closed_by = $crawl_id
FROM diff_offer d
WHERE offer_versions.valid_to IS NULL AND d.old_hash IS NOT NULL AND offer_versions.model_id = d.model_id AND offer_versions.provider_id = d.provider_id AND offer_versions.variant = d.variant
  AND offer_versions.row_hash = d.old_hash;

INSERT INTO offer_versions BY NAME
SELECT s.*, $ts AS valid_from, NULL AS valid_to, $crawl_id AS opened_by, NULL AS closed_by
FROM stage_offers s
WHERE EXISTS (SELECT 1 FROM diff_offer d WHERE d.new_hash IS NOT NULL AND d.model_id = s.model_id AND d.provider_id = s.provider_id AND d.variant = s.variant);

CREATE OR REPLACE TEMP TABLE diff_benchmark AS
SELECT COALESCE(s.model_id, v.model_id) AS model_id, COALESCE(s.benchmark_id, v.benchmark_id) AS benchmark_id, v.row_hash AS old_hash, s.row_hash AS new_hash
FROM stage_benchmarks s
FULL JOIN (SELECT model_id, benchmark_id, row_hash FROM benchmark_versions WHERE valid_to IS NULL) v ON s.model_id = v.model_id AND s.benchmark_id = v.benchmark_id
WHERE s.row_hash IS DISTINCT FROM v.row_hash;

UPDATE benchmark_versions SET valid_to = $ts, closed_by = $crawl_id
FROM diff_benchmark d
WHERE benchmark_versions.valid_to IS NULL AND d.old_hash IS NOT NULL AND benchmark_versions.model_id = d.model_id AND benchmark_versions.benchmark_id = d.benchmark_id
  AND benchmark_versions.row_hash = d.old_hash;

INSERT INTO benchmark_versions BY NAME
SELECT s.*, $ts AS valid_from, NULL AS valid_to, $crawl_id AS opened_by, NULL AS closed_by
FROM stage_benchmarks s
WHERE EXISTS (SELECT 1 FROM diff_benchmark d WHERE d.new_hash IS NOT NULL AND d.model_id = s.model_id AND d.benchmark_id = s.benchmark_id);
