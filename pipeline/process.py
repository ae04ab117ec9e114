"""Process stored crawls: parse every raw page, judge each source's health, load observations,
reconcile and version the resolved state. One call is one transaction."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Callable, Literal

import duckdb
import pyarrow as pa

from pipeline.config import HealthPolicy, SourceConfig, SourcesFile
from pipeline.compare import ComparisonConfig, load_comparison_config
from pipeline.models import Observation, ParseResult, Problem, SourceHealth
from pipeline.overrides import OVERRIDE_SOURCE, Override, load_overrides, override_rows
from pipeline.identity import load_aliases
from pipeline.parse import parse_page
from pipeline.providers import load_providers, provider_name
from pipeline.curated import preload
from pipeline.errors import ArchiveError
from pipeline.raw import CrawlInfo, Damage, FetchInfo, RawArchive
from pipeline.reconcile import ReconcileStats, reconcile
from warehouse.load import VersionStats, apply_versions, insert_rows

log = logging.getLogger("llm_ledger.process")

DATA_TABLES = [
    "crawls", "crawl_sources", "raw_pages", "problems", "observations",
    "model_versions", "offer_versions", "benchmark_versions", "conflict_log",
]


@dataclass
class SourceReport:
    source_id: str
    health: SourceHealth
    reason: str | None
    pages: int
    items: int
    observations: int
    errors: list[Problem]
    skipped: int


@dataclass
class CrawlReport:
    crawl_id: str
    started_at: datetime | None
    sources: list[SourceReport] = field(default_factory=list)
    reconcile: ReconcileStats | None = None
    versions: VersionStats | None = None
    damage: list[Damage] = field(default_factory=list)  # set when the crawl was skipped as damaged


ProgressFn = Callable[[str, str, dict[str, object]], None]  # (stage, source_id, counts)


PREVIOUS_HEALTHY_ITEMS = """
    SELECT cs.items FROM crawl_sources cs JOIN crawls c USING (crawl_id)
    WHERE cs.source_id = ? AND cs.health = 'ok' AND c.started_at < ?
    ORDER BY c.started_at DESC LIMIT 1
