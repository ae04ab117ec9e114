-- llm-ledger warehouse schema, version 1. Applied once by warehouse.connection.migrate().

CREATE TABLE sources (
    source_id      VARCHAR PRIMARY KEY,
    name           VARCHAR NOT NULL,
    kind           VARCHAR NOT NULL,
    authority      VARCHAR NOT NULL,
    authority_rank INTEGER NOT NULL,
    provider_id    VARCHAR,
    provider_name  VARCHAR
);

-- The reconciliation policy in force: per entity and field ('*' = default), authorities ranked.
CREATE TABLE policy (
    entity    VARCHAR NOT NULL,
    field     VARCHAR NOT NULL,
    authority VARCHAR NOT NULL,
    rank      INTEGER NOT NULL
);

-- Curated overrides (warehouse/curated/overrides.yaml), synced on every run; they stand as
-- claims of authority `override` from their reviewed_on date.
CREATE TABLE overrides (
    source_id         VARCHAR NOT NULL,
    entity            VARCHAR NOT NULL,
    model_id          VARCHAR NOT NULL,
    provider_id       VARCHAR NOT NULL,
    provider_model_id VARCHAR NOT NULL,
    variant           VARCHAR NOT NULL,
    benchmark_id      VARCHAR NOT NULL,
    field             VARCHAR NOT NULL,
    value             VARCHAR NOT NULL,
    reason            VARCHAR NOT NULL,
    source_url        VARCHAR NOT NULL,
    reviewed_on       DATE NOT NULL
);

CREATE TABLE providers (
    provider_id VARCHAR PRIMARY KEY,
    name        VARCHAR NOT NULL
);

CREATE TABLE crawls (
    crawl_id   VARCHAR PRIMARY KEY,
    started_at TIMESTAMPTZ NOT NULL,
    mode       VARCHAR NOT NULL,
    loaded_at  TIMESTAMPTZ NOT NULL,
    run_id     VARCHAR NOT NULL
);

CREATE TABLE crawl_sources (
    crawl_id      VARCHAR NOT NULL,
    source_id     VARCHAR NOT NULL,
    fetch_status  VARCHAR NOT NULL,
    health        VARCHAR NOT NULL,
    reason        VARCHAR,
    pages         INTEGER NOT NULL,
    items         INTEGER NOT NULL,
    observations  INTEGER NOT NULL,
    errors        INTEGER NOT NULL,
    skipped       INTEGER NOT NULL,
    PRIMARY KEY (crawl_id, source_id)
);

CREATE TABLE raw_pages (
    crawl_id   VARCHAR NOT NULL,
    source_id  VARCHAR NOT NULL,
    url        VARCHAR NOT NULL,
    status     INTEGER NOT NULL,
    headers    JSON,
    fetched_at TIMESTAMPTZ NOT NULL,
    sha256     VARCHAR NOT NULL,
    body_file  VARCHAR NOT NULL,
    size_bytes BIGINT NOT NULL
);

CREATE TABLE problems (
    crawl_id  VARCHAR NOT NULL,
    source_id VARCHAR NOT NULL,
    url       VARCHAR NOT NULL,
    field     VARCHAR,
    severity  VARCHAR NOT NULL,
    message   VARCHAR NOT NULL
);

CREATE TABLE observations (
    crawl_id          VARCHAR NOT NULL,
    source_id         VARCHAR NOT NULL,
    url               VARCHAR NOT NULL,
    entity            VARCHAR NOT NULL,
    model_id          VARCHAR NOT NULL,
    provider_id       VARCHAR NOT NULL,  -- '' for model facts
    provider_model_id VARCHAR NOT NULL,  -- '' for model facts
    variant           VARCHAR NOT NULL,
    benchmark_id      VARCHAR NOT NULL,  -- '' unless entity = 'benchmark'
    field             VARCHAR NOT NULL,
    raw               VARCHAR,
    value             VARCHAR,
    status            VARCHAR NOT NULL
);

CREATE TABLE model_versions (
    model_id          VARCHAR NOT NULL,
    name              VARCHAR,
    creator           VARCHAR,
    context_window    BIGINT,
    max_output_tokens BIGINT,
    parameters_total  BIGINT,
    parameters_active BIGINT,
    parameters_label  VARCHAR,
    experts_total     INTEGER,
    experts_active    INTEGER,
    architecture      VARCHAR,
    release_date      DATE,
    knowledge_cutoff  VARCHAR,
    license           VARCHAR,
    open_weights      BOOLEAN,
    gated             BOOLEAN,
    base_model        VARCHAR,
    supports_vision             BOOLEAN,
    supports_multimodal         BOOLEAN,
    supports_reasoning          BOOLEAN,
    supports_function_calling   BOOLEAN,
    supports_tool_use           BOOLEAN,
    supports_structured_outputs BOOLEAN,
    supports_code_execution     BOOLEAN,
    supports_ide_integration    BOOLEAN,
    supports_computer_use       BOOLEAN,
    supports_parallel_agents    BOOLEAN,
    provenance JSON,
    row_hash   VARCHAR NOT NULL,
    valid_from TIMESTAMPTZ NOT NULL,
    valid_to   TIMESTAMPTZ,
    opened_by  VARCHAR NOT NULL,
    closed_by  VARCHAR
);

CREATE TABLE offer_versions (
    model_id          VARCHAR NOT NULL,
    provider_id       VARCHAR NOT NULL,
    provider_model_id VARCHAR NOT NULL,
    variant           VARCHAR NOT NULL,
    input_usd_per_mtok        DECIMAL(18, 9),
    output_usd_per_mtok       DECIMAL(18, 9),
    cached_input_usd_per_mtok DECIMAL(18, 9),
    cache_write_usd_per_mtok  DECIMAL(18, 9),
    context_window    BIGINT,
    max_output_tokens BIGINT,
    quantization      VARCHAR,
    offer_name        VARCHAR,
    tier_threshold_tokens          BIGINT,
    input_usd_per_mtok_above_tier  DECIMAL(18, 9),
    output_usd_per_mtok_above_tier DECIMAL(18, 9),
    provenance JSON,
    row_hash   VARCHAR NOT NULL,
    valid_from TIMESTAMPTZ NOT NULL,
    valid_to   TIMESTAMPTZ,
    opened_by  VARCHAR NOT NULL,
    closed_by  VARCHAR
);

CREATE TABLE benchmark_versions (
    model_id       VARCHAR NOT NULL,
    benchmark_id   VARCHAR NOT NULL,
    score          DECIMAL(18, 9),
    benchmark_name VARCHAR,
    provenance JSON,
    row_hash   VARCHAR NOT NULL,
    valid_from TIMESTAMPTZ NOT NULL,
    valid_to   TIMESTAMPTZ,
    opened_by  VARCHAR NOT NULL,
    closed_by  VARCHAR
);

CREATE TABLE conflict_log (
    crawl_id     VARCHAR NOT NULL,
    entity       VARCHAR NOT NULL,
    model_id     VARCHAR NOT NULL,
    provider_id  VARCHAR NOT NULL,
    provider_model_id VARCHAR NOT NULL,
    variant      VARCHAR NOT NULL,
    benchmark_id VARCHAR NOT NULL,
    field        VARCHAR NOT NULL,
    chosen_value VARCHAR,
    chosen_source VARCHAR NOT NULL,
    rule         VARCHAR NOT NULL,
    severity     VARCHAR NOT NULL,
    claims       JSON NOT NULL
);
