"""Prefect flows: thin wrappers over the plain functions the CLI uses. The only Prefect import.

- ``refresh``: one crawl task per source, each crawl in its own subprocess (Scrapy's reactor
  cannot restart), at most ``max_parallel_crawls`` at a time, retried with exponential backoff;
  then one task loads the crawl (parse, normalize, reconcile, versioned load), then the export.
  A source that still fails after its retries is recorded as failed (it retires nothing) and
  named in the flow's final state; the flow fails only when every source failed.
  With ``crawl_deployment`` (flows.yaml's refresh deployments) the crawls run elsewhere: the
  sources are grouped by host and each group is one flow run of ``crawl_group`` on the crawl
  pool's workers; the refresh waits for them all, publishes the crawl and loads it as above.
- ``crawl_group``: crawl some sources of a claimed crawl into the shared raw archive (never the
  warehouse); the crawl pool's flow.
- ``rebuild``: re-parse every stored crawl and rebuild the warehouse, then export.
- ``export``: export the state as of a date.

Every run publishes two artifacts: a markdown run report and a table of what changed. The
pipeline's own log records (logger ``llm_ledger``) and every log line of the crawl subprocesses
(Scrapy's) go to the Prefect run logs.

One writer at a time: the warehouse is written only while holding a slot of the global
concurrency limit ``llm-ledger-warehouse`` (limit 1, created on first use), so a refresh and a
rebuild (or two refreshes of different deployments) never write at once; the DuckDB file lock
stays the last line of defence (a second writer fails at once with WarehouseLocked).
"""
from __future__ import annotations

import logging
import os
import re
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Callable, Literal
from urllib.parse import urlsplit
from uuid import UUID

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import FlowRun
from prefect.concurrency.sync import concurrency
from prefect.deployments import run_deployment
from prefect.exceptions import MissingContextError, ObjectAlreadyExists, ObjectNotFound
from prefect.logging.handlers import APILogHandler
from prefect.states import Cancelling, Completed, State
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.tasks import exponential_backoff

from pipeline.config import SourceConfig, SourcesFile, data_dir as resolve_data_dir, load_sources, select_sources
from pipeline.curated import preload
from pipeline.export import ExportResult
from pipeline.raw import FetchInfo, RawArchive
from pipeline.report import (
    Changes,
    Snapshot,
    changes_between,
    changes_in_crawls,
    changes_table,
    crawls_on,
    run_report,
    snapshot,
    source_outcomes,
)
from spiders.writer import UNFINISHED  # spiders/ imports no Scrapy at module level
from pipeline.site import SiteResult, build_site, default_out
from pipeline.run import Paths, RunSummary, export_only, process_stored, rebuild_warehouse
from warehouse.connection import connect
from pipeline.errors import LedgerError

WAREHOUSE_LIMIT = "llm-ledger-warehouse"  # global concurrency limit (1 slot): who may write the warehouse
ATTEMPTS_DIR = ".attempts"  # <crawl>/.attempts/<source_id>.attempt-N: failed attempts, never loaded
SourceKind = Literal["pricing", "model_card", "catalog", "benchmark"]
CRAWL_POOL = "llm-ledger-crawl"  # flows.yaml: the work pool of the crawl deployment
CRAWL_DEPLOYMENT = "crawl-group/crawl-sources"  # flows.yaml's crawl deployment (flow name/deployment name)
CRAWL_POLL_S = 2.0  # how often the refresh looks at its crawl flow runs (one API call each time)
GROUP_OVERHEAD_S = 120.0  # a crawl flow run's own start on its worker (pull step, imports), per group
NO_WORKER_WARNING_S = 120.0  # no crawl flow run started by then: say that no crawl worker may be serving the pool

_fallback_log = logging.getLogger("llm_ledger.flows")
_SCRAPY_LEVEL = re.compile(r"\] (DEBUG|INFO|WARNING|ERROR|CRITICAL): ")


class CrawlFailed(LedgerError, RuntimeError):
    """The fetch of one source failed; raised so that Prefect retries the crawl task."""


class RefreshFailed(LedgerError, RuntimeError):
    """Every selected source failed: the refresh flow fails."""


# --- helpers (no engine needed) ------------------------------------------------------------------

def _logger() -> logging.Logger | logging.LoggerAdapter[logging.Logger]:
    """The run logger inside a flow or task run; a plain logger when called as ``.fn`` outside one."""
    try:
        return get_run_logger()
    except MissingContextError:
        return _fallback_log


