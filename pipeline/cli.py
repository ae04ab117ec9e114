"""The llm-ledger command line. Thin: every command calls plain functions of pipeline/.

Every value printed goes through pipeline/display.py (no exponent, one money format, yes / no /
unknown) into cells Rich never reads as markup, so "[us-east-1]" prints as it is. Every read
command takes --json: one object on stdout (its shape is in the README), no markup.
"""
from __future__ import annotations

import json
import logging
import os
import sys
from datetime import date
from importlib.metadata import PackageNotFoundError, version as package_version
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from pipeline import display, inspect, site
from pipeline.compare import compare as compare_pair
from pipeline.config import (ConfigError, SourcesFile, data_dir as resolve_data_dir, load_sources, parse_url_overrides,
                             select_sources)
from pipeline.errors import LedgerError, as_storage_error
from pipeline.normalize import canonical_text
from pipeline.records import ComparisonRecord, Side
from pipeline.raw import RawArchive
from pipeline.suggest import did_you_mean
from spiders.settings import parse_setting_pairs
from pipeline.run import Paths, RunSummary, crawl, export_only, rebuild_warehouse, run
from warehouse.connection import WarehouseLocked, connect
from warehouse.location import LAKE_DATA_PATH_ENV, WAREHOUSE_ENV, LakeWarehouse, parse_warehouse

app = typer.Typer(
    help="llm-ledger: crawl LLM pricing pages, model cards and catalogs; reconcile; keep history; export.",
    no_args_is_help=True,
    add_completion=True,
)
console = Console()
err = Console(stderr=True)

DataDirOpt = Annotated[
    Optional[Path],
    typer.Option("--data-dir", envvar="LLM_LEDGER_DATA_DIR", help="Where ledger.duckdb, raw/ and exports/ live (default: ./data)."),
]
SourcesFileOpt = Annotated[
    Optional[Path],
    typer.Option("--sources-file", envvar="LLM_LEDGER_SOURCES_FILE", help="The sources registry (default: the bundled pipeline/sources.yaml)."),
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
SkipDamagedOpt = Annotated[
    bool,
    typer.Option("--skip-damaged", help="Load without the crawls whose raw files are damaged (each is reported), "
                 "instead of stopping with an error naming the files."),
]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Log every problem and crawl line.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object (shape in the README) instead of tables.")]
AsOfOpt = Annotated[
    Optional[str],
    typer.Option("--as-of", help="YYYY-MM-DD (end of that day, UTC; default: today); "
                 "a date before the first crawl is an error."),
]


def _version(value: bool) -> None:
    if value:
        try:
            typer.echo(f"llm-ledger {package_version('llm-ledger')}")
        except PackageNotFoundError:  # pragma: no cover - run from a checkout that was never installed
            typer.echo("llm-ledger (not installed)")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
    warehouse: Annotated[Optional[str], typer.Option(
        "--warehouse", envvar=WAREHOUSE_ENV, show_envvar=True,
        help="The warehouse: a DuckDB file (default DATA_DIR/ledger.duckdb) or ducklake:<catalog>, the catalog "
             "being sqlite:/path/x.sqlite, a DuckDB file path or postgres:<libpq conninfo>. Before the command: "
             "llm-ledger --warehouse ducklake:sqlite:data/lake.sqlite run")] = None,
    lake_data_path: Annotated[Optional[Path], typer.Option(
        "--lake-data-path", envvar=LAKE_DATA_PATH_ENV, show_envvar=True,
        help="Where a DuckLake warehouse keeps its parquet files (default DATA_DIR/lake/).")] = None,
) -> None:
    # Through the environment, which Paths.warehouse reads: every command, the flows and their
    # subprocesses then open the same warehouse without one more parameter each.
    if warehouse:
        try:
            chosen = parse_warehouse(warehouse)
        except LedgerError as e:
            _fail(str(e))
        # absolute: a flow run or subprocess may start in another working directory
        os.environ[WAREHOUSE_ENV] = chosen.spec if isinstance(chosen, LakeWarehouse) else str(chosen.resolve())
    if lake_data_path:
        os.environ[LAKE_DATA_PATH_ENV] = str(lake_data_path.expanduser().resolve())


def _logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def _fail(message: str, code: int = 1) -> None:
    err.print(Text.assemble(("error:", "bold red"), " ", message), soft_wrap=True)
    raise typer.Exit(code)


