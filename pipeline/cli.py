"""The llm-ledger command line. Thin: every command calls plain functions of pipeline/."""
from __future__ import annotations

import logging
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from pipeline.config import ConfigError, data_dir as resolve_data_dir, load_sources, parse_url_overrides, select_sources
from pipeline.export import ExportError
from pipeline.raw import RawArchive
from spiders.settings import parse_setting_pairs
from pipeline.run import Paths, RunError, RunSummary, crawl, export_only, rebuild_warehouse, run
from warehouse.connection import WarehouseLocked, WarehouseMissing, connect

app = typer.Typer(
    help="llm-ledger: crawl LLM pricing pages, model cards and catalogs; reconcile; keep history; export.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
err = Console(stderr=True)

DataDirOpt = Annotated[
    Optional[Path],
    typer.Option("--data-dir", envvar="LLM_LEDGER_DATA_DIR", help="Where ledger.duckdb, raw/ and exports/ live [default: ./data]."),
]
SourcesFileOpt = Annotated[
    Optional[Path],
    typer.Option("--sources-file", envvar="LLM_LEDGER_SOURCES_FILE", help="The sources registry [default: sources.yaml in the repo]."),
]
SourcesOpt = Annotated[
    Optional[str], typer.Option("--sources", help="Comma-separated source ids to crawl (default: every enabled source).")
]
SourceUrlOpt = Annotated[
    Optional[list[str]],
    typer.Option("--source-url", help="ID=URL: replace a source's start URLs (repeatable), e.g. a mirror or a local test server."),
]
CrawlSettingOpt = Annotated[
    Optional[list[str]],
    typer.Option("--crawl-setting", help="KEY=VALUE: a Scrapy setting for live crawls (repeatable), e.g. DOWNLOAD_TIMEOUT=10."),
]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Log every problem and crawl line.")]


def _logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def _fail(message: str, code: int = 1) -> None:
    err.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


def _only(sources: str | None) -> list[str] | None:
    return [s.strip() for s in sources.split(",") if s.strip()] if sources else None


def _progress(stage: str, source_id: str, counts: dict[str, object]) -> None:
    if stage == "parsed":
        colour = {"ok": "green", "partial": "yellow", "failed": "red"}.get(str(counts["health"]), "white")
        err.print(
            f"  parsed [bold]{source_id}[/]: {counts['pages']} pages, {counts['items']} items, "
            f"{counts['errors']} errors -> [{colour}]{counts['health']}[/]"
        )
    elif stage == "loaded":
        err.print(f"[dim]loaded crawl {counts['crawl']}[/]")


def print_summary(summary: RunSummary) -> None:
    table = Table(title=f"run {summary.run_id} ({summary.mode})", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("crawled", no_wrap=True)
    table.add_column("source", no_wrap=True)
    table.add_column("health", no_wrap=True)
    for col in ("pages", "items", "obs", "err", "skip"):
        table.add_column(col, justify="right", no_wrap=True)
    reasons = []
    for rep in summary.reports:
        for s in rep.sources:
            colour = {"ok": "green", "partial": "yellow", "failed": "red"}[s.health]
            table.add_row(f"{rep.started_at:%Y-%m-%d}", s.source_id, f"[{colour}]{s.health}[/]", str(s.pages),
                          str(s.items), str(s.observations), str(len(s.errors)), str(s.skipped))
            if s.reason:
                reasons.append(f"  [{colour}]{s.source_id}[/] ({rep.crawl_id}): {s.reason}")
    if summary.reports:
        console.print(table)
        for line in reasons:
            console.print(line, soft_wrap=True)
    else:
        console.print("no new crawl to load: the warehouse is up to date")
    for f in summary.fetches:
        console.print(f"fetched {f.source_id}: {f.status}, {f.pages} pages" + (f" ({'; '.join(f.errors)})" if f.errors else ""))
    console.print(f"models: {summary.models}   offers: {summary.offers}   conflicts: {summary.conflicts}")
    console.print(f"warehouse: {summary.paths.warehouse}", soft_wrap=True)
    if summary.exported:
        console.print(f"exports:   {summary.exported.folder} (as of {summary.exported.as_of}; copied to "
                      f"{summary.exported.latest})", soft_wrap=True)


@app.command("run")
def run_cmd(
    data_dir: DataDirOpt = None,
    sources_file: SourcesFileOpt = None,
    live: Annotated[bool, typer.Option("--live", help="Crawl the sources now instead of replaying the bundled recorded crawl.")] = False,
    sources: SourcesOpt = None,
    source_url: SourceUrlOpt = None,
    no_export: Annotated[bool, typer.Option("--no-export", help="Skip the export step.")] = False,
    crawl_setting: CrawlSettingOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Crawl (or replay the recorded crawl), load every new crawl into the warehouse, export.

    Without --live, the bundled recorded crawl (spiders/recorded/) is replayed: no network.
    --source-url implies --live.
    """
    _logging(verbose)
    try:
        registry = load_sources(sources_file)
        overrides = parse_url_overrides(source_url or [])
        settings = parse_setting_pairs(crawl_setting or [])
        summary = run(resolve_data_dir(data_dir), registry, live=live or bool(overrides), only=_only(sources),
                      url_overrides=overrides, do_export=not no_export, progress=_progress,
                      crawl_settings=settings)
    except (ConfigError, RunError, WarehouseLocked, ExportError, ValueError) as e:
        _fail(str(e))
    print_summary(summary)
    if summary.reports and all(s.health == "failed" for r in summary.reports for s in r.sources):
        _fail("every source failed: nothing new was loaded", code=2)


@app.command("crawl")
def crawl_cmd(
    data_dir: DataDirOpt = None,
    sources_file: SourcesFileOpt = None,
    sources: SourcesOpt = None,
    source_url: SourceUrlOpt = None,
    timeout: Annotated[float, typer.Option(help="Seconds before a source's crawl is stopped.")] = 600,
    crawl_setting: CrawlSettingOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Fetch sources into the raw archive only (no parsing). `llm-ledger run` loads it later."""
    _logging(verbose)
    try:
        registry = load_sources(sources_file)
        chosen = select_sources(registry, _only(sources), parse_url_overrides(source_url or []))
        settings = parse_setting_pairs(crawl_setting or [])
    except (ConfigError, ValueError) as e:
        _fail(str(e))
    paths = Paths(resolve_data_dir(data_dir))
    crawl_id, fetches = crawl(RawArchive(paths.raw), chosen, timeout_s=timeout, settings=settings)
    for f in fetches:
        colour = "green" if f.status == "ok" else "red"
        console.print(f"{f.source_id}: [{colour}]{f.status}[/], {f.pages} pages" + (f" — {'; '.join(f.errors)}" if f.errors else ""))
    console.print(f"crawl {crawl_id} stored in {paths.raw / crawl_id}")
    if all(f.status == "failed" for f in fetches):
        _fail("every source failed", code=2)


@app.command("rebuild")
def rebuild_cmd(data_dir: DataDirOpt = None, sources_file: SourcesFileOpt = None,
                no_export: Annotated[bool, typer.Option("--no-export")] = False, verbose: VerboseOpt = False) -> None:
    """Re-parse every stored crawl in date order and rebuild the warehouse from the raw archive."""
    _logging(verbose)
    try:
        summary = rebuild_warehouse(resolve_data_dir(data_dir), load_sources(sources_file), progress=_progress,
                                    do_export=not no_export)
    except (ConfigError, WarehouseLocked, ExportError) as e:
        _fail(str(e))
    print_summary(summary)


@app.command("export")
def export_cmd(
    data_dir: DataDirOpt = None,
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="YYYY-MM-DD (end of that day, UTC); default: the newest crawl.")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="Export folder [default: DATA_DIR/exports].")] = None,
) -> None:
    """Write models and offers (parquet + JSON, JSON Schema, manifest) as of a date."""
    try:
        when = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        _fail(f"--as-of expects YYYY-MM-DD, got {as_of!r}")
    try:
        result = export_only(resolve_data_dir(data_dir), when, out)
    except (WarehouseMissing, WarehouseLocked, ExportError) as e:
        _fail(str(e))
    console.print(f"exported {result.counts} as of {result.as_of} to {result.folder}")