@contextmanager
def pipeline_logs_to_prefect() -> Iterator[None]:
    """Send the pipeline's log records (logger ``llm_ledger`` and children) to the Prefect run logs.

    The same as ``PREFECT_LOGGING_EXTRA_LOGGERS=llm_ledger``, without relying on the worker's
    environment; skipped when that setting already attached Prefect's API handler.
    """
    log = logging.getLogger("llm_ledger")
    if any(isinstance(h, APILogHandler) for h in log.handlers):
        yield
        return
    handler = APILogHandler()
    level = log.level
    log.addHandler(handler)
    if level == logging.NOTSET or level > logging.INFO:
        log.setLevel(logging.INFO)
    try:
        yield
    finally:
        log.removeHandler(handler)
        log.setLevel(level)


def _line_sink(logger: logging.Logger | logging.LoggerAdapter[logging.Logger]) -> Callable[[str], None]:
    """Log each stderr line of a crawl subprocess (Scrapy's log) at the level Scrapy gave it."""
    level = [logging.INFO]  # a line without a level (a continuation) keeps the one before it

    def emit(line: str) -> None:
        if not line.strip():
            return
        m = _SCRAPY_LEVEL.search(line)
        if m:
            level[0] = getattr(logging, m.group(1))
        logger.log(level[0], "%s", line)

    return emit


def claim_crawl(raw_root: Path) -> tuple[str, datetime]:
    """A new crawl folder (``RawArchive.claim_crawl``): crawl.json is published once every crawl task has finished."""
    return RawArchive(raw_root).claim_crawl()


def set_aside_failed_attempt(crawl_dir: Path, source_id: str) -> int:
    """Before a retry: move the previous attempt's folder to ``<crawl>/.attempts/<source_id>.attempt-N``.

    The raw archive refuses to write into a source folder that already holds pages, and the loader
    reads ``<crawl>/*/fetch.json``: two levels down, a set-aside attempt is kept for inspection but
    never loaded. Returns the number of the attempt about to start (1 for the first).
    """
    attempts_dir = crawl_dir / ATTEMPTS_DIR
    done = len(list(attempts_dir.glob(f"{source_id}.attempt-*"))) if attempts_dir.is_dir() else 0
    folder = crawl_dir / source_id
    if folder.exists():
        attempts_dir.mkdir(parents=True, exist_ok=True)
        done += 1
        folder.rename(attempts_dir / f"{source_id}.attempt-{done}")
    return done + 1


def attempts_made(crawl_dir: Path, source_id: str) -> int:
    attempts_dir = crawl_dir / ATTEMPTS_DIR
    earlier = len(list(attempts_dir.glob(f"{source_id}.attempt-*"))) if attempts_dir.is_dir() else 0
    return earlier + (1 if (crawl_dir / source_id).exists() else 0)


def _read_fetch(folder: Path) -> FetchInfo | None:
    try:
        return FetchInfo.model_validate_json((folder / "fetch.json").read_text())
    except (FileNotFoundError, ValueError):
        return None


def final_fetch(crawl_dir: Path, source_id: str, outcome: object) -> FetchInfo:
    """The FetchInfo a source ends with after its crawl task (and retries) finished.

    When the task failed without leaving a finished, failed ``fetch.json`` (it crashed, or was
    cancelled), one is written with the error, so the loader records the source as failed.
    """
    if isinstance(outcome, dict):
        return FetchInfo.model_validate(outcome)
    folder = crawl_dir / source_id
    info = _read_fetch(folder)
    if info is not None and info.status == "failed" and info.finished_at is not None:
        return info
    now = datetime.now(UTC)
    why = f"{source_id}: crawl task failed: {type(outcome).__name__}: {outcome}" if isinstance(outcome, BaseException) \
        else f"{source_id}: crawl task did not complete ({outcome!r})"
    base = info or FetchInfo(source_id=source_id, started_at=now)
    # the writer's "did not finish" placeholder is replaced by the reason the task gives
    errors = [e for e in base.errors if e != UNFINISHED]
    info = base.model_copy(update={"status": "failed", "errors": [*errors, why], "finished_at": now})
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / "fetch.json.tmp"
    tmp.write_text(info.model_dump_json(indent=2))
    tmp.replace(folder / "fetch.json")
    return info


