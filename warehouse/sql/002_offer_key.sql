-- Schema version 2: an offer is keyed by (model, provider, variant); the provider's own model id
-- becomes a claimed fact of the offer. Model limits gain max_input_tokens (total context, max
-- input and max output are separate facts). Observations keep the order a page stated them in
-- (seq), which breaks ties between a source's own entries; raw pages say whether they parsed.
--
-- Versions resolved under the old key cannot be compared with the new ones, so the derived
-- tables are emptied here: the next `llm-ledger run` finds every stored crawl pending and
-- rebuilds the whole history from the raw archive (raw first: nothing is lost).
ALTER TABLE offer_versions ALTER COLUMN provider_model_id DROP NOT NULL;
ALTER TABLE offer_versions ADD COLUMN max_input_tokens BIGINT;
ALTER TABLE model_versions ADD COLUMN max_input_tokens BIGINT;
ALTER TABLE observations ADD COLUMN seq INTEGER;
ALTER TABLE raw_pages ADD COLUMN usable BOOLEAN;
ALTER TABLE providers ADD COLUMN named_by VARCHAR;
-- the entity an unreadable value belongs to (its last readable claim stands)
ALTER TABLE problems ADD COLUMN entity VARCHAR;
ALTER TABLE problems ADD COLUMN model_id VARCHAR;
ALTER TABLE problems ADD COLUMN provider_id VARCHAR;
ALTER TABLE problems ADD COLUMN variant VARCHAR;
DELETE FROM conflict_log;
DELETE FROM benchmark_versions;
DELETE FROM offer_versions;
DELETE FROM model_versions;
DELETE FROM observations;
DELETE FROM problems;
DELETE FROM raw_pages;
DELETE FROM crawl_sources;
DELETE FROM crawls;
-- The creators the identity rules know (warehouse/curated/aliases.yaml), synced on every run:
-- the creator of every model whose id names one of them is a curated fact.
CREATE TABLE creators (
    creator_id VARCHAR PRIMARY KEY,
    name       VARCHAR NOT NULL
);