def _say(*parts: str | tuple[str, str]) -> None:
    """A line of plain text (never markup); (text, style) pairs are styled."""
    console.print(Text.assemble(*parts), soft_wrap=True)


def _table(*columns: str, title: str | None = None, right: tuple[str, ...] = ()) -> Table:
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for col in columns:
        table.add_column(col, overflow="fold", justify="right" if col in right else "left")
    return table


def _row(table: Table, *values: Any) -> None:
    table.add_row(*(display.cell(v) for v in values))


def _json(payload: dict[str, Any]) -> None:
    typer.echo(display.to_json(payload))


HEALTH_STYLE = {"ok": "green", "partial": "yellow", "failed": "red"}


def _health(value: str) -> Text:
    """A health or fetch status, coloured: ok green, partial yellow, anything else red."""
    return display.cell(value, HEALTH_STYLE.get(value, "red"))


def _only(registry: SourcesFile, sources: str | None) -> list[str] | None:
    """The ids of --sources, each a configured source (a typo is an error with the closest ids)."""
    ids = [s.strip() for s in sources.split(",") if s.strip()] if sources else None
    for sid in ids or []:
        registry.get(sid)
    return ids


def _progress(stage: str, source_id: str, counts: dict[str, object]) -> None:
    if stage == "fetched":  # a live crawl of one source ended
        err.print(Text.assemble("  fetched ", (source_id, "bold"),
                                f": {counts['pages']} pages, {counts['errors']} errors -> ",
                                _health(str(counts["status"]))))
    elif stage == "parsed":
        err.print(Text.assemble("  parsed ", (source_id, "bold"),
                                f": {counts['pages']} pages, {counts['items']} items, {counts['errors']} errors -> ",
                                _health(str(counts["health"]))))
    elif stage == "loaded":
        err.print(Text(f"loaded crawl {counts['crawl']}", style="dim"))


def print_summary(summary: RunSummary) -> None:
    table = _table("crawled", "source", "health", "pages", "items", "obs", "err", "skip",
                   title=f"run {summary.run_id} ({summary.mode})", right=("pages", "items", "obs", "err", "skip"))
    reasons = []
    for rep in summary.reports:
        if rep.damage:
            err.print(Text(f"skipped damaged crawl {rep.crawl_id} ({len(rep.damage)} problem(s)):", style="bold yellow"),
                      soft_wrap=True)
            for d in rep.damage[:5]:
                err.print(Text(f"  {d}"), soft_wrap=True)
            continue
        for s in rep.sources:
            table.add_row(display.cell(rep.started_at.date()), display.cell(s.source_id), _health(s.health),
                          *(display.cell(n) for n in (s.pages, s.items, s.observations, len(s.errors), s.skipped)))
            if s.reason:
                reasons.append(Text.assemble("  ", display.cell(s.source_id, HEALTH_STYLE[s.health]),
                                             f" ({rep.crawl_id}): {s.reason}"))
    if summary.reports:
        console.print(table)
        for line in reasons:
            console.print(line, soft_wrap=True)
    else:
        _say("no new crawl to load: the warehouse is up to date")
    for f in summary.fetches:
        _say(f"fetched {f.source_id}: {f.status}, {f.pages} pages" + (f" ({'; '.join(f.errors)})" if f.errors else ""))
    _say(f"models: {display.number(summary.models)}   offers: {display.number(summary.offers)}   "
         f"conflicts: {display.number(summary.conflicts)}")
    _say(f"warehouse: {summary.paths.warehouse}"
         + (f" (held for writing {summary.held_s:.1f} s: load and export)" if summary.held_s is not None else ""))
    if summary.exported:
        latest = f"; latest -> {summary.exported.version}" if summary.exported.latest else ""
        _say(f"exports:   {summary.exported.folder} (as of {summary.exported.as_of}{latest})")


