"""Prefect flows: thin wrappers over the plain functions the CLI uses. The only Prefect import.

Each crawl runs in its own subprocess (Scrapy's reactor cannot restart), one task per source,
with retries; then one task loads every healthy crawl; then the export.
"""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from prefect import flow, get_run_logger, task

from pipeline.config import data_dir as resolve_data_dir, load_sources, select_sources
from pipeline.raw import FetchInfo, RawArchive, new_crawl_id
from pipeline.run import Paths, process_stored, rebuild_warehouse


@task(retries=2, retry_delay_seconds=[10, 60], timeout_seconds=900, task_run_name="crawl-{source_id}")
def crawl_source_task(source_id: str, source_json: str, archive_root: str, crawl_id: str,
                      crawl_settings: dict[str, str] | None = None) -> dict:
    from pipeline.config import SourceConfig
    from spiders.runner import crawl_source

    logger = get_run_logger()
    source = SourceConfig.model_validate_json(source_json)
    info: FetchInfo = crawl_source(source, Path(archive_root), crawl_id, settings=crawl_settings,
                                   on_line=lambda line: logger.info(line))
    return info.model_dump(mode="json")


@task(task_run_name="process-and-export")
def process_task(data_dir: str, sources_file: str | None, export: bool) -> dict:
    logger = get_run_logger()
    summary = process_stored(Path(data_dir), load_sources(Path(sources_file) if sources_file else None),
                             do_export=export)
    for rep in summary.reports:
        for s in rep.sources:
            logger.info("%s %s: %s (%s pages, %s items) %s", rep.crawl_id, s.source_id, s.health, s.pages, s.items,
                        s.reason or "")
    return {"models": summary.models, "offers": summary.offers, "conflicts": summary.conflicts,
            "crawls": [r.crawl_id for r in summary.reports],
            "export": str(summary.exported.folder) if summary.exported else None}


@flow(name="refresh")
def refresh(
    data_dir: str | None = None,
    sources: list[str] | None = None,
    source_urls: dict[str, list[str]] | None = None,
    sources_file: str | None = None,
    export: bool = True,
    crawl_settings: dict[str, str] | None = None,
) -> dict:
    """Crawl the sources live (one task each), load what was fetched, export."""
    logger = get_run_logger()
    paths = Paths(resolve_data_dir(data_dir))
    registry = load_sources(Path(sources_file) if sources_file else None)
    chosen = select_sources(registry, sources, source_urls)
    archive = RawArchive(paths.raw)
    crawl_id = new_crawl_id()
    archive.start_crawl(crawl_id, datetime.now(UTC), mode="live")
    futures = [
        crawl_source_task.submit(s.id, s.model_dump_json(), str(paths.raw), crawl_id, crawl_settings)
        for s in chosen
    ]
    fetches = [f.result(raise_on_failure=False) for f in futures]
    failed = [s.id for s, f in zip(chosen, fetches) if not isinstance(f, dict) or f.get("status") != "ok"]
    if failed:
        logger.warning("sources that failed to fetch: %s", ", ".join(failed))
    if len(failed) == len(chosen):
        raise RuntimeError(f"every source failed: {', '.join(failed)}")
    result = process_task(str(paths.data_dir), sources_file, export)
    result["failed_sources"] = failed
    return result


@flow(name="rebuild")
def rebuild(data_dir: str | None = None, sources_file: str | None = None) -> dict:
    """Rebuild the warehouse from the raw archive."""
    summary = rebuild_warehouse(resolve_data_dir(data_dir), load_sources(Path(sources_file) if sources_file else None))
    return {"models": summary.models, "offers": summary.offers, "crawls": len(summary.reports)}
