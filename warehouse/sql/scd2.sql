-- Versioned (SCD2) load of one resolved state, set-wise. Parameters: $ts (the crawl's time),
-- $crawl_id. Reads the temp tables stage_models / stage_offers built by pipeline.reconcile.
-- 1. retire current rows whose facts changed or that are no longer in the resolved state;
-- 2. insert staged rows that have no identical current row.
-- Loading the same state twice changes nothing (idempotent).

UPDATE model_versions SET valid_to = $ts, closed_by = $crawl_id
WHERE valid_to IS NULL
  AND NOT EXISTS (SELECT 1 FROM stage_models s
                  WHERE s.model_id = model_versions.model_id AND s.row_hash = model_versions.row_hash);

INSERT INTO model_versions BY NAME
SELECT s.*, $ts AS valid_from, NULL AS valid_to, $crawl_id AS opened_by, NULL AS closed_by
FROM stage_models s
WHERE NOT EXISTS (SELECT 1 FROM model_versions v
                  WHERE v.valid_to IS NULL AND v.model_id = s.model_id AND v.row_hash = s.row_hash);

UPDATE offer_versions SET valid_to = $ts, closed_by = $crawl_id
WHERE valid_to IS NULL
  AND NOT EXISTS (SELECT 1 FROM stage_offers s
                  WHERE s.model_id = offer_versions.model_id AND s.provider_id = offer_versions.provider_id
                    AND s.provider_model_id = offer_versions.provider_model_id
                    AND s.variant = offer_versions.variant AND s.row_hash = offer_versions.row_hash);

INSERT INTO offer_versions BY NAME
SELECT s.*, $ts AS valid_from, NULL AS valid_to, $crawl_id AS opened_by, NULL AS closed_by
FROM stage_offers s
WHERE NOT EXISTS (SELECT 1 FROM offer_versions v
                  WHERE v.valid_to IS NULL AND v.model_id = s.model_id AND v.provider_id = s.provider_id
                    AND v.provider_model_id = s.provider_model_id AND v.variant = s.variant
                    AND v.row_hash = s.row_hash);

UPDATE benchmark_versions SET valid_to = $ts, closed_by = $crawl_id
WHERE valid_to IS NULL
  AND NOT EXISTS (SELECT 1 FROM stage_benchmarks s
                  WHERE s.model_id = benchmark_versions.model_id AND s.benchmark_id = benchmark_versions.benchmark_id
                    AND s.row_hash = benchmark_versions.row_hash);

INSERT INTO benchmark_versions BY NAME
SELECT s.*, $ts AS valid_from, NULL AS valid_to, $crawl_id AS opened_by, NULL AS closed_by
FROM stage_benchmarks s
WHERE NOT EXISTS (SELECT 1 FROM benchmark_versions v
                  WHERE v.valid_to IS NULL AND v.model_id = s.model_id AND v.benchmark_id = s.benchmark_id
                    AND v.row_hash = s.row_hash);