def select(registry: SourcesFile, sources: list[str] | None, kinds: list[str] | None,
           source_urls: dict[str, list[str]] | None) -> list[SourceConfig]:
    """The sources of a run: ``sources`` (ids; default every enabled one), narrowed to ``kinds``."""
    chosen = select_sources(registry, sources, source_urls)
    if kinds:
        allowed = set(SourceKind.__args__)  # type: ignore[attr-defined]
        bad = sorted(set(kinds) - allowed)
        if bad:
            raise ValueError(f"unknown source kind(s) {', '.join(bad)} (known: {', '.join(sorted(allowed))})")
        chosen = [s for s in chosen if s.kind in kinds]
    if not chosen:
        raise ValueError(f"no enabled source matches sources={sources!r} kinds={kinds!r}")
    return chosen


def _registry(sources_file: str | None) -> SourcesFile:
    return load_sources(Path(sources_file) if sources_file else None)


def ensure_warehouse_limit() -> None:
    """Create the global concurrency limit ``llm-ledger-warehouse`` (1 slot) if the server lacks it."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate

    with get_client(sync_client=True) as client:
        try:
            existing = client.read_global_concurrency_limit_by_name(WAREHOUSE_LIMIT)
        except ObjectNotFound:
            try:
                client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=WAREHOUSE_LIMIT, limit=1))
            except ObjectAlreadyExists:  # another run created it meanwhile
                pass
            return
    if existing.limit != 1 or not existing.active:
        _logger().warning("concurrency limit %s has limit=%s active=%s: two runs may try to write the warehouse "
                          "at once (the second then fails on the DuckDB lock)", WAREHOUSE_LIMIT, existing.limit,
                          existing.active)


@contextmanager
def warehouse_slot() -> Iterator[None]:
    """Hold the single slot of ``llm-ledger-warehouse`` while the block writes (or exports) the warehouse."""
    ensure_warehouse_limit()
    logger = _logger()
    waited = time.monotonic()
    with concurrency(WAREHOUSE_LIMIT, occupy=1, strict=True):
        waited = time.monotonic() - waited
        if waited > 2:
            logger.info("waited %.0f s for the warehouse (another run held %s)", waited, WAREHOUSE_LIMIT)
        yield


def _publish(kind: str, markdown: str, changes: Changes | None) -> None:
    create_markdown_artifact(markdown, key=f"llm-ledger-{kind}-report",
                             description=f"llm-ledger {kind}: sources, counts, failures with reasons, changes")
    if changes is not None:
        create_table_artifact(changes_table(changes), key=f"llm-ledger-{kind}-changes",
                              description=f"llm-ledger {kind}: new and retired offers, price moves (old -> new, "
                                          "percent), new conflicts")


def _read_changes(warehouse: Path, crawl_ids: list[str]) -> tuple[Changes | None, str | None]:
    try:
        con = connect(warehouse, read_only=True)
    except Exception as e:  # the report must not fail the run
        return None, f"changes not computed: {e}"
    try:
        return changes_in_crawls(con, crawl_ids), None
    finally:
        con.close()


def _snapshot(warehouse: Path) -> Snapshot:
    if not warehouse.exists():
        return Snapshot()
    con = connect(warehouse, read_only=True)
    try:
        return snapshot(con)
    finally:
        con.close()


def _summary_dict(summary: RunSummary | None) -> dict[str, Any]:
    if summary is None:
        return {}
    return {"run_id": summary.run_id, "models": summary.models, "offers": summary.offers,
            "conflicts": summary.conflicts, "crawls": [r.crawl_id for r in summary.reports]}


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- distributing the crawl (no engine needed but for the flow-run calls) ---------------------------

def crawl_host(url: str) -> str:
    """The server a crawl of ``url`` talks to: its host name, with the port when one is given.

    The port counts because two ports are two servers (a mirror's, the tests' local ones); the
    same site under two names (``example.com``, ``www.example.com``) is two hosts here as it is to
    Scrapy's per-domain politeness.
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return f"{host}:{parts.port}" if parts.port else host


def group_by_host(sources: list[SourceConfig]) -> list[list[SourceConfig]]:
    """Split sources into groups that share no host: sources whose start URLs share a host (also
    through a third source) go to one group, so one worker is polite to each host.

    Groups come in the order of their first source, each in the order given.
    """
    order = {s.id: i for i, s in enumerate(sources)}
    groups: list[tuple[set[str], list[SourceConfig]]] = []
    for source in sources:
        hosts = {crawl_host(u) for u in source.start_urls}
        touched = [g for g in groups if g[0] & hosts]  # every group this source touches merges into one
        groups = [g for g in groups if not g[0] & hosts]
        members = [source]
        for group_hosts, group_members in touched:
            hosts |= group_hosts
            members += group_members
        groups.append((hosts, sorted(members, key=lambda s: order[s.id])))
    return sorted((members for _, members in groups), key=lambda m: order[m[0].id])


