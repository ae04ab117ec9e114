"""End-to-end figures of `make bench` (issue 15): raw pages -> parse -> normalize -> reconcile -> load.

Two measurements, plain functions taking the bench's ``Bench`` (duck-typed: ``scale.seed``,
``workdir``, ``notes``):

``measure_e2e(b)`` -> ``{"e2e_obs_per_s", "e2e_peak_rss_mb"}``
    A SYNTHETIC catalog (default 5,000 models, 50,000 offers among 40 synthetic providers,
    ``random.Random(seed)``) written as the two community catalogs write it: LiteLLM's
    ``model_prices_and_context_window.json`` (USD per token, ``litellm_provider``, limits,
    ``supports_*`` flags, a few ``*_above_200k_tokens`` tiers, embedding entries and
    ``sample_spec`` to skip) and models.dev's ``api.json`` (provider -> models, USD per 1M,
    ``limit``, dates, capabilities, a few deprecated entries to skip). Each offer is stated by one
    catalog or by both (then both claims meet on one offer, and now and then disagree). The two
    pages are stored by the project's own writer (spiders/writer.py) as one sealed crawl of the
    sources ``litellm`` and ``models-dev`` in a fresh raw archive (pipeline/raw.py's layout).
    A CHILD process (``python bench/e2e.py --child DATA_DIR``) then calls
    ``pipeline.run.rebuild_warehouse(DATA_DIR, do_export=False)``, what ``llm-ledger rebuild
    --no-export`` calls: verify the archive, parse every page (normalizing each value into an
    Observation), store observations, reconcile (DuckDB SQL), versioned load, commit, into a
    fresh DuckDB file.

    e2e_obs_per_s    rows of the warehouse's ``observations`` table after the run, divided by the
                     wall time of that rebuild_warehouse call (in the child: imports and
                     interpreter start are not counted; they are in ``b.notes["e2e_child_wall_s"]``)
    e2e_peak_rss_mb  the child's peak RSS (``os.wait4`` rusage ``ru_maxrss``, read by a small
                     launcher process the child is forked from: Linux carries the RSS high-water mark
                     of the process a child is forked from into the child's, so the bench's own
                     memory would otherwise count)

    ``b.notes`` gets the counts (observations, models, offers, pages' MB), where the time goes
    (``e2e_stage_s``: check (the archive's sha256s), parse (read + parse + normalize into
    Observations), store (insert of raw pages, problems, observations), reconcile, load
    (apply_versions), commit+other (the COMMIT, source sync: the rest of the call);
    ``e2e_sql_layers_s``: each SQL layer of warehouse/sql/transform/ inside reconcile and load),
    where the memory goes (``e2e_stage_peak_rss_mb``: the child's peak RSS as each stage or layer
    ended) and ``e2e_targets_met`` (issue 15: >= 20,000 obs/s, < 500 MB). The stages are timed
    by wrapping pipeline.process's and warehouse.transform's functions in the child (a few dozen
    calls: no measurable overhead). ``--duckdb-memory-limit`` (standalone only) is an experiment:
    the same run with DuckDB's memory capped on the run's connection.

``measure_real(b)`` -> ``{"real_rebuild_s", "real_peak_rss_mb"}`` or ``{}``
    When ``../shared/real`` (ROOT.parent / "shared" / "real") holds the three real catalogs
    (OpenRouter's models API, models.dev's api.json, LiteLLM's price file), does what
    ``../shared/tools/real-catalogs-check`` does: serves them from 127.0.0.1 (``http.server``)
    and runs ``llm-ledger run --live --sources litellm,models-dev,openrouter --source-url ...``
    into a fresh data dir, as a child process. No other host is contacted.

    real_rebuild_s   wall time of that whole child: the crawl of the three local files (one
                     Scrapy subprocess per source), processing (parse .. load) and the export,
                     CLI start included: what real-catalogs-check's ``/usr/bin/time`` reports
    real_peak_rss_mb the largest peak RSS of that child and of every process it waited for (its
                     Scrapy crawl subprocesses): ``ru_maxrss`` of ``os.wait4`` is a maximum over
                     them, not a sum

    Notes: a second child then runs ``rebuild_warehouse(do_export=False)`` over the archive the
    crawl left (processing only: ``real_process_s``, ``real_process_peak_rss_mb``, its stages);
    ``real_held_s`` is the run's own "held for writing" figure (load + export).
    Without ../shared/real it returns ``{}`` and says why on stderr.

Standalone (prints one JSON line of figures; notes on stderr)::

    .venv/bin/python bench/e2e.py                               # 5,000 models / 50,000 offers + the real catalogs
    .venv/bin/python bench/e2e.py --models 200 --offers 2000 --no-real   # a quick run
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

REAL_DIR = ROOT.parent / "shared" / "real"
TARGET_OBS_PER_S = 20_000  # issue 15
TARGET_RSS_MB = 500

E2E_MODELS = 5_000
E2E_OFFERS = 50_000
PROVIDERS = 40  # synthetic providers; more than any model's offers, so every offer is a distinct pair
CRAWL_ID = "20260601T060000Z"
CRAWL_AT = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)
LITELLM_URL = "https://raw.githubusercontent.com/BerriAI/litellm/main/model_prices_and_context_window.json"
MODELS_DEV_URL = "https://models.dev/api.json"
# Canonical creators (pipeline.identity resolves "<creator>/<slug>" to itself): the model id of an
# offer is then its provider model id, whichever catalog states it, so the counts are known.
CREATORS = ["meta", "mistral", "qwen", "google", "deepseek", "microsoft", "nvidia", "cohere", "xai", "zai"]
SUFFIXES = ["instruct", "chat", "coder", "base", "vision"]
CONTEXTS = [8_192, 32_768, 65_536, 131_072, 200_000, 262_144, 1_048_576]
OUTPUTS = [4_096, 8_192, 16_384, 32_768, 65_536]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# The synthetic catalog


@dataclass
class SynthCatalog:
    """The two pages as their projects write them, plus what was generated (for checking)."""

    litellm: dict[str, Any]  # model_prices_and_context_window.json
    models_dev: dict[str, Any]  # api.json
    models: set[str] = field(default_factory=set)  # canonical model ids that have an offer
    offers: set[tuple[str, str]] = field(default_factory=set)  # (model id, provider id), variant ""


def _per_token(milli: int) -> float:
    """USD per token of a price of ``milli`` thousandths of a dollar per 1M tokens. A float whose
    repr is that decimal exactly (json writes repr; the parsers read the text, never the float)."""
    return float(Decimal(milli).scaleb(-9))


def _per_mtok(milli: int) -> float:
    return float(Decimal(milli).scaleb(-3))


def synth_catalog(models: int = E2E_MODELS, offers: int = E2E_OFFERS, seed: int = 20260601) -> SynthCatalog:
    """``models`` models with ``offers`` offers in all (each model at least one, at most
    PROVIDERS), each offer in LiteLLM's file, in models.dev's, or in both; the same catalog for the
    same arguments."""
    if not models <= offers <= models * PROVIDERS:
        raise ValueError(f"offers must be between models ({models}) and models x {PROVIDERS}")
    rng = random.Random(seed)
    # Offers per model: one each, the rest to popular models first (a few models have many routes)
    counts = [1] * models
    weights = [1.0 / (1 + i % 97) for i in range(models)]
    left = offers - models
    while left:
        for i in rng.choices(range(models), weights, k=left):
            if counts[i] < PROVIDERS and left:
                counts[i] += 1
                left -= 1
    litellm: dict[str, Any] = {"sample_spec": {  # the real file documents its fields in this entry
        "max_tokens": "LEGACY parameter", "max_input_tokens": "max input tokens",
        "input_cost_per_token": 0.0, "output_cost_per_token": 0.0, "litellm_provider": "one of litellm_provider",
        "mode": "one of: chat, embedding, completion, image_generation, ..."}}
    models_dev: dict[str, Any] = {
        f"synth-cloud-{p:02d}": {"id": f"synth-cloud-{p:02d}", "name": f"Synth Cloud {p:02d}",
                                 "env": [f"SYNTH_{p:02d}_API_KEY"], "npm": "@ai-sdk/openai-compatible",
                                 "api": f"https://api.synth-cloud-{p:02d}.example/v1", "doc": "", "models": {}}
        for p in range(PROVIDERS)
    }
    cat = SynthCatalog(litellm, models_dev)
    day0 = date(2023, 1, 1)
    for m in range(models):
        creator = CREATORS[m % len(CREATORS)]
        pmid = f"{creator}/synth-{m:05d}-{SUFFIXES[m % len(SUFFIXES)]}"
        ctx = rng.choice(CONTEXTS)
        out_limit = rng.choice(OUTPUTS)
        released = day0 + timedelta(days=rng.randrange(1_000))
        facts = {"reasoning": rng.random() < 0.4, "tool_call": rng.random() < 0.7,
                 "structured_output": rng.random() < 0.5, "vision": rng.random() < 0.3,
                 "open_weights": rng.random() < 0.5}
        base_in = rng.randrange(10, 15_000)  # $0.01 .. $15 per 1M input tokens
        cat.models.add(pmid)
        for p in rng.sample(range(PROVIDERS), counts[m]):
            cat.offers.add((pmid, f"synth-cloud-{p:02d}"))
            price_in = base_in * rng.randrange(80, 121) // 100 or 1  # each provider its own price
            price_out = price_in * rng.randrange(1, 6)
            cached = price_in // 10 if rng.random() < 0.4 else None
            where = rng.random()  # 40% LiteLLM only, 40% models.dev only, 20% both
            if where < 0.4 or where >= 0.8:
                _litellm_entry(rng, litellm, p, pmid, ctx, out_limit, facts, price_in, price_out, cached)
            if where >= 0.4:
                if where >= 0.8 and rng.random() < 0.05:  # the catalogs disagree now and then
                    price_in += 1
                _models_dev_entry(rng, models_dev, p, pmid, m, ctx, out_limit, released, facts,
                                  price_in, price_out, cached)
            if rng.random() < 0.02:  # entries both parsers skip: an embedding model, a deprecated one
                lp = f"synth_cloud_{p:02d}"
                litellm[f"{lp}/{creator}/synth-embed-{m:05d}"] = {
                    "litellm_provider": lp, "mode": "embedding", "input_cost_per_token": _per_token(price_in),
                    "max_input_tokens": 8_192}
                models_dev[f"synth-cloud-{p:02d}"]["models"][f"{pmid}-old"] = {
                    "id": f"{pmid}-old", "name": "retired", "status": "deprecated",
                    "cost": {"input": _per_mtok(price_in), "output": _per_mtok(price_out)}}
    return cat


def _litellm_entry(rng: random.Random, doc: dict[str, Any], p: int, pmid: str, ctx: int, out_limit: int,
                   facts: dict[str, bool], price_in: int, price_out: int, cached: int | None) -> None:
    lp = f"synth_cloud_{p:02d}"  # LiteLLM's spelling; canonical_provider makes it synth-cloud-NN
    e: dict[str, Any] = {"litellm_provider": lp, "mode": rng.choice(["chat", "chat", "chat", "completion"]),
                         "max_tokens": out_limit,  # the legacy, ambiguous key: not read
                         "input_cost_per_token": _per_token(price_in), "output_cost_per_token": _per_token(price_out)}
    if cached is not None:
        e["cache_read_input_token_cost"] = _per_token(cached)
    if rng.random() < 0.9:
        e["max_input_tokens"] = ctx if rng.random() < 0.9 else ctx // 2  # a smaller serving limit
    if rng.random() < 0.8:
        e["max_output_tokens"] = out_limit
    if ctx > 200_000 and rng.random() < 0.3:
        e["input_cost_per_token_above_200k_tokens"] = _per_token(price_in * 2)
        e["output_cost_per_token_above_200k_tokens"] = _per_token(price_out * 3 // 2 or 1)
    for flag, key in (("supports_function_calling", "tool_call"), ("supports_vision", "vision"),
                      ("supports_reasoning", "reasoning")):
        if rng.random() < 0.6:
            e[flag] = facts[key]
    e["source"] = f"https://synth-cloud-{p:02d}.example/pricing"
    doc[f"{lp}/{pmid}"] = e


def _models_dev_entry(rng: random.Random, doc: dict[str, Any], p: int, pmid: str, m: int, ctx: int,
                      out_limit: int, released: date, facts: dict[str, bool], price_in: int, price_out: int,
                      cached: int | None) -> None:
    cost: dict[str, Any] = {"input": _per_mtok(price_in), "output": _per_mtok(price_out)}
    if cached is not None:
        cost["cache_read"] = _per_mtok(cached)
    limit: dict[str, Any] = {"context": ctx if rng.random() < 0.9 else ctx // 2, "output": out_limit}
    if rng.random() < 0.2:
        limit["input"] = ctx * 3 // 4
    e: dict[str, Any] = {
        "id": pmid, "name": f"Synth {m:05d} {pmid.rsplit('-', 1)[1].title()}", "family": f"synth-{m % 50}",
        "attachment": facts["vision"], "reasoning": facts["reasoning"], "tool_call": facts["tool_call"],
        "temperature": True, "modalities": {"input": ["text", "image"] if facts["vision"] else ["text"],
                                            "output": ["text"]},
        "open_weights": facts["open_weights"], "cost": cost, "limit": limit,
        "last_updated": (released + timedelta(days=30)).isoformat(),
    }
    if rng.random() < 0.7:
        e["structured_output"] = facts["structured_output"]
    if rng.random() < 0.9:  # a reseller now and then gives the day it listed the model
        e["release_date"] = (released if rng.random() < 0.9 else released + timedelta(days=rng.randrange(1, 60))
                             ).isoformat()
    if rng.random() < 0.6:
        e["knowledge"] = f"{released.year - 1}-{rng.randrange(1, 13):02d}"
    doc[f"synth-cloud-{p:02d}"]["models"][pmid] = e


def write_archive(data_dir: Path, cat: SynthCatalog) -> dict[str, int]:
    """Store the two pages as one sealed crawl under DATA_DIR/raw (the project's writer and seal);
    returns each page's size in bytes."""
    from pipeline.raw import RawArchive
    from spiders.writer import source_writer

    raw = data_dir / "raw"
    sizes: dict[str, int] = {}
    for source_id, url, doc in (("litellm", LITELLM_URL, cat.litellm), ("models-dev", MODELS_DEV_URL, cat.models_dev)):
        body = json.dumps(doc, indent=2).encode()  # both files are published indented
        w = source_writer(raw, CRAWL_ID, source_id)
        w.add(url, 200, {"Content-Type": "application/json", "Content-Length": str(len(body))}, body,
              fetched_at=CRAWL_AT + timedelta(minutes=1))
        w.finish()
        sizes[source_id] = len(body)
    RawArchive(raw).publish_crawl(CRAWL_ID, CRAWL_AT, mode="test")
    return sizes


# ---------------------------------------------------------------------------------------------
# The child: process the archive, time the stages


STAGES = {  # pipeline.process's functions -> the stage they are
    "check_archive": "check", "parse_source": "parse", "insert_rows": "store", "insert_observations": "store",
    "add_providers": "store",
    "reconcile": "reconcile", "apply_versions": "load",
}


def child(data_dir: Path, result_file: Path, duckdb_memory_limit: str | None = None) -> None:
    """Run in the child process: rebuild_warehouse(data_dir, do_export=False), write the timings.
    ``duckdb_memory_limit`` (an experiment, off by default: the product sets none) caps DuckDB's
    memory on the run's connection, so it spills to disk instead."""
    started = time.perf_counter()
    from pipeline import process
    from pipeline import run as run_mod
    from pipeline.run import rebuild_warehouse

    if duckdb_memory_limit:
        connect = run_mod.connect

        def capped(*args: Any, **kwargs: Any) -> Any:
            con = connect(*args, **kwargs)
            con.execute(f"SET memory_limit = '{duckdb_memory_limit}'")
            return con
        run_mod.connect = capped  # type: ignore[assignment]

    spent: dict[str, float] = {}
    peak: dict[str, float] = {}  # the process's peak RSS (MB) when each stage last ended: where it rises

    def timed(name: str, fn: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - t0
                peak[name] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        return wrapper

    for attr, stage in STAGES.items():  # stage timers: process_crawl looks these names up at call time
        if hasattr(process, attr):
            setattr(process, attr, timed(stage, getattr(process, attr)))
    try:  # inside reconcile and load: each SQL layer of warehouse/sql/transform/ (where present)
        from warehouse import transform
    except ImportError:
        transform = None
    layers: dict[str, float] = {}
    if transform is not None and hasattr(transform, "run"):
        run_layer = transform.run

        def layer_timed(con: Any, name: str, *args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return run_layer(con, name, *args, **kwargs)
            finally:
                layers[name] = round(layers.get(name, 0.0) + time.perf_counter() - t0, 3)
                peak[name] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        transform.run = layer_timed  # type: ignore[assignment]
    imported = time.perf_counter()
    t0 = time.perf_counter()
    summary = rebuild_warehouse(data_dir, do_export=False)
    took = time.perf_counter() - t0
    observations = sum(s.observations for r in summary.reports for s in r.sources)
    result = {
        "process_s": took, "startup_s": imported - started, "observations": observations,
        "models": summary.models, "offers": summary.offers, "conflicts": summary.conflicts,
        # what no stage timer covers: sync of sources/policy, opening, the COMMIT of the transaction
        "stages_s": {k: round(v, 3) for k, v in spent.items()} | {"commit+other": round(took - sum(spent.values()), 3)},
        "stage_peak_rss_mb": peak,
        "sql_layers_s": layers,
        "sources": {s.source_id: {"health": s.health, "items": s.items, "observations": s.observations,
                                  "errors": len(s.errors), "skipped": s.skipped}
                    for r in summary.reports for s in r.sources},
    }
    result_file.write_text(json.dumps(result))


# ---------------------------------------------------------------------------------------------
# The parent: run a child, read its peak RSS


@dataclass
class ChildRun:
    rc: int
    wall_s: float
    peak_rss_mb: float  # ru_maxrss of the child and the descendants it waited for (their maximum)
    stdout: str


def child_env() -> dict[str, str]:
    """The environment minus any LLM_LEDGER_* setting: the child's warehouse is DATA_DIR's own file."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLM_LEDGER_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    return env


def launch(rss_file: Path, cmd: list[str], timeout_s: float) -> int:
    """Run in a small launcher process: run ``cmd``, wait for it with os.wait4 and write its peak
    RSS. Linux carries a process's RSS high-water mark across fork and exec into its rusage, so a
    child forked straight from the bench (gigabytes after the loads) would report the bench's
    size; forked from this launcher (a fresh interpreter), it reports its own."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd)
    deadline = t0 + timeout_s
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.02)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
    rss_file.write_text(json.dumps({"rc": proc.returncode, "wall_s": wall, "maxrss_kb": usage.ru_maxrss}))
    return proc.returncode


def run_child(cmd: list[str], log_file: Path, timeout_s: float = 1800) -> ChildRun:
    """Run ``cmd`` through the launcher (see launch) and return its exit code, wall time and peak
    RSS (ru_maxrss of os.wait4: the child's and its waited-for descendants' maximum)."""
    rss_file = log_file.with_suffix(".rss.json")
    launcher = [sys.executable, str(Path(__file__).resolve()), "--launch", str(rss_file),
                "--timeout", str(timeout_s), "--", *cmd]
    with open(log_file, "w") as out:
        subprocess.run(launcher, cwd=ROOT, env=child_env(), stdout=out, stderr=subprocess.STDOUT,
                       timeout=timeout_s + 60, check=False)
    got = json.loads(rss_file.read_text()) if rss_file.exists() else {"rc": -1, "wall_s": 0.0, "maxrss_kb": 0}
    return ChildRun(got["rc"], got["wall_s"], round(got["maxrss_kb"] / 1024, 1), log_file.read_text(errors="replace"))


def _count(db: Path, sql: str) -> int:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return int(con.execute(sql).fetchall()[0][0])
    finally:
        con.close()


def measure_e2e(b: Any, e2e_models: int = E2E_MODELS, e2e_offers: int = E2E_OFFERS,
                duckdb_memory_limit: str | None = None) -> dict[str, object]:
    """The synthetic catalog through the real path in a child; see the module docstring."""
    data_dir = Path(b.workdir) / "e2e"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    t0 = time.perf_counter()
    cat = synth_catalog(e2e_models, e2e_offers, b.scale.seed)
    sizes = write_archive(data_dir, cat)
    gen_s = time.perf_counter() - t0
    n_models, n_offers = len(cat.models), len(cat.offers)
    del cat  # the bench's own memory is not measured, but need not grow either
    result_file = data_dir / "child.json"
    cap = ["--duckdb-memory-limit", duckdb_memory_limit] if duckdb_memory_limit else []
    run = run_child([sys.executable, str(Path(__file__).resolve()), "--child", str(data_dir),
                     "--result", str(result_file), *cap], data_dir / "child.log")
    if run.rc != 0:
        raise RuntimeError(f"e2e child failed (exit {run.rc}):\n{run.stdout[-3000:]}")
    res = json.loads(result_file.read_text())
    db = data_dir / "ledger.duckdb"
    stored = _count(db, "SELECT count(*) FROM observations")
    obs_per_s = stored / res["process_s"]
    b.notes.update({
        "e2e_scale": {"models": n_models, "offers": n_offers, "providers": PROVIDERS},
        "e2e_pages_mb": {k: round(v / 1e6, 1) for k, v in sizes.items()},
        "e2e_generate_s": round(gen_s, 2),
        "e2e_observations": stored,
        "e2e_models": _count(db, "SELECT count(*) FROM model_versions WHERE valid_to IS NULL"),
        "e2e_offers": _count(db, "SELECT count(*) FROM offer_versions WHERE valid_to IS NULL"),
        "e2e_conflicts": res["conflicts"],
        "e2e_sources": res["sources"],
        "e2e_process_s": round(res["process_s"], 2),
        "e2e_child_wall_s": round(run.wall_s, 2),
        "e2e_stage_s": res["stages_s"],
        "e2e_stage_peak_rss_mb": res["stage_peak_rss_mb"],
        "e2e_sql_layers_s": res["sql_layers_s"],
        **({"e2e_duckdb_memory_limit": duckdb_memory_limit} if duckdb_memory_limit else {}),
        "e2e_targets_met": {"obs_per_s": obs_per_s >= TARGET_OBS_PER_S, "rss": run.peak_rss_mb < TARGET_RSS_MB},
    })
    log(f"e2e: {stored} observations of {n_models} models / {n_offers} offers in {res['process_s']:.2f} s "
        f"({obs_per_s:,.0f} obs/s), peak RSS {run.peak_rss_mb} MB; stages {res['stages_s']}")
    return {"e2e_obs_per_s": round(obs_per_s, 1), "e2e_peak_rss_mb": run.peak_rss_mb}


REAL_FILES = {  # where real-catalogs-check serves each file, and the source it stands for
    "openrouter-api-v1-models-2026-05.json": ("api/v1/models", "openrouter"),
    "models-dev-api-2026-07-02.json": ("models-dev/api.json", "models-dev"),
    "litellm-*-model_prices_and_context_window.json": ("litellm/model_prices_and_context_window.json", "litellm"),
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def measure_real(b: Any, real_dir: Path = REAL_DIR) -> dict[str, object]:
    """The three real catalogs, served from 127.0.0.1, through `llm-ledger run --live` in a child."""
    found = {name: sorted(real_dir.glob(name)) for name in REAL_FILES} if real_dir.is_dir() else {}
    missing = [n for n in REAL_FILES if not found.get(n)]
    if missing:
        log(f"real catalogs: skipped, {real_dir} " + ("is not there" if not real_dir.is_dir()
                                                       else f"lacks {', '.join(missing)}"))
        return {}
    ledger = Path(sys.executable).parent / "llm-ledger"
    if not ledger.exists():
        log(f"real catalogs: skipped, no {ledger} (run `make setup`)")
        return {}
    work = Path(b.workdir) / "real"
    shutil.rmtree(work, ignore_errors=True)
    www = work / "www"
    for name, (path, _) in REAL_FILES.items():
        (www / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(found[name][-1], www / path)
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"], cwd=www,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):  # until the server answers (real-catalogs-check sleeps a second)
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        cmd = [str(ledger), "run", "--live", "--sources", "litellm,models-dev,openrouter",
               *(a for path, source in REAL_FILES.values() for a in ("--source-url", f"{source}={url}/{path}")),
               "--data-dir", str(work / "d")]
        run = run_child(cmd, work / "run.log")
    finally:
        server.terminate()
        server.wait(10)
    if run.rc != 0:
        raise RuntimeError(f"llm-ledger run over the real catalogs failed (exit {run.rc}):\n{run.stdout[-3000:]}")
    held = next((line.split("held for writing ")[1].split(" s")[0] for line in run.stdout.splitlines()
                 if "held for writing " in line), None)
    # processing alone (no crawl, no export), over the archive the crawl left: where the time goes
    result_file = work / "child.json"
    proc = run_child([sys.executable, str(Path(__file__).resolve()), "--child", str(work / "d"),
                      "--result", str(result_file)], work / "rebuild.log")
    if proc.rc == 0:
        res = json.loads(result_file.read_text())
        b.notes.update({"real_process_s": round(res["process_s"], 2), "real_process_peak_rss_mb": proc.peak_rss_mb,
                        "real_observations": res["observations"], "real_stage_s": res["stages_s"],
                        "real_stage_peak_rss_mb": res["stage_peak_rss_mb"],
                        "real_sql_layers_s": res["sql_layers_s"],
                        "real_sources": res["sources"]})
    else:
        log(f"real catalogs: the processing-only rebuild failed (exit {proc.rc}): {proc.stdout[-500:]}")
    if held is not None:
        b.notes["real_held_s"] = float(held)
    log(f"real catalogs: llm-ledger run --live (crawl 127.0.0.1 + process + export) {run.wall_s:.2f} s, "
        f"peak RSS {run.peak_rss_mb} MB; processing alone {b.notes.get('real_process_s')} s, "
        f"{b.notes.get('real_process_peak_rss_mb')} MB")
    return {"real_rebuild_s": round(run.wall_s, 2), "real_peak_rss_mb": run.peak_rss_mb}


# ---------------------------------------------------------------------------------------------
# Standalone


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--models", type=int, default=E2E_MODELS)
    ap.add_argument("--offers", type=int, default=E2E_OFFERS)
    ap.add_argument("--seed", type=int, default=20260601)
    ap.add_argument("--no-real", action="store_true", help="skip the real catalogs")
    ap.add_argument("--child", type=Path, help=argparse.SUPPRESS)  # internal: process DATA_DIR
    ap.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--profile", type=Path, help="with --child: write cProfile stats of the processing here")
    ap.add_argument("--duckdb-memory-limit", help="experiment: SET memory_limit on the run's DuckDB connection ('400MB')")
    ap.add_argument("--launch", type=Path, help=argparse.SUPPRESS)  # internal: run the command after --, write its RSS
    ap.add_argument("--timeout", type=float, default=1800, help=argparse.SUPPRESS)
    ap.add_argument("command", nargs="*", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.launch:
        return launch(args.launch, args.command, args.timeout)
    if args.child:
        if args.profile:
            import cProfile

            cProfile.runctx("child(args.child, args.result, args.duckdb_memory_limit)", globals(),
                            {"args": args, "child": child}, str(args.profile))
        else:
            child(args.child, args.result, args.duckdb_memory_limit)
        return 0
    workdir = Path(tempfile.mkdtemp(prefix="llm-ledger-e2e-"))
    b = SimpleNamespace(scale=SimpleNamespace(seed=args.seed), workdir=workdir, notes={})
    try:
        figures = measure_e2e(b, args.models, args.offers, args.duckdb_memory_limit)
        if not args.no_real:
            figures |= measure_real(b)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    log("notes: " + json.dumps(b.notes, default=str))
    print(json.dumps(figures), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
