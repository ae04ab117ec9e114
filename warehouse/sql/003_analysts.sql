-- Schema version 3: one name per idea, and the route rules in the warehouse. Keeps every row.
--
-- Provenance names a claim's source `source_id`, as claims, observations and every table do
-- (it said `source`). A text rewrite is exact here: the stored JSON is DuckDB's to_json output
-- (no whitespace), and `"source":` can only be a key (a quote inside a string value is escaped).
UPDATE model_versions SET provenance = CAST(replace(CAST(provenance AS VARCHAR), '"source":', '"source_id":') AS JSON)
WHERE provenance IS NOT NULL;
UPDATE offer_versions SET provenance = CAST(replace(CAST(provenance AS VARCHAR), '"source":', '"source_id":') AS JSON)
WHERE provenance IS NOT NULL;
UPDATE benchmark_versions SET provenance = CAST(replace(CAST(provenance AS VARCHAR), '"source":', '"source_id":') AS JSON)
WHERE provenance IS NOT NULL;

-- Which routes are not standard on-demand routes: comparisons.yaml `non_standard_routes`,
-- synced on every run (pipeline.process.sync_sources). The first rule that matches a route, by
-- precedence, names its route_kind (views.sql: offers_asof).
CREATE TABLE route_rules (
    route_kind    VARCHAR NOT NULL,
    precedence    INTEGER NOT NULL,
    variant_parts VARCHAR[] NOT NULL,
    provider_ids  VARCHAR[] NOT NULL
);

-- comparisons.yaml `cheapest_from` and `free_models`, synced on every run (one row).
-- reviewed_provider_ids: NULL here (the providers named by curated in `providers` are the reviewed
-- ones); a comparison run over another configuration states its own (pipeline/compare.py).
CREATE TABLE route_settings (
    cheapest_from         VARCHAR NOT NULL,
    free_model_ids        VARCHAR[] NOT NULL,
    reviewed_provider_ids VARCHAR[]
);