def source_budget_s(timeout_s: float, retries: int, retry_delay_s: float) -> float:
    """The longest one source's crawl task can take: every attempt timing out, every backoff waited
    (exponential: delay, 2x, 4x, ... plus Prefect's 20 % jitter)."""
    attempts = max(0, retries) + 1
    backoff = max(0.0, retry_delay_s) * (2 ** (attempts - 1) - 1) * 1.2
    return timeout_s * attempts + backoff


def crawl_wait_budget_s(groups: list[list[SourceConfig]], timeout_s: float, retries: int,
                        retry_delay_s: float) -> float:
    """How long a refresh waits for its crawl flow runs by default: every group one after another
    (one crawl worker, one run at a time), each source at its budget. Only a lost run or a pool
    nobody serves takes that long; the wait ends as soon as every run has ended."""
    per_source = source_budget_s(timeout_s, retries, retry_delay_s)
    return sum(GROUP_OVERHEAD_S + len(g) * per_source for g in groups)


def worker_identity() -> str:
    """``<worker>@<host>``: who runs this flow run (a worker puts PREFECT__WORKER_NAME in its flow
    runs' environment; a flow called directly has none)."""
    return f"{os.environ.get('PREFECT__WORKER_NAME') or 'no worker'}@{socket.gethostname()}"


def crawl_in_process(chosen: list[SourceConfig], raw_root: Path, crawl_id: str, *,
                     crawl_settings: dict[str, Any] | None, max_parallel: int, timeout_s: float,
                     retries: int, retry_delay_s: float) -> dict[str, object]:
    """One crawl task per source, ``max_parallel`` at a time, in this flow run; source id -> the
    task's result (its FetchInfo as a dict) or the exception it ended with."""
    crawl_task = crawl_source_task.with_options(
        retries=max(0, retries),
        retry_delay_seconds=exponential_backoff(max(0.0, retry_delay_s)),
    )
    with ThreadPoolTaskRunner(max_workers=max(1, max_parallel)) as runner:
        futures = {
            s.id: runner.submit(crawl_task, parameters={
                "source_id": s.id, "source_json": s.model_dump_json(), "archive_root": str(raw_root),
                "crawl_id": crawl_id, "crawl_settings": crawl_settings, "timeout_s": timeout_s,
            })
            for s in chosen
        }
        return {sid: fut.result(raise_on_failure=False) for sid, fut in futures.items()}


def check_crawl_deployment(name: str) -> None:
    """Fail before claiming a crawl when the crawl deployment is not registered (nothing would run it)."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        try:
            client.read_deployment_by_name(name)
        except ObjectNotFound:
            raise ValueError(f"crawl deployment {name!r} not found: deploy flows.yaml (it defines {CRAWL_DEPLOYMENT} "
                             f"on the {CRAWL_POOL} pool), or set crawl_deployment to null to crawl in this flow run") from None


def start_crawl_runs(deployment: str, groups: list[list[SourceConfig]], parameters: dict[str, Any],
                     source_urls: dict[str, list[str]] | None, crawl_id: str) -> dict[UUID, list[str]]:
    """One flow run of the crawl deployment per group, linked to this flow run as subflows; returns
    at once (the refresh waits for them all together). Run id -> its source ids."""
    runs: dict[UUID, list[str]] = {}
    for group in groups:
        ids = [s.id for s in group]
        key = crawl_host(group[0].start_urls[0])
        run = run_deployment(
            deployment,
            parameters={**parameters, "crawl_id": crawl_id, "sources": ids,
                        "source_urls": {sid: source_urls[sid] for sid in ids if sid in (source_urls or {})}},
            flow_run_name=f"crawl-{crawl_id}-{key}",
            tags=["llm-ledger", "crawl", f"crawl:{crawl_id}"],
            idempotency_key=f"llm-ledger/{crawl_id}/{','.join(ids)}",  # a replayed call makes no second run
            timeout=0,
            as_subflow=True,
        )
        runs[run.id] = ids
    return runs


def wait_for_runs(run_ids: list[UUID], wait_s: float, poll_s: float = CRAWL_POLL_S) -> dict[UUID, FlowRun]:
    """Poll the flow runs until every one has ended or ``wait_s`` passed; their last known records."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    logger = _logger()
    started = time.monotonic()
    warned = False
    with get_client(sync_client=True) as client:
        while True:
            found = client.read_flow_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=run_ids)),
                                          limit=len(run_ids))
            runs = {r.id: r for r in found}
            if all(r.state is not None and r.state.is_final() for r in runs.values()) and len(runs) == len(run_ids):
                return runs
            waited = time.monotonic() - started
            if waited >= wait_s:
                return runs
            if not warned and waited >= NO_WORKER_WARNING_S and all(r.start_time is None for r in runs.values()):
                logger.warning("no crawl flow run has started after %.0f s: is a worker serving pool %s?",
                               waited, CRAWL_POOL)
                warned = True
            time.sleep(poll_s)


