"""The Prefect refresh flow over a local HTTP server serving the recorded crawl (Prefect's test
harness: a temporary local server, no network)."""
from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest

from pipeline.config import load_sources
from tests.crawl_helpers import newest_recorded
from tests.httpserver import closed_port, routes_from_recorded, serve


@pytest.fixture(scope="module")
def harness():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield


def source_urls(base: str, ids: list[str]) -> dict[str, list[str]]:
    out = {}
    for s in load_sources().sources:
        if s.id in ids:
            out[s.id] = [f"{base}/{u.split('://', 1)[1].split('/', 1)[1]}" for u in s.start_urls]
    return out


FAST = {"AUTOTHROTTLE_START_DELAY": "0", "DOWNLOAD_DELAY": "0", "RETRY_TIMES": "0"}


def test_refresh_flow_loads_and_exports(harness, tmp_path):
    from pipeline.flows import refresh

    recorded = newest_recorded()
    routes = {**routes_from_recorded(recorded / "openrouter"), **routes_from_recorded(recorded / "cloudflare-workers-ai")}
    dead = closed_port()
    with serve(routes) as base:
        urls = source_urls(base, ["openrouter", "cloudflare-workers-ai"])
        urls["huggingface"] = [f"http://127.0.0.1:{dead}/api/models/x/y"]  # this source fails
        result = refresh(data_dir=str(tmp_path), sources=["openrouter", "cloudflare-workers-ai", "huggingface"],
                         source_urls=urls, crawl_settings=FAST)
    assert result["failed_sources"] == ["huggingface"]
    assert result["offers"] > 20 and result["export"]
    con = duckdb.connect(str(tmp_path / "ledger.duckdb"), read_only=True)
    try:
        price = con.execute("""SELECT input_usd_per_mtok FROM offers_current
                               WHERE provider_model_id = '@cf/meta/llama-3.2-1b-instruct'""").fetchall()
        assert price == [(Decimal("0.027"),)]
        assert dict(con.execute("SELECT source_id, health FROM source_status").fetchall())["huggingface"] == "failed"
    finally:
        con.close()


def test_refresh_flow_fails_when_every_source_fails(harness, tmp_path):
    from pipeline.flows import refresh

    dead = closed_port()
    with pytest.raises(RuntimeError, match="every source failed"):
        refresh(data_dir=str(tmp_path), sources=["cloudflare-workers-ai"], crawl_settings=FAST,
                source_urls={"cloudflare-workers-ai": [f"http://127.0.0.1:{dead}/pricing/"]})
