"""Export the warehouse as of a date: parquet (zstd) and JSON with JSON Schema and a manifest.

Written into a temporary folder and renamed into place, so a reader never sees half an
export. Same warehouse state + same as-of date -> byte-identical files (only the manifest's
generated_at differs).
"""
from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb

from pipeline.normalize import price_label, token_label
from pipeline.records import RECORD_TYPES, SCHEMA_VERSION, ModelRecord, OfferRecord

MODELS_SQL = "SELECT * FROM models_asof($as_of) ORDER BY model_id"
OFFERS_SQL = (
    "SELECT * FROM offers_asof($as_of) "
    "ORDER BY model_id, provider_id, provider_model_id, variant"
)


class ExportError(RuntimeError):
    pass


@dataclass(frozen=True)
class ExportResult:
    folder: Path
    latest: Path | None
    as_of: date
    counts: dict[str, int]


def _rows(con: duckdb.DuckDBPyConnection, sql: str, as_of: date) -> list[dict[str, Any]]:
    cur = con.execute(sql, {"as_of": as_of.isoformat()})
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def model_records(con: duckdb.DuckDBPyConnection, as_of: date) -> list[ModelRecord]:
    out = []
    for r in _rows(con, MODELS_SQL, as_of):
        fields = {k: r[k] for k in ModelRecord.model_fields if k in r}
        fields["provenance"] = json.loads(r["provenance"]) if r["provenance"] else {}
        fields["context_window_label"] = token_label(r["context_window"]) if r["context_window"] else None
        out.append(ModelRecord.model_validate(fields))
    return out


def offer_records(con: duckdb.DuckDBPyConnection, as_of: date) -> list[OfferRecord]:
    out = []
    for r in _rows(con, OFFERS_SQL, as_of):
        fields = {k: r[k] for k in OfferRecord.model_fields if k in r}
        fields["provenance"] = json.loads(r["provenance"]) if r["provenance"] else {}
        for side in ("input", "output"):
            price = r[f"{side}_usd_per_mtok"]
            fields[f"{side}_label"] = price_label(price) if price is not None else None
        out.append(OfferRecord.model_validate(fields))
    return out


def newest_crawl_date(con: duckdb.DuckDBPyConnection) -> date | None:
    row = con.execute("SELECT max(started_at)::DATE FROM crawls").fetchone()
    return row[0] if row else None


def _write_json(path: Path, payload: object) -> None:
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False, sort_keys=False) + "\n", encoding="utf-8")


def _copy_parquet(con: duckdb.DuckDBPyConnection, sql: str, as_of: date, path: Path) -> None:
    # Parquet keeps DECIMAL(18,9) exactly; provenance goes as JSON text.
    # COPY takes no prepared parameters: the date is inlined from a date object's ISO text.
    query = sql.replace("SELECT *", "SELECT * REPLACE (CAST(provenance AS VARCHAR) AS provenance)")
    query = query.replace("$as_of", f"'{as_of.isoformat()}'")
    escaped = str(path).replace("'", "''")
    con.execute(f"COPY ({query}) TO '{escaped}' (FORMAT parquet, COMPRESSION zstd)")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _swap_into_place(tmp: Path, dest: Path) -> None:
    old = dest.with_name(f".{dest.name}.old-{uuid.uuid4().hex[:8]}")
    if dest.exists():
        dest.rename(old)
    tmp.rename(dest)
    shutil.rmtree(old, ignore_errors=True)


def export(
    con: duckdb.DuckDBPyConnection,
    out_dir: Path,
    run_id: str,
    as_of: date | None = None,
    update_latest: bool = True,
) -> ExportResult:
    as_of = as_of or newest_crawl_date(con)
    if as_of is None:
        raise ExportError("the warehouse holds no crawl yet: nothing to export (run `llm-ledger run` first)")
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = out_dir / f".tmp-{uuid.uuid4().hex[:12]}"
    tmp.mkdir()
    try:
        models = model_records(con, as_of)
        offers = offer_records(con, as_of)
        datasets = {"models": models, "offers": offers}
        for name, records in datasets.items():
            _write_json(tmp / f"{name}.json", {
                "schema_version": SCHEMA_VERSION, "as_of": as_of.isoformat(),
                "records": [r.model_dump(mode="json") for r in records],
            })
        _copy_parquet(con, MODELS_SQL, as_of, tmp / "models.parquet")
        _copy_parquet(con, OFFERS_SQL, as_of, tmp / "offers.parquet")
        (tmp / "schema").mkdir()
        for kind, record_type in RECORD_TYPES.items():
            _write_json(tmp / "schema" / f"{kind}.schema.json", record_type.model_json_schema(mode="serialization"))
        files = sorted(p for p in tmp.rglob("*") if p.is_file())
        reviewed = [r.last_reviewed for recs in datasets.values() for r in recs if r.last_reviewed]
        _write_json(tmp / "manifest.json", {
            "schema_version": SCHEMA_VERSION,
            "run_id": run_id,
            "as_of": as_of.isoformat(),
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "counts": {name: len(recs) for name, recs in datasets.items()},
            "last_reviewed": {"min": min(reviewed).isoformat() if reviewed else None,
                              "max": max(reviewed).isoformat() if reviewed else None},
            "files": {str(p.relative_to(tmp)): _sha256(p) for p in files},
        })
        dest = out_dir / as_of.isoformat()
        latest = None
        if update_latest:
            latest_tmp = out_dir / f".tmp-latest-{uuid.uuid4().hex[:12]}"
            shutil.copytree(tmp, latest_tmp)
        _swap_into_place(tmp, dest)
        if update_latest:
            latest = out_dir / "latest"
            _swap_into_place(latest_tmp, latest)
        return ExportResult(dest, latest, as_of, {name: len(recs) for name, recs in datasets.items()})
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