def cancel_unfinished(runs: dict[UUID, FlowRun]) -> None:
    """Cancel the crawl flow runs still going when the refresh stops waiting: their sources are
    recorded failed, and a late write into a source folder breaks that source's seal in crawl.json
    (the loader then refuses it) instead of changing a loaded crawl."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        for run in runs.values():
            if run.state is None or not run.state.is_final():
                client.set_flow_run_state(run.id, Cancelling(message="the refresh stopped waiting for it"),
                                          force=True)


def describe_run(run: FlowRun | None, waited_s: float) -> str:
    """Why a crawl flow run left a source unfinished, for the source's fetch.json and the report."""
    if run is None:
        return "crawl flow run not found"
    worker = run.labels.get("prefect.worker.name") if run.labels else None
    where = f" on worker {worker}" if worker else ""
    if run.state is None or not run.state.is_final():
        state = run.state.name if run.state else "no state"
        hint = f" (no worker took it: is one serving pool {CRAWL_POOL}?)" if run.start_time is None else ""
        return f"crawl flow run {run.name}{where} did not finish within {waited_s:.0f} s: {state}{hint}"
    return f"crawl flow run {run.name}{where} ended {run.state.name}: {run.state.message or 'no message'}"


def source_outcome(crawl_dir: Path, source_id: str, run: FlowRun | None, waited_s: float) -> object:
    """What a source's crawl on the pool came to, read from the shared raw archive (a worker's
    return value lives on that worker): its finished fetch.json, or why it has none."""
    info = _read_fetch(crawl_dir / source_id)
    if info is not None and info.finished_at is not None:  # the writer sets it last: the fetch is whole
        return info.model_dump(mode="json")
    return CrawlFailed(describe_run(run, waited_s))


def crawl_on_pool(deployment: str, chosen: list[SourceConfig], paths: Paths, crawl_id: str, *,
                  source_urls: dict[str, list[str]] | None, sources_file: str | None,
                  crawl_settings: dict[str, Any] | None, timeout_s: float, retries: int,
                  retry_delay_s: float, wait_s: float | None) -> dict[str, object]:
    """Crawl the sources as flow runs of ``deployment``, one per host group, and wait for them all;
    source id -> its outcome, as ``crawl_in_process`` gives it."""
    logger = _logger()
    groups = group_by_host(chosen)
    budget = wait_s if wait_s is not None else crawl_wait_budget_s(groups, timeout_s, retries, retry_delay_s)
    parameters = {"data_dir": str(paths.data_dir), "sources_file": sources_file, "crawl_settings": crawl_settings,
                  "crawl_timeout_s": timeout_s, "crawl_retries": retries, "crawl_retry_delay_s": retry_delay_s}
    runs = start_crawl_runs(deployment, groups, parameters, source_urls, crawl_id)
    logger.info("crawl %s: %d flow runs of %s (%s); waiting up to %.0f s", crawl_id, len(runs), deployment,
                "; ".join(", ".join(ids) for ids in runs.values()), budget)
    started = time.monotonic()
    ended = wait_for_runs(list(runs), budget)
    waited = time.monotonic() - started
    if any(r.state is None or not r.state.is_final() for r in ended.values()) or len(ended) < len(runs):
        cancel_unfinished(ended)
    for run in ended.values():
        logger.info("%s: %s on worker %s", run.name, run.state.name if run.state else "no state",
                    (run.labels or {}).get("prefect.worker.name", "none"))
    return {sid: source_outcome(paths.raw / crawl_id, sid, ended.get(run_id), waited)
            for run_id, ids in runs.items() for sid in ids}


# --- tasks ------------------------------------------------------------------------------------------

@task(task_run_name="crawl-{source_id}", retries=2, retry_delay_seconds=exponential_backoff(30),
      retry_jitter_factor=0.2, cache_policy=NO_CACHE)
