"""Read-only questions analysts ask the warehouse: changes, conflicts, one model's facts, the
identity review list. Plain functions returning rows; the CLI renders them."""
from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb

from pipeline.identity import creator_name

CHANGES_SQL = """
SELECT changed_at::DATE AS day, change, model_id, provider_id, provider_model_id, variant,
       old_input_usd_per_mtok, new_input_usd_per_mtok, input_change_pct,
       old_output_usd_per_mtok, new_output_usd_per_mtok, output_change_pct
FROM changes WHERE changed_at >= CAST(? AS DATE)
"""

CONFLICTS_SQL = """
SELECT severity, entity, model_id, provider_id, provider_model_id, variant, benchmark_id, field,
       chosen_value, chosen_source, rule, claims
FROM conflicts WHERE (? IS NULL OR severity = ?)
ORDER BY CASE severity WHEN 'held' THEN 0 WHEN 'major' THEN 1 ELSE 2 END, model_id, field
"""

# Every claim seen about a model up to a date, newest first (the "other values seen").
SEEN_SQL = """
SELECT o.entity, o.provider_id, o.provider_model_id, o.variant, o.benchmark_id, o.field, o.value, o.raw,
       o.status, o.source_id, o.url, c.started_at::DATE AS observed
FROM observations o JOIN crawls c USING (crawl_id)
WHERE o.model_id = ? AND c.started_at < asof_bound(?)
ORDER BY o.field, c.started_at DESC, o.source_id
"""

# A model nothing corroborates: one listing (one source, one provider) names it, not under its
# creator's own API, so nothing says
# its id is not a model others call by another id. Reviewed by people, who add an alias or
# confirm it as a model of its own. (A model that ten providers of one catalog list under ids
# that all resolve to it is corroborated by those spellings.)
UNMATCHED_SQL = """
WITH listings AS (
    SELECT model_id, source_id, provider_id FROM observations WHERE entity = 'offer'
    UNION
    SELECT model_id, source_id, '' FROM observations o WHERE entity <> 'offer'
      AND NOT EXISTS (SELECT 1 FROM observations x WHERE x.entity = 'offer' AND x.model_id = o.model_id
                      AND x.source_id = o.source_id)
)
SELECT model_id, min(source_id) AS source_id, count(DISTINCT provider_id) FILTER (WHERE provider_id <> '') AS offers,
       count(*) AS listings,
       -- listed by its creator's own API (anthropic's claude-2.1, google-vertex's chat-bison): the id
       -- is the creator's own spelling, nothing to match
       bool_or(creators_own(provider_id, model_id)) AS creator_listed
FROM listings
WHERE model_id IN (SELECT model_id FROM models_current)
GROUP BY model_id
ORDER BY model_id
"""


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cur = con.execute(sql, params)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def changes(con: duckdb.DuckDBPyConnection, since: date) -> list[dict[str, Any]]:
    return rows(con, CHANGES_SQL, [since.isoformat()])


def conflicts(con: duckdb.DuckDBPyConnection, severity: str | None = None) -> list[dict[str, Any]]:
    out = rows(con, CONFLICTS_SQL, [severity, severity])
    for r in out:
        r["claims"] = json.loads(r["claims"]) if isinstance(r["claims"], str) else r["claims"]
    return out


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
    model = found[0]
    model["provenance"] = json.loads(model["provenance"]) if model.get("provenance") else {}
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
        scored = sorted(((m, difflib.SequenceMatcher(None, r["model_id"], m).ratio()) for m in others),
                        key=lambda x: (-x[1], x[0]))[:limit]
        out.append(Unmatched(r["model_id"], r["source_id"], [(m, round(s, 3)) for m, s in scored]))
    return out
