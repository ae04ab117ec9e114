"""The main job, composed of plain functions: crawl (or replay the recorded crawl) -> process -> export.

The CLI and the Prefect flows both call these; neither Scrapy nor Prefect is imported here.
"""
from __future__ import annotations

import functools
import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Callable, TypeVar

from pipeline.curated import preload
from pipeline.config import RECORDED_DIR, SourceConfig, SourcesFile, load_sources, select_sources
from pipeline.export import ExportResult, export, export_into, newest_crawl_date
from pipeline.inspect import check_as_of
from pipeline.process import CrawlReport, ProgressFn, process_pending
from pipeline.raw import CrawlInfo, FetchInfo, RawArchive
from warehouse.connection import WarehouseLocked, connect
from warehouse.location import Warehouse, resolve_warehouse
from pipeline.errors import LedgerError, as_storage_error

log = logging.getLogger("llm_ledger.run")

_F = TypeVar("_F", bound=Callable[..., Any])


def storage_guard(fn: _F) -> _F:
    """A write the machine refuses (disk full, read-only) becomes a StorageError naming the data
    dir, instead of a DuckDB or OS traceback."""
    @functools.wraps(fn)
    def wrapper(data_dir: Path, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(data_dir, *args, **kwargs)
        except LedgerError:
            raise
        except Exception as e:
            storage = as_storage_error(e, f"writing under {data_dir}")
            if storage is not None:
                raise storage from e
            raise
    return wrapper  # type: ignore[return-value]


class RunError(LedgerError, RuntimeError):
    pass


@dataclass(frozen=True)
class Paths:
    data_dir: Path

    @property
    def warehouse(self) -> Warehouse:
        """DATA_DIR/ledger.duckdb, or what LLM_LEDGER_WAREHOUSE (--warehouse) names: another DuckDB
        file or a DuckLake (warehouse/location.py). Read from the environment each time, so the CLI,
        the flows and their subprocesses all open the one warehouse configured."""
        return resolve_warehouse(self.data_dir)

    @property
    def raw(self) -> Path:
        return self.data_dir / "raw"

    @property
    def exports(self) -> Path:
        return self.data_dir / "exports"


@dataclass
class RunSummary:
    run_id: str
    mode: str
    paths: Paths
    fetches: list[FetchInfo] = field(default_factory=list)
    imported: list[str] = field(default_factory=list)
    reports: list[CrawlReport] = field(default_factory=list)
    exported: ExportResult | None = None
    models: int = 0
    offers: int = 0
    conflicts: int = 0
    held_s: float | None = None  # how long this run held the warehouse open for writing (load + export)


def new_run_id() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"


def replay_recorded(archive: RawArchive, recorded_dir: Path = RECORDED_DIR) -> list[CrawlInfo]:
    """Import the bundled recorded crawls into the archive (as if just fetched); returns new ones."""
    if not any(c.mode == "recorded" for c in archive.crawls()) and any(c.mode == "live" for c in archive.crawls()):
        raise RunError(
            f"{archive.root} holds live crawls: replaying the recorded crawl would mix its pages into that "
            "history. Use `--live`, or another --data-dir for the recorded data."
        )
    imported = []
    for folder in sorted(p for p in recorded_dir.iterdir() if (p / "crawl.json").exists()):
        info, new = archive.import_crawl(folder)
        if new:
            imported.append(info)
    return imported


def crawl(
    archive: RawArchive,
    sources: list[SourceConfig],
    crawl_id: str | None = None,
    parallel: int = 2,
    settings: dict[str, str] | None = None,
    timeout_s: float = 600,
    progress: ProgressFn | None = None,
) -> tuple[str, list[FetchInfo]]:
    """Fetch ``sources`` now into a new crawl of the raw archive (each source in a subprocess).

    ``progress("fetched", source_id, {"status", "pages", "errors"})`` is called as each source ends.
    """
    from spiders.runner import crawl_sources  # imports no Scrapy itself: crawls run in subprocesses

    if crawl_id is None:
        crawl_id, started_at = archive.claim_crawl()
    else:
        started_at = datetime.now(UTC)
        archive.crawl_dir(crawl_id).mkdir(parents=True, exist_ok=True)

    def one(source: SourceConfig) -> FetchInfo:
        # one source per call, so that progress is reported as each crawl ends, not when all have
        (fetch,) = crawl_sources([source], archive.root, crawl_id, settings=settings, timeout_s=timeout_s)
        if progress:
            progress("fetched", source.id, {"status": fetch.status, "pages": fetch.pages, "errors": len(fetch.errors)})
        return fetch

    with ThreadPoolExecutor(max_workers=max(1, min(parallel, len(sources) or 1))) as pool:
        fetches = list(pool.map(one, sources))
    # Published last: a run killed before this line leaves an unfinished folder no load reads.
    archive.publish_crawl(crawl_id, started_at, mode="live")
    return crawl_id, fetches


def _counts(con: object, summary: RunSummary) -> None:
    summary.models = con.execute("SELECT count(*) FROM models_current").fetchone()[0]  # type: ignore[attr-defined]
    summary.offers = con.execute("SELECT count(*) FROM offers_current").fetchone()[0]  # type: ignore[attr-defined]
    summary.conflicts = con.execute("SELECT count(*) FROM conflicts").fetchone()[0]  # type: ignore[attr-defined]


@storage_guard
def run(
    data_dir: Path,
    registry: SourcesFile | None = None,
    live: bool = False,
    only: list[str] | None = None,
    url_overrides: dict[str, list[str]] | None = None,
    do_export: bool = True,
    progress: ProgressFn | None = None,
    crawl_settings: dict[str, str] | None = None,
    recorded_dir: Path = RECORDED_DIR,
    skip_damaged: bool = False,
) -> RunSummary:
    """Crawl live (or replay the recorded crawl), load every new crawl, export the newest state."""
    registry = registry or load_sources()
    preload()  # a broken curated file stops the run before anything is fetched
    paths = Paths(Path(data_dir))
    archive = RawArchive(paths.raw)
    summary = RunSummary(run_id=new_run_id(), mode="live" if live else "recorded", paths=paths)
    # The crawl never holds the warehouse: readers query throughout it. It is opened for the load
    # and the export only; a crawl that cannot be loaded now stays in the archive for the next run.
    if live:
        sources = select_sources(registry, only, url_overrides)
        crawl_id, summary.fetches = crawl(archive, sources, settings=crawl_settings, progress=progress)
        kept = [crawl_id]
    else:
        summary.imported = kept = [c.crawl_id for c in replay_recorded(archive, recorded_dir)]
    try:
        con = connect(paths.warehouse)
        opened = time.monotonic()
    except WarehouseLocked as e:
        if not kept:
            raise
        raise WarehouseLocked(f"{e}. The crawl is kept in {paths.raw} ({', '.join(kept)}): the next run loads it"
                              ) from None
    try:
        _process(con, archive, registry, summary, rebuild=False, do_export=do_export, progress=progress,
                 skip_damaged=skip_damaged)
    finally:
        con.close()
        summary.held_s = time.monotonic() - opened
    return summary


@storage_guard
def process_stored(data_dir: Path, registry: SourcesFile | None = None, do_export: bool = True,
                   progress: ProgressFn | None = None, skip_damaged: bool = False) -> RunSummary:
    """Load every stored crawl not yet in the warehouse (e.g. fetched by `crawl` tasks), then export."""
    registry = registry or load_sources()
    paths = Paths(Path(data_dir))
    summary = RunSummary(run_id=new_run_id(), mode="process", paths=paths)
    con = connect(paths.warehouse)
    try:
        _process(con, RawArchive(paths.raw), registry, summary, rebuild=False, do_export=do_export, progress=progress,
                 skip_damaged=skip_damaged)
    finally:
        con.close()
    return summary


def _process(con: object, archive: RawArchive, registry: SourcesFile, summary: RunSummary, rebuild: bool,
             do_export: bool, progress: ProgressFn | None, skip_damaged: bool = False) -> None:
    summary.reports = process_pending(con, archive, registry, summary.run_id, rebuild=rebuild,  # type: ignore[arg-type]
                                      progress=progress, skip_damaged=skip_damaged)
    if do_export and newest_crawl_date(con) is not None:  # type: ignore[arg-type]
        # the manifest credits each source with the terms of the registry this run used
        summary.exported = export(con, summary.paths.exports, summary.run_id, registry=registry)  # type: ignore[arg-type]
    _counts(con, summary)


@storage_guard
def rebuild_warehouse(data_dir: Path, registry: SourcesFile | None = None, progress: ProgressFn | None = None,
                      do_export: bool = True, skip_damaged: bool = False) -> RunSummary:
    """Re-parse every stored crawl in date order and rebuild the warehouse from them (one transaction)."""
    registry = registry or load_sources()
    paths = Paths(Path(data_dir))
    summary = RunSummary(run_id=new_run_id(), mode="rebuild", paths=paths)
    con = connect(paths.warehouse)
    try:
        _process(con, RawArchive(paths.raw), registry, summary, rebuild=True, do_export=do_export, progress=progress,
                 skip_damaged=skip_damaged)
    finally:
        con.close()
    return summary


@storage_guard
def export_only(data_dir: Path, as_of: date | None = None, out: Path | None = None,
                registry: SourcesFile | None = None) -> ExportResult:
    """Export the state as of a date (default: the newest crawl's). Without ``out``: a version of
    DATA_DIR/exports (``latest`` moves only for the newest crawl's date). With ``out``: the files
    themselves, straight into that folder (export.export_into). A date before the first crawl is
    an error, not an empty export."""
    paths = Paths(Path(data_dir))
    con = connect(paths.warehouse, read_only=True)
    try:
        check_as_of(con, as_of)
        if out is not None:
            return export_into(con, out, as_of, registry=registry)
        newest = newest_crawl_date(con)
        return export(con, paths.exports, new_run_id(), as_of=as_of, update_latest=as_of is None or as_of == newest,
                      registry=registry)
    finally:
        con.close()
