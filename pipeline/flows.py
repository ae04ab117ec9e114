"""Prefect flows: thin wrappers over the plain functions the CLI uses. The only Prefect import.

- ``refresh``: one crawl task per source, each crawl in its own subprocess (Scrapy's reactor
  cannot restart), at most ``max_parallel_crawls`` at a time, retried with exponential backoff;
  then one task loads the crawl (parse, normalize, reconcile, versioned load), then the export.
  A source that still fails after its retries is recorded as failed (it retires nothing) and
  named in the flow's final state; the flow fails only when every source failed.
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
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Callable, Literal

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.concurrency.sync import concurrency
from prefect.exceptions import MissingContextError, ObjectAlreadyExists, ObjectNotFound
from prefect.logging.handlers import APILogHandler
from prefect.states import Completed
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
):
    """Crawl the sources live (one task each), load what was fetched, export.

    data_dir: null means $LLM_LEDGER_DATA_DIR, else ./data (of the working directory).
    sources: source ids (default: every enabled source); kinds: keep only these kinds (e.g. pricing).
    source_urls: replace start URLs per source id (a mirror, a local server).
    crawl_retry_delay_s: the first retry's delay; each further retry waits twice as long.
    """
    with pipeline_logs_to_prefect():
        logger = get_run_logger()
        paths = Paths(resolve_data_dir(data_dir))
        registry = _registry(sources_file)
        chosen = select(registry, sources, list(kinds) if kinds else None, source_urls)
        preload()  # a broken curated file stops the flow before anything is fetched
        crawl_id, started_at = claim_crawl(paths.raw)
        crawl_dir = paths.raw / crawl_id
        logger.info("crawl %s of %s into %s", crawl_id, ", ".join(s.id for s in chosen), paths.data_dir)

        crawl_task = crawl_source_task.with_options(
            retries=max(0, crawl_retries),
            retry_delay_seconds=exponential_backoff(max(0.0, crawl_retry_delay_s)),
        )
        outcomes: dict[str, object] = {}
        with ThreadPoolTaskRunner(max_workers=max(1, max_parallel_crawls)) as runner:
            futures = {
                s.id: runner.submit(crawl_task, parameters={
                    "source_id": s.id, "source_json": s.model_dump_json(), "archive_root": str(paths.raw),
                    "crawl_id": crawl_id, "crawl_settings": crawl_settings, "timeout_s": crawl_timeout_s,
                })
                for s in chosen
            }
            for sid, fut in futures.items():
                outcomes[sid] = fut.result(raise_on_failure=False)
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