"""


def judge_health(fetch: FetchInfo, pages: int, result: ParseResult, previous_items: int | None = None,
                 policy: HealthPolicy | None = None) -> tuple[SourceHealth, str | None]:
    """ok: the pages came back whole and the share of unreadable items stays under the policy's
    threshold (each unreadable item is a problem and keeps its previous state); partial: a page
    was unusable, the fetch reported errors, too many items were unreadable, or far fewer items
    came back than in the last healthy crawl (at any size); failed: nothing usable.

    Only an ok crawl retires what it no longer lists."""
    policy = policy or HealthPolicy()
    errors = result.errors
    failed_pages = set(result.failed_pages)
    page_errors = [p for p in errors if p.url in failed_pages]
    item_errors = [p for p in errors if p.url not in failed_pages]
    if fetch.status == "failed" and not result.observations:
        return "failed", "; ".join(fetch.errors) or "fetch failed"
    if fetch.finished_at is None:  # the crawl process was killed: its pages are a fragment
        if not result.observations:
            return "failed", "fetch did not finish (fetch.json has no finished_at)"
        return "partial", "fetch did not finish (fetch.json has no finished_at): kept as partial, nothing retired"
    if not result.observations:
        why = errors[0].message if errors else "the pages yielded no observations"
        return "failed", f"nothing usable: {why}" if pages else "no page was fetched"
    if fetch.errors or page_errors:
        first = fetch.errors[0] if fetch.errors else str(page_errors[0])
        return "partial", f"{len(fetch.errors) + len(page_errors)} page problem(s), first: {first}"
    # An item is one model, offer or score: two unreadable prices of one offer are one unreadable
    # item. A problem that names no item counts as one of its own.
    unreadable = len({(p.entity, p.model_id, p.provider_id, p.variant) if p.model_id else id(p) for p in item_errors})
    share = unreadable / max(1, result.items + unreadable)
    if share > policy.max_error_share:
        return "partial", (f"{unreadable} unreadable item(s), {share:.1%} of the items (over "
                           f"{policy.max_error_share:.0%}), first: {item_errors[0]}")
    if previous_items is not None and result.items < previous_items * policy.collapse_share:
        return "partial", (f"{result.items} items where the last healthy crawl had {previous_items}: "
                           "kept as partial, nothing retired")
    notes = []
    if item_errors:
        notes.append(f"{unreadable} unreadable item(s) ({share:.2%}) keep their previous state")
    gone = [p for p in result.problems if p.url in failed_pages and p.severity == "skip"]
    if gone:
        notes.append(f"{len(gone)} page(s) not read (gone or access restricted) keep what they said last time")
    return "ok", "; ".join(notes) or None


def sync_sources(con: duckdb.DuckDBPyConnection, registry: SourcesFile,
                 overrides: list[Override] | None = None, comparisons: ComparisonConfig | None = None) -> None:
    """Upsert the configured sources and provider names (a source removed from configuration
    keeps its row, so its past claims still resolve); replace the policy, the creators, the
    overrides and the route rules (comparisons.yaml: the views' route_kind and is_free_tier)."""
    rows = [
        {
            "source_id": s.id, "name": s.name, "kind": s.kind, "authority": s.authority,
            "authority_rank": registry.policy["default"].index(s.authority),
            "provider_id": s.provider.id if s.provider else None,
            "provider_name": s.provider.name if s.provider else None,
        }
        for s in registry.sources
    ]
    rows.append({**OVERRIDE_SOURCE, "authority_rank": registry.policy["default"].index("override"),
                 "provider_id": None, "provider_name": None})
    con.execute("DELETE FROM sources WHERE source_id IN (SELECT unnest(?))", [[r["source_id"] for r in rows]])
    insert_rows(con, "sources", rows)
    con.execute("DELETE FROM creators")
    creators = {c.id: c.name for c in load_aliases().creators.values()}
    insert_rows(con, "creators", [{"creator_id": k, "name": v} for k, v in sorted(creators.items())])
    con.execute("DELETE FROM overrides")
    insert_rows(con, "overrides", override_rows(overrides if overrides is not None else load_overrides()))
    providers = dict(registry.providers)
    providers.update({s.provider.id: s.provider.name for s in registry.sources if s.provider})
    providers.update(load_providers().names)  # curated names win
    con.execute("DELETE FROM policy")
    insert_rows(con, "policy", [
        {"entity": key.split(".")[0] if key != "default" else "*", "field": key.split(".", 1)[1] if key != "default" else "*",
         "authority": authority, "rank": rank}
        for key, order in sorted(registry.policy.items()) for rank, authority in enumerate(order)
    ])
    # Curated names are replaced; providers named only by the data (add_providers) stay.
    con.execute("DELETE FROM providers WHERE named_by = 'curated' OR named_by IS NULL")
    con.execute("DELETE FROM providers WHERE provider_id IN (SELECT unnest(?))", [list(providers)])
    insert_rows(con, "providers", [{"provider_id": k, "name": v, "named_by": "curated"}
                                   for k, v in sorted(providers.items())])
    sync_route_rules(con, comparisons or load_comparison_config())


def sync_route_rules(con: duckdb.DuckDBPyConnection, config: ComparisonConfig) -> None:
    """The comparisons' rules for non-standard routes, read by offers_asof (route_kind, is_free_tier)."""
    con.execute("DELETE FROM route_rules")
    insert_rows(con, "route_rules", config.route_rules())
    con.execute("DELETE FROM route_settings")
    # the reviewed providers are the providers table's curated names (synced above): not repeated here
    insert_rows(con, "route_settings", [{**config.route_settings(), "reviewed_provider_ids": None}])


def add_providers(con: duckdb.DuckDBPyConnection, source_id: str, named: dict[str, str]) -> None:
    """Providers a source names that are not known yet, with the display name it gives."""
    rows = [{"provider_id": k, "name": provider_name(k, v), "named_by": source_id} for k, v in sorted(named.items())]
    if not rows:
        return
    con.register("_named", pa.Table.from_pylist(rows))
    try:
        con.execute("INSERT INTO providers BY NAME SELECT * FROM _named "
                    "WHERE provider_id NOT IN (SELECT provider_id FROM providers)")
    finally:
        con.unregister("_named")


OBSERVATION_COLUMNS = ("source_id", "url", "entity", "model_id", "provider_id", "provider_model_id", "variant",
                       "benchmark_id", "field", "raw", "value", "status")


def insert_observations(con: duckdb.DuckDBPyConnection, crawl_id: str, observations: list[Observation]) -> int:
    """Insert one source's observations through one Arrow table built column by column (the rows
    insert_rows would take, without a dict per observation: a catalog yields hundreds of
    thousands). Keys a part does not apply to are stored as ''; ``seq`` is the parse order."""
    if not observations:
        return 0
    n = len(observations)
    columns: dict[str, list[object]] = {"crawl_id": [crawl_id] * n}
    for name in OBSERVATION_COLUMNS:
        values: list[object] = [getattr(o, name) for o in observations]
        if name in ("provider_id", "provider_model_id", "benchmark_id"):
            values = [v or "" for v in values]
        columns[name] = values
    columns["seq"] = list(range(n))
    con.register("_observations", pa.table(columns))
    try:
        con.execute("INSERT INTO observations BY NAME SELECT * FROM _observations")
    finally:
        con.unregister("_observations")
    return n


def parse_source(archive: RawArchive, crawl: CrawlInfo, fetch: FetchInfo, source: SourceConfig,
                 ) -> tuple[list[dict[str, object]], ParseResult]:
    pages: list[dict[str, object]] = []
    result = ParseResult()
    for page in archive.pages(crawl.crawl_id, fetch.source_id):
        body = page.body()
        parsed = parse_page(page, source)
        pages.append({
            "crawl_id": crawl.crawl_id, "source_id": page.source_id, "url": page.url, "status": page.status,
            "headers": json.dumps(page.headers, sort_keys=True), "fetched_at": page.fetched_at,
            "sha256": page.sha256, "body_file": page.body_file, "size_bytes": len(body),
            "usable": page.url not in parsed.failed_pages,
        })
        result.extend(parsed)
    return pages, result


def process_crawl(
    con: duckdb.DuckDBPyConnection,
    archive: RawArchive,
    registry: SourcesFile,
    crawl: CrawlInfo,
    run_id: str,
    progress: ProgressFn | None = None,
) -> CrawlReport:
    """Parse and load one stored crawl, then version the resolved state as of its start time.
    The caller owns the transaction."""
    report = CrawlReport(crawl_id=crawl.crawl_id, started_at=crawl.started_at)
    con.execute(
        "INSERT INTO crawls VALUES (?, ?, ?, ?, ?)",
        [crawl.crawl_id, crawl.started_at, crawl.mode, datetime.now(UTC), run_id],
    )
    for fetch in archive.fetches(crawl.crawl_id):
        try:
            source = registry.get(fetch.source_id)
        except Exception:
            log.warning("crawl %s holds source %s, which is not configured: skipped", crawl.crawl_id, fetch.source_id)
            continue
        pages, result = parse_source(archive, crawl, fetch, source)
        prev = con.execute(PREVIOUS_HEALTHY_ITEMS, [source.id, crawl.started_at]).fetchall()  # fetchone leaves the result open (DuckDB 2.0)
        health, reason = judge_health(fetch, len(pages), result, prev[0][0] if prev else None, registry.health)
        errors = result.errors
        skipped = sum(1 for p in result.problems if p.severity == "skip")
        for p in errors[:20]:
            log.warning("%s", p)
        if len(errors) > 20:
            log.warning("[%s] ... and %d more problems", source.id, len(errors) - 20)
        if health == "failed":
            log.error("[%s] failed in crawl %s: %s (nothing retired)", source.id, crawl.crawl_id, reason)
        insert_rows(con, "raw_pages", pages)
        insert_rows(con, "problems", [{"crawl_id": crawl.crawl_id, **p.model_dump()} for p in result.problems])
        insert_observations(con, crawl.crawl_id, result.observations)
        add_providers(con, source.id, result.providers)
        con.execute(
            "INSERT INTO crawl_sources VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [crawl.crawl_id, source.id, fetch.status, health, reason, len(pages), result.items,
             len(result.observations), len(errors), skipped],
        )
        report.sources.append(SourceReport(source.id, health, reason, len(pages), result.items,
                                           len(result.observations), errors, skipped))
        if progress:
            progress("parsed", source.id, {"pages": len(pages), "items": result.items,
                                           "errors": len(errors), "health": health})
        # stored: let the parsed observations go before the next source is parsed and while
        # reconcile runs (the largest catalogs hold hundreds of thousands)
        del pages, result
    report.reconcile = reconcile(con, crawl.crawl_id, crawl.started_at)
    report.versions = apply_versions(con, crawl.crawl_id, crawl.started_at)
    if progress:
        progress("loaded", "", {"crawl": crawl.crawl_id})
    return report