def crawl_source_task(source_id: str, source_json: str, archive_root: str, crawl_id: str,
                      crawl_settings: dict[str, Any] | None = None, timeout_s: float = 600) -> dict:
    """Crawl one source in a subprocess into ``<archive_root>/<crawl_id>/<source_id>``.

    Raises CrawlFailed when the fetch failed, so that Prefect retries; a retry first moves the
    failed attempt aside. The per-task timeout is the runner's: after ``timeout_s`` it stops the
    crawl process (SIGTERM, then SIGKILL) and records "timed out" in fetch.json. (Prefect's own
    ``timeout_seconds`` is not used: in a worker thread it cannot interrupt a blocking wait.)
    """
    from spiders.runner import crawl_source  # imports no Scrapy: the crawl runs in a subprocess

    logger = _logger()
    source = SourceConfig.model_validate_json(source_json)
    root = Path(archive_root)
    attempt = set_aside_failed_attempt(root / crawl_id, source_id)
    if attempt > 1:
        logger.info("%s: attempt %d (earlier attempts kept under %s)", source_id, attempt,
                    root / crawl_id / ATTEMPTS_DIR)
    info = crawl_source(source, root, crawl_id, timeout_s=timeout_s, settings=crawl_settings,
                        on_line=_line_sink(logger))
    if info.status != "ok":
        raise CrawlFailed(f"{source_id} (attempt {attempt}): " + ("; ".join(info.errors) or "fetch failed"))
    logger.info("%s: fetched %d pages%s", source_id, info.pages,
                f" ({len(info.errors)} errors)" if info.errors else "")
    return info.model_dump(mode="json")


@task(task_run_name="load", cache_policy=NO_CACHE)
def load_task(data_dir: str, sources_file: str | None = None) -> RunSummary:
    """Parse, normalize, reconcile and load every stored crawl not yet in the warehouse (one transaction)."""
    summary = process_stored(Path(data_dir), _registry(sources_file), do_export=False)
    logger = _logger()
    for rep in summary.reports:
        for s in rep.sources:
            logger.info("%s %s: %s (%s pages, %s items, %s observations)%s", rep.crawl_id, s.source_id, s.health,
                        s.pages, s.items, s.observations, f": {s.reason}" if s.reason else "")
    return summary


@task(task_run_name="rebuild", cache_policy=NO_CACHE)
def rebuild_task(data_dir: str, sources_file: str | None = None) -> RunSummary:
    return rebuild_warehouse(Path(data_dir), _registry(sources_file), do_export=False)


@task(task_run_name="export", cache_policy=NO_CACHE)
def export_task(data_dir: str, as_of: date | None = None, out: str | None = None,
                sources_file: str | None = None) -> ExportResult:
    result = export_only(Path(data_dir), as_of=as_of, out=Path(out) if out else None, registry=_registry(sources_file))
    _logger().info("exported as of %s to %s (%s)", result.as_of, result.folder,
                   ", ".join(f"{k}: {v}" for k, v in result.counts.items()))
    return result


# --- flows ------------------------------------------------------------------------------------------

