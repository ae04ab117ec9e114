"""The llm-ledger command line. Thin: every command calls plain functions of pipeline/."""
from __future__ import annotations

import logging
import sys
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pipeline import inspect
from pipeline.compare import compare as compare_pair
from pipeline.config import ConfigError, data_dir as resolve_data_dir, load_sources, parse_url_overrides, select_sources
from pipeline.errors import LedgerError, as_storage_error
from pipeline.normalize import decimal_text
from pipeline.records import ComparisonRecord
from pipeline.report import money as report_money, move_text
from pipeline.raw import RawArchive
from spiders.settings import parse_setting_pairs
from pipeline.run import Paths, RunSummary, crawl, export_only, rebuild_warehouse, run
from warehouse.connection import WarehouseLocked, connect

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
SkipDamagedOpt = Annotated[
    bool,
    typer.Option("--skip-damaged", help="Load without the crawls whose raw files are damaged (each is reported), "
                 "instead of stopping with an error naming the files."),
]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Log every problem and crawl line.")]


def _logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def _fail(message: str, code: int = 1) -> None:
    err.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(code)


def _only(sources: str | None) -> list[str] | None:
    return [s.strip() for s in sources.split(",") if s.strip()] if sources else None


def _progress(stage: str, source_id: str, counts: dict[str, object]) -> None:
    if stage == "fetched":  # a live crawl of one source ended
        colour = "green" if counts["status"] == "ok" else "red"
        err.print(f"  fetched [bold]{source_id}[/]: {counts['pages']} pages, {counts['errors']} errors -> "
                  f"[{colour}]{counts['status']}[/]")
    elif stage == "parsed":
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
        if rep.damage:
            err.print(f"[bold yellow]skipped damaged crawl {rep.crawl_id}[/] ({len(rep.damage)} problem(s)):", soft_wrap=True)
            for d in rep.damage[:5]:
                err.print(f"  {escape(str(d))}", soft_wrap=True)
            continue
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
        latest = f"; latest -> {summary.exported.version}" if summary.exported.latest else ""
        console.print(f"exports:   {summary.exported.folder} (as of {summary.exported.as_of}{latest})", soft_wrap=True)


@app.command("run")
def run_cmd(
    data_dir: DataDirOpt = None,
    sources_file: SourcesFileOpt = None,
    live: Annotated[bool, typer.Option("--live", help="Crawl the sources now instead of replaying the bundled recorded crawl.")] = False,
    sources: SourcesOpt = None,
    source_url: SourceUrlOpt = None,
    no_export: Annotated[bool, typer.Option("--no-export", help="Skip the export step.")] = False,
    crawl_setting: CrawlSettingOpt = None,
    skip_damaged: SkipDamagedOpt = False,
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
        # a spinner on stderr (only on a terminal) while the per-source lines of _progress scroll above it
        with err.status("crawling sources..." if live or overrides else "loading crawls..."):
            summary = run(resolve_data_dir(data_dir), registry, live=live or bool(overrides), only=_only(sources),
                          url_overrides=overrides, do_export=not no_export, progress=_progress,
                          crawl_settings=settings, skip_damaged=skip_damaged)
    except (LedgerError, ValueError) as e:
        _fail(str(e))
    print_summary(summary)
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
        chosen = select_sources(registry, _only(sources), parse_url_overrides(source_url or []))
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
        colour = "green" if f.status == "ok" else "red"
        console.print(f"{f.source_id}: [{colour}]{f.status}[/], {f.pages} pages" + (f" — {'; '.join(f.errors)}" if f.errors else ""))
    console.print(f"crawl {crawl_id} stored in {paths.raw / crawl_id}")
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


@app.command("export")
def export_cmd(
    data_dir: DataDirOpt = None,
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="YYYY-MM-DD (end of that day, UTC); default: the newest crawl.")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="Export folder [default: DATA_DIR/exports].")] = None,
) -> None:
    """Write the comparison datasets (parquet + JSON, JSON Schema, manifest) as of a date."""
    try:
        when = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        _fail(f"--as-of expects YYYY-MM-DD, got {as_of!r}")
    try:
        result = export_only(resolve_data_dir(data_dir), when, out)
    except LedgerError as e:
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
    # Fits 80 columns (kind, authority and start URLs are in sources.yaml); reasons under the table.
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("source", "crawled", "health"):
        table.add_column(col, no_wrap=True)
    for col in ("pages", "items", "obs", "err", "skip"):
        table.add_column(col, justify="right", no_wrap=True)
    reasons: list[str] = []
    for s in registry.sources:
        st = status.get(s.id)
        if st:
            crawl_id, health, pages, items, obs, errors, skipped, reason = st
            crawled = f"{crawl_id[:4]}-{crawl_id[4:6]}-{crawl_id[6:8]}"
            table.add_row(s.id, crawled, health,
                          *(str(x) for x in (pages, items, obs, errors, skipped)))
            if reason:
                reasons.append(f"{s.id}: {reason}")
        else:
            table.add_row(s.id, "never", "", "", "", "", "", "")
    console.print(table)
    for line in reasons:
        console.print(line, soft_wrap=True)


