"""Comparison figures of model pairs, computed set-wise in DuckDB.

One SQL computes every figure for a list of ordered pairs: every pair of models with an offer
for comparisons.parquet, the configured pairs for their JSON files. So the parquet rows and the
JSON records can never disagree. Python only reshapes a flat row into the nested record.

Definitions (shared/golden/seed-pairs.yaml), all from exact prices:
  cheapest input / output   lowest price over the model's offers (ties: provider name)
  blended X/Y               min over offers of (X*input + Y*output) / (X+Y)
  monthly                   min over offers of input_mtok*input + output_mtok*output
  cheaper_pct               (pricier cheapest input / cheaper cheapest input - 1) * 100
  ratios                    pricier / cheaper; gaps: absolute differences
Ratios and percents are rounded half-up to 2 decimals with integer arithmetic (never floats).
"""
from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import duckdb
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pipeline.config import REPO_ROOT, ConfigError
from pipeline.fields import CAPABILITIES
from pipeline.normalize import parameters_label, price_label, token_label
from pipeline.records import SCHEMA_VERSION, ComparisonRecord

COMPARISONS_FILE = REPO_ROOT / "comparisons.yaml"


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


class ComparisonConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    traffic_profile: Traffic = Traffic(input_mtok=Decimal(800), output_mtok=Decimal(250))
    blends: dict[str, Weights] = Field(default_factory=lambda: {
        "70_30": Weights(input=Decimal(7), output=Decimal(3)), "3_1": Weights(input=Decimal(3), output=Decimal(1))})
    exclude_variants: list[str] = Field(default_factory=lambda: ["free"])
    pairs: list[tuple[str, str]] = Field(default_factory=list)

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
        return ComparisonConfig.model_validate(yaml.safe_load(path.read_text()) or {})
    except (ValidationError, yaml.YAMLError) as e:
        raise ConfigError(f"{path}: {e}") from None


# Exact helpers: a/b rounded half-up to 2 decimals, through scaled integers (DECIMAL division
# in DuckDB goes through DOUBLE).
MACROS = """
CREATE OR REPLACE TEMP MACRO _nano(x) AS CAST(CAST(x AS DECIMAL(38, 18)) * 1000000000 AS HUGEINT);
CREATE OR REPLACE TEMP MACRO ratio2(a, b) AS
    CASE WHEN a IS NULL OR b IS NULL OR b = 0 THEN NULL
         ELSE CAST((_nano(a) * 200 // _nano(b) + 1) // 2 AS DECIMAL(38, 0)) * 0.01 END;
CREATE OR REPLACE TEMP MACRO pct2(a, b) AS
    CASE WHEN a IS NULL OR b IS NULL OR b = 0 THEN NULL
         ELSE CAST((_nano(a) * 20000 // _nano(b) + 1) // 2 - 10000 AS DECIMAL(38, 0)) * 0.01 END;
"""

