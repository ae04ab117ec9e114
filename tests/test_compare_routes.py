"""Which routes count as "the cheapest tracked route": standard on-demand prices only. Batch, flex,
priority, free tiers ($0 listings too) and regional surcharges are shown beside it, never chosen;
ties are listed; a figure that cannot be computed is null with a reason; `compare` renders it all.

A small warehouse built with the real schema (warehouse.connection) and set-wise inserts."""
from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from rich.console import Console
from typer.testing import CliRunner

from pipeline import cli
from pipeline.compare import (ALL_PAIRS_SQL, ComparisonConfig, compare, load_comparison_config, pair_rows,
                              pairs_sql, prepare)
from pipeline.config import ConfigError
from pipeline.resources import COMPARISONS_FILE
from warehouse.connection import connect

AS_OF = date(2026, 6, 4)
O3 = "openai/o3-mini"
LLAMA = "meta/llama-3.2-1b-instruct"
BATCH_ONLY = "example/batch-only"
FREE_MODEL = "example/free-model"

PROVIDERS = {
    "openai": "OpenAI API", "azure-openai": "Azure OpenAI", "openrouter": "OpenRouter",
    "example-batch": "Example Batch Cloud", "cloudflare-workers-ai": "Cloudflare Workers AI",
    "nvidia-nim": "NVIDIA NIM", "deepinfra": "DeepInfra", "fireworks-ai": "Fireworks AI",
    "aws-bedrock": "AWS Bedrock", "example-host": "Example Host",
}

# (model, provider, variant, input, output) per 1M tokens
OFFERS = [
    (O3, "openai", "", "1.10", "4.40"),
    (O3, "azure-openai", "", "1.10", "4.40"),
    (O3, "azure-openai", "eu/batch", "0.605", "2.42"),    # batch in an EU data zone: batch first
    (O3, "azure-openai", "eu", "1.21", "4.84"),           # data-zone surcharge
    (O3, "openrouter", "", "1.10", "4.40"),
    (O3, "openai", "batch", "0.55", "2.20"),
    (O3, "openai", "flex", "0.55", "2.20"),
    (O3, "openai", "priority", "2.00", "8.00"),
    (O3, "example-batch", "batch", "0.60", "2.40"),       # a provider with a batch route only
    (LLAMA, "cloudflare-workers-ai", "", "0.027", "0.201"),
    (LLAMA, "nvidia-nim", "", "0", "0"),                  # a $0 listing: a free tier
    (LLAMA, "deepinfra", "free", "0.005", "0.01"),        # a free variant, whatever its price
    (LLAMA, "fireworks-ai", "fp8", "0.10", "0.10"),       # a quantization: standard
    (LLAMA, "aws-bedrock", "us-east-1", "0.10", "0.10"),  # an AWS region: standard
    (BATCH_ONLY, "openai", "batch", "0.50", "1.00"),
    (FREE_MODEL, "example-host", "", "0", "0"),
]

MODELS = [  # model_id, name, context window
    (O3, "o3 Mini", 200_000), (LLAMA, "Llama 3.2 1B Instruct", 131_072),
    (BATCH_ONLY, "Batch Only", 32_768), (FREE_MODEL, "Free Model", None),
]


def build(path: Path) -> Path:
    con = connect(path)
    try:
        ts = datetime(2026, 6, 1, 6, tzinfo=UTC)
        con.executemany("INSERT INTO providers (provider_id, name) VALUES (?, ?)", list(PROVIDERS.items()))
        con.execute("""CREATE TEMP TABLE m (model_id VARCHAR, name VARCHAR, context_window BIGINT)""")
        con.executemany("INSERT INTO m VALUES (?, ?, ?)", MODELS)
        con.execute("""INSERT INTO model_versions BY NAME
                       SELECT model_id, name, context_window, 'h' AS row_hash, $ts AS valid_from, 'c1' AS opened_by
                       FROM m""", {"ts": ts})
        con.execute("""CREATE TEMP TABLE o (model_id VARCHAR, provider_id VARCHAR, variant VARCHAR,
                                            i DECIMAL(18, 9), o DECIMAL(18, 9))""")
        con.executemany("INSERT INTO o VALUES (?, ?, ?, ?, ?)", [list(r) for r in OFFERS])
        con.execute("""INSERT INTO offer_versions BY NAME
                       SELECT model_id, provider_id, model_id AS provider_model_id, variant,
                              i AS input_usd_per_mtok, o AS output_usd_per_mtok,
                              'h' AS row_hash, $ts AS valid_from, 'c1' AS opened_by
                       FROM o""", {"ts": ts})
    finally:
        con.close()
    return path


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("routes")
    build(d / "ledger.duckdb")
    return d