def _read_only(data_dir: Path | None):
    try:
        return connect(Paths(resolve_data_dir(data_dir)).warehouse, read_only=True)
    except LedgerError as e:
        _fail(str(e))


def _date(text: str | None, option: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        _fail(f"{option} expects YYYY-MM-DD, got {text!r}")
    return None


def _canonical(v: object) -> str | None:
    """A warehouse value as the canonical text observations carry (pipeline/fields.py)."""
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, Decimal):
        return decimal_text(v)
    if isinstance(v, date):
        return v.isoformat()
    return str(v)


def _money(v: object) -> str:
    return "" if v is None else str(v.normalize()) if hasattr(v, "normalize") else str(v)


@app.command("changes")
def changes_cmd(
    since: Annotated[str, typer.Option("--since", help="YYYY-MM-DD: changes seen in crawls from this day on.")],
    data_dir: DataDirOpt = None,
) -> None:
    """What changed between consecutive crawls: new and retired offers, price moves (old -> new, %)."""
    when = _date(since, "--since")
    con = _read_only(data_dir)
    found = inspect.changes(con, when)  # type: ignore[arg-type]
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("day", "change", "model", "provider", "provider model id", "input", "output"):
        table.add_column(col, overflow="fold")
    for r in found:
        def move(side: str) -> str:
            # a move to or from $0 or unknown has no percent: say why (report.move_text), never crash
            old, new = r[f"old_{side}_usd_per_mtok"], r[f"new_{side}_usd_per_mtok"]
            if r["change"] != "price move" or old == new:
                shown = new if new is not None else old
                return "" if shown is None else report_money(shown)
            return f"{report_money(old)} -> {report_money(new)} ({move_text(old, new)})"
        pid = escape((r["provider_model_id"] or "") + (f" [{r['variant']}]" if r["variant"] else ""))
        table.add_row(str(r["day"]), r["change"], r["model_id"], r["provider_id"], pid, move("input"), move("output"))
    console.print(table if found else f"no change since {when}")


