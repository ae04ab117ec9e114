"""`llm-ledger unmatched`: the identity review list holds what nothing corroborates, and only that."""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pipeline.inspect import unmatched
from pipeline.reconcile import reconcile
from warehouse.connection import connect
from warehouse.load import apply_versions, insert_rows

POLICY = ["override", "first_party", "provider", "catalog", "independent"]


def test_only_models_nothing_corroborates_are_listed(tmp_path: Path):
    con = connect(tmp_path / "ledger.duckdb")
    insert_rows(con, "sources", [{"source_id": "cat", "name": "cat", "kind": "catalog", "authority": "catalog",
                                  "authority_rank": 3, "provider_id": None, "provider_name": None}])
    insert_rows(con, "policy", [{"entity": "*", "field": "*", "authority": a, "rank": i} for i, a in enumerate(POLICY)])
    ts = datetime(2026, 7, 1, 6, tzinfo=UTC)
    con.execute("INSERT INTO crawls VALUES ('c1', ?, 'test', now(), 'r')", [ts])
    con.execute("INSERT INTO crawl_sources VALUES ('c1', 'cat', 'ok', 'ok', NULL, 1, 1, 1, 0, 0)")
    listed = [
        ("meta/llama-3.2-1b-instruct", "cloudflare-workers-ai"),  # two providers list it: corroborated
        ("meta/llama-3.2-1b-instruct", "deepinfra"),
        ("anthropic/claude-2.1", "anthropic"),                    # once, but by its creator's own API
        ("anthropic/claude-opus-4-thinking-1024", "cortecs"),     # once, by a reseller: to review
        ("azure-openai/model-router", "azure-openai"),            # a namespace model (creator unknown)
        ("azure-openai/model-router", "azure-cognitive-services"),
    ]
    insert_rows(con, "observations", [
        {"crawl_id": "c1", "source_id": "cat", "url": "https://cat.example/", "entity": "offer", "model_id": m,
         "provider_id": p, "provider_model_id": m.split("/")[1], "variant": "", "benchmark_id": "",
         "field": "input_usd_per_mtok", "raw": "1", "value": "1", "status": "known", "seq": i}
        for i, (m, p) in enumerate(listed)])
    reconcile(con, "c1", ts)
    apply_versions(con, "c1", ts)
    got = {u.model_id for u in unmatched(con)}
    assert got == {"anthropic/claude-opus-4-thinking-1024", "azure-openai/model-router"}
    con.close()