@pytest.fixture()
def con(data: Path):
    c = connect(data / "ledger.duckdb", read_only=True)
    yield c
    c.close()


CONFIG = ComparisonConfig()  # the defaults, the same rules as comparisons.yaml (checked below)


def record(con, a: str, b: str, config: ComparisonConfig = CONFIG) -> dict[str, Any]:
    rec = compare(con, a, b, AS_OF, config)
    assert rec is not None, f"no record for {a} vs {b}"
    return rec.model_dump(mode="json")


def names(refs: list[dict[str, str]]) -> list[str]:
    return [r["name"] for r in refs]


def test_repo_config_is_the_default_rules():
    repo = load_comparison_config()
    assert repo.non_standard_routes == CONFIG.non_standard_routes
    assert repo.free_models == []


def test_cheapest_input_is_standard_and_lists_every_tied_provider(con):
    o3 = record(con, LLAMA, O3)["b"]
    for figure in ("cheapest_input", "cheapest_output"):
        assert names(o3[figure]["providers"]) == ["Azure OpenAI", "OpenAI API", "OpenRouter"], figure
        assert o3[figure]["provider"]["name"] == "Azure OpenAI"  # the first by name
    assert Decimal(o3["cheapest_input"]["usd_per_mtok"]) == Decimal("1.10")
    assert Decimal(o3["cheapest_output"]["usd_per_mtok"]) == Decimal("4.40")
    assert Decimal(o3["monthly"]["usd"]) == Decimal("1980")  # 1.10*800 + 4.40*250, not a batch price
    assert names(o3["monthly"]["providers"]) == ["Azure OpenAI", "OpenAI API", "OpenRouter"]
    assert Decimal(o3["blended_3_1_usd_per_mtok"]) == Decimal("1.925")


def test_non_standard_routes_are_shown_beside_never_chosen(con):
    o3 = record(con, LLAMA, O3)["b"]
    beside = {r["kind"]: r for r in o3["other_routes"]}
    assert [r["kind"] for r in o3["other_routes"]] == ["batch", "flex", "priority", "regional-surcharge"]
    batch = beside["batch"]
    assert (batch["provider"]["id"], batch["variant"], batch["input_usd_per_mtok"], batch["output_usd_per_mtok"]) == \
        ("openai", "batch", "0.55", "2.2")
    assert (beside["regional-surcharge"]["variant"], beside["regional-surcharge"]["input_usd_per_mtok"]) == ("eu", "1.21")
    # a provider with a batch route only still sells the model: one of its providers, never its cheapest
    assert names(o3["providers"]) == ["Azure OpenAI", "Example Batch Cloud", "OpenAI API", "OpenRouter"]
    assert o3["providers_count"] == 4


def test_a_zero_price_is_a_free_tier_never_the_cheapest(con):
    llama = record(con, LLAMA, O3)["a"]
    assert Decimal(llama["cheapest_input"]["usd_per_mtok"]) == Decimal("0.027")
    assert names(llama["cheapest_input"]["providers"]) == ["Cloudflare Workers AI"]
    assert llama["monthly"]["provider"]["id"] == "cloudflare-workers-ai"
    assert Decimal(llama["monthly"]["usd"]) == Decimal("71.85")
    (free,) = llama["other_routes"]
    assert (free["kind"], free["provider"]["id"], free["input_usd_per_mtok"]) == ("free", "nvidia-nim", "0")
    # quantized and regional routes are standard; $0 and free-tier providers still sell the model
    # (counted among its providers, as the seed pages count NVIDIA NIM) but are never its cheapest
    assert names(llama["providers"]) == ["AWS Bedrock", "Cloudflare Workers AI", "DeepInfra", "Fireworks AI",
                                         "NVIDIA NIM"]


