"""A model's log as of a date, for its export file: the facts sources dispute (every value seen,
with its source) and what changed, crawl by crawl (the model's own facts and its offers)."""
from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, date
from decimal import Decimal
from typing import Any

import duckdb

from pipeline.inspect import rows
from pipeline.normalize import canonical_text
from warehouse.transform import mart

# Standing conflicts: those of the newest crawl loaded as of the date (the conflicts_asof macro;
# export.py writes them as conflicts.parquet), with the provider's name.
CONFLICTS_SQL = mart("conflicts_asof_named")
MODEL_CHANGES_SQL = mart("model_changes")

OFFER_CHANGES_SQL = mart("offer_changes")

# Version bookkeeping, not facts of the model or offer.
BOOKKEEPING = frozenset({"valid_from", "valid_to", "opened_by", "closed_by", "provenance", "row_hash"})


def _version(text: str | None) -> dict[str, Any] | None:
    # DECIMAL prices are JSON numbers in to_json: parse them exact
    return json.loads(text, parse_float=Decimal) if text else None


def _provider(row: dict[str, Any]) -> dict[str, str] | None:
    return {"id": row["provider_id"], "name": row["provider_name"]} if row.get("provider_id") else None


def conflicts_by_model(con: duckdb.DuckDBPyConnection, as_of: date) -> dict[str, list[dict[str, Any]]]:
    """ConflictRecord fields per model id."""
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows(con, CONFLICTS_SQL, {"as_of": as_of.isoformat()}):
        offer = r["entity"] == "offer"
        claims = json.loads(r["claims"]) if isinstance(r["claims"], str) else r["claims"]
        out[r["model_id"]].append({
            "entity": r["entity"],
            "provider": _provider(r) if offer else None,
            "provider_model_id": (r["provider_model_id"] or None) if offer else None,
            "variant": r["variant"] if offer else None,
            "benchmark_id": r["benchmark_id"] if r["entity"] == "benchmark" else None,
            "field": r["field"], "chosen_value": r["chosen_value"], "chosen_source": r["chosen_source"],
            "rule": r["rule"], "severity": r["severity"],
            "claims": sorted(({k: c.get(k) for k in ("source_id", "value", "raw", "url", "observed_at")}
                              for c in claims), key=lambda c: (c["source_id"], c["url"])),
        })
    return dict(out)


def _field_changes(new: dict[str, Any] | None, old: dict[str, Any] | None,
                   names: list[str] | None = None) -> list[dict[str, Any]]:
    """The fields whose value differs between two versions (only `names` when given), by name."""
    if new is None or old is None:
        return []
    provenance = new.get("provenance") or {}
    keys = names if names is not None else [k for k in new if k not in BOOKKEEPING]
    out = []
    for k in sorted(keys):
        if new.get(k) != old.get(k):
            source = provenance.get(k) or {}
            out.append({"field": k, "old": canonical_text(old.get(k)), "new": canonical_text(new.get(k)),
                        "source_id": source.get("source_id", source.get("source"))})
    return out


def changes_by_model(con: duckdb.DuckDBPyConnection, as_of: date) -> dict[str, list[dict[str, Any]]]:
    """ChangeRecord fields per model id, newest first (then offers by provider and variant)."""
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows(con, MODEL_CHANGES_SQL, {"as_of": as_of.isoformat()}):
        new, old = _version(r["new"]), _version(r["old"])
        fields = _field_changes(new, old)
        if old is not None and not fields:
            continue  # a new version for provenance only: no fact changed
        out[r["model_id"]].append({"changed_at": r["changed_at"].astimezone(UTC), "entity": "model",
                                   "change": "new model" if old is None else "model facts",
                                   "provider": None, "variant": None, "fields": fields})
    for r in rows(con, OFFER_CHANGES_SQL, {"as_of": as_of.isoformat()}):
        new, old = _version(r["new"]), _version(r["old"])
        names = list(r["changed_fields"] or [])
        if r["change"] == "price move":
            names = sorted(names)  # the view's changed_fields name every price that moved
        fields = _field_changes(new, old, names)
        if r["change"] == "changed" and not fields:
            continue
        out[r["model_id"]].append({"changed_at": r["changed_at"].astimezone(UTC), "entity": "offer",
                                   "change": r["change"], "provider": _provider(r), "variant": r["variant"],
                                   "fields": fields})
    for items in out.values():
        items.sort(key=lambda c: (c["entity"] != "model", (c["provider"] or {}).get("id", ""), c["variant"] or ""))
        items.sort(key=lambda c: c["changed_at"], reverse=True)
    return dict(out)
