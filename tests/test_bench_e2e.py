"""bench/e2e.py at a small scale: the synthetic pages go through the real path (in a child process)
and the warehouse holds what the pages state. The expected counts are computed here from the pages
as stored in the raw archive, by the catalogs' documented rules, not by the parsers."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import duckdb

from bench.e2e import measure_e2e

MODELS, OFFERS = 200, 2_000
TEXT_MODES = ("chat", "completion", "responses")
LITELLM_PRICES = ("input_cost_per_token", "output_cost_per_token", "cache_read_input_token_cost",
                  "cache_creation_input_token_cost")
LITELLM_FLAGS = ("supports_function_calling", "supports_vision", "supports_reasoning",
                 "supports_response_schema", "supports_computer_use")


def _page(data_dir: Path, source_id: str) -> Any:
    (folder,) = (data_dir / "raw").glob(f"*/{source_id}")
    (line,) = (folder / "pages.jsonl").read_text().splitlines()
    return json.loads((folder / json.loads(line)["body_file"]).read_bytes())


def _litellm_expected(doc: dict[str, Any]) -> tuple[int, set[tuple[str, str]]]:
    """Observations of the price file: per text-generation entry one per price, tier (threshold +
    each side) and limit, and one model-level claim per limit (no entry is the creator's own);
    one per (model, capability flag) stated by any entry."""
    n, offers, flags = 0, set(), set()
    for key, e in doc.items():
        if key == "sample_spec" or e.get("mode") not in TEXT_MODES:
            continue
        model = key.split("/", 1)[1]  # "<litellm_provider>/<creator>/<slug>": the model id itself
        offers.add((model, e["litellm_provider"].replace("_", "-")))
        n += sum(k in e for k in LITELLM_PRICES)
        tiers = [k for k in e if k.endswith("_above_200k_tokens")]
        n += (1 + len(tiers)) if tiers else 0
        n += 2 * sum(k in e for k in ("max_input_tokens", "max_output_tokens"))
        flags |= {(model, f) for f in LITELLM_FLAGS if isinstance(e.get(f), bool)}
    return n + len(flags), offers


def _models_dev_expected(doc: dict[str, Any]) -> tuple[int, set[tuple[str, str]]]:
    """Observations of api.json: per entry one per cost and limit key (offer), and as model facts
    one per limit, release date, knowledge and open_weights; once per model: name, reasoning,
    tool_call (function calling and tool use), structured_output, modalities (vision, multimodal)."""
    n, offers = 0, set()
    once: set[tuple[str, str]] = set()
    for provider, p in doc.items():
        for model, e in p["models"].items():
            if e.get("status") == "deprecated":
                continue
            offers.add((model, provider))
            n += sum(k in e["cost"] for k in ("input", "output", "cache_read", "cache_write"))
            n += 2 * sum(k in e["limit"] for k in ("context", "input", "output"))
            n += sum(k in e for k in ("release_date", "knowledge", "open_weights"))
            for k, fields in (("name", 1), ("reasoning", 1), ("tool_call", 2), ("structured_output", 1),
                              ("modalities", 2)):
                if k in e:
                    once |= {(model, f"{k}{i}") for i in range(fields)}
    return n + len(once), offers


def test_small_synthetic_catalog_goes_through_the_real_path(tmp_path: Path) -> None:
    b = SimpleNamespace(scale=SimpleNamespace(seed=7), workdir=tmp_path, notes={})
    started = time.perf_counter()
    figures = measure_e2e(b, e2e_models=MODELS, e2e_offers=OFFERS)
    assert time.perf_counter() - started < 20

    assert set(figures) == {"e2e_obs_per_s", "e2e_peak_rss_mb"}
    assert isinstance(figures["e2e_obs_per_s"], float) and figures["e2e_obs_per_s"] > 0
    assert isinstance(figures["e2e_peak_rss_mb"], float) and figures["e2e_peak_rss_mb"] > 0

    data_dir = tmp_path / "e2e"
    litellm_obs, litellm_offers = _litellm_expected(_page(data_dir, "litellm"))
    models_dev_obs, models_dev_offers = _models_dev_expected(_page(data_dir, "models-dev"))
    offers = litellm_offers | models_dev_offers
    models = {m for m, _ in offers}
    assert (len(models), len(offers)) == (MODELS, OFFERS)  # what the generator was asked for

    con = duckdb.connect(str(data_dir / "ledger.duckdb"), read_only=True)
    try:
        by_source = dict(con.execute("SELECT source_id, count(*) FROM observations GROUP BY 1").fetchall())
        stored_offers = set(con.execute(
            "SELECT model_id, provider_id FROM offer_versions WHERE valid_to IS NULL AND variant = ''").fetchall())
        n_offers = con.execute("SELECT count(*) FROM offer_versions WHERE valid_to IS NULL").fetchall()[0][0]
        stored_models = {m for (m,) in con.execute(
            "SELECT model_id FROM model_versions WHERE valid_to IS NULL AND model_id LIKE '%/synth-%'").fetchall()}
        health = dict(con.execute("SELECT source_id, health FROM crawl_sources").fetchall())
    finally:
        con.close()
    assert health == {"litellm": "ok", "models-dev": "ok"}
    assert by_source == {"litellm": litellm_obs, "models-dev": models_dev_obs}
    assert b.notes["e2e_observations"] == litellm_obs + models_dev_obs
    assert stored_offers == offers and n_offers == OFFERS
    assert stored_models == models
    # the figure is the stored observations over the processing time the child measured
    assert abs(figures["e2e_obs_per_s"] - b.notes["e2e_observations"] / b.notes["e2e_process_s"]) \
        <= 0.01 * figures["e2e_obs_per_s"]


def test_peak_rss_is_the_childs_not_the_parents(tmp_path: Path) -> None:
    """Linux carries a process's RSS high-water mark into a child forked from it: a bench process
    holding gigabytes would report its own size as the child's. The launcher prevents that."""
    from bench.e2e import run_child

    ballast = b"\x01" * (600 * 2**20)  # 600 MB touched in this (the parent) process
    run = run_child([sys.executable, "-c", "x = b'\\x01' * (50 * 2**20)"], tmp_path / "child.log")
    assert len(ballast) and run.rc == 0
    assert 50 <= run.peak_rss_mb < 300, run.peak_rss_mb  # the child's 50 MB and an interpreter, not 600 MB