@app.command("sources")
def sources_cmd(data_dir: DataDirOpt = None, sources_file: SourcesFileOpt = None) -> None:
    """List every configured source with its last crawl status and counts."""
    try:
        registry = load_sources(sources_file)
    except ConfigError as e:
        _fail(str(e))
    status: dict[str, tuple] = {}
    paths = Paths(resolve_data_dir(data_dir))
    if paths.warehouse.exists():
        try:
            con = connect(paths.warehouse, read_only=True)
            for row in con.execute(
                "SELECT source_id, crawl_id, health, pages, items, observations, errors, skipped, reason FROM source_status"
            ).fetchall():
                status[row[0]] = row[1:]
            con.close()
        except WarehouseLocked as e:
            err.print(f"[yellow]{e}; showing configuration only[/]")
    table = Table()
    for col in ("id", "kind", "authority", "urls", "last crawl", "health", "pages", "items", "obs", "errors", "skipped", "reason"):
        table.add_column(col, overflow="fold")
    for s in registry.sources:
        st = status.get(s.id)
        cells = [str(x) if x is not None else "" for x in st] if st else ["never", "", "", "", "", "", "", ""]
        table.add_row(s.id, s.kind, s.authority, "\n".join(s.start_urls), *cells)
    console.print(table)


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