@app.command("conflicts")
def conflicts_cmd(
    severity: Annotated[Optional[str], typer.Option("--severity", help="held, major or minor.")] = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Fields whose sources disagree in the newest crawl, with every claim and the rule that chose."""
    if severity and severity not in ("held", "major", "minor"):
        _fail(f"--severity is held, major or minor, not {severity!r}")
    con = _read_only(data_dir)
    found = inspect.conflicts(con, severity)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("severity", "entity", "field", "chosen", "rule", "claims"):
        table.add_column(col, overflow="fold")
    for r in found:
        key = r["model_id"] + (f" @ {r['provider_id']}:{r['provider_model_id']}" if r["provider_id"] else "") + (
            f" [{r['benchmark_id']}]" if r["benchmark_id"] else "")
        claims = "\n".join(f"{c['value']} ({c['source_id']}, {c['observed_at']})" for c in r["claims"])
        table.add_row(r["severity"], key, r["field"], f"{r['chosen_value']} ({r['chosen_source']})", r["rule"], claims)
    console.print(table if found else "no conflict")


@app.command("show")
def show_cmd(
    model_id: Annotated[str, typer.Argument(help="Canonical id, e.g. meta/llama-3.2-1b-instruct.")],
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="YYYY-MM-DD (end of that day, UTC).")] = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Every field of a model with its value, provenance and the other values seen; its offers and scores."""
    when = _date(as_of, "--as-of") or date.today()
    con = _read_only(data_dir)
    view = inspect.show(con, model_id, when)
    if view is None:
        _fail(f"no model {model_id!r} as of {when} (see `llm-ledger unmatched` or models_current)")
        return
    seen: dict[str, list[dict]] = {}
    for o in view.seen:
        if o["entity"] == "model":
            seen.setdefault(o["field"], []).append(o)
    table = Table(title=f"{model_id} as of {when}", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("field", "value", "source / rule", "other values seen"):
        table.add_column(col, overflow="fold")
    for field, value in view.model.items():
        if field in ("model_id", "provenance", "valid_from", "opened_by", "last_reviewed"):
            continue
        prov = view.model["provenance"].get(field, {})
        where = f"{prov.get('source', '')} {prov.get('observed_at', '')}\n{prov.get('rule', '')}" if prov else ""
        others = {f"{o['value'] if o['status'] == 'known' else o['status']} ({o['source_id']} {o['observed']})"
                  for o in seen.get(field, []) if o["value"] != _canonical(value)}
        table.add_row(field, "unknown" if value is None else str(value), where, "\n".join(sorted(others)))
    console.print(table)
    console.print(f"last reviewed: {view.model.get('last_reviewed')}   version since: {view.model.get('valid_from')}")
    offers = Table(title="offers", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("provider", "provider model id", "input $/M", "output $/M", "cached $/M", "context"):
        offers.add_column(col, overflow="fold")
    for o in view.offers:
        offers.add_row(o["provider_name"] or o["provider_id"], (o["provider_model_id"] or "—") + (f" [{o['variant']}]" if o["variant"] else ""),
                       _money(o["input_usd_per_mtok"]), _money(o["output_usd_per_mtok"]),
                       _money(o["cached_input_usd_per_mtok"]), str(o["context_window"] or ""))
    console.print(offers)
    if view.benchmarks:
        console.print("benchmarks: " + ", ".join(f"{b['benchmark_name'] or b['benchmark_id']} {_money(b['score'])}"
                                                 for b in view.benchmarks))


@app.command("compare")
def compare_cmd(
    a: Annotated[str, typer.Argument(help="Model id of side a.")],
    b: Annotated[str, typer.Argument(help="Model id of side b.")],
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="YYYY-MM-DD (end of that day, UTC).")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the exported JSON record instead of a table.")] = False,
    data_dir: DataDirOpt = None,
) -> None:
    """Two models side by side: the same record the export writes for a comparison pair."""
    when = _date(as_of, "--as-of") or date.today()
    con = _read_only(data_dir)
    try:
        record = compare_pair(con, a, b, when)
    except ConfigError as e:
        _fail(str(e))
        return
    if record is None:
        _fail(f"no comparison of {a} and {b} as of {when}: both need at least one offer (see `llm-ledger show`)")
        return
    if json_out:
        console.print_json(record.model_dump_json())
        return
    table = Table(title=f"{a} vs {b} as of {when} (last reviewed {record.last_reviewed or 'unknown'})",
                  title_justify="left",
                  box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("")
    table.add_column(record.a.name or a, overflow="fold")
    table.add_column(record.b.name or b, overflow="fold")

    def usd(d: Decimal | None) -> str:
        return "unknown" if d is None else decimal_text(d)

    def at(providers: list) -> str:
        names = [p.name for p in providers]
        return names[0] if len(names) == 1 else f"{', '.join(names)} (tied)"

    def price(p: object) -> str:
        if not p:
            return "no standard price"
        return f"{p.label} ({usd(p.usd_per_mtok)}) at {at(p.providers)}"  # type: ignore[attr-defined]

    def others(s: object) -> str:
        def one(r: object) -> str:
            variant = escape(f" [{r.variant}]") if r.variant else ""  # type: ignore[attr-defined]
            return (f"{r.kind}: {usd(r.input_usd_per_mtok)} / {usd(r.output_usd_per_mtok)} at "  # type: ignore[attr-defined]
                    f"{r.provider.name}{variant}")  # type: ignore[attr-defined]
        return "\n".join(one(r) for r in s.other_routes) or "none"  # type: ignore[attr-defined]

    def tokens(t: object) -> str:
        return f"{t.label} ({t.tokens:,})" if t.tokens else "unknown"  # type: ignore[attr-defined]

    rows = [
        ("creator", record.a.creator, record.b.creator),
        ("context window", tokens(record.a.context_window), tokens(record.b.context_window)),
        ("max output", tokens(record.a.max_output_tokens), tokens(record.b.max_output_tokens)),
        ("parameters", record.a.parameters.label, record.b.parameters.label),
        ("architecture", record.a.architecture, record.b.architecture),
        ("released", record.a.released, record.b.released),
        ("knowledge cutoff", record.a.knowledge_cutoff, record.b.knowledge_cutoff),
        ("license", record.a.license, record.b.license),
        ("open weights", record.a.open_weights, record.b.open_weights),
        ("cheapest input /1M", price(record.a.cheapest_input), price(record.b.cheapest_input)),
        ("cheapest output /1M", price(record.a.cheapest_output), price(record.b.cheapest_output)),
        ("blended 70/30", usd(record.a.blended_70_30_usd_per_mtok), usd(record.b.blended_70_30_usd_per_mtok)),
        ("blended 3:1", usd(record.a.blended_3_1_usd_per_mtok), usd(record.b.blended_3_1_usd_per_mtok)),
        ("monthly at traffic", *(f"${m.usd:,.2f} at {at(m.providers)}" if m else "unknown"
                                  for m in (record.a.monthly, record.b.monthly))),
        ("other routes /1M in/out", others(record.a), others(record.b)),
        ("providers (standard)", *(f"{s.providers_count}: " + ", ".join(p.name for p in s.providers)
                                   for s in (record.a, record.b))),
    ]
    for cap in record.a.capabilities:
        rows.append((cap.replace("_", " "), record.a.capabilities[cap], record.b.capabilities[cap]))
    for bench in record.benchmarks:
        rows.append((bench.name, str(bench.a), str(bench.b)))
    for label, left, right in rows:
        table.add_row(label, "unknown" if left is None else str(left), "unknown" if right is None else str(right))
    console.print(table)
    for line in summary_lines(record, a, b):
        console.print(line, soft_wrap=True)
    if record.provider_overlap:
        console.print("provider overlap: " + ", ".join(p.name for p in record.provider_overlap))


def summary_lines(record: ComparisonRecord, a: str, b: str) -> list[str]:
    """The verdict under the `compare` table. A null figure is rendered with its reason
    (record.null_reasons), a percent over 100 with the ratio beside it ("3974.07% cheaper (40.7x)")."""
    side = {"a": record.a.name or a, "b": record.b.name or b}
    why = record.null_reasons
    if record.cheaper in ("a", "b"):
        if record.cheaper_pct is None:
            verdict = f"{side[record.cheaper]} is cheaper on input (no percent: {why.get('cheaper_pct', 'unknown')})"
        else:
            verdict = f"{side[record.cheaper]} is {decimal_text(record.cheaper_pct)}% cheaper on input"
            ratio = record.input_price_ratio
            if ratio is not None and record.cheaper_pct > 100:
                verdict += f" ({decimal_text(ratio.quantize(Decimal('0.1'), ROUND_HALF_UP))}x)"
    elif record.cheaper == "tie":
        verdict = "same cheapest input price"
    else:
        verdict = f"which is cheaper on input is unknown: {why.get('cheaper', 'unknown')}"
    gap = record.monthly_gap_usd
    monthly = (f"monthly gap ${gap:,.2f}" if gap is not None
               else f"monthly gap unknown: {why.get('monthly_gap_usd', 'unknown')}")
    return [f"{verdict}; {monthly}"]


@app.command("unmatched")
def unmatched_cmd(data_dir: DataDirOpt = None) -> None:
    """Models only one source knows (never merged by guesswork), with the closest candidates."""
    con = _read_only(data_dir)
    found = inspect.unmatched(con)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("model", "only source", "closest candidates (similarity)"):
        table.add_column(col, overflow="fold")
    for u in found:
        table.add_row(u.model_id, u.source_id, ", ".join(f"{m} ({s:.2f})" for m, s in u.candidates))
    console.print(table if found else "every model is known to more than one source")
    console.print(f"{len(found)} to review: add an alias in warehouse/curated/aliases.yaml, or confirm it is a model of its own.")


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