Mode = Literal["pending", "rebuild"]


def loaded_crawls(con: duckdb.DuckDBPyConnection) -> dict[str, datetime]:
    return {cid: ts for cid, ts in con.execute("SELECT crawl_id, started_at FROM crawls").fetchall()}


def check_archive(con: duckdb.DuckDBPyConnection, archive: RawArchive, crawls: list[CrawlInfo],
                  rebuild: bool) -> dict[str, list[Damage]]:
    """The damage of the crawls about to be loaded, by crawl id: every body against its sha256,
    the seals, the JSON files. On a rebuild, the warehouse also says what the archive must still
    hold: a crawl (or a source of one) it loaded that is gone would silently drop out of history."""
    damage: dict[str, list[Damage]] = {}
    for c in crawls:
        found = archive.verify_crawl(c.crawl_id)
        if found:
            damage[c.crawl_id] = found
    if rebuild:
        present = {c.crawl_id for c in crawls}
        for (crawl_id,) in con.execute("SELECT crawl_id FROM crawls ORDER BY crawl_id").fetchall():
            if crawl_id not in present:
                damage.setdefault(crawl_id, []).append(Damage(
                    crawl_id, archive.crawl_dir(crawl_id) / "crawl.json",
                    "missing or unreadable, but the warehouse loaded this crawl: a rebuild would drop it from the history"))
        for crawl_id, source_id in con.execute(
                "SELECT crawl_id, source_id FROM crawl_sources ORDER BY crawl_id, source_id").fetchall():
            fetch = archive.crawl_dir(crawl_id) / source_id / "fetch.json"
            if crawl_id in present and not fetch.exists():
                damage.setdefault(crawl_id, []).append(Damage(
                    crawl_id, fetch, "missing, but the warehouse loaded this source of the crawl"))
    return damage


