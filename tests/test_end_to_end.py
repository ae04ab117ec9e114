"""The whole chain through the real CLI over the bundled recorded crawl, into a temporary data dir."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from pipeline.config import load_sources

REPO = Path(__file__).resolve().parents[1]
LLAMA_1B = "meta/llama-3.2-1b-instruct"


def cli(*args: str, data_dir: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args, "--data-dir", str(data_dir)],
        cwd=REPO, capture_output=True, text=True, timeout=300, env={**os.environ, "COLUMNS": "220"},
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"llm-ledger {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    data = tmp_path_factory.mktemp("data")
    return data, cli("run", data_dir=data)


def query(data: Path, sql: str, params: list[object] | None = None) -> list[tuple]:
    con = duckdb.connect(str(data / "ledger.duckdb"), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_run_prints_a_summary(ran):
    data, proc = ran
    out = proc.stdout
    for source in ("openrouter", "huggingface", "cloudflare-workers-ai"):
        assert source in out
    assert "models:" in out and "offers:" in out and "conflicts:" in out
    assert str(data / "ledger.duckdb") in out
    assert str(data / "exports") in out


def test_every_source_healthy_in_the_recorded_crawl(ran):
    """Each configured source the recorded crawls carry: healthy, as of the newest crawl carrying it."""
    data, _ = ran
    recorded = REPO / "spiders" / "recorded"
    crawls = sorted(p.name for p in recorded.iterdir() if (p / "crawl.json").exists())
    expected = {}
    for source in load_sources().sources:
        carrying = [c for c in crawls if (recorded / c / source.id / "fetch.json").exists()]
        if carrying:
            expected[source.id] = (carrying[-1], "ok")
    assert {"openrouter", "huggingface", "cloudflare-workers-ai"} <= set(expected)
    rows = {s: (c, h) for c, s, h in query(data, "SELECT crawl_id, source_id, health FROM source_status")}
    assert rows == expected


def test_model_facts_in_duckdb(ran):
    data, _ = ran
    row = query(data, """SELECT name, creator, context_window, parameters_total, license, open_weights,
                                release_date::VARCHAR, knowledge_cutoff, last_reviewed::VARCHAR
                         FROM models_current WHERE model_id = ?""", [LLAMA_1B])
    assert row == [("Llama 3.2 1B Instruct", "Meta", 131072, 1235814400, "Llama 3.2 Community License", True,
                    "2024-09-25", "2023-12", "2026-06-04")]


def test_base_and_instruct_stay_distinct(ran):
    data, _ = ran
    ids = {r[0] for r in query(data, "SELECT model_id FROM models_current WHERE model_id LIKE 'meta/llama-3.2-1b%'")}
    assert {"meta/llama-3.2-1b", LLAMA_1B} <= ids


def test_offer_prices_are_exact_decimals(ran):
    data, _ = ran
    rows = query(data, """SELECT provider_id, provider_model_id, input_usd_per_mtok, output_usd_per_mtok
                          FROM offers_current WHERE model_id = ? AND provider_id = 'cloudflare-workers-ai'""",
                 [LLAMA_1B])
    # Cloudflare's own page and OpenRouter's report of Cloudflare's endpoint are claims about one
    # offer (model, provider, variant); the provider's own id is the page's
    assert sorted(rows) == [
        ("cloudflare-workers-ai", "@cf/meta/llama-3.2-1b-instruct", Decimal("0.027"), Decimal("0.201")),
    ]
    o3 = query(data, """SELECT input_usd_per_mtok, output_usd_per_mtok, context_window FROM offers_current
                        WHERE model_id = 'openai/o3-mini' AND provider_id = 'openrouter' AND variant = ''""")
    assert o3 == [(Decimal("1.1"), Decimal("4.4"), 200000)]


def test_cheapest_route_for_llama_is_cloudflare(ran):
    data, _ = ran
    (provider, price), = query(data, """SELECT provider_id, input_usd_per_mtok FROM offers_current
                                         WHERE model_id = ? ORDER BY input_usd_per_mtok, provider_id LIMIT 1""",
                               [LLAMA_1B])
    assert (provider, price) == ("cloudflare-workers-ai", Decimal("0.027"))


def test_observations_keep_raw_text_and_source(ran):
    data, _ = ran
    rows = query(data, """SELECT raw, value FROM observations WHERE source_id = 'cloudflare-workers-ai'
                          AND model_id = ? AND field = 'input_usd_per_mtok'""", [LLAMA_1B])
    assert len(rows) == 1
    raw, value = rows[0]
    assert "0.027" in raw and value == "0.027"


def test_raw_pages_recorded_with_sha256(ran):
    data, _ = ran
    rows = query(data, "SELECT source_id, url, sha256, body_file, crawl_id FROM raw_pages")
    assert len(rows) >= 3
    for source_id, url, sha, body_file, crawl_id in rows:
        body = (data / "raw" / crawl_id / source_id / body_file).read_bytes()
        assert hashlib.sha256(body).hexdigest() == sha, url


def test_exports_written_with_manifest(ran):
    data, _ = ran
    latest = data / "exports" / "latest"
    manifest = json.loads((latest / "manifest.json").read_text())
    assert manifest["as_of"] == "2026-06-04"
    assert (data / "exports" / "2026-06-04" / "manifest.json").exists()
    for name, sha in manifest["files"].items():
        assert hashlib.sha256((latest / name).read_bytes()).hexdigest() == sha, name
    assert {"models.parquet", "offers.parquet", "models.json", "offers.json"} <= set(manifest["files"])
    assert manifest["counts"]["offers"] == len(json.loads((latest / "offers.json").read_text())["records"])
    assert manifest["last_reviewed"] == {"min": "2026-06-04", "max": "2026-06-04"}


def test_export_json_prices_are_strings_and_parquet_decimal(ran):
    data, _ = ran
    latest = data / "exports" / "latest"
    offers = json.loads((latest / "offers.json").read_text())["records"]
    cf = [o for o in offers if o["model_id"] == LLAMA_1B and o["provider_id"] == "cloudflare-workers-ai"]
    assert cf and cf[0]["input_usd_per_mtok"] == "0.027" and cf[0]["output_usd_per_mtok"] == "0.201"
    assert cf[0]["input_label"] == "$0.03" and cf[0]["last_reviewed"] == "2026-06-04"
    table = pq.read_table(latest / "offers.parquet")
    assert str(table.schema.field("input_usd_per_mtok").type) == "decimal128(18, 9)"
    models = json.loads((latest / "models.json").read_text())["records"]
    llama = next(m for m in models if m["model_id"] == LLAMA_1B)
    assert llama["context_window"] == 131072 and llama["context_window_label"] == "128K"


def test_second_run_adds_no_version(ran):
    data, _ = ran
    before = query(data, "SELECT (SELECT count(*) FROM model_versions), (SELECT count(*) FROM offer_versions)")
    proc = cli("run", data_dir=data)
    assert "no new crawl to load" in proc.stdout
    after = query(data, "SELECT (SELECT count(*) FROM model_versions), (SELECT count(*) FROM offer_versions)")
    assert before == after


def test_rebuild_gives_the_same_history(ran):
    data, _ = ran
    sql = """SELECT * EXCLUDE (provenance) FROM offer_versions ORDER BY ALL"""
    before = query(data, sql)
    cli("rebuild", data_dir=data)
    assert query(data, sql) == before


def test_sources_command_lists_status(ran):
    data, _ = ran
    out = cli("sources", data_dir=data).stdout
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.strip()}
    for source in load_sources().sources:  # every configured source, with its last crawl and counts
        crawled, health, pages, items, *_ = rows[source.id]
        assert (crawled, health) == ("2026-06-04", "ok") and int(pages) >= 1 and int(items) >= 1, rows[source.id]


def test_show_lists_fields_provenance_and_other_values(ran):
    data, _ = ran
    out = cli("show", LLAMA_1B, "--as-of", "2026-06-04", data_dir=data).stdout
    assert "131,072" in out and "huggingface" in out
    assert "knowledge_cutoff" in out and "2023-12-31 (openrouter" in out  # the other value seen
    assert "Cloudflare Workers AI" in out and "0.027" in out
    missing = cli("show", "meta/no-such-model", data_dir=data, check=False)
    assert missing.returncode == 1 and "no model 'meta/no-such-model'" in missing.stderr


def test_conflicts_command_filters_by_severity(ran):
    data, _ = ran
    minor = cli("conflicts", "--severity", "minor", data_dir=data).stdout
    assert "knowledge_cutoff" in minor and "2023-12-31 (openrouter" in minor
    assert "no conflict" in cli("conflicts", "--severity", "held", data_dir=data).stdout
    bad = cli("conflicts", "--severity", "huge", data_dir=data, check=False)
    assert bad.returncode == 1 and "held, major or minor" in bad.stderr


def test_changes_command_lists_new_offers(ran):
    data, _ = ran
    out = cli("changes", "--since", "2026-01-01", data_dir=data).stdout
    assert "new offer" in out and "@cf/meta/llama-3.2-1b-instruct" in out
    assert "no change since 2027-01-01" in cli("changes", "--since", "2027-01-01", data_dir=data).stdout


def test_unmatched_lists_single_source_models_with_candidates(ran):
    data, _ = ran
    out = cli("unmatched", data_dir=data).stdout
    assert "to review" in out