SIDES_SQL = """
CREATE OR REPLACE TEMP TABLE sides AS
WITH offers AS (
    SELECT model_id, provider_id, coalesce(provider_name, provider_id) AS provider_name,
           input_usd_per_mtok AS price_in, output_usd_per_mtok AS price_out
    FROM offers_asof($as_of) WHERE NOT list_contains($exclude, variant)
), distinct_providers AS (
    SELECT DISTINCT model_id, provider_id, provider_name FROM offers
), providers AS (
    SELECT model_id, count(*) AS providers_count,
           list(struct_pack(id := provider_id, name := provider_name) ORDER BY provider_name, provider_id) AS providers
    FROM distinct_providers GROUP BY model_id
), cheapest_in AS (
    SELECT model_id, min(price_in) AS cheapest_input,
           min_by(struct_pack(id := provider_id, name := provider_name), (price_in, provider_name, provider_id)) AS cheapest_input_provider
    FROM offers WHERE price_in IS NOT NULL GROUP BY model_id
), cheapest_out AS (
    SELECT model_id, min(price_out) AS cheapest_output,
           min_by(struct_pack(id := provider_id, name := provider_name), (price_out, provider_name, provider_id)) AS cheapest_output_provider
    FROM offers WHERE price_out IS NOT NULL GROUP BY model_id
), routes AS (
    SELECT *, $b70_in * price_in + $b70_out * price_out AS blend_70_30,
              $b31_in * price_in + $b31_out * price_out AS blend_3_1,
              $traffic_in * price_in + $traffic_out * price_out AS monthly
    FROM offers WHERE price_in IS NOT NULL AND price_out IS NOT NULL
), best AS (
    SELECT model_id, min(blend_70_30) AS blended_70_30, min(blend_3_1) AS blended_3_1, min(monthly) AS monthly,
           min_by(struct_pack(id := provider_id, name := provider_name), (monthly, provider_name, provider_id)) AS monthly_provider
    FROM routes GROUP BY model_id
), scores AS (
    SELECT model_id, list(struct_pack(id := benchmark_id, name := coalesce(benchmark_name, benchmark_id),
                                      score := CAST(score AS DOUBLE)) ORDER BY benchmark_id) AS benchmarks
    FROM benchmarks_asof($as_of) WHERE score IS NOT NULL GROUP BY model_id
)
SELECT m.* EXCLUDE (provenance, valid_from, opened_by), p.providers, p.providers_count,
       ci.cheapest_input, ci.cheapest_input_provider, co.cheapest_output, co.cheapest_output_provider,
       CAST(b.blended_70_30 AS DECIMAL(38, 18)) AS blended_70_30, CAST(b.blended_3_1 AS DECIMAL(38, 18)) AS blended_3_1,
       CAST(b.monthly AS DECIMAL(38, 18)) AS monthly, b.monthly_provider,
       coalesce(s.benchmarks, []) AS benchmarks
FROM models_asof($as_of) m
JOIN providers p USING (model_id)
LEFT JOIN cheapest_in ci USING (model_id)
LEFT JOIN cheapest_out co USING (model_id)
LEFT JOIN best b USING (model_id)
LEFT JOIN scores s USING (model_id)
"""

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


