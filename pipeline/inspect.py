"""Read-only questions analysts ask the warehouse: changes, conflicts, one model's facts, the
identity review list. Plain functions returning rows; the CLI renders them."""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb

from pipeline import compare as comparisons
from pipeline.compare import ComparisonConfig
from pipeline.errors import LedgerError
from pipeline.identity import creator_name
from pipeline.suggest import similarity
from warehouse.transform import mart

CHANGES_SQL = mart("changes_since")

CONFLICTS_SQL = mart("conflicts_by_severity")

SEEN_SQL = mart("claims_seen")

UNMATCHED_SQL = mart("unmatched_models")


MODELS_SQL = mart("models_with_cheapest")

SOURCE_STATUS_SQL = mart("source_status")


class AsOfError(LedgerError, ValueError):
    """An as-of date the warehouse cannot answer: before its first crawl."""


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | dict[str, Any]) -> list[dict[str, Any]]:
    cur = con.execute(sql, params)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def changes(con: duckdb.DuckDBPyConnection, since: date) -> list[dict[str, Any]]:
    return rows(con, CHANGES_SQL, [since.isoformat()])


SEVERITIES = ("held", "major", "minor")


def conflicts(con: duckdb.DuckDBPyConnection, severity: str | Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Conflicts of the newest crawl, of one severity or a list of them (None: every one)."""
    wanted = [severity] if isinstance(severity, str) else list(severity) if severity else None
    return rows(con, CONFLICTS_SQL, [wanted, wanted])  # claims: a typed list in the view


@dataclass
class ModelView:
    model: dict[str, Any]
    offers: list[dict[str, Any]]
    benchmarks: list[dict[str, Any]]
    seen: list[dict[str, Any]]


def show(con: duckdb.DuckDBPyConnection, model_id: str, as_of: date | str) -> ModelView | None:
    when = as_of.isoformat() if isinstance(as_of, date) else as_of
    found = rows(con, "SELECT * FROM models_asof(?) WHERE model_id = ?", [when, model_id])
    if not found:
        return None
    model = with_provenance(found[0])
    offers = rows(con, "SELECT * FROM offers_asof(?) WHERE model_id = ? ORDER BY provider_id, provider_model_id, variant",
                  [when, model_id])
    benchmarks = rows(con, "SELECT * FROM benchmarks_asof(?) WHERE model_id = ? ORDER BY benchmark_id", [when, model_id])
    return ModelView(model, offers, benchmarks, rows(con, SEEN_SQL, [model_id, when]))


@dataclass(frozen=True)
class Unmatched:
    model_id: str
    source_id: str
    candidates: list[tuple[str, float]]  # closest other models, similarity 0..1


def unmatched(con: duckdb.DuckDBPyConnection, limit: int = 3) -> list[Unmatched]:
    """Models only one source knows, with the closest other model ids and a similarity score."""
    known = [r[0] for r in con.execute("SELECT model_id FROM models_current ORDER BY 1").fetchall()]
    out = []
    for r in rows(con, UNMATCHED_SQL, []):
        # corroborated by two listings, and its creator is one the identity rules know (not a
        # provider's namespace, where an id whose creator no rule could tell is filed)
        if (r["listings"] > 1 or r["creator_listed"]) and creator_name(r["model_id"]) is not None:
            continue
        others = [m for m in known if m != r["model_id"]]
        scored = sorted(((m, similarity(r["model_id"], m)) for m in others),
                        key=lambda x: (-x[1], x[0]))[:limit]
        out.append(Unmatched(r["model_id"], r["source_id"], [(m, round(s, 3)) for m, s in scored]))
    return out


def first_crawl_date(con: duckdb.DuckDBPyConnection) -> date | None:
    row = con.execute("SELECT min(started_at)::DATE FROM crawls").fetchone()
    return row[0] if row else None


def check_as_of(con: duckdb.DuckDBPyConnection, as_of: date | None) -> None:
    """An as-of date before the first crawl is a mistake, not an empty answer."""
    first = first_crawl_date(con)
    if as_of is not None and first is not None and as_of < first:
        raise AsOfError(f"as of {as_of} is before the first crawl ({first}): the warehouse knows nothing then")


def first_seen(con: duckdb.DuckDBPyConnection, model_id: str) -> date | None:
    """The day a model's first version opened (None: the warehouse never held it)."""
    row = con.execute("SELECT min(valid_from)::DATE FROM model_versions WHERE model_id = ?", [model_id]).fetchone()
    return row[0] if row else None


def with_provenance(row: dict[str, Any]) -> dict[str, Any]:
    """A row with its provenance as a dict (field -> {source_id, url, observed_at, rule, status, raw}):
    the views' typed MAP, or JSON text from a warehouse whose views predate it."""
    prov = row.get("provenance")
    return {**row, "provenance": json.loads(prov) if isinstance(prov, str) else prov or {}}


def model_ids(con: duckdb.DuckDBPyConnection, as_of: date | None = None) -> list[str]:
    """Every model id as of a date (None: every model the warehouse ever held)."""
    if as_of is None:
        return [r[0] for r in con.execute("SELECT DISTINCT model_id FROM model_versions ORDER BY 1").fetchall()]
    return [r[0] for r in con.execute("SELECT model_id FROM models_asof(?) ORDER BY 1", [as_of.isoformat()]).fetchall()]


def models(con: duckdb.DuckDBPyConnection, as_of: date, search: str | None = None,
           config: ComparisonConfig | None = None) -> list[dict[str, Any]]:
    """Models as of a date (``search``: a piece of the id, name or creator, any case) with their
    cheapest tracked input and output prices (ties listed) and how many providers sell them."""
    comparisons.prepare(con, as_of, config or comparisons.load_comparison_config())
    return rows(con, MODELS_SQL, [as_of.isoformat(), search, search])