def test_routes_list_every_offer_standard_first_with_its_kind(con):
    o3 = record(con, LLAMA, O3)["b"]
    got = [(r["kind"], r["provider"]["id"], r["variant"], r["input_usd_per_mtok"]) for r in o3["routes"]]
    assert got == [
        ("standard", "azure-openai", "", "1.1"), ("standard", "openai", "", "1.1"), ("standard", "openrouter", "", "1.1"),
        ("batch", "openai", "batch", "0.55"), ("batch", "example-batch", "batch", "0.6"),
        ("batch", "azure-openai", "eu/batch", "0.605"), ("flex", "openai", "flex", "0.55"),
        ("priority", "openai", "priority", "2"), ("regional-surcharge", "azure-openai", "eu", "1.21"),
    ]
    assert len(o3["routes"]) == len([o for o in OFFERS if o[0] == O3])  # one entry per offer
    # every offer has one dated series; nothing closed, so each is current with an open point
    assert {(s["provider"]["id"], s["variant"]) for s in o3["price_history"]} == {
        (o[1], o[2]) for o in OFFERS if o[0] == O3}
    assert all(s["current"] and [p["valid_from"] for p in s["points"]] == ["2026-06-01T06:00:00Z"]
               and s["points"][0]["valid_to"] is None for s in o3["price_history"])


def test_price_history_merges_unchanged_prices_and_stops_at_the_date(tmp_path):
    path = build(tmp_path / "history.duckdb")
    c = connect(path)
    try:
        # the offer's versions: a context change without a price change, then a price move
        c.execute("""DELETE FROM offer_versions WHERE model_id = $m AND provider_id = 'cloudflare-workers-ai'""",
                  {"m": LLAMA})
        c.executemany("""INSERT INTO offer_versions (model_id, provider_id, provider_model_id, variant,
                             input_usd_per_mtok, output_usd_per_mtok, context_window, row_hash, valid_from, valid_to,
                             opened_by, closed_by)
                         VALUES (?, 'cloudflare-workers-ai', 'x', '', ?, 0.201, ?, 'h', ?, ?, 'c', 'c')""", [
            [LLAMA, "0.04", 60_000, datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 5, 15, tzinfo=UTC)],
            [LLAMA, "0.04", 128_000, datetime(2026, 5, 15, tzinfo=UTC), datetime(2026, 5, 20, tzinfo=UTC)],
            [LLAMA, "0.027", 128_000, datetime(2026, 5, 20, tzinfo=UTC), None],
        ])

        def series(day: date) -> list[tuple[str, str | None, str]]:
            prepare(c, day, CONFIG)  # the model itself is listed from 2026-06-01: read its history directly
            (history,) = c.execute("SELECT price_history FROM cmp_history WHERE model_id = ?", [LLAMA]).fetchone()
            (s,) = [s for s in history if s["provider"]["id"] == "cloudflare-workers-ai"]
            return [(p["valid_from"].astimezone(UTC).date().isoformat(),
                     p["valid_to"] and p["valid_to"].astimezone(UTC).date().isoformat(), str(p["input_usd_per_mtok"]))
                    for p in s["points"]]

        assert series(AS_OF) == [("2026-05-01", "2026-05-20", "0.040000000"), ("2026-05-20", None, "0.027000000")]
        assert series(date(2026, 5, 17)) == [("2026-05-01", None, "0.040000000")]  # the move came after that date
        rec = compare(c, LLAMA, O3, AS_OF, CONFIG)
        assert rec is not None
        (s,) = [s for s in rec.a.price_history if s.provider.id == "cloudflare-workers-ai"]
        assert s.current and [p.input_usd_per_mtok for p in s.points] == [Decimal("0.04"), Decimal("0.027")]
    finally:
        c.close()