@flow(name="refresh")
def refresh(
    data_dir: str | None = None,
    sources: list[str] | None = None,
    kinds: list[SourceKind] | None = None,
    source_urls: dict[str, list[str]] | None = None,
    sources_file: str | None = None,
    export: bool = True,
    crawl_settings: dict[str, Any] | None = None,
    max_parallel_crawls: int = 4,
    crawl_timeout_s: float = 600,
    crawl_retries: int = 2,
    crawl_retry_delay_s: float = 30,
    crawl_deployment: str | None = None,
    crawl_wait_s: float | None = None,
):
    """Crawl the sources live (one task each), load what was fetched, export.

    data_dir: null means $LLM_LEDGER_DATA_DIR, else ./data (of the working directory).
    sources: source ids (default: every enabled source); kinds: keep only these kinds (e.g. pricing).
    source_urls: replace start URLs per source id (a mirror, a local server).
    crawl_retry_delay_s: the first retry's delay; each further retry waits twice as long.
    crawl_deployment: null crawls here, at most max_parallel_crawls at a time. A deployment name
    (flows.yaml: crawl-group/crawl-sources) starts one flow run of it per group of sources sharing a
    host, on that deployment's pool, and waits for them all; data_dir must then be one shared path
    that every crawl worker mounts too.
    crawl_wait_s: how long to wait for those flow runs (null: as long as their timeouts and retries
    could take, every group one after another); runs still going then are cancelled, their sources failed.
    """
    with pipeline_logs_to_prefect():
        logger = get_run_logger()
        paths = Paths(resolve_data_dir(data_dir))
        registry = _registry(sources_file)
        chosen = select(registry, sources, list(kinds) if kinds else None, source_urls)
        preload()  # a broken curated file stops the flow before anything is fetched
        if crawl_deployment:
            check_crawl_deployment(crawl_deployment)  # before a crawl folder is claimed for nothing
        crawl_id, started_at = claim_crawl(paths.raw)
        crawl_dir = paths.raw / crawl_id
        logger.info("crawl %s of %s into %s", crawl_id, ", ".join(s.id for s in chosen), paths.data_dir)

        if crawl_deployment:
            outcomes = crawl_on_pool(crawl_deployment, chosen, paths, crawl_id, source_urls=source_urls,
                                     sources_file=sources_file, crawl_settings=crawl_settings,
                                     timeout_s=crawl_timeout_s, retries=crawl_retries,
                                     retry_delay_s=crawl_retry_delay_s, wait_s=crawl_wait_s)
        else:
            outcomes = crawl_in_process(chosen, paths.raw, crawl_id, crawl_settings=crawl_settings,
                                        max_parallel=max_parallel_crawls, timeout_s=crawl_timeout_s,
                                        retries=crawl_retries, retry_delay_s=crawl_retry_delay_s)
        fetches = [final_fetch(crawl_dir, s.id, outcomes[s.id]) for s in chosen]
        attempts = {s.id: attempts_made(crawl_dir, s.id) for s in chosen}
        # Publish the crawl: from now on a load (this run's or another's) sees it, complete.
        RawArchive(paths.raw).publish_crawl(crawl_id, started_at, mode="live")
        failures = {f.source_id: "; ".join(f.errors) or "fetch failed" for f in fetches if f.status != "ok"}
        for sid, why in failures.items():
            logger.warning("%s failed after %d attempt(s): %s", sid, attempts[sid], why)
        every_source_failed = len(failures) == len(chosen)

        summary: RunSummary | None = None
        exported: ExportResult | None = None
        changes: Changes | None = None
        notes: list[str] = []
        error: Exception | None = None
        try:
            with warehouse_slot():
                summary = load_task(str(paths.data_dir), sources_file)
                loaded = [r.crawl_id for r in summary.reports]
                if crawl_id not in loaded:
                    notes.append(f"crawl {crawl_id} was loaded by another run before this one got the warehouse")
                changes, why = _read_changes(paths.warehouse, loaded)
                if why:
                    notes.append(why)
                if export and not every_source_failed:
                    exported = export_task(str(paths.data_dir), sources_file=sources_file)
        except Exception as e:  # still leave the report, then fail
            error = e
            notes.append(f"the run failed: {type(e).__name__}: {e}")
        if every_source_failed:
            notes.append("every source failed: nothing new was loaded and nothing was exported")

        kinds_of = {s.id: s.kind for s in registry.sources}
        outcome_rows = source_outcomes(summary, fetches, attempts, kinds_of, crawl_id=crawl_id)
        title = f"refresh {crawl_id}: " + (f"{len(chosen) - len(failures)} of {len(chosen)} sources fetched")
        _publish("refresh", run_report(title, summary=summary, outcomes=outcome_rows, changes=changes,
                                       exported=exported, crawl_id=crawl_id, notes=notes), changes)
        if error is not None:
            raise error
        if every_source_failed:
            raise RefreshFailed("every source failed: " + "; ".join(f"{sid}: {_short(why)}"
                                                                   for sid, why in failures.items()))
        result = {
            "crawl_id": crawl_id,
            "sources": [s.id for s in chosen],
            "failed_sources": sorted(failures),
            "failures": failures,
            "attempts": attempts,
            **_summary_dict(summary),
            "export": str(exported.folder) if exported else None,
            "changes": changes.counts() if changes else None,
        }
        message = f"{len(chosen) - len(failures)} of {len(chosen)} sources fetched"
        if failures:
            message += "; failed: " + "; ".join(f"{sid} ({_short(why)})" for sid, why in failures.items())
        return Completed(message=message, data=result)


