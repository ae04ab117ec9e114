"""The warehouse opens in the DuckDB CLI analysts install from the package index (duckdb-cli, the
1.5 line: a file written by DuckDB 2.0 has storage version 69, which 1.5 cannot read). The warehouse
is the one `make run` builds from the recorded crawl; the CLI opens it read-only in a subprocess and
reads the views, a time-travel macro, typed columns and the comments."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

LLAMA = "meta/llama-3.2-1b-instruct"


def duckdb_cli() -> str | None:
    """The `duckdb` binary of this venv (the test extra installs duckdb-cli), else one on PATH."""
    here = Path(sys.executable).parent / "duckdb"
    return str(here) if here.exists() else shutil.which("duckdb")


@pytest.fixture(scope="module")
def cli_query(recorded_warehouse: Path):
    binary = duckdb_cli()
    if binary is None:
        pytest.skip("no `duckdb` CLI binary: pip install 'duckdb-cli>=1.5,<1.6' (the test extra) to run this test")

    def query(sql: str) -> list[dict]:
        proc = subprocess.run([binary, "-readonly", "-json", str(recorded_warehouse), "-c", sql],
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0 and not proc.stderr, f"duckdb CLI failed on {sql!r}:\n{proc.stderr}"
        return json.loads(proc.stdout or "[]")

    return query


def test_the_cli_is_the_one_line_the_warehouse_is_written_for():
    binary = duckdb_cli()
    if binary is None:
        pytest.skip("no `duckdb` CLI binary: pip install 'duckdb-cli>=1.5,<1.6' (the test extra) to run this test")
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30).stdout
    assert version.startswith("v1.5."), version


def test_models_current_and_offers_current(cli_query):
    (model,) = cli_query(f"SELECT name, context_window FROM models_current WHERE model_id = '{LLAMA}'")
    assert model == {"name": "Llama 3.2 1B Instruct", "context_window": 131072}
    (offer,) = cli_query(f"""SELECT input_usd_per_mtok, output_usd_per_mtok, route_kind, is_free_tier FROM offers_current
                             WHERE model_id = '{LLAMA}' AND provider_id = 'cloudflare-workers-ai' AND variant = ''""")
    assert Decimal(offer["input_usd_per_mtok"]) == Decimal("0.027")
    assert Decimal(offer["output_usd_per_mtok"]) == Decimal("0.201")
    assert (offer["route_kind"], offer["is_free_tier"]) == ("standard", False)


def test_a_time_travel_macro(cli_query):
    # on 1 May the recorded crawls knew Llama 3.2 1B at OpenRouter (0.027), not yet at Cloudflare
    rows = cli_query(f"""SELECT provider_id, input_usd_per_mtok FROM offers_asof(TIMESTAMP '2026-05-01')
                         WHERE model_id = '{LLAMA}' AND provider_id IN ('openrouter', 'cloudflare-workers-ai')""")
    assert [(r["provider_id"], Decimal(r["input_usd_per_mtok"])) for r in rows] == [("openrouter", Decimal("0.027"))]
    (n,) = cli_query("SELECT count(*) AS n FROM offers_asof(TIMESTAMP '2026-05-01')")
    (before,) = cli_query("SELECT count(*) AS n FROM offers_asof(DATE '2026-01-01')")
    assert n["n"] > 0 and before["n"] == 0


def test_typed_columns_and_the_cheapest_routes(cli_query):
    (row,) = cli_query(f"""SELECT cheapest_input_usd_per_mtok AS price,
                                  list_transform(cheapest_input_routes, lambda r: r.provider_id) AS providers
                           FROM cheapest_routes WHERE model_id = '{LLAMA}'""")
    assert Decimal(row["price"]) == Decimal("0.027") and "cloudflare-workers-ai" in row["providers"]
    (prov,) = cli_query(f"SELECT provenance['name'].source_id AS source_id FROM models_current WHERE model_id = '{LLAMA}'")
    assert prov["source_id"]
    claims = cli_query(f"""SELECT c.source_id, c.value FROM conflicts, unnest(claims) AS u(c)
                           WHERE model_id = '{LLAMA}' AND field = 'knowledge_cutoff'""")
    assert {"source_id": "openrouter", "value": "2023-12-31"} in claims


def test_the_comments_show_in_the_cli(cli_query):
    (macro,) = cli_query("SELECT comment FROM duckdb_functions() WHERE function_name = 'offers_asof'")
    (view,) = cli_query("SELECT comment FROM duckdb_views() WHERE view_name = 'cheapest_routes'")
    assert "as they stood at ts" in macro["comment"] and "ties" in view["comment"]
