"""Run reports: what a run did (sources, counts, failures with reasons) and what it changed
(new and retired offers, price moves, new conflicts), as markdown and as table rows.

Plain functions over a RunSummary and the warehouse; the Prefect flows publish their output as
artifacts, but nothing here imports Prefect. Prices stay ``Decimal``; they become text only in
the rendered report and table.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import duckdb
import pyarrow as pa

from pipeline.export import ExportResult
from pipeline.fields import KEYS, OFFER_FIELDS, arrow_type
from pipeline.raw import FetchInfo
from pipeline.run import RunSummary
from warehouse import transform
from warehouse.transform import mart

# What changed is defined once, in warehouse/sql/transform/60_changes.sql (the `changes` view, the
# reports of crawls below, and the before/after of a rebuild): an offer (model_id, provider_id,
# variant) opened with no version of the same key closed is new; closed with none opened is
# retired; one closed and one opened is a change, a price move when any price of
# pipeline/fields.py differs. provider_model_id is a fact of the offer, shown, not matched.
CHANGES_OF_CRAWLS_SQL = transform.history_changes_sql(
    "closed_by IN (SELECT unnest($crawl_ids::VARCHAR[]))", "opened_by IN (SELECT unnest($crawl_ids::VARCHAR[]))")
CHANGES_BETWEEN_SQL = transform.changes_sql("SELECT * FROM before", "SELECT * FROM after")
ORDER_CHANGES = " ORDER BY crawl_id, model_id, provider_id, variant, provider_model_id"

NEW_CONFLICTS_SQL = mart("new_conflicts")

# --- The current state, for a before/after comparison (a rebuild re-opens every version) ---------

CURRENT_OFFERS_SQL = f"""
SELECT {", ".join([*KEYS["offer"], *OFFER_FIELDS])} FROM offers_current
"""

CURRENT_CONFLICTS_SQL = mart("current_conflicts")

CRAWLS_ON_DAY_SQL = mart("crawls_on_day")

OfferKey = tuple[str, str, str, str]  # model_id, provider_id, provider_model_id ('' if unknown), variant


@dataclass(frozen=True)
class OfferChange:
    crawl_id: str
    key: OfferKey
    input_usd_per_mtok: Decimal | None
    output_usd_per_mtok: Decimal | None


@dataclass(frozen=True)
class PriceMove:
    crawl_id: str
    key: OfferKey
    field: str
    old: Decimal | None
    new: Decimal | None

    @property
    def percent(self) -> Decimal | None:
        """(new / old - 1) * 100, rounded to 2 places; None when either side is missing or old is 0."""
        return percent_change(self.old, self.new)


@dataclass(frozen=True)
class NewConflict:
    crawl_id: str
    entity: str
    key: OfferKey  # provider parts are '' for model facts
    field: str
    chosen_value: str | None
    chosen_source: str
    rule: str
    severity: str
    claims: tuple[tuple[str, str | None], ...]  # (source_id, value), as logged


@dataclass
class Changes:
    crawl_ids: list[str]
    new_offers: list[OfferChange] = field(default_factory=list)
    retired_offers: list[OfferChange] = field(default_factory=list)
    price_moves: list[PriceMove] = field(default_factory=list)
    new_conflicts: list[NewConflict] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.new_offers or self.retired_offers or self.price_moves or self.new_conflicts)

    def counts(self) -> dict[str, int]:
        return {"new offers": len(self.new_offers), "retired offers": len(self.retired_offers),
                "price moves": len(self.price_moves), "new conflicts": len(self.new_conflicts)}


def percent_change(old: Decimal | None, new: Decimal | None) -> Decimal | None:
    if old is None or new is None or old == 0:
        return None
    try:
        return ((Decimal(new) / Decimal(old) - 1) * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return None


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    cur = con.execute(sql, params or {})
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def _key(r: Mapping[str, Any]) -> OfferKey:
    return (r["model_id"], r["provider_id"], r["provider_model_id"] or "", r["variant"])


def _claims(raw: str | None) -> tuple[tuple[str, str | None], ...]:
    try:
        items = json.loads(raw or "[]")
    except ValueError:
        return ()
    return tuple((str(c.get("source_id")), None if c.get("value") is None else str(c.get("value"))) for c in items)


def _conflict(r: Mapping[str, Any], crawl_id: str) -> NewConflict:
    return NewConflict(crawl_id=crawl_id, entity=r["entity"], key=_key(r), field=r["field"],
                       chosen_value=r["chosen_value"], chosen_source=r["chosen_source"], rule=r["rule"],
                       severity=r["severity"], claims=_claims(r["claims"]))


def _collect(out: Changes, rows: Iterable[Mapping[str, Any]], label: str | None = None) -> None:
    """The rows of 60_changes.sql as new and retired offers and price moves."""
    for r in rows:
        crawl_id = label if label is not None else r["crawl_id"]
        if r["change"] == "new offer":
            out.new_offers.append(OfferChange(crawl_id, _key(r), r["new_input_usd_per_mtok"], r["new_output_usd_per_mtok"]))
        elif r["change"] == "retired offer":
            out.retired_offers.append(OfferChange(crawl_id, _key(r), r["old_input_usd_per_mtok"],
                                                  r["old_output_usd_per_mtok"]))
        for m in r["price_moves"]:
            out.price_moves.append(PriceMove(crawl_id, _key(r), m["field"], m["old"], m["new"]))


def changes_in_crawls(con: duckdb.DuckDBPyConnection, crawl_ids: Sequence[str]) -> Changes:
    """What the given (loaded) crawls changed: offers opened and closed by them, price moves, new conflicts."""
    ids = list(crawl_ids)
    out = Changes(crawl_ids=ids)
    if not ids:
        return out
    params = {"crawl_ids": ids}
    _collect(out, _rows(con, CHANGES_OF_CRAWLS_SQL + ORDER_CHANGES, params))
    for r in _rows(con, NEW_CONFLICTS_SQL, params):
        out.new_conflicts.append(_conflict(r, r["crawl_id"]))
    return out


def crawls_on(con: duckdb.DuckDBPyConnection, day: date) -> list[str]:
    """The crawls loaded with a start on ``day`` (UTC)."""
    return [r["crawl_id"] for r in _rows(con, CRAWLS_ON_DAY_SQL, {"day": day})]


@dataclass
class Snapshot:
    """The current offers (facts per key, as pipeline/fields.py names them; a fact left out is
    unknown) and standing conflicts of a warehouse."""

    offers: dict[OfferKey, dict[str, Any]] = field(default_factory=dict)
    conflicts: dict[tuple[str, OfferKey, str], dict[str, Any]] = field(default_factory=dict)
    crawl_id: str | None = None

    def offers_table(self, label: str) -> pa.Table:
        """The offers as the relation 60_changes.sql compares (crawl_id ``label`` on every row)."""
        cols: dict[str, list[Any]] = {c: [] for c in _SNAPSHOT_SCHEMA.names}
        for (model, provider, pmid, variant), facts in self.offers.items():
            row = {**facts, "crawl_id": label, "model_id": model, "provider_id": provider, "variant": variant,
                   "provider_model_id": pmid}  # as the key holds it ('' when unknown)
            for c, values in cols.items():
                values.append(row.get(c))
        return pa.table(cols, schema=_SNAPSHOT_SCHEMA)


_SNAPSHOT_SCHEMA = pa.schema([("crawl_id", pa.string()), *((k, pa.string()) for k in KEYS["offer"]),
                              *((f, arrow_type(t)) for f, t in OFFER_FIELDS.items())])


def snapshot(con: duckdb.DuckDBPyConnection) -> Snapshot:
    snap = Snapshot()
    for r in _rows(con, CURRENT_OFFERS_SQL):
        snap.offers[_key(r)] = {f: r[f] for f in OFFER_FIELDS}
    for r in _rows(con, CURRENT_CONFLICTS_SQL):
        snap.conflicts[(r["entity"], _key(r), r["field"])] = r
    row = con.execute("SELECT crawl_id FROM crawls ORDER BY started_at DESC, crawl_id DESC LIMIT 1").fetchall()
    snap.crawl_id = row[0][0] if row else None
    return snap


def changes_between(before: Snapshot, after: Snapshot) -> Changes:
    """What differs between two states of the warehouse (e.g. before and after a rebuild), by the
    same definition as the `changes` view, run over the two snapshots in an in-memory DuckDB."""
    label = after.crawl_id or ""
    out = Changes(crawl_ids=[label] if label else [])
    con = duckdb.connect()
    try:
        con.register("before", before.offers_table(label))
        con.register("after", after.offers_table(label))
        _collect(out, _rows(con, CHANGES_BETWEEN_SQL + ORDER_CHANGES), label)
    finally:
        con.close()
    for ckey in sorted(after.conflicts.keys() - before.conflicts.keys()):
        out.new_conflicts.append(_conflict(after.conflicts[ckey], label))
    return out


# --- Rendering ------------------------------------------------------------------------------------

def money(value: Decimal | None) -> str:
    """A price as exact text, without the trailing zeros of DECIMAL(18,9): 0.027000000 -> 0.027."""
    if value is None:
        return "—"
    d = Decimal(value)
    text = format(d.normalize(), "f") if d != 0 else "0"
    return text


def _pct(p: Decimal | None) -> str:
    return "—" if p is None else f"{p:+.2f}%"


def move_text(old: Decimal | None, new: Decimal | None) -> str:
    """How a price moved: the percent, or why there is none (a move from $0 has no percent, a
    price that became unknown or was first stated neither)."""
    pct = percent_change(old, new)
    if pct is not None:
        return _pct(pct)
    if old is None and new is None:
        return "—"
    if old is None:
        return "newly priced"
    if new is None:
        return "now unknown"
    if old == 0:
        return "unchanged at $0" if new == 0 else "from $0: no percent"
    return "—"


def _offer_label(key: OfferKey) -> str:
    model, provider, pmid, variant = key
    label = f"{model} @ {provider}"
    if pmid and pmid != model:
        label += f" ({pmid})"
    if variant:
        label += f" [{variant}]"
    return label


def _md(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


TABLE_COLUMNS = ("change", "crawl_id", "model_id", "provider_id", "provider_model_id", "variant", "field",
                 "old", "new", "percent", "detail")


def changes_table(changes: Changes) -> list[dict[str, str | None]]:
    """One row per change, every row with the same columns (TABLE_COLUMNS); prices as exact text."""
    rows: list[dict[str, str | None]] = []

    def row(change: str, crawl_id: str, key: OfferKey, fld: str | None, old: str | None, new: str | None,
            percent: str | None, detail: str | None) -> None:
        model, provider, pmid, variant = key
        rows.append(dict(zip(TABLE_COLUMNS, (change, crawl_id, model, provider or None, pmid or None, variant or None,
                                             fld, old, new, percent, detail))))

    for o in changes.new_offers:
        row("new offer", o.crawl_id, o.key, None, None, None, None,
            f"input {money(o.input_usd_per_mtok)}, output {money(o.output_usd_per_mtok)} USD/1M tokens")
    for o in changes.retired_offers:
        row("retired offer", o.crawl_id, o.key, None, None, None, None,
            f"was input {money(o.input_usd_per_mtok)}, output {money(o.output_usd_per_mtok)} USD/1M tokens")
    for m in changes.price_moves:
        pct = m.percent
        row("price move", m.crawl_id, m.key, m.field, None if m.old is None else money(m.old),
            None if m.new is None else money(m.new), None if pct is None else str(pct),
            f"{money(m.old)} -> {money(m.new)} ({move_text(m.old, m.new)})")
    for c in changes.new_conflicts:
        claims = ", ".join(f"{s}={v}" for s, v in c.claims)
        row("new conflict", c.crawl_id, c.key, c.field, None, c.chosen_value, None,
            f"{c.entity}, {c.severity}: chose {c.chosen_value} from {c.chosen_source} ({c.rule}); claims: {claims}")
    return rows


def _changes_markdown(changes: Changes, limit: int) -> list[str]:
    out = ["## What changed", ""]
    if changes.empty:
        out.append("Nothing: no offer opened or closed, no price moved, no new conflict.")
        return out
    out.append(", ".join(f"{n} {what}" for what, n in changes.counts().items()) + ".")
    if changes.price_moves:
        out += ["", "### Price moves (USD per 1M tokens)", "", "| offer | field | old | new | change |", "|---|---|---|---|---|"]
        for m in changes.price_moves[:limit]:
            out.append(f"| {_md(_offer_label(m.key))} | {m.field} | {money(m.old)} | {money(m.new)} | "
                       f"{move_text(m.old, m.new)} |")
        if len(changes.price_moves) > limit:
            out.append(f"\n… and {len(changes.price_moves) - limit} more (see the changes table).")
    for title, items in (("New offers", changes.new_offers), ("Retired offers", changes.retired_offers)):
        if items:
            out += ["", f"### {title}", "", "| offer | input | output |", "|---|---|---|"]
            for o in items[:limit]:
                out.append(f"| {_md(_offer_label(o.key))} | {money(o.input_usd_per_mtok)} | {money(o.output_usd_per_mtok)} |")
            if len(items) > limit:
                out.append(f"\n… and {len(items) - limit} more (see the changes table).")
    if changes.new_conflicts:
        out += ["", "### New conflicts", "", "| entity | field | chosen | claims |", "|---|---|---|---|"]
        for c in changes.new_conflicts[:limit]:
            who = c.key[0] if c.entity == "model" else _offer_label(c.key)
            claims = ", ".join(f"{s}={v}" for s, v in c.claims)
            out.append(f"| {_md(who)} | {c.field} | {_md(c.chosen_value)} ({c.chosen_source}) | {_md(claims)} |")
        if len(changes.new_conflicts) > limit:
            out.append(f"\n… and {len(changes.new_conflicts) - limit} more (see the changes table).")
    return out


@dataclass
class SourceOutcome:
    """How one source went in a refresh: its fetch (after retries) and, once loaded, its health."""

    source_id: str
    kind: str | None = None
    fetch_status: str | None = None
    attempts: int = 1
    pages: int | None = None
    health: str | None = None
    items: int | None = None
    observations: int | None = None
    errors: int | None = None
    reason: str | None = None


def source_outcomes(summary: RunSummary | None, fetches: Iterable[FetchInfo] = (),
                    attempts: Mapping[str, int] | None = None, kinds: Mapping[str, str] | None = None,
                    crawl_id: str | None = None) -> list[SourceOutcome]:
    """Merge the fetch results of a crawl with the per-source health the load judged (when loaded)."""
    attempts = attempts or {}
    kinds = kinds or {}
    out: dict[str, SourceOutcome] = {}
    for f in fetches:
        out[f.source_id] = SourceOutcome(
            source_id=f.source_id, kind=kinds.get(f.source_id), fetch_status=f.status,
            attempts=attempts.get(f.source_id, 1), pages=f.pages,
            reason="; ".join(f.errors) if f.status == "failed" else None,
        )
    for rep in (summary.reports if summary else []):
        if crawl_id is not None and rep.crawl_id != crawl_id:
            continue
        for s in rep.sources:
            o = out.setdefault(s.source_id, SourceOutcome(source_id=s.source_id, kind=kinds.get(s.source_id)))
            o.health, o.items, o.observations, o.errors = s.health, s.items, s.observations, len(s.errors)
            o.pages = s.pages
            o.reason = s.reason or o.reason
    return sorted(out.values(), key=lambda o: o.source_id)


def run_report(
    title: str,
    *,
    summary: RunSummary | None = None,
    outcomes: Sequence[SourceOutcome] = (),
    changes: Changes | None = None,
    exported: ExportResult | None = None,
    crawl_id: str | None = None,
    notes: Sequence[str] = (),
    limit: int = 25,
) -> str:
    """The markdown run report: sources with counts, failures with their reasons, totals, exports,
    and a digest of the changes."""
    lines = [f"# {title}", ""]
    facts = []
    if summary is not None:
        facts.append(f"run `{summary.run_id}` ({summary.mode})")
        facts.append(f"data dir `{summary.paths.data_dir}`")
    if crawl_id:
        facts.append(f"crawl `{crawl_id}`")
    if facts:
        lines += [", ".join(facts), ""]
    for note in notes:
        lines += [f"> {note}", ""]
    if outcomes:
        failed = [o for o in outcomes if o.fetch_status == "failed" or o.health == "failed"]
        ok = len(outcomes) - len(failed)
        lines += [f"**{ok} of {len(outcomes)} sources usable**" + (f"; failed: {', '.join(o.source_id for o in failed)}"
                                                                    if failed else "."), ""]
        lines += ["| source | kind | fetch | attempts | pages | health | items | observations | errors |",
                  "|---|---|---|---:|---:|---|---:|---:|---:|"]
        for o in outcomes:
            cells = [o.source_id, o.kind or "", o.fetch_status or "—", str(o.attempts),
                     "—" if o.pages is None else str(o.pages), o.health or "not loaded",
                     "—" if o.items is None else str(o.items), "—" if o.observations is None else str(o.observations),
                     "—" if o.errors is None else str(o.errors)]
            lines.append("| " + " | ".join(_md(c) for c in cells) + " |")
        reasons = [o for o in outcomes if o.reason]
        if reasons:
            lines += ["", "### Failures and problems", ""]
            lines += [f"- **{o.source_id}** ({o.health or o.fetch_status}): {_md(o.reason)}" for o in reasons]
        lines.append("")
    elif summary is not None and summary.reports:
        lines += ["| crawl | source | health | pages | items | observations | errors |",
                  "|---|---|---|---:|---:|---:|---:|"]
        for rep in summary.reports:
            for s in rep.sources:
                lines.append(f"| {rep.crawl_id} | {s.source_id} | {s.health} | {s.pages} | {s.items} | "
                             f"{s.observations} | {len(s.errors)} |")
        reasons = [(rep.crawl_id, s) for rep in summary.reports for s in rep.sources if s.reason]
        if reasons:
            lines += ["", "### Failures and problems", ""]
            lines += [f"- **{s.source_id}** in {cid} ({s.health}): {_md(s.reason)}" for cid, s in reasons[:limit]]
        lines.append("")
    if summary is not None:
        loaded = [r.crawl_id for r in summary.reports]
        lines.append(f"Crawls loaded: {', '.join(loaded) if loaded else 'none (the warehouse was up to date)'}.  ")
        lines.append(f"Models: {summary.models}, offers: {summary.offers}, conflicts standing: {summary.conflicts}.  ")
        lines.append(f"Warehouse: `{summary.paths.warehouse}`")
        lines.append("")
    exported = exported or (summary.exported if summary else None)
    if exported is not None:
        counts = ", ".join(f"{k}: {v}" for k, v in exported.counts.items())
        lines.append(f"Exported as of {exported.as_of} to `{exported.folder}`" + (f" ({counts})" if counts else "")
                     + (f"; latest: `{exported.latest}`" if exported.latest else "") + ".")
        lines.append("")
    if changes is not None:
        lines += _changes_markdown(changes, limit)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