@flow(name="crawl-group")
def crawl_group(
    data_dir: str,
    crawl_id: str,
    sources: list[str],
    source_urls: dict[str, list[str]] | None = None,
    crawl_settings: dict[str, Any] | None = None,
    sources_file: str | None = None,
    max_parallel_crawls: int = 1,
    crawl_timeout_s: float = 600,
    crawl_retries: int = 2,
    crawl_retry_delay_s: float = 30,
) -> State:
    """Crawl some sources of a crawl the refresh flow claimed, into ``DATA_DIR/raw/<crawl_id>/``.

    The crawl pool's flow: it writes only its sources' folders of the shared raw archive, never
    crawl.json (the refresh publishes the crawl once every group ended) and never the warehouse.
    Its sources share a host, so they crawl one at a time by default (``max_parallel_crawls``):
    politeness to that host is this run's alone. A source that fails after its retries is
    recorded failed in its fetch.json; the run itself still completes.
    """
    with pipeline_logs_to_prefect():
        logger = get_run_logger()
        paths = Paths(Path(data_dir))
        crawl_dir = paths.raw / crawl_id
        who = worker_identity()
        if not crawl_dir.is_dir():
            # the refresh claimed this folder on its own machine: this one does not see that disk
            raise CrawlFailed(f"crawl folder {crawl_dir} not found on {who}: data_dir must be the same path, on "
                              "shared storage (NFS, EFS), on every worker of both pools")
        chosen = select(_registry(sources_file), sources, None, source_urls)
        logger.info("crawl %s: %s on %s", crawl_id, ", ".join(s.id for s in chosen), who)
        outcomes = crawl_in_process(chosen, paths.raw, crawl_id, crawl_settings=crawl_settings,
                                    max_parallel=max_parallel_crawls, timeout_s=crawl_timeout_s,
                                    retries=crawl_retries, retry_delay_s=crawl_retry_delay_s)
        # fetch.json says how each source ended, for the refresh that reads it from the shared archive
        fetches = [final_fetch(crawl_dir, s.id, outcomes[s.id]) for s in chosen]
        failed = [f.source_id for f in fetches if f.status != "ok"]
        message = f"{len(chosen) - len(failed)} of {len(chosen)} sources fetched on {who}"
        if failed:
            message += "; failed: " + ", ".join(failed)
        return Completed(message=message, data={
            "crawl_id": crawl_id, "worker": who, "failed_sources": failed,
            "attempts": {s.id: attempts_made(crawl_dir, s.id) for s in chosen},
        })


@flow(name="rebuild")
def rebuild(data_dir: str | None = None, sources_file: str | None = None, export: bool = True) -> dict:
    """Re-parse every stored crawl of the raw archive and rebuild the warehouse (one transaction), then export."""
    with pipeline_logs_to_prefect():
        paths = Paths(resolve_data_dir(data_dir))
        with warehouse_slot():
            before = _snapshot(paths.warehouse)
            summary = rebuild_task(str(paths.data_dir), sources_file)
            after = _snapshot(paths.warehouse)
            exported = export_task(str(paths.data_dir), sources_file=sources_file) if export and summary.reports else None
        changes = changes_between(before, after)
        notes = ["changes compare the current state before and after the rebuild"]
        if not summary.reports:
            notes.append(f"the raw archive {paths.raw} holds no crawl: nothing to rebuild")
        _publish("rebuild", run_report(f"rebuild: {len(summary.reports)} crawls", summary=summary, changes=changes,
                                       exported=exported, notes=notes), changes)
        return {**_summary_dict(summary), "export": str(exported.folder) if exported else None,
                "changes": changes.counts()}


@task(task_run_name="site", cache_policy=NO_CACHE)
def site_task(export_folder: str, out: str) -> SiteResult:
    result = build_site(Path(export_folder), Path(out))
    _logger().info("site: %s pages as of %s in %s (%.1f s)", result.pages, result.as_of, result.folder, result.seconds)
    return result


@flow(name="export")
def export_flow(data_dir: str | None = None, as_of: date | None = None, out: str | None = None,
                sources_file: str | None = None, site: bool = False, site_out: str | None = None) -> dict:
    """Export the state as of a date (end of that day, UTC; default: the newest crawl's date); with
    ``site``, render the export into the static site too (default DATA_DIR/site/<as_of>/)."""
    with pipeline_logs_to_prefect():
        paths = Paths(resolve_data_dir(data_dir))
        with warehouse_slot():
            result = export_task(str(paths.data_dir), as_of, out, sources_file)
            con = connect(paths.warehouse, read_only=True)
            try:
                day = crawls_on(con, result.as_of)
                changes = changes_in_crawls(con, day)
            finally:
                con.close()
        _publish("export", run_report(f"export as of {result.as_of}", exported=result, changes=changes,
                                      notes=[f"changes: the crawls of {result.as_of} ({', '.join(day) or 'none'})"]),
                 changes)
        built = site_task(str(result.folder), site_out or str(default_out(paths.data_dir, result.as_of))) if site else None
        return {"as_of": result.as_of.isoformat(), "folder": str(result.folder),
                "latest": str(result.latest) if result.latest else None, "counts": result.counts,
                "site": str(built.folder) if built else None}