@app.command("run")
def run_cmd(
    data_dir: DataDirOpt = None,
    sources_file: SourcesFileOpt = None,
    live: Annotated[bool, typer.Option("--live", help="Crawl the sources now instead of replaying the bundled recorded crawl.")] = False,
    sources: SourcesOpt = None,
    source_url: SourceUrlOpt = None,
    no_export: Annotated[bool, typer.Option("--no-export", help="Skip the export step.")] = False,
    with_site: Annotated[bool, typer.Option("--site", help=(
        "Render the export into a static site as a last step (DATA_DIR/site/<as-of>/; see `llm-ledger site`)."))] = False,
    crawl_setting: CrawlSettingOpt = None,
    skip_damaged: SkipDamagedOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Crawl (or replay the recorded crawl), load every new crawl into the warehouse, export.

    Without --live, the bundled recorded crawl (spiders/recorded/) is replayed whole: no network,
    and --sources is refused (it picks what a live crawl fetches). --source-url implies --live.
    """
    _logging(verbose)
    try:
        registry = load_sources(sources_file)
        overrides = parse_url_overrides(source_url or [])
        only = _only(registry, sources)
        live = live or bool(overrides)
        if only and not live:
            raise ConfigError("--sources picks the sources a live crawl fetches (add --live); "
                              "a replay loads the recorded crawl whole")
        settings = parse_setting_pairs(crawl_setting or [])
        # a spinner on stderr (only on a terminal) while the per-source lines of _progress scroll above it
        with err.status("crawling sources..." if live else "loading crawls..."):
            summary = run(resolve_data_dir(data_dir), registry, live=live, only=only,
                          url_overrides=overrides, do_export=not no_export, progress=_progress,
                          crawl_settings=settings, skip_damaged=skip_damaged)
    except (LedgerError, ValueError) as e:
        _fail(str(e))
    print_summary(summary)
    if with_site:
        if summary.exported is None:
            _fail("--site renders the export: drop --no-export")
        try:
            built = site.build_site(summary.exported.folder,
                                    site.default_out(resolve_data_dir(data_dir), summary.exported.as_of))
        except LedgerError as e:
            _fail(str(e))
        _say(f"site:      {built.folder / 'index.html'} ({display.number(built.pages)} pages, {built.seconds:.1f} s)")
    loaded = [s for r in summary.reports for s in r.sources]
    if loaded and all(s.health == "failed" for s in loaded):
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
        chosen = select_sources(registry, _only(registry, sources), parse_url_overrides(source_url or []))
        settings = parse_setting_pairs(crawl_setting or [])
    except (LedgerError, ValueError) as e:
        _fail(str(e))
    paths = Paths(resolve_data_dir(data_dir))
    try:
        crawl_id, fetches = crawl(RawArchive(paths.raw), chosen, timeout_s=timeout, settings=settings)
    except OSError as e:
        storage = as_storage_error(e, f"writing under {paths.raw}")
        if storage is None:
            raise
        _fail(str(storage))
    for f in fetches:
        console.print(Text.assemble(f"{f.source_id}: ", _health(f.status),
                                    f", {f.pages} pages" + (f" — {'; '.join(f.errors)}" if f.errors else "")),
                      soft_wrap=True)
    _say(f"crawl {crawl_id} stored in {paths.raw / crawl_id}")
    if all(f.status == "failed" for f in fetches):
        _fail("every source failed", code=2)


@app.command("rebuild")
def rebuild_cmd(data_dir: DataDirOpt = None, sources_file: SourcesFileOpt = None,
                no_export: Annotated[bool, typer.Option("--no-export")] = False, skip_damaged: SkipDamagedOpt = False,
                verbose: VerboseOpt = False) -> None:
    """Re-parse every stored crawl in date order and rebuild the warehouse from the raw archive.

    Every body is verified against its sha256 first: damage stops the rebuild, naming the files,
    before anything is replaced (unless --skip-damaged)."""
    _logging(verbose)
    try:
        summary = rebuild_warehouse(resolve_data_dir(data_dir), load_sources(sources_file), progress=_progress,
                                    do_export=not no_export, skip_damaged=skip_damaged)
    except LedgerError as e:
        _fail(str(e))
    print_summary(summary)


def _date(text: str | None, option: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        _fail(f"{option} expects YYYY-MM-DD, got {text!r}")
    return None


@app.command("export")
def export_cmd(
    data_dir: DataDirOpt = None,
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="YYYY-MM-DD (end of that day, UTC; default: the newest "
                                                 "crawl's date); a date before the first crawl is an error.")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help=(
        "The folder that receives the export's files (manifest.json, *.parquet, *.json, models/, comparisons/, "
        "schema/); an earlier export there is replaced whole. Default: a new version in "
        "DATA_DIR/exports/versions/, linked as exports/<as-of> (and exports/latest for the newest crawl's date)."))] = None,
) -> None:
    """Write the comparison datasets (parquet + JSON, JSON Schema, manifest) as of a date."""
    when = _date(as_of, "--as-of")
    try:
        result = export_only(resolve_data_dir(data_dir), when, out)
    except LedgerError as e:
        _fail(str(e))
    counts = ", ".join(f"{display.number(n)} {what}" for what, n in result.counts.items())
    _say(f"exported {counts} as of {result.as_of} to {result.folder}")


@app.command("site")
def site_cmd(
    data_dir: DataDirOpt = None,
    as_of: Annotated[Optional[str], typer.Option("--as-of", help=(
        "YYYY-MM-DD: render the export of that date (DATA_DIR/exports/<as-of>), exporting it first from "
        "the warehouse if there is none. Default: the latest export."))] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help=(
        "The folder that receives the site (index.html, models/, compare/, sources.html, style.css); an "
        "earlier site there is replaced whole. Default: DATA_DIR/site/<as-of>/."))] = None,
    export_dir: Annotated[Optional[Path], typer.Option("--export", help=(
        "Render this export folder (one written by `export --out`, or a copy) instead of DATA_DIR's."))] = None,
) -> None:
    """Render an export into a static site: index, one page per model and per configured comparison."""
    when = _date(as_of, "--as-of")
    root = resolve_data_dir(data_dir)
    try:
        folder = export_dir or site.export_folder_for(root, when)
        if folder is None:
            if when is None:
                raise site.SiteError(f"no export in {root / 'exports'}: run `llm-ledger run` (or `llm-ledger export`) first")
            folder = export_only(root, when).folder
        with err.status("rendering the site..."):
            result = site.build_site(folder, out or site.default_out(root, _export_as_of(folder)))
    except LedgerError as e:
        _fail(str(e))
    _say(f"site: {display.number(result.pages)} pages as of {result.as_of} (export {result.export_version}) in "
         f"{result.seconds:.1f} s")
    _say("open: ", (str(result.folder / "index.html"), "bold"))


def _export_as_of(folder: Path) -> date:
    """An export's as-of date, from its manifest (before the whole export is read)."""
    try:
        return date.fromisoformat(json.loads((folder / "manifest.json").read_text())["as_of"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise site.SiteError(f"{folder / 'manifest.json'}: no readable as_of ({e})") from None


@app.command("sources")
def sources_cmd(data_dir: DataDirOpt = None, sources_file: SourcesFileOpt = None, json_out: JsonOpt = False) -> None:
    """List every configured source with its last crawl status and counts."""
    try:
        registry = load_sources(sources_file)
    except ConfigError as e:
        _fail(str(e))
    status: dict[str, dict[str, Any]] = {}
    paths = Paths(resolve_data_dir(data_dir))
    if paths.warehouse.exists():
        try:
            con = connect(paths.warehouse, read_only=True)
            status = {r["source_id"]: r for r in inspect.rows(con, inspect.SOURCE_STATUS_SQL, [])}
            con.close()
        except WarehouseLocked as e:
            err.print(Text(f"{e}; showing configuration only", style="yellow"))
    if json_out:
        _json({"sources": [{"id": s.id, "name": s.name, "kind": s.kind, "authority": s.authority, "enabled": s.enabled,
                            "provider": s.provider.model_dump() if s.provider else None,
                            "last_crawl": status.get(s.id)} for s in registry.sources]})
        return
    # Fits 80 columns (kind, authority and start URLs are in sources.yaml); reasons under the table.
    counts = ("pages", "items", "observations", "errors", "skipped")
    table = _table("source", "crawled", "health", "pages", "items", "obs", "err", "skip",
                   right=("pages", "items", "obs", "err", "skip"))
    reasons: list[str] = []
    for s in registry.sources:
        st = status.get(s.id)
        if st:
            table.add_row(display.cell(s.id), display.cell(st["crawled"]), _health(st["health"]),
                          *(display.cell(st[c]) for c in counts))
            if st["reason"]:
                reasons.append(f"{s.id}: {st['reason']}")
        else:
            _row(table, s.id, "never", "", "", "", "", "", "")
    console.print(table)
    for line in reasons:
        _say(line)


def _read_only(data_dir: Path | None):
    try:
        return connect(Paths(resolve_data_dir(data_dir)).warehouse, read_only=True)
    except LedgerError as e:
        _fail(str(e))


def _read_as_of(data_dir: Path | None, as_of: str | None) -> tuple[Any, date]:
    """The warehouse, read-only, and --as-of (default today), refused before the first crawl."""
    con = _read_only(data_dir)
    when = _date(as_of, "--as-of") or date.today()
    try:
        inspect.check_as_of(con, when)
    except LedgerError as e:
        _fail(f"--as-of: {e}")
    return con, when


def _no_model(con: Any, model_id: str, when: date) -> str:
    """Why a model id is not there as of a date: a later first version, or the closest ids."""
    first = inspect.first_seen(con, model_id)
    if first is not None:
        return f"no model {model_id!r} as of {when}: it is first known on {first}"
    return f"no model {model_id!r} as of {when}{did_you_mean(model_id, inspect.model_ids(con))}"


@app.command("changes")
def changes_cmd(
    since: Annotated[str, typer.Option("--since", help="YYYY-MM-DD: changes seen in crawls from this day on.")],
    data_dir: DataDirOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """What changed between consecutive crawls: new and retired offers, price moves (old -> new, %), the fields changed."""
    when = _date(since, "--since")
    con = _read_only(data_dir)
    found = inspect.changes(con, when)  # type: ignore[arg-type]
    if json_out:
        _json({"since": when, "changes": found})
        return
    table = _table("day", "change", "model", "provider", "provider model id", "variant", "input /1M", "output /1M",
                   "fields changed")

    def price(r: dict[str, Any], side: str) -> str:
        # a move to or from $0 or unknown has no percent: say why (display.move), never crash
        old, new = r[f"old_{side}_usd_per_mtok"], r[f"new_{side}_usd_per_mtok"]
        if r["change"] != "price move" or old == new:
            return display.usd(new if new is not None else old)
        return display.move(old, new)

    for r in found:
        _row(table, r["day"], r["change"], r["model_id"], r["provider_id"], r["provider_model_id"] or "",
             r["variant"], price(r, "input"), price(r, "output"), ", ".join(r["changed_fields"] or []))
    if found:
        console.print(table)
    else:
        _say(f"no change since {when}")


def _severities(text: str | None) -> list[str] | None:
    if not text:
        return None
    wanted = [s.strip().lower() for s in text.split(",") if s.strip()]
    bad = [s for s in wanted if s not in inspect.SEVERITIES]
    if bad or not wanted:
        _fail(f"--severity takes held, major or minor, or a comma list of them (held,major), not {text!r}")
    return wanted


@app.command("conflicts")
def conflicts_cmd(
    severity: Annotated[Optional[str], typer.Option(
        "--severity", help="held, major or minor, or a comma list (held,major).")] = None,
    data_dir: DataDirOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Fields whose sources disagree in the newest crawl, with every claim and the rule that chose."""
    wanted = _severities(severity)
    con = _read_only(data_dir)
    found = inspect.conflicts(con, wanted)
    if json_out:
        _json({"severity": wanted or list(inspect.SEVERITIES), "conflicts": found})
        return
    table = _table("severity", "entity", "field", "chosen", "rule", "claims")
    for r in found:
        key = r["model_id"] + (f" @ {r['provider_id']}:{r['provider_model_id']}" if r["provider_id"] else "") + (
            f" [{r['variant']}]" if r["variant"] else "") + (f" [{r['benchmark_id']}]" if r["benchmark_id"] else "")
        claims = "\n".join(f"{display.text(c['value'])} ({c['source_id']}, {c['observed_at']})" for c in r["claims"])
        _row(table, r["severity"], key, r["field"], f"{display.text(r['chosen_value'])} ({r['chosen_source']})",
             r["rule"], claims)
    if found:
        console.print(table)
    else:
        _say("no conflict")


def _field_value(field: str, value: Any) -> str:
    if field.endswith("_usd_per_mtok"):
        return display.usd(value)
    return display.text(value)


@app.command("show")
def show_cmd(
    model_id: Annotated[str, typer.Argument(help="Canonical id, e.g. meta/llama-3.2-1b-instruct.")],
    as_of: AsOfOpt = None,
    data_dir: DataDirOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Every field of a model with its value, provenance and the other values seen; its offers and scores."""
    con, when = _read_as_of(data_dir, as_of)
    view = inspect.show(con, model_id, when)
    if view is None:
        _fail(_no_model(con, model_id, when) + " (`llm-ledger models --search TEXT` lists them)")
        return
    seen: dict[str, list[dict]] = {}
    for o in view.seen:
        if o["entity"] == "model":
            seen.setdefault(o["field"], []).append(o)
    fields = {k: v for k, v in view.model.items()
              if k not in ("model_id", "provenance", "valid_from", "opened_by", "last_reviewed")}
    if json_out:
        _json({"model_id": model_id, "as_of": when, "last_reviewed": view.model.get("last_reviewed"),
               "version_since": view.model.get("valid_from"), "fields": fields,
               "provenance": view.model["provenance"],
               "other_values": {f: [{k: o[k] for k in ("value", "status", "source_id", "observed")}
                                    for o in obs if o["value"] != canonical_text(fields.get(f))]
                                for f, obs in seen.items()},
               "offers": [inspect.with_provenance(o) for o in view.offers],
               "benchmarks": [inspect.with_provenance(b) for b in view.benchmarks]})
        return
    table = _table("field", "value", "source / rule", "other values seen", title=f"{model_id} as of {when}")
    for field, value in fields.items():
        prov = view.model["provenance"].get(field, {})
        where = f"{prov.get('source_id', '')} {prov.get('observed_at', '')}\n{prov.get('rule', '')}" if prov else ""
        others = {f"{o['value'] if o['status'] == 'known' else o['status']} ({o['source_id']} {o['observed']})"
                  for o in seen.get(field, []) if o["value"] != canonical_text(value)}
        _row(table, field, _field_value(field, value), where, "\n".join(sorted(others)))
    console.print(table)
    _say(f"last reviewed: {display.text(view.model.get('last_reviewed'))}   "
         f"version since: {display.text(view.model.get('valid_from'))}")
    offers = _table("provider", "provider model id", "variant", "input /1M", "output /1M", "cached /1M", "context",
                    title="offers", right=("input /1M", "output /1M", "cached /1M", "context"))
    for o in view.offers:
        _row(offers, o["provider_name"] or o["provider_id"], o["provider_model_id"] or "—", o["variant"],
             display.usd(o["input_usd_per_mtok"]), display.usd(o["output_usd_per_mtok"]),
             display.usd(o["cached_input_usd_per_mtok"]), o["context_window"])
    console.print(offers)
    if view.benchmarks:
        scores = _table("benchmark", "score", "source", title="benchmarks", right=("score",))
        for b in view.benchmarks:
            _row(scores, b["benchmark_name"] or b["benchmark_id"], b["score"],
                 inspect.with_provenance(b)["provenance"].get("score", {}).get("source_id", ""))
        console.print(scores)


SearchOpt = Annotated[Optional[str], typer.Option(
    "--search", help="Only models whose id, name or creator contains TEXT (any case).")]


@app.command("models")
def models_cmd(search: SearchOpt = None, as_of: AsOfOpt = None, json_out: JsonOpt = False,
               data_dir: DataDirOpt = None) -> None:
    """Every model with its context window, cheapest tracked input and output price and provider count."""
    con, when = _read_as_of(data_dir, as_of)
    found = inspect.models(con, when, search)
    if json_out:
        _json({"as_of": when, "search": search, "models": found})
        return

    def cheapest(r: dict[str, Any], side: str) -> str:
        price = r[f"cheapest_{side}_usd_per_mtok"]
        at = ", ".join(p["name"] for p in r[f"cheapest_{side}_providers"])
        return f"{display.usd(price)} at {at}" if price is not None else "no standard price"

    table = _table("model", "name", "context", "input /1M", "output /1M", "providers", right=("providers",))
    for r in found:
        _row(table, r["model_id"], r["name"], display.tokens(r["context_window"]), cheapest(r, "input"),
             cheapest(r, "output"), r["providers_count"])
    if found:
        console.print(table)
    _say(f"{len(found)} model(s) as of {when}" + (f" matching {search!r}" if search else "")
         + "; prices: the cheapest tracked route (standard prices of reviewed providers), USD per 1M tokens")


def _providers(refs: list) -> str:
    names = [p.name for p in refs]
    return names[0] if len(names) == 1 else f"{', '.join(names)} (tied)"


def _price(p: Any) -> str:
    return f"{display.usd(p.usd_per_mtok)} at {_providers(p.providers)}" if p else "no standard price"


def _other_routes(s: Side) -> str:
    return "\n".join(
        f"{r.kind}: {display.usd(r.input_usd_per_mtok)} / {display.usd(r.output_usd_per_mtok)} at {r.provider.name}"
        + (f" [{r.variant}]" if r.variant else "") for r in s.other_routes) or "none"


def _section(title: str, rows: list[tuple[str, Any, Any]], record: ComparisonRecord, a: str, b: str) -> None:
    table = _table("", record.a.name or a, record.b.name or b, title=title)
    for label, left, right in rows:
        _row(table, label, left, right)
    console.print(table)


def _benchmark_rows(record: ComparisonRecord) -> list[tuple[str, Any, Any]]:
    """Every benchmark either side has; the leader of a shared one beside its scores."""
    shared = {s.id: s for s in record.benchmarks}
    ids = sorted(set(record.a.benchmarks) | set(record.b.benchmarks),
                 key=lambda i: (i not in shared, (record.a.benchmarks.get(i) or record.b.benchmarks[i]).name))
    out = []
    for i in ids:
        sa, sb = record.a.benchmarks.get(i), record.b.benchmarks.get(i)
        name = (sa or sb).name  # type: ignore[union-attr]
        lead = shared.get(i)
        mark = {"a": (" (leads by {})", ""), "b": ("", " (leads by {})")}.get(lead.leader if lead else "", ("", ""))
        gap = display.number(lead.gap) if lead else ""
        out.append((name, (display.text(sa.score if sa else None) + mark[0].format(gap)),
                    (display.text(sb.score if sb else None) + mark[1].format(gap))))
    return out


def _routes_tables(record: ComparisonRecord) -> list[Table]:
    """One table per side (fits 80 columns): a row per provider and route from the record's
    ``routes`` (what the export writes); the variant beside the route kind ("batch [us-east-1]")."""
    tables = []
    for side in (record.a, record.b):
        table = _table("provider", "route", "input /1M", "output /1M", "cached /1M",
                       title=f"Prices per provider: {side.name or side.model_id} (USD per 1M tokens)",
                       right=("input /1M", "output /1M", "cached /1M"))
        for r in side.routes:
            route = r.kind if r.variant in ("", r.kind) else f"{r.kind} [{r.variant}]"
            _row(table, r.provider.name, route, display.usd(r.input_usd_per_mtok),
                 display.usd(r.output_usd_per_mtok), display.usd(r.cached_input_usd_per_mtok))
        tables.append(table)
    return tables


@app.command("compare")
def compare_cmd(
    a: Annotated[str, typer.Argument(help="Model id of side a.")],
    b: Annotated[str, typer.Argument(help="Model id of side b.")],
    as_of: AsOfOpt = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the comparison record the export writes "
                                           "(schema/comparison.schema.json) instead of tables.")] = False,
    data_dir: DataDirOpt = None,
) -> None:
    """Two models side by side, laid out like a comparison page.

    Scorecard, specs, pricing (the cheapest tracked route, and a row per provider), capabilities,
    benchmarks, cost at traffic, verdict."""
    con, when = _read_as_of(data_dir, as_of)
    known = set(inspect.model_ids(con, when))
    missing = [_no_model(con, m, when) for m in dict.fromkeys((a, b)) if m not in known]
    if missing:
        _fail("; ".join(missing))
    try:
        record = compare_pair(con, a, b, when)
    except ConfigError as e:
        _fail(str(e))
        return
    if record is None:
        lacking = " and ".join(m for m in (a, b) if not inspect.rows(
            con, "SELECT 1 FROM offers_asof(?) WHERE model_id = ? LIMIT 1", [when.isoformat(), m]))
        _fail(f"no comparison of {a} and {b} as of {when}: {lacking} has no offer then (see `llm-ledger show`)")
        return
    if json_out:
        _json(record.model_dump(mode="json"))
        return
    render_comparison(record, a, b)


def render_comparison(record: ComparisonRecord, a: str, b: str) -> None:
    sa, sb = record.a, record.b
    _say((f"{sa.name or a} vs {sb.name or b}", "bold"),
         f" as of {record.as_of} (last reviewed {display.text(record.last_reviewed)})")
    both = (sa, sb)
    n = len(record.benchmarks)
    leads = [f"leads {sum(s.leader == p for s in record.benchmarks)} of {n} shared" if n else "none shared"
             for p in ("a", "b")]
    _section("Scorecard", [
        ("context window", *(display.tokens(s.context_window.tokens, s.context_window.label) for s in both)),
        ("cheapest input /1M", *(display.usd(s.cheapest_input.usd_per_mtok if s.cheapest_input else None) for s in both)),
        ("cheapest output /1M", *(display.usd(s.cheapest_output.usd_per_mtok if s.cheapest_output else None) for s in both)),
        ("provider routes", *(f"{s.providers_count} tracked" for s in both)),
        ("monthly at traffic", *(display.usd_total(s.monthly.usd if s.monthly else None) for s in both)),
        ("benchmarks", *leads),
    ], record, a, b)
    _section("Specs", [
        ("creator", sa.creator, sb.creator),
        ("released", sa.released, sb.released),
        ("context window", *(display.tokens(s.context_window.tokens, s.context_window.label) for s in both)),
        ("max output", *(display.tokens(s.max_output_tokens.tokens, s.max_output_tokens.label) for s in both)),
        ("parameters", sa.parameters.label, sb.parameters.label),
        ("architecture", sa.architecture, sb.architecture),
        ("license", sa.license, sb.license),
        ("open weights", display.yes_no(sa.open_weights), display.yes_no(sb.open_weights)),
        ("knowledge cutoff", sa.knowledge_cutoff, sb.knowledge_cutoff),
    ], record, a, b)
    _section("Pricing (USD per 1M tokens; the cheapest tracked route: standard prices of reviewed providers)", [
        ("cheapest input", *(_price(s.cheapest_input) for s in both)),
        ("cheapest output", *(_price(s.cheapest_output) for s in both)),
        ("blended 70/30", *(display.usd(s.blended_70_30_usd_per_mtok) for s in both)),
        ("blended 3:1", *(display.usd(s.blended_3_1_usd_per_mtok) for s in both)),
        ("other routes (in / out)", *(_other_routes(s) for s in both)),
        ("providers", *(f"{s.providers_count}: " + ", ".join(p.name for p in s.providers) for s in both)),
    ], record, a, b)
    for table in _routes_tables(record):
        console.print(table)
    _section("Capabilities", [(cap.replace("_", " "), sa.capabilities[cap], sb.capabilities.get(cap))
                              for cap in sa.capabilities], record, a, b)
    _section("Benchmarks", _benchmark_rows(record), record, a, b)
    traffic = record.traffic_profile
    _section(f"Cost at traffic ({display.number(traffic.input_mtok)}M input + {display.number(traffic.output_mtok)}M "
             "output tokens a month, cheapest tracked route)", [
        ("monthly", *(f"{display.usd_total(s.monthly.usd)} at {_providers(s.monthly.providers)}" if s.monthly
                      else "unknown" for s in both)),
    ], record, a, b)
    for line in summary_lines(record, a, b):
        _say(line)
    if record.provider_overlap:
        _say("provider overlap: " + ", ".join(p.name for p in record.provider_overlap))


def summary_lines(record: ComparisonRecord, a: str, b: str) -> list[str]:
    """The verdict under the `compare` tables. A null figure is rendered with its reason
    (record.null_reasons), a percent over 100 with the multiplier beside it
    ("3974.07% cheaper on input (40.7× cheaper)")."""
    side = {"a": record.a.name or a, "b": record.b.name or b}
    why = record.null_reasons
    if record.cheaper in ("a", "b"):
        if record.cheaper_pct is None:
            verdict = f"{side[record.cheaper]} is cheaper on input (no percent: {why.get('cheaper_pct', 'unknown')})"
        else:
            verdict = f"{side[record.cheaper]} is {display.percent(record.cheaper_pct)} cheaper on input"
            times = display.multiplier(record.cheaper_pct, record.input_price_ratio)
            if times:
                verdict += f" ({times} cheaper)"
    elif record.cheaper == "tie":
        verdict = "same cheapest input price"
    else:
        verdict = f"which is cheaper on input is unknown: {why.get('cheaper', 'unknown')}"
    gap = record.monthly_gap_usd
    monthly = (f"monthly gap {display.usd_total(gap)}" if gap is not None
               else f"monthly gap unknown: {why.get('monthly_gap_usd', 'unknown')}")
    return [f"{verdict}; {monthly}"]


@app.command("unmatched")
def unmatched_cmd(data_dir: DataDirOpt = None, json_out: JsonOpt = False) -> None:
    """Models only one source knows (never merged by guesswork), with the closest candidates."""
    con = _read_only(data_dir)
    found = inspect.unmatched(con)
    if json_out:
        _json({"unmatched": [{"model_id": u.model_id, "source_id": u.source_id,
                              "candidates": [{"model_id": m, "similarity": s} for m, s in u.candidates]}
                             for u in found]})
        return
    table = _table("model", "only source", "closest candidates (similarity)")
    for u in found:
        _row(table, u.model_id, u.source_id, ", ".join(f"{m} ({s:.2f})" for m, s in u.candidates))
    if found:
        console.print(table)
    else:
        _say("every model is known to more than one source")
    _say(f"{len(found)} to review: add an alias in warehouse/curated/aliases.yaml, or confirm it is a model of its own.")


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
