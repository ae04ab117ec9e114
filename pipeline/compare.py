"""Comparison figures of model pairs, computed set-wise in DuckDB.

The figures of a list of ordered pairs are computed in SQL: pairs_sql for the configured pairs of
the JSON files, all_pairs_sql for every pair of models with an offer (comparisons.parquet: millions
of rows, so its list figures use per-model bit strings and its rows come out in order unsorted). Both
take their scalar figures from one text (_figures), and tests/test_all_pairs.py checks that they give
the same rows, so the parquet rows and the JSON records cannot disagree. Python only reshapes a flat
row into the nested record.

Standard and non-standard routes. Every figure of "the cheapest tracked route" counts standard
on-demand routes only. A route (offer) is non-standard when its variant ('' or '/'-joined parts such
as 'eu/batch') has a part listed in comparisons.yaml `non_standard_routes` (batch, flex, priority,
free, commitment, regional-surcharge; the first matching entry names its kind), or when it is priced
$0 for input and output (a free tier) and its model is not listed in `free_models`. Quantizations
('fp8', 'bf16'), AWS regions ('us-east-1') and OpenRouter suffixes ('nitro', 'online', ...) are
standard. Non-standard routes are shown beside the cheapest (`Side.other_routes`, the cheapest of
each kind), never chosen as it.

Definitions (shared/golden/seed-pairs.yaml), all from exact prices of standard routes:
  cheapest input / output   lowest price; every provider at that price is listed (`providers`, by
                            name then id), `provider` is the first of them
  providers / count         every provider that sells the model, any route (who offers it: a batch
                            API or a free listing is a provider of the model, never its cheapest route)
  blended X/Y               min over routes of (X*input + Y*output) / (X+Y)
  monthly                   min over routes of input_mtok*input + output_mtok*output (ties listed)
  cheaper_pct               (pricier cheapest input / cheaper cheapest input - 1) * 100
  ratios                    pricier / cheaper; gaps: absolute differences
  provider_overlap          providers with a standard route on both sides
Ratios and percents are rounded half-up to 2 decimals with integer arithmetic (never floats).
Benchmark scores and their gaps are exact decimals too (the warehouse's DECIMAL, as in benchmarks.json).
Besides the figures, each side carries what a page shows per model: every route with its prices
(`routes`), the price history of each offer (`price_history`) and the source of each fact (`provenance`).
A figure that cannot be computed (a side with no standard price, a ratio to $0, an unknown context
window) is null, and ComparisonRecord.null_reasons says why.

A model is a side when it has any offer as of the date (standard or not): a model with only batch
or free routes is compared with null cheapest prices and a reason.
"""
from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Literal, get_args

import duckdb
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pipeline.config import ConfigError
from pipeline.fields import CAPABILITIES
from pipeline.normalize import parameters_label, price_label, token_label
from pipeline.providers import load_providers
from pipeline.records import SCHEMA_VERSION, ComparisonRecord, RouteKind, fact_sources
from pipeline.resources import COMPARISONS_FILE, read_yaml  # package data: pipeline/comparisons.yaml

# all_pairs_sql joins capability names with ',' and splits them again
assert not any("," in c for c in CAPABILITIES), CAPABILITIES


