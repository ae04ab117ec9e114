"""`llm-ledger run --source-url ...`: the spiders crawl a local HTTP server (127.0.0.1) that serves
the bundled recorded crawl, and the warehouse ends up with the same facts as the replay."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb

from pipeline.config import load_sources
from pipeline.run import run
from tests.crawl_helpers import newest_recorded
from tests.httpserver import routes_from_recorded, serve

REPO = Path(__file__).resolve().parents[1]
OFFERS = """SELECT model_id, provider_id, provider_model_id, variant, input_usd_per_mtok, output_usd_per_mtok,
                   context_window FROM offers_current ORDER BY ALL"""
FAST = ["--crawl-setting", "AUTOTHROTTLE_START_DELAY=0", "--crawl-setting", "DOWNLOAD_DELAY=0",
        "--crawl-setting", "DOWNLOAD_TIMEOUT=10"]


def _only_crawl(dest: Path, crawl: Path, ids: list[str]) -> Path:
    """A recorded-crawl folder holding just this crawl's pages of these sources."""
    import shutil

    target = dest / crawl.name
    target.mkdir(parents=True)
    shutil.copy(crawl / "crawl.json", target / "crawl.json")
    for i in ids:
        shutil.copytree(crawl / i, target / i)
    return dest


def test_live_run_against_a_local_server(tmp_path):
    recorded = newest_recorded()
    routes: dict = {}
    for source in ("openrouter", "huggingface", "cloudflare-workers-ai"):
        routes.update(routes_from_recorded(recorded / source))
    registry = load_sources()
    ids = ["openrouter", "huggingface", "cloudflare-workers-ai"]
    with serve(routes) as base:
        args = ["--sources", ",".join(ids)]
        for source in (registry.get(i) for i in ids):
            for url in source.start_urls:
                path = url.split("://", 1)[1].split("/", 1)[1]
                args += ["--source-url", f"{source.id}={base}/{path}"]
        proc = subprocess.run(
            [sys.executable, "-m", "pipeline.cli", "run", "--data-dir", str(tmp_path), *args, *FAST],
            cwd=REPO, capture_output=True, text=True, timeout=180, env={**os.environ, "COLUMNS": "200"},
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        # every page of the recorded crawl was requested from the local server, with our User-Agent
        served = {r.path for r in base.requests}
        assert set(routes) <= served
        assert all(r.headers.get("User-Agent", "").startswith("llm-ledger/") for r in base.requests)

    (crawl_dir,) = [p for p in (tmp_path / "raw").iterdir() if (p / "crawl.json").exists()]
    assert json.loads((crawl_dir / "crawl.json").read_text())["mode"] == "live"
    con = duckdb.connect(str(tmp_path / "ledger.duckdb"), read_only=True)
    try:
        health = dict(con.execute("SELECT source_id, health FROM source_status").fetchall())
        assert health == {"openrouter": "ok", "huggingface": "ok", "cloudflare-workers-ai": "ok"}
        price = con.execute("""SELECT input_usd_per_mtok, output_usd_per_mtok FROM offers_current
                               WHERE provider_id = 'cloudflare-workers-ai'
                                 AND provider_model_id = '@cf/meta/llama-3.2-1b-instruct'""").fetchall()
        assert price == [(Decimal("0.027"), Decimal("0.201"))]
        urls = {r[0] for r in con.execute("SELECT url FROM raw_pages").fetchall()}
        assert all(u.startswith(str(base)) for u in urls)
        live_offers = con.execute(OFFERS).fetchall()
    finally:
        con.close()
    # the same facts as the replay of the same pages
    run(tmp_path / "replay", registry, recorded_dir=_only_crawl(tmp_path / "recorded", recorded, ids))
    con = duckdb.connect(str(tmp_path / "replay" / "ledger.duckdb"), read_only=True)
    try:
        assert live_offers == con.execute(OFFERS).fetchall()
        assert len(live_offers) > 20
    finally:
        con.close()