def pairs_sql(side_columns: list[str]) -> str:
    sides = ",\n       ".join([f"a.{c} AS a_{c}" for c in side_columns] + [f"b.{c} AS b_{c}" for c in side_columns])
    return f"""
SELECT {sides},
       least(a.last_reviewed, b.last_reviewed) AS last_reviewed,
       CASE WHEN a.cheapest_input < b.cheapest_input THEN 'a' WHEN a.cheapest_input > b.cheapest_input THEN 'b'
            WHEN a.cheapest_input = b.cheapest_input THEN 'tie' END AS cheaper,
       pct2(greatest(a.cheapest_input, b.cheapest_input), least(a.cheapest_input, b.cheapest_input)) AS cheaper_pct,
       ratio2(greatest(a.cheapest_input, b.cheapest_input), least(a.cheapest_input, b.cheapest_input)) AS input_price_ratio,
       ratio2(greatest(a.cheapest_output, b.cheapest_output), least(a.cheapest_output, b.cheapest_output)) AS output_price_ratio,
       ratio2(greatest(a.blended_3_1, b.blended_3_1), least(a.blended_3_1, b.blended_3_1)) AS blended_3_1_ratio,
       abs(a.blended_70_30 - b.blended_70_30) AS blended_70_30_gap_usd,
       abs(a.cheapest_input - b.cheapest_input) AS input_price_gap_usd,
       abs(a.cheapest_output - b.cheapest_output) AS output_price_gap_usd,
       abs(a.monthly - b.monthly) AS monthly_gap_usd,
       CASE WHEN a.context_window > b.context_window THEN 'a' WHEN a.context_window < b.context_window THEN 'b'
            WHEN a.context_window = b.context_window THEN 'tie' END AS context_leader,
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


def prepare(con: duckdb.DuckDBPyConnection, as_of: date, config: ComparisonConfig) -> list[str]:
    """Build the temp table `sides` as of a date; returns its columns."""
    con.execute(MACROS)
    b70 = config.blends["70_30"].normalized()
    b31 = config.blends["3_1"].normalized()
    con.execute(SIDES_SQL, {
        "as_of": as_of.isoformat(), "exclude": config.exclude_variants,
        "b70_in": b70[0], "b70_out": b70[1], "b31_in": b31[0], "b31_out": b31[1],
        "traffic_in": config.traffic_profile.input_mtok, "traffic_out": config.traffic_profile.output_mtok,
    })
    return [r[0] for r in con.execute("DESCRIBE sides").fetchall()]


def pair_rows(con: duckdb.DuckDBPyConnection, columns: list[str], pairs: list[tuple[str, str]] | None) -> list[dict[str, Any]]:
    """Flat rows for the given ordered pairs (None: every pair of models with an offer)."""
    if pairs is None:
        con.execute(ALL_PAIRS_SQL)
    else:
        con.execute("CREATE OR REPLACE TEMP TABLE pair_list (a_id VARCHAR, b_id VARCHAR)")
        if pairs:
            con.executemany("INSERT INTO pair_list VALUES (?, ?)", [list(p) for p in pairs])
    cur = con.execute(pairs_sql(columns))
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def _exact(d: Decimal | None) -> Decimal | None:
    return None if d is None else d.normalize() if d != 0 else Decimal(0)


def _tokens(n: int | None) -> dict[str, Any]:
    return {"tokens": n, "label": token_label(n) if n else None, "status": "known" if n else "unknown"}


def _tri(v: bool | None) -> str:
    return "unknown" if v is None else "yes" if v else "no"


def _side(row: dict[str, Any], p: str) -> dict[str, Any]:
    g = lambda k: row[f"{p}_{k}"]  # noqa: E731
    total = g("parameters_total")
    label = g("parameters_label") or (parameters_label(total) if total else None)

    def price(value: Decimal | None, provider: dict[str, str] | None) -> dict[str, Any] | None:
        if value is None or provider is None:
            return None
        return {"usd_per_mtok": _exact(value), "label": price_label(value), "provider": provider}

    return {
        "model_id": g("model_id"), "name": g("name"), "creator": g("creator"),
        "context_window": _tokens(g("context_window")), "max_output_tokens": _tokens(g("max_output_tokens")),
        "parameters": {"total": total, "active": g("parameters_active"), "label": label},
        "architecture": g("architecture"), "released": g("release_date"), "knowledge_cutoff": g("knowledge_cutoff"),
        "license": g("license"), "open_weights": g("open_weights"),
        "capabilities": {c: _tri(g(f"supports_{c}")) for c in CAPABILITIES},
        "cheapest_input": price(g("cheapest_input"), g("cheapest_input_provider")),
        "cheapest_output": price(g("cheapest_output"), g("cheapest_output_provider")),
        "providers": g("providers"), "providers_count": g("providers_count"),
        "blended_70_30_usd_per_mtok": _exact(g("blended_70_30")), "blended_3_1_usd_per_mtok": _exact(g("blended_3_1")),
        "monthly": {"usd": _exact(g("monthly")), "provider": g("monthly_provider")} if g("monthly") is not None else None,
        "benchmarks": {b["id"]: {"name": b["name"], "score": b["score"]} for b in g("benchmarks")},
        "last_reviewed": g("last_reviewed"),
    }


def to_record(row: dict[str, Any], as_of: date, config: ComparisonConfig) -> ComparisonRecord:
    shared = []
    for b in row["shared_benchmarks"]:
        gap = round(abs(b["a"] - b["b"]), 6)
        shared.append({"id": b["id"], "name": b["name"], "a": b["a"], "b": b["b"], "gap": gap,
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
    })


def compare(con: duckdb.DuckDBPyConnection, a: str, b: str, as_of: date,
            config: ComparisonConfig | None = None) -> ComparisonRecord | None:
    """The comparison record of one ordered pair as of a date (None if either has no offer)."""
    config = config or load_comparison_config()
    columns = prepare(con, as_of, config)
    found = pair_rows(con, columns, [(a, b)])
    return to_record(found[0], as_of, config) if found else None