def test_pair_figures_over_standard_routes(con):
    rec = record(con, LLAMA, O3)
    assert rec["cheaper"] == "a"
    assert Decimal(rec["cheaper_pct"]) == Decimal("3974.07")  # 1.10/0.027 - 1, not 0.55/0.027
    assert Decimal(rec["input_price_ratio"]) == Decimal("40.74")
    assert Decimal(rec["monthly_gap_usd"]) == Decimal("1908.15")
    assert rec["null_reasons"] == {}


def test_a_side_without_standard_price_gives_nulls_with_reasons(con):
    rec = record(con, LLAMA, BATCH_ONLY)
    assert rec["b"]["cheapest_input"] is None and rec["b"]["monthly"] is None and rec["b"]["providers_count"] == 1
    assert [r["kind"] for r in rec["b"]["other_routes"]] == ["batch"]
    figures = ("cheaper", "cheaper_pct", "input_price_ratio", "output_price_ratio", "blended_3_1_ratio",
               "blended_70_30_gap_usd", "input_price_gap_usd", "output_price_gap_usd", "monthly_gap_usd")
    assert all(rec[f] is None for f in figures)
    assert set(rec["null_reasons"]) == set(figures)
    assert rec["null_reasons"]["cheaper_pct"] == \
        "b (example/batch-only) has no standard input price (non-standard routes only: batch)"
    assert rec["context_leader"] == "a"


def test_a_provider_nobody_reviewed_is_shown_beside_never_the_cheapest_tracked_route(con):
    # example-host is named only by the data (not in warehouse/curated/providers.yaml)
    rec = record(con, LLAMA, FREE_MODEL)
    assert rec["b"]["cheapest_input"] is None
    assert [(r["kind"], r["provider"]["id"]) for r in rec["b"]["other_routes"]] == [("unreviewed", "example-host")]
    assert names(rec["b"]["providers"]) == ["Example Host"]  # still a provider of the model


def test_a_model_listed_free_keeps_its_zero_route_standard(con):
    everyone = CONFIG.model_copy(update={"cheapest_from": "all"})
    rec = record(con, LLAMA, FREE_MODEL, everyone)
    assert rec["b"]["cheapest_input"] is None and [r["kind"] for r in rec["b"]["other_routes"]] == ["free"]
    listed = everyone.model_copy(update={"free_models": [FREE_MODEL]})
    rec = record(con, LLAMA, FREE_MODEL, listed)
    assert Decimal(rec["b"]["cheapest_input"]["usd_per_mtok"]) == 0 and rec["b"]["other_routes"] == []
    assert rec["cheaper"] == "b" and rec["cheaper_pct"] is None and rec["input_price_ratio"] is None
    assert rec["null_reasons"]["cheaper_pct"] == \
        "b (example/free-model)'s cheapest standard input price is $0: no ratio to $0"
    assert rec["null_reasons"]["context_leader"] == "b (example/free-model) has no known context window"
    assert Decimal(rec["input_price_gap_usd"]) == Decimal("0.027")  # a gap to $0 is defined


def test_every_null_figure_has_a_reason_in_every_pair(con):
    cfg = CONFIG.model_copy(update={"free_models": [FREE_MODEL], "cheapest_from": "all"})
    columns = prepare(con, AS_OF, cfg)
    from pipeline.compare import to_record
    rows = pair_rows(con, columns, None)
    assert len(rows) == 6
    for row in rows:
        rec = to_record(row, AS_OF, cfg).model_dump()
        nulls = {k for k in ("cheaper", "cheaper_pct", "input_price_ratio", "output_price_ratio", "blended_3_1_ratio",
                             "blended_70_30_gap_usd", "input_price_gap_usd", "output_price_gap_usd",
                             "monthly_gap_usd", "context_leader") if rec[k] is None}
        assert set(rec["null_reasons"]) == nulls, (row["a_model_id"], row["b_model_id"])