class Weights(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    input: Decimal = Field(ge=0)
    output: Decimal = Field(ge=0)

    def normalized(self) -> tuple[Decimal, Decimal]:
        total = self.input + self.output
        if total <= 0:
            raise ValueError("blend weights must not both be zero")
        q = Decimal("1e-18")
        return (self.input / total).quantize(q, ROUND_HALF_UP), (self.output / total).quantize(q, ROUND_HALF_UP)


class Traffic(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    input_mtok: Decimal = Field(ge=0)
    output_mtok: Decimal = Field(ge=0)


class RouteRule(BaseModel):
    """Variant parts that make a route non-standard, and the kind of route they make."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: RouteKind
    variant_parts: list[str] = Field(default_factory=list)
    # providers every route of which is of this kind (a batch API sold as a provider of its own)
    providers: list[str] = Field(default_factory=list)

    @field_validator("variant_parts")
    @classmethod
    def _parts(cls, v: list[str]) -> list[str]:
        bad = [p for p in v if not p or p != p.strip() or "/" in p or p != p.lower()]
        if bad:
            raise ValueError(f"variant parts are single lowercase parts of a variant ('batch', 'eu'), not {bad}")
        return v


DEFAULT_ROUTE_RULES = (
    RouteRule(kind="free", variant_parts=["free"]),
    RouteRule(kind="batch", variant_parts=["batch"], providers=["openai-batch"]),
    RouteRule(kind="flex", variant_parts=["flex"]),
    RouteRule(kind="priority", variant_parts=["priority"]),
    RouteRule(kind="commitment", variant_parts=["provisioned", "reserved", "committed"]),
    RouteRule(kind="regional-surcharge", variant_parts=["eu", "us", "apac", "au", "jp", "ca", "us-gov"]),
)


class ComparisonConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    traffic_profile: Traffic = Traffic(input_mtok=Decimal(800), output_mtok=Decimal(250))
    blends: dict[str, Weights] = Field(default_factory=lambda: {
        "70_30": Weights(input=Decimal(7), output=Decimal(3)), "3_1": Weights(input=Decimal(3), output=Decimal(1))})
    # Routes that are never "the cheapest tracked route" (module docstring); order = precedence.
    non_standard_routes: list[RouteRule] = Field(default_factory=lambda: list(DEFAULT_ROUTE_RULES))
    # Models the source itself says are free: their $0 routes are standard, not a free tier.
    free_models: list[str] = Field(default_factory=list)
    # "reviewed": only providers a person has reviewed (named in warehouse/curated/providers.yaml)
    # can be the cheapest tracked route; the others are shown beside it (kind "unreviewed").
    # "all": every provider a source names.
    cheapest_from: Literal["reviewed", "all"] = "reviewed"
    pairs: list[tuple[str, str]] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _renamed(cls, data: Any) -> Any:
        if isinstance(data, dict) and "exclude_variants" in data:
            raise ValueError("exclude_variants was replaced by non_standard_routes (a list of "
                             "{kind, variant_parts}): see the comment in comparisons.yaml")
        return data

    @field_validator("non_standard_routes")
    @classmethod
    def _one_kind_per_part(cls, v: list[RouteRule]) -> list[RouteRule]:
        kinds = [r.kind for r in v]
        if len(set(kinds)) != len(kinds):
            raise ValueError(f"each kind once: {kinds}")
        seen: dict[str, str] = {}
        for r in v:
            for part in r.variant_parts:
                if part in seen:
                    raise ValueError(f"variant part {part!r} is listed under both {seen[part]} and {r.kind}")
                seen[part] = r.kind
        return v

    def route_rules(self) -> list[dict[str, Any]]:
        """The rules as rows of the route_rules table, which offers_asof applies (warehouse/sql/views.sql)."""
        return [{"route_kind": r.kind, "precedence": i, "variant_parts": list(r.variant_parts),
                 "provider_ids": list(r.providers)} for i, r in enumerate(self.non_standard_routes)]

    def route_settings(self) -> dict[str, Any]:
        """The one row of route_settings: cheapest_from, the free models, the reviewed providers."""
        return {"cheapest_from": self.cheapest_from, "free_model_ids": list(self.free_models),
                "reviewed_provider_ids": sorted(load_providers().names)}

    def route_kind(self, variant: str, provider_id: str = "") -> str | None:
        """The non-standard kind one route makes under these rules ('eu/batch' -> 'batch'; the
        provider openai-batch -> 'batch'), or None for a standard one: for checking a configuration
        by hand. Exports and views apply the rules in SQL (offers_asof, with the $0 rule)."""
        parts = {p.lower() for p in variant.split("/") if p}
        for rule in self.non_standard_routes:
            if parts & set(rule.variant_parts) or provider_id in rule.providers:
                return rule.kind
        if self.cheapest_from == "reviewed" and provider_id and provider_id not in load_providers().names:
            return "unreviewed"
        return None

    def kind_order(self) -> list[str]:
        """Order of Side.other_routes: the configured kinds, then any other kind (free, for the $0 rule)."""
        listed = [r.kind for r in self.non_standard_routes]
        return listed + [k for k in get_args(RouteKind) if k not in listed]

    @field_validator("blends")
    @classmethod
    def _needed_blends(cls, v: dict[str, Weights]) -> dict[str, Weights]:
        missing = {"70_30", "3_1"} - set(v)
        if missing:
            raise ValueError(f"blends {sorted(missing)} are part of the record contract")
        return v


def load_comparison_config(path: Path | None = None) -> ComparisonConfig:
    path = Path(path or COMPARISONS_FILE)
    if not path.exists():
        return ComparisonConfig()
    try:
        return ComparisonConfig.model_validate(read_yaml(path.read_text()) or {})
    except (ValidationError, yaml.YAMLError) as e:
        raise ConfigError(f"{path}: {e}") from None


# Exact helpers: a/b rounded half-up to 2 decimals, through scaled integers (DECIMAL division
# in DuckDB goes through DOUBLE).
MACROS = """
CREATE OR REPLACE TEMP MACRO _nano(x) AS CAST(CAST(x AS DECIMAL(38, 18)) * 1000000000 AS HUGEINT);
CREATE OR REPLACE TEMP MACRO ratio2(a, b) AS
    CASE WHEN a IS NULL OR b IS NULL OR b = 0 THEN NULL
         ELSE CAST((_nano(a) * 200 // _nano(b) + 1) // 2 AS DECIMAL(38, 0)) * 0.01 END;
-- greatest/least that are NULL when either side is (DuckDB's skip NULLs: greatest(1.1, NULL) = 1.1)
CREATE OR REPLACE TEMP MACRO hi(a, b) AS CASE WHEN a IS NULL OR b IS NULL THEN NULL ELSE greatest(a, b) END;
CREATE OR REPLACE TEMP MACRO lo(a, b) AS CASE WHEN a IS NULL OR b IS NULL THEN NULL ELSE least(a, b) END;
CREATE OR REPLACE TEMP MACRO pct2(a, b) AS
    CASE WHEN a IS NULL OR b IS NULL OR b = 0 THEN NULL
         ELSE CAST((_nano(a) * 20000 // _nano(b) + 1) // 2 - 10000 AS DECIMAL(38, 0)) * 0.01 END;
"""

# The offers as of the date with the kind of route each is: offers_asof's route_kind (the one rule,
# warehouse/sql/views.sql), under this config's rules (RULES_SQL); NULL for a standard route.
OFFERS_SQL = """
CREATE OR REPLACE TEMP TABLE cmp_routes AS
SELECT model_id, provider_id, coalesce(provider_name, provider_id) AS provider_name, variant,
       input_usd_per_mtok AS price_in, output_usd_per_mtok AS price_out,
       cached_input_usd_per_mtok AS price_cached, cache_write_usd_per_mtok AS price_cache_write, provider_model_id,
       tier_threshold_tokens, input_usd_per_mtok_above_tier AS price_in_above_tier,
       output_usd_per_mtok_above_tier AS price_out_above_tier,
       context_window AS route_context_window, max_output_tokens AS route_max_output_tokens,
       nullif(route_kind, 'standard') AS kind
FROM offers_asof($as_of)
"""

# This config's rules as temp tables of the names offers_asof reads: on this connection a temp table
# shadows the warehouse's copy (synced from comparisons.yaml), read-only connections included.
# Dropped as soon as cmp_routes is made.
RULES_SQL = """
CREATE OR REPLACE TEMP TABLE route_rules AS
SELECT unnest($kinds::VARCHAR[]) AS route_kind, unnest($precedence::INTEGER[]) AS precedence,
       unnest($parts::VARCHAR[][]) AS variant_parts, unnest($providers::VARCHAR[][]) AS provider_ids
"""
SETTINGS_SQL = """
CREATE OR REPLACE TEMP TABLE route_settings AS
SELECT $cheapest_from::VARCHAR AS cheapest_from, $free_models::VARCHAR[] AS free_model_ids,
       $reviewed::VARCHAR[] AS reviewed_provider_ids
"""


# Per model: the price history of each of its offers up to the date (retired offers too), oldest
# point first. Consecutive versions of an offer that changed no price are one point; a version
# closed after the date is still in force as of it (valid_to NULL).
HISTORY_SQL = """
CREATE OR REPLACE TEMP TABLE cmp_history AS
WITH versions AS (
    SELECT h.model_id, h.provider_id, coalesce(p.name, h.provider_id) AS provider_name, h.variant,
           h.input_usd_per_mtok AS p_in, h.output_usd_per_mtok AS p_out, h.cached_input_usd_per_mtok AS p_cached,
           h.cache_write_usd_per_mtok AS p_write, h.valid_from,
           CASE WHEN h.valid_to < asof_bound($as_of) THEN h.valid_to END AS valid_to
    FROM price_history h LEFT JOIN providers p USING (provider_id)
    WHERE h.valid_from < asof_bound($as_of)
), marked AS (
    SELECT *, CASE WHEN lag(valid_to) OVER win = valid_from AND lag(p_in) OVER win IS NOT DISTINCT FROM p_in
                        AND lag(p_out) OVER win IS NOT DISTINCT FROM p_out
                        AND lag(p_cached) OVER win IS NOT DISTINCT FROM p_cached
                        AND lag(p_write) OVER win IS NOT DISTINCT FROM p_write THEN 0 ELSE 1 END AS starts
    FROM versions WINDOW win AS (PARTITION BY model_id, provider_id, variant ORDER BY valid_from)
), grouped AS (
    SELECT *, sum(starts) OVER (PARTITION BY model_id, provider_id, variant ORDER BY valid_from
                                ROWS UNBOUNDED PRECEDING) AS point
    FROM marked
), points AS (
    SELECT model_id, provider_id, provider_name, variant, point, min(valid_from) AS valid_from,
           CASE WHEN count(valid_to) = count(*) THEN max(valid_to) END AS valid_to,
           any_value(p_in) AS p_in, any_value(p_out) AS p_out, any_value(p_cached) AS p_cached,
           any_value(p_write) AS p_write
    FROM grouped GROUP BY model_id, provider_id, provider_name, variant, point
), series AS (
    SELECT model_id, provider_id, provider_name, variant, bool_or(valid_to IS NULL) AS current,
           list(struct_pack(valid_from := valid_from, valid_to := valid_to, input_usd_per_mtok := p_in,
                            output_usd_per_mtok := p_out, cached_input_usd_per_mtok := p_cached,
                            cache_write_usd_per_mtok := p_write) ORDER BY valid_from) AS points
    FROM points GROUP BY model_id, provider_id, provider_name, variant
)
SELECT model_id, list(struct_pack(provider := struct_pack(id := provider_id, name := provider_name),
                                  variant := variant, current := current, points := points)
                      ORDER BY provider_name, provider_id, variant) AS price_history
FROM series GROUP BY model_id
"""

def _cheapest(value: str, name: str, source: str) -> str:
    """Per model: the lowest `value` over `source` and every provider at exactly that value
    (ties), by provider name then id."""
    return f"""
    SELECT model_id, any_value(v) AS {name},
           list(struct_pack(id := provider_id, name := provider_name) ORDER BY provider_name, provider_id)
               AS {name}_providers
    FROM (SELECT DISTINCT model_id, provider_id, provider_name, {value} AS v FROM {source}
          WHERE {value} IS NOT NULL QUALIFY {value} = min({value}) OVER (PARTITION BY model_id))
    GROUP BY model_id"""


SIDES_SQL = f"""
CREATE OR REPLACE TEMP TABLE sides AS
WITH routes AS (
    SELECT * FROM cmp_routes
), standard AS (
    SELECT * FROM routes WHERE kind IS NULL
), offered AS (
    SELECT DISTINCT model_id FROM routes
), providers AS (
    SELECT model_id, count(*) AS providers_count,
           list(struct_pack(id := provider_id, name := provider_name) ORDER BY provider_name, provider_id) AS providers
    FROM (SELECT DISTINCT model_id, provider_id, provider_name FROM routes) GROUP BY model_id
), cheapest_in AS ({_cheapest("price_in", "cheapest_input", "standard")}
), cheapest_out AS ({_cheapest("price_out", "cheapest_output", "standard")}
), priced AS (
    SELECT *, $b70_in * price_in + $b70_out * price_out AS blend_70_30,
              $b31_in * price_in + $b31_out * price_out AS blend_3_1,
              $traffic_in * price_in + $traffic_out * price_out AS monthly_usd
    FROM standard WHERE price_in IS NOT NULL AND price_out IS NOT NULL
), blends AS (
    SELECT model_id, min(blend_70_30) AS blended_70_30, min(blend_3_1) AS blended_3_1 FROM priced GROUP BY model_id
), monthly AS ({_cheapest("monthly_usd", "monthly", "priced")}
), other AS (
    -- the cheapest route of each non-standard kind: by input, then output, then provider
    SELECT model_id, list(struct_pack(kind := kind, provider := struct_pack(id := provider_id, name := provider_name),
                                      variant := variant, input_usd_per_mtok := price_in,
                                      output_usd_per_mtok := price_out)
                          ORDER BY list_position($kind_order::VARCHAR[], kind)) AS other_routes
    FROM (SELECT * FROM routes WHERE kind IS NOT NULL
          QUALIFY row_number() OVER (PARTITION BY model_id, kind ORDER BY price_in NULLS LAST, price_out NULLS LAST,
                                     provider_name, provider_id, variant) = 1)
    GROUP BY model_id
), route_list AS (
    -- every route with its prices: standard first, then by kind, input, output, provider, variant
    SELECT model_id, list(struct_pack(
               provider := struct_pack(id := provider_id, name := provider_name),
               provider_model_id := provider_model_id, variant := variant, kind := coalesce(kind, 'standard'),
               input_usd_per_mtok := price_in, output_usd_per_mtok := price_out,
               cached_input_usd_per_mtok := price_cached, cache_write_usd_per_mtok := price_cache_write,
               tier := CASE WHEN tier_threshold_tokens IS NOT NULL THEN struct_pack(
                   threshold_tokens := tier_threshold_tokens, input_usd_per_mtok := price_in_above_tier,
                   output_usd_per_mtok := price_out_above_tier) END,
               context_window := route_context_window, max_output_tokens := route_max_output_tokens)
           ORDER BY kind IS NOT NULL, list_position($kind_order::VARCHAR[], kind), price_in NULLS LAST,
                    price_out NULLS LAST, provider_name, provider_id, variant) AS routes
    FROM routes GROUP BY model_id
), scores AS (
    SELECT model_id, list(struct_pack(id := benchmark_id, name := coalesce(benchmark_name, benchmark_id),
                                      score := score) ORDER BY benchmark_id) AS benchmarks
    FROM benchmarks_asof($as_of) WHERE score IS NOT NULL GROUP BY model_id
)
SELECT m.* EXCLUDE (valid_from, opened_by),
       coalesce(p.providers, []) AS providers, coalesce(p.providers_count, 0) AS providers_count,
       ci.cheapest_input, ci.cheapest_input_providers[1] AS cheapest_input_provider, ci.cheapest_input_providers,
       co.cheapest_output, co.cheapest_output_providers[1] AS cheapest_output_provider, co.cheapest_output_providers,
       CAST(b.blended_70_30 AS DECIMAL(38, 18)) AS blended_70_30, CAST(b.blended_3_1 AS DECIMAL(38, 18)) AS blended_3_1,
       CAST(mo.monthly AS DECIMAL(38, 18)) AS monthly, mo.monthly_providers[1] AS monthly_provider, mo.monthly_providers,
       coalesce(s.benchmarks, []) AS benchmarks,
       coalesce(ot.other_routes, []) AS other_routes, rl.routes, coalesce(h.price_history, []) AS price_history
FROM models_asof($as_of) m
JOIN offered USING (model_id)
LEFT JOIN providers p USING (model_id)
LEFT JOIN cheapest_in ci USING (model_id)
LEFT JOIN cheapest_out co USING (model_id)
LEFT JOIN blends b USING (model_id)
LEFT JOIN monthly mo USING (model_id)
LEFT JOIN other ot USING (model_id)
LEFT JOIN scores s USING (model_id)
LEFT JOIN route_list rl USING (model_id)
LEFT JOIN cmp_history h USING (model_id)
"""

# Side columns only the JSON records carry: comparisons.parquet leaves them out, since a list of
# structs per side would be repeated in every one of the (hundreds of thousands of) pairs a model
# is in; the per-model facts are in models.parquet, offers.parquet and price_history.parquet already.
JSON_ONLY_COLUMNS = ("other_routes", "routes", "price_history", "provenance")

# Which configured or generated ordered pairs to compute: temp table pair_list(a_id, b_id).
ALL_PAIRS_SQL = """
CREATE OR REPLACE TEMP TABLE pair_list AS
SELECT a.model_id AS a_id, b.model_id AS b_id FROM sides a JOIN sides b ON a.model_id < b.model_id
"""


def _capability_split() -> str:
    def listed(cond: str) -> str:
        items = ", ".join(f"CASE WHEN {cond.format(c=f'supports_{c}')} THEN '{c}' END" for c in CAPABILITIES)
        return f"list_filter([{items}], lambda x: x IS NOT NULL)"

    return (
        f"{listed('a.{c} AND b.{c} IS NOT DISTINCT FROM false')} AS only_a,\n"
        f"       {listed('b.{c} AND a.{c} IS NOT DISTINCT FROM false')} AS only_b,\n"
        f"       {listed('a.{c} AND b.{c}')} AS shared_capabilities"
    )


def _figures(a: str, b: str) -> str:
    """The scalar pair figures, over side columns named f"{a}<column>" and f"{b}<column>" ("a." for a
    join of `sides`, "a_" for the all-pairs rows): one text for both, so they cannot disagree."""
    return f"""least({a}last_reviewed, {b}last_reviewed) AS last_reviewed,
       CASE WHEN {a}cheapest_input < {b}cheapest_input THEN 'a' WHEN {a}cheapest_input > {b}cheapest_input THEN 'b'
            WHEN {a}cheapest_input = {b}cheapest_input THEN 'tie' END AS cheaper,
       pct2(hi({a}cheapest_input, {b}cheapest_input), lo({a}cheapest_input, {b}cheapest_input)) AS cheaper_pct,
       ratio2(hi({a}cheapest_input, {b}cheapest_input), lo({a}cheapest_input, {b}cheapest_input)) AS input_price_ratio,
       ratio2(hi({a}cheapest_output, {b}cheapest_output), lo({a}cheapest_output, {b}cheapest_output)) AS output_price_ratio,
       ratio2(hi({a}blended_3_1, {b}blended_3_1), lo({a}blended_3_1, {b}blended_3_1)) AS blended_3_1_ratio,
       abs({a}blended_70_30 - {b}blended_70_30) AS blended_70_30_gap_usd,
       abs({a}cheapest_input - {b}cheapest_input) AS input_price_gap_usd,
       abs({a}cheapest_output - {b}cheapest_output) AS output_price_gap_usd,
       abs({a}monthly - {b}monthly) AS monthly_gap_usd,
       CASE WHEN {a}context_window > {b}context_window THEN 'a' WHEN {a}context_window < {b}context_window THEN 'b'
            WHEN {a}context_window = {b}context_window THEN 'tie' END AS context_leader"""


def pairs_sql(side_columns: list[str]) -> str:
    """Every figure of the ordered pairs in temp table pair_list, ordered by (a, b): the configured
    pairs of the JSON files. The all-pairs parquet is ALL_PAIRS_PARQUET_SQL (the same figures)."""
    sides = ",\n       ".join([f"a.{c} AS a_{c}" for c in side_columns] + [f"b.{c} AS b_{c}" for c in side_columns])
    return f"""
SELECT {sides},
       {_figures("a.", "b.")},
       list_sort(list_intersect(a.providers, b.providers)) AS provider_overlap,
       {_capability_split()},
       list_transform(
           list_filter(a.benchmarks, lambda x: list_contains(list_transform(b.benchmarks, lambda y: y.id), x.id)),
           lambda x: struct_pack(id := x.id, name := x.name, a := x.score,
                            b := list_filter(b.benchmarks, lambda y: y.id = x.id)[1].score)) AS shared_benchmarks
FROM pair_list p
JOIN sides a ON a.model_id = p.a_id
JOIN sides b ON b.model_id = p.b_id
ORDER BY p.a_id, p.b_id
"""


# ---------------------------------------------------------------------------------------------
# Every pair, for comparisons.parquet (millions of rows: 2,000 models are 1,999,000 pairs).
#
# Why not pairs_sql over all pairs: its list figures ran per pair (list_intersect of provider
# structs, lambdas over capabilities and benchmarks), and its ORDER BY sorted the whole wide row
# (about half the time), and DuckDB writes a join's output on one thread. Here:
#   - what a figure needs from one model is computed once per model (pair_sides): its providers
#     and benchmarks as ranks in one global order, and as bit strings of those ranks, so a pair
#     tests "any shared?" with one AND and builds a list only when there is one;
#   - pairs come from pair_index, a narrow table of model positions (a, b) stored in (a, b) order,
#     which is model_id order; each side column is one list per column in the one-row table
#     pair_columns, read by position (list[a], list[b]). A scan of one table joined to a single
#     row keeps the scan's order, and DuckDB writes it on every thread in that order
#     (BATCH_COPY_TO_FILE), so there is no sort: the file's order is pair_index's.
# tests/test_compare_routes.py checks that both SQLs give the same rows in the same order.

# Per side (model with an offer), in model_id order: position 1..n and the per-model helpers.
# Bit strings carry a leading unused bit so that they are never empty (rank r is bit r).
PAIR_SIDES_SQL = """
CREATE OR REPLACE TEMP TABLE pair_providers AS
SELECT p AS provider, row_number() OVER (ORDER BY p)::INTEGER AS r
FROM (SELECT DISTINCT unnest(providers) AS p FROM sides);
CREATE OR REPLACE TEMP TABLE pair_benchmarks AS
SELECT id, row_number() OVER (ORDER BY id)::INTEGER AS r
FROM (SELECT DISTINCT b.id FROM (SELECT unnest(benchmarks) AS b FROM sides));
CREATE OR REPLACE TEMP TABLE pair_sides AS
WITH provider_ranks AS (
    SELECT model_id, list(r ORDER BY r) AS ranks
    FROM (SELECT model_id, unnest(providers) AS provider FROM sides) JOIN pair_providers USING (provider)
    GROUP BY model_id
), benchmark_ranks AS (
    SELECT model_id, list(struct_pack(id := b.id, name := b.name, score := b.score, r := r) ORDER BY b.id, r) AS ranked,
           list(r) AS ranks
    FROM (SELECT model_id, unnest(benchmarks) AS b FROM sides) s JOIN pair_benchmarks p ON p.id = s.b.id
    GROUP BY model_id
)
SELECT row_number() OVER (ORDER BY s.model_id)::INTEGER AS pos, s.*,
       coalesce(pr.ranks, []) AS provider_ranks,
       ('0' || array_to_string(list_transform(range(1, (SELECT count(*) FROM pair_providers) + 1),
            lambda k: CASE WHEN list_contains(coalesce(pr.ranks, []), k) THEN '1' ELSE '0' END), ''))::BIT AS provider_bits,
       coalesce(br.ranked, []) AS benchmarks_ranked,
       ('0' || array_to_string(list_transform(range(1, (SELECT count(*) FROM pair_benchmarks) + 1),
            lambda k: CASE WHEN list_contains(coalesce(br.ranks, []), k) THEN '1' ELSE '0' END), ''))::BIT AS benchmark_bits
FROM sides s LEFT JOIN provider_ranks pr USING (model_id) LEFT JOIN benchmark_ranks br USING (model_id)
ORDER BY pos
"""
PAIR_HELPER_COLUMNS = ("provider_ranks", "provider_bits", "benchmarks_ranked", "benchmark_bits")

# The ordered pairs whose first model is at positions first..last (1-based, of n models), in
# (a, b) order: a narrow table, so its ORDER BY is cheap; the parquet keeps its order.
PAIR_INDEX_SQL = """
CREATE OR REPLACE TEMP TABLE pair_index AS
SELECT a::INTEGER AS a, unnest(range(a + 1, $models + 1))::INTEGER AS b
FROM range($first, $last + 1) t(a)
ORDER BY a, b
"""
PAIR_COUNT_SQL = "SELECT count(*) FROM pair_sides"


def pair_columns_sql(side_columns: list[str]) -> str:
    """The one-row table pair_columns: each side column (and helper) as one list in position order,
    and every provider in rank order (what a provider rank stands for)."""
    lists = ", ".join(f'list("{c}" ORDER BY pos) AS "{c}"' for c in [*side_columns, *PAIR_HELPER_COLUMNS])
    return (f"CREATE OR REPLACE TEMP TABLE pair_columns AS SELECT {lists}, "
            "(SELECT list(provider ORDER BY r) FROM pair_providers) AS providers_by_rank FROM pair_sides")


def _listed(cond: str) -> str:
    """The capabilities for which `cond` holds ({c} is a supports_* column), in CAPABILITIES order,
    as VARCHAR[]: joined into one text and split, which runs as plain vector functions (a list
    filter's lambda per pair cost more than the rest of the capability figures together)."""
    items = ", ".join(f"CASE WHEN {cond.format(c=f'supports_{c}')} THEN '{c}' END" for c in CAPABILITIES)
    return f"coalesce(string_split(nullif(concat_ws(',', {items}), ''), ','), [])"


def all_pairs_sql(side_columns: list[str]) -> str:
    """The rows of comparisons.parquet for the pairs in pair_index, in its order: the same columns
    and values as pairs_sql over every pair (after prepare_all_pairs)."""
    picked = [*side_columns, *PAIR_HELPER_COLUMNS]
    inner = ",\n           ".join([f'c."{x}"[p.a] AS "a_{x}"' for x in picked] + [f'c."{x}"[p.b] AS "b_{x}"' for x in picked])
    sides = ",\n       ".join([f'"a_{x}"' for x in side_columns] + [f'"b_{x}"' for x in side_columns])
    return f"""
SELECT {sides},
       {_figures("a_", "b_")},
       CASE WHEN bit_count(a_provider_bits & b_provider_bits) = 0 THEN []
            ELSE list_select(providers_by_rank, list_filter(b_provider_ranks, lambda r: get_bit(a_provider_bits, r) = 1))
       END AS provider_overlap,
       {_listed("a_{c} AND b_{c} IS NOT DISTINCT FROM false")} AS only_a,
       {_listed("b_{c} AND a_{c} IS NOT DISTINCT FROM false")} AS only_b,
       {_listed("a_{c} AND b_{c}")} AS shared_capabilities,
       CASE WHEN bit_count(a_benchmark_bits & b_benchmark_bits) = 0 THEN []
            ELSE list_transform(list_filter(a_benchmarks_ranked, lambda x: get_bit(b_benchmark_bits, x.r) = 1),
                                lambda x: struct_pack(id := x.id, name := x.name, a := x.score,
                                                      b := list_filter(b_benchmarks_ranked, lambda y: y.r = x.r)[1].score))
       END AS shared_benchmarks
FROM (
    SELECT {inner},
           c.providers_by_rank
    FROM pair_index p, pair_columns c
)
"""


def prepare_all_pairs(con: duckdb.DuckDBPyConnection, side_columns: list[str]) -> int:
    """Build pair_sides and pair_columns from `sides` (after prepare()); returns the number of sides
    (models with an offer). Then, per block of first models: pair_index(con, first, last, n), and
    write all_pairs_sql(columns)."""
    con.execute(PAIR_SIDES_SQL)
    con.execute(pair_columns_sql(side_columns))
    return int(con.execute(PAIR_COUNT_SQL).fetchone()[0])  # type: ignore[index]


def pair_index(con: duckdb.DuckDBPyConnection, first: int, last: int, models: int) -> None:
    """pair_index for the first models at positions first..last (1-based) of `models` sides."""
    con.execute(PAIR_INDEX_SQL, {"first": first, "last": last, "models": models})


def pair_blocks(models: int, max_pairs: int) -> list[tuple[int, int]]:
    """Consecutive blocks (first, last) of first-model positions, each with at most max_pairs pairs
    (or one model's pairs, if more): position a is the first model of models - a pairs."""
    blocks: list[tuple[int, int]] = []
    first, pairs = 1, 0
    for a in range(1, models):
        n = models - a
        if pairs and pairs + n > max_pairs:
            blocks.append((first, a - 1))
            first, pairs = a, 0
        pairs += n
    if pairs:
        blocks.append((first, models - 1))
    return blocks


def prepare(con: duckdb.DuckDBPyConnection, as_of: date, config: ComparisonConfig) -> list[str]:
    """Build the temp table `sides` as of a date; returns its columns for comparisons.parquet
    (every column but JSON_ONLY_COLUMNS, which pair_rows adds)."""
    con.execute(MACROS)
    rules = config.route_rules()
    con.execute(RULES_SQL, {"kinds": [r["route_kind"] for r in rules], "precedence": [r["precedence"] for r in rules],
                            "parts": [r["variant_parts"] for r in rules], "providers": [r["provider_ids"] for r in rules]})
    settings = config.route_settings()
    con.execute(SETTINGS_SQL, {"cheapest_from": settings["cheapest_from"], "free_models": settings["free_model_ids"],
                               "reviewed": settings["reviewed_provider_ids"]})
    try:
        con.execute(OFFERS_SQL, {"as_of": as_of.isoformat()})
    finally:
        con.execute("DROP TABLE IF EXISTS temp.route_rules")
        con.execute("DROP TABLE IF EXISTS temp.route_settings")
    con.execute(HISTORY_SQL, {"as_of": as_of.isoformat()})
    b70 = config.blends["70_30"].normalized()
    b31 = config.blends["3_1"].normalized()
    con.execute(SIDES_SQL, {
        "as_of": as_of.isoformat(), "kind_order": config.kind_order(),
        "b70_in": b70[0], "b70_out": b70[1], "b31_in": b31[0], "b31_out": b31[1],
        "traffic_in": config.traffic_profile.input_mtok, "traffic_out": config.traffic_profile.output_mtok,
    })
    return [r[0] for r in con.execute("DESCRIBE sides").fetchall() if r[0] not in JSON_ONLY_COLUMNS]


def pair_rows(con: duckdb.DuckDBPyConnection, columns: list[str], pairs: list[tuple[str, str]] | None) -> list[dict[str, Any]]:
    """Flat rows for the given ordered pairs (None: every pair of models with an offer)."""
    if pairs is None:
        con.execute(ALL_PAIRS_SQL)
    else:
        con.execute("CREATE OR REPLACE TEMP TABLE pair_list (a_id VARCHAR, b_id VARCHAR)")
        if pairs:
            con.executemany("INSERT INTO pair_list VALUES (?, ?)", [list(p) for p in pairs])
    cur = con.execute(pairs_sql(columns + [c for c in JSON_ONLY_COLUMNS if c not in columns]))
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def _exact(d: Decimal | None) -> Decimal | None:
    return None if d is None else d.normalize() if d != 0 else Decimal(0)


def _tokens(n: int | None) -> dict[str, Any]:
    return {"tokens": n, "label": token_label(n) if n else None, "status": "known" if n else "unknown"}


def _tri(v: bool | None) -> str:
    return "unknown" if v is None else "yes" if v else "no"


def _utc(ts: datetime | None) -> datetime | None:
    return None if ts is None else ts.astimezone(UTC)


def _price(value: Decimal | None, providers: list[dict[str, str]] | None) -> dict[str, Any] | None:
    """A cheapest price with every provider at it (Price), or None."""
    if value is None or not providers:
        return None
    return {"usd_per_mtok": _exact(value), "label": price_label(value), "provider": providers[0],
            "providers": providers}


def _history(series: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """PriceSeries fields from a cmp_history list (instants in UTC)."""
    return [{**s, "points": [{**pt, "valid_from": _utc(pt["valid_from"]), "valid_to": _utc(pt["valid_to"])}
                             for pt in s["points"]]} for s in series or []]


def _side(row: dict[str, Any], p: str) -> dict[str, Any]:
    g = lambda k: row[f"{p}_{k}"]  # noqa: E731
    total = g("parameters_total")
    label = g("parameters_label") or (parameters_label(total) if total else None)

    def route(r: dict[str, Any]) -> dict[str, Any]:
        return {**r, "input_usd_per_mtok": _exact(r["input_usd_per_mtok"]),
                "output_usd_per_mtok": _exact(r["output_usd_per_mtok"])}

    return {
        "model_id": g("model_id"), "name": g("name"), "creator": g("creator"),
        "context_window": _tokens(g("context_window")), "max_output_tokens": _tokens(g("max_output_tokens")),
        "parameters": {"total": total, "active": g("parameters_active"), "label": label},
        "architecture": g("architecture"), "released": g("release_date"), "knowledge_cutoff": g("knowledge_cutoff"),
        "license": g("license"), "open_weights": g("open_weights"),
        "capabilities": {c: _tri(g(f"supports_{c}")) for c in CAPABILITIES},
        "cheapest_input": _price(g("cheapest_input"), g("cheapest_input_providers")),
        "cheapest_output": _price(g("cheapest_output"), g("cheapest_output_providers")),
        "providers": g("providers"), "providers_count": g("providers_count"),
        "blended_70_30_usd_per_mtok": _exact(g("blended_70_30")), "blended_3_1_usd_per_mtok": _exact(g("blended_3_1")),
        "monthly": {"usd": _exact(g("monthly")), "provider": g("monthly_providers")[0],
                    "providers": g("monthly_providers")} if g("monthly") is not None else None,
        "other_routes": [route(r) for r in g("other_routes")],
        "routes": g("routes") or [],
        "price_history": _history(g("price_history")),
        "benchmarks": {b["id"]: {"name": b["name"], "score": _exact(b["score"])} for b in g("benchmarks")},
        "provenance": fact_sources(g("provenance")),
        "last_reviewed": g("last_reviewed"),
    }


# A model file's pricing (records.ModelFile): every model as of the date, from the temp tables
# prepare() built (a model without an offer has no routes and no cheapest price).
MODEL_PRICING_SQL = """
SELECT m.model_id, coalesce(s.routes, []) AS routes, s.cheapest_input, s.cheapest_input_providers,
       s.cheapest_output, s.cheapest_output_providers, coalesce(h.price_history, []) AS price_history
FROM models_asof($as_of) m LEFT JOIN sides s USING (model_id) LEFT JOIN cmp_history h USING (model_id)
"""


def model_pricing(con: duckdb.DuckDBPyConnection, as_of: date) -> dict[str, dict[str, Any]]:
    """Per model id: ModelFile's routes, cheapest_input, cheapest_output (ties listed) and
    price_history. Call after prepare() for the same date."""
    cur = con.execute(MODEL_PRICING_SQL, {"as_of": as_of.isoformat()})
    cols = [d[0] for d in cur.description]
    out = {}
    for values in cur.fetchall():
        r = dict(zip(cols, values))
        out[r["model_id"]] = {
            "routes": r["routes"], "price_history": _history(r["price_history"]),
            "cheapest_input": _price(r["cheapest_input"], r["cheapest_input_providers"]),
            "cheapest_output": _price(r["cheapest_output"], r["cheapest_output_providers"]),
        }
    return out


# Pair figure -> (the side column it is computed from, what a side lacks when it is null, the
# name of that side figure when the figure is a ratio or percent (null when the lesser side is 0)).
NULLABLE_FIGURES: dict[str, tuple[str, str, str | None]] = {
    "cheaper": ("cheapest_input", "standard input price", None),
    "cheaper_pct": ("cheapest_input", "standard input price", "cheapest standard input price"),
    "input_price_ratio": ("cheapest_input", "standard input price", "cheapest standard input price"),
    "output_price_ratio": ("cheapest_output", "standard output price", "cheapest standard output price"),
    "blended_3_1_ratio": ("blended_3_1", "standard route with input and output prices", "3:1 blended price"),
    "blended_70_30_gap_usd": ("blended_70_30", "standard route with input and output prices", None),
    "input_price_gap_usd": ("cheapest_input", "standard input price", None),
    "output_price_gap_usd": ("cheapest_output", "standard output price", None),
    "monthly_gap_usd": ("monthly", "standard route with input and output prices", None),
    "context_leader": ("context_window", "known context window", None),
}


def null_reasons(row: dict[str, Any]) -> dict[str, str]:
    """Why each null pair figure of a flat row is null: a side lacks the figure it needs (with the
    kinds of non-standard route it has, if any), or the figure is a ratio to $0."""
    out: dict[str, str] = {}
    for figure, (column, lacking, ratio_of) in NULLABLE_FIGURES.items():
        if row[figure] is not None:
            continue
        reasons = []
        for p in ("a", "b"):
            if row[f"{p}_{column}"] is None:
                kinds = sorted({r["kind"] for r in row.get(f"{p}_other_routes") or []})
                reasons.append(f"{p} ({row[f'{p}_model_id']}) has no {lacking}"
                               + (f" (non-standard routes only: {', '.join(kinds)})"
                                  if kinds and lacking.startswith("standard") else ""))
        if not reasons and ratio_of:
            zero = [p for p in ("a", "b") if row[f"{p}_{column}"] == 0]
            if len(zero) == 2:
                reasons.append(f"both sides' {ratio_of} is $0: no ratio")
            elif zero:
                p = zero[0]
                reasons.append(f"{p} ({row[f'{p}_model_id']})'s {ratio_of} is $0: no ratio to $0")
        out[figure] = "; ".join(reasons) or "not computable from the sides' figures"
    return out


def to_record(row: dict[str, Any], as_of: date, config: ComparisonConfig) -> ComparisonRecord:
    shared = []
    for b in row["shared_benchmarks"]:  # exact scores (DECIMAL), as in benchmarks.json
        gap = abs(b["a"] - b["b"])
        shared.append({"id": b["id"], "name": b["name"], "a": _exact(b["a"]), "b": _exact(b["b"]), "gap": _exact(gap),
                       "leader": "a" if b["a"] > b["b"] else "b" if b["b"] > b["a"] else "tie"})
    largest = max(shared, key=lambda s: (s["gap"], s["id"]), default=None)
    return ComparisonRecord.model_validate({
        "schema_version": SCHEMA_VERSION, "as_of": as_of, "last_reviewed": row["last_reviewed"],
        "a": _side(row, "a"), "b": _side(row, "b"),
        **{k: _exact(row[k]) for k in ("cheaper_pct", "input_price_ratio", "output_price_ratio", "blended_3_1_ratio",
                                       "blended_70_30_gap_usd", "input_price_gap_usd", "output_price_gap_usd",
                                       "monthly_gap_usd")},
        "cheaper": row["cheaper"], "context_leader": row["context_leader"],
        "provider_overlap": row["provider_overlap"],
        "capabilities": {"only_a": row["only_a"], "only_b": row["only_b"], "shared": row["shared_capabilities"]},
        "benchmarks": shared,
        "largest_benchmark_gap": {"id": largest["id"], "gap": largest["gap"]} if largest else None,
        "traffic_profile": {"input_mtok": config.traffic_profile.input_mtok,
                            "output_mtok": config.traffic_profile.output_mtok},
        "null_reasons": null_reasons(row),
    })


def compare(con: duckdb.DuckDBPyConnection, a: str, b: str, as_of: date,
            config: ComparisonConfig | None = None) -> ComparisonRecord | None:
    """The comparison record of one ordered pair as of a date (None if either has no offer)."""
    config = config or load_comparison_config()
    columns = prepare(con, as_of, config)
    found = pair_rows(con, columns, [(a, b)])
    return to_record(found[0], as_of, config) if found else None