def _damage_error(damage: dict[str, list[Damage]], rebuild: bool) -> ArchiveError:
    lines = [str(d) for found in damage.values() for d in found]
    shown = "\n  ".join(lines[:10]) + (f"\n  ... and {len(lines) - 10} more" if len(lines) > 10 else "")
    what = "rebuild" if rebuild else "load"
    return ArchiveError(
        f"the raw archive is damaged ({len(lines)} problem(s) in {len(damage)} crawl(s)); nothing was replaced:\n  "
        f"{shown}\nRestore the files from a backup, or {what} without those crawls with --skip-damaged.")


def process_pending(
    con: duckdb.DuckDBPyConnection,
    archive: RawArchive,
    registry: SourcesFile,
    run_id: str,
    rebuild: bool = False,
    progress: ProgressFn | None = None,
    skip_damaged: bool = False,
) -> list[CrawlReport]:
    """Load every stored crawl the warehouse has not seen, oldest first, in one transaction.

    A crawl older than one already loaded cannot be appended to the history: the whole
    warehouse is then rebuilt from the raw archive, in date order (as with ``rebuild=True``).

    Every crawl about to be loaded is verified first (``check_archive``). Damage stops the call
    with an ArchiveError naming each file before anything is replaced; with ``skip_damaged`` the
    damaged crawls are left out and each comes back as a report with ``damage`` set.
    """
    preload()  # a broken curated file stops the run here, not inside every parser
    for folder in archive.unfinished():
        log.warning("%s has no crawl.json: an unfinished crawl (still running, or killed), not loaded", folder)
    crawls, unreadable = archive.scan()
    con.execute("BEGIN TRANSACTION")
    try:
        sync_sources(con, registry)
        loaded = loaded_crawls(con)
        pending = [c for c in crawls if c.crawl_id not in loaded]
        newest = max(loaded.values(), default=None)
        if pending and newest is not None and min(c.started_at for c in pending) < newest and not rebuild:
            log.info("a stored crawl predates the loaded history: rebuilding from the raw archive")
            rebuild = True
        if rebuild:
            pending = crawls
        damage = check_archive(con, archive, pending, rebuild)
        for d in unreadable:
            damage.setdefault(d.crawl_id, []).append(d)
        skipped: list[CrawlReport] = []
        if damage:
            if not skip_damaged:
                raise _damage_error(damage, rebuild)
            for crawl_id, found in sorted(damage.items()):
                for d in found:
                    log.error("skipped damaged crawl %s: %s", crawl_id, d)
                started = next((c.started_at for c in crawls if c.crawl_id == crawl_id), loaded.get(crawl_id))
                skipped.append(CrawlReport(crawl_id=crawl_id, started_at=started, damage=found))
            pending = [c for c in pending if c.crawl_id not in damage]
        if rebuild:
            for table in DATA_TABLES:
                con.execute(f"DELETE FROM {table}")
        reports = [process_crawl(con, archive, registry, c, run_id, progress) for c in pending]
        con.execute("COMMIT")
        return skipped + reports
    except BaseException as e:
        try:
            con.execute("ROLLBACK")
        except Exception as rollback:  # e.g. the disk is full: say so, and keep the first error on top
            log.error("rollback after %s failed too: %s", type(e).__name__, rollback)
            if isinstance(e, Exception):
                e.add_note(f"(the rollback failed too: {rollback})")
        raise