def test_parquet_pairs_carry_ties_but_not_the_route_lists(con, tmp_path):
    columns = prepare(con, AS_OF, CONFIG)
    assert "other_routes" not in columns and "cheapest_input_providers" in columns
    con.execute(ALL_PAIRS_SQL)
    out = tmp_path / "pairs.parquet"
    con.execute(f"COPY ({pairs_sql(columns)}) TO '{out}' (FORMAT parquet)")
    got = con.execute(f"""SELECT a_model_id, b_model_id, b_cheapest_input, len(b_cheapest_input_providers)
                          FROM '{out}' WHERE b_model_id = '{O3}' AND a_model_id = '{LLAMA}'""").fetchall()
    assert got == [(LLAMA, O3, Decimal("1.1"), 3)]
    assert con.execute(f"SELECT count(*) FROM '{out}'").fetchone()[0] == 6  # 4 models, each with an offer


@pytest.mark.parametrize(("variant", "kind"), [
    ("", None), ("batch", "batch"), ("eu/batch", "batch"), ("us", "regional-surcharge"), ("global", None),
    ("us-east-1", None), ("fp8", None), ("fp8-fast", None), ("bf16", None), ("free", "free"), ("flex", "flex"),
    ("priority", "priority"), ("nitro", None), ("online", None), ("thinking", None),
])
def test_route_kind_of_variants(variant, kind):
    assert CONFIG.route_kind(variant) == kind


def test_config_is_strict(tmp_path):
    def load(doc: dict[str, Any]) -> ComparisonConfig:
        path = tmp_path / "c.yaml"
        path.write_text(yaml.safe_dump(doc))
        return load_comparison_config(path)

    with pytest.raises(ConfigError, match="exclude_variants was replaced by non_standard_routes"):
        load({"exclude_variants": ["free"]})
    with pytest.raises(ConfigError, match="listed under both"):
        load({"non_standard_routes": [{"kind": "batch", "variant_parts": ["batch"]},
                                      {"kind": "flex", "variant_parts": ["batch"]}]})
    with pytest.raises(ConfigError, match="kind"):
        load({"non_standard_routes": [{"kind": "cheap", "variant_parts": ["x"]}]})
    with pytest.raises(ConfigError, match="single lowercase parts"):
        load({"non_standard_routes": [{"kind": "batch", "variant_parts": ["eu/batch"]}]})
    assert load({"non_standard_routes": [{"kind": "batch", "variant_parts": ["bulk"]}]}).route_kind("bulk") == "batch"
    assert COMPARISONS_FILE.exists() and COMPARISONS_FILE.parent.name == "pipeline"  # package data


@pytest.fixture()
def run_cli(data: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(cli, "console", Console(width=250, color_system=None))

    def go(*args: str) -> str:
        result = CliRunner().invoke(cli.app, [*args, "--data-dir", str(data), "--as-of", AS_OF.isoformat()])
        assert result.exit_code == 0, result.output
        return result.output
    return go


def test_compare_renders_pct_with_ratio_and_ties(run_cli):
    out = run_cli("compare", LLAMA, O3)
    assert "Llama 3.2 1B Instruct is 3974.07% cheaper on input (40.7× cheaper); monthly gap $1,908.15" in out
    assert "at Azure OpenAI, OpenAI API, OpenRouter (tied)" in out
    assert "batch: $0.55 / $2.20 at OpenAI API [batch]" in out
    assert "None" not in out


def test_compare_renders_nulls_as_reasons(run_cli):
    out = run_cli("compare", LLAMA, BATCH_ONLY)
    assert ("which is cheaper on input is unknown: b (example/batch-only) has no standard input price "
            "(non-standard routes only: batch); monthly gap unknown: b (example/batch-only) has no standard route "
            "with input and output prices") in out
    assert "None" not in out and "no standard price" in out
