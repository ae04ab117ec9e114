"""Export the warehouse as of a date: parquet (zstd) and JSON with JSON Schema and a manifest.

Written into a temporary folder and renamed into place, so a reader never sees half an
export. Same warehouse state + same as-of date -> byte-identical files (only the manifest's
generated_at differs).
"""
from __future__ import annotations

import hashlib
import json
import re
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

import duckdb

from pipeline.normalize import price_label, token_label
from pipeline import compare
from pipeline.compare import ComparisonConfig, load_comparison_config
from pipeline.records import RECORD_TYPES, SCHEMA_VERSION, BenchmarkRecord, ModelFile, ModelRecord, OfferRecord
from pipeline.errors import LedgerError

MODELS_SQL = "SELECT * FROM models_asof($as_of) ORDER BY model_id"
OFFERS_SQL = (
    "SELECT * FROM offers_asof($as_of) "
    "ORDER BY model_id, provider_id, provider_model_id, variant"
)


T = TypeVar("T", bound=BaseModel)


class ExportError(LedgerError, RuntimeError):
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


def _validated(record_type: type[T], fields: dict[str, Any], what: str) -> T:
    try:
        return record_type.model_validate(fields)
    except ValidationError as e:  # never publish a record that breaks the contract
        raise ExportError(f"{what} does not validate against {record_type.__name__}: {e}") from None


def model_records(con: duckdb.DuckDBPyConnection, as_of: date) -> list[ModelRecord]:
    out = []
    for r in _rows(con, MODELS_SQL, as_of):
        fields = {k: r[k] for k in ModelRecord.model_fields if k in r}
        fields["provenance"] = json.loads(r["provenance"]) if r["provenance"] else {}
        fields["context_window_label"] = token_label(r["context_window"]) if r["context_window"] else None
        out.append(_validated(ModelRecord, fields, f"model {r['model_id']}"))
    return out


def offer_records(con: duckdb.DuckDBPyConnection, as_of: date) -> list[OfferRecord]:
    out = []
    for r in _rows(con, OFFERS_SQL, as_of):
        fields = {k: r[k] for k in OfferRecord.model_fields if k in r}
        fields["provenance"] = json.loads(r["provenance"]) if r["provenance"] else {}
        try:
            for side in ("input", "output"):
                price = r[f"{side}_usd_per_mtok"]
                fields[f"{side}_label"] = price_label(price) if price is not None else None
        except ValueError as e:
            raise ExportError(f"offer {r['provider_id']}:{r['provider_model_id']} does not validate: {e}") from None
        out.append(_validated(OfferRecord, fields, f"offer {r['provider_id']}:{r['provider_model_id']}"))
    return out


def newest_crawl_date(con: duckdb.DuckDBPyConnection) -> date | None:
    row = con.execute("SELECT max(started_at)::DATE FROM crawls").fetchone()
    return row[0] if row else None


def _write_json(path: Path, payload: object) -> None:
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False, sort_keys=False) + "\n", encoding="utf-8")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _swap_into_place(tmp: Path, dest: Path) -> None:
    old = dest.with_name(f".{dest.name}.old-{uuid.uuid4().hex[:8]}")
    if dest.exists():
        dest.rename(old)
    tmp.rename(dest)
    shutil.rmtree(old, ignore_errors=True)


BENCHMARKS_SQL = "SELECT * FROM benchmarks_asof($as_of) ORDER BY model_id, benchmark_id"
PRICE_HISTORY_SQL = """
SELECT * FROM price_history WHERE valid_from < asof_bound($as_of) ORDER BY model_id, provider_id, provider_model_id, variant, valid_from
"""
CONFLICTS_ASOF_SQL = """
SELECT * FROM conflict_log WHERE crawl_id = (SELECT crawl_id FROM crawls WHERE started_at < asof_bound($as_of)
                                             ORDER BY started_at DESC LIMIT 1)
ORDER BY entity, model_id, provider_id, provider_model_id, variant, benchmark_id, field
"""


def safe_name(text: str) -> str:
    """A file name that stays in its folder whatever the id holds ('/', '..', unicode):
    readable when the id is plain, with a short hash when anything had to change."""
    plain = text.replace("/", "__")
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", plain).strip(".-") or "x"
    if cleaned != plain or cleaned in (".", "..") or len(cleaned) > 150:
        cleaned = f"{cleaned[:120]}-{hashlib.sha256(text.encode()).hexdigest()[:10]}"
    return cleaned


def _inside(folder: Path, path: Path) -> Path:
    if not path.resolve().is_relative_to(folder.resolve()):
        raise ExportError(f"refusing to write {path}: outside the export folder {folder}")
    return path


def benchmark_records(con: duckdb.DuckDBPyConnection, as_of: date) -> list[BenchmarkRecord]:
    out = []
    for r in _rows(con, BENCHMARKS_SQL, as_of):
        fields = {k: r[k] for k in BenchmarkRecord.model_fields if k in r}
        fields["provenance"] = json.loads(r["provenance"]) if r["provenance"] else {}
        out.append(_validated(BenchmarkRecord, fields, f"benchmark {r['model_id']} {r['benchmark_id']}"))
    return out


def _copy(con: duckdb.DuckDBPyConnection, query: str, path: Path) -> None:
    # COPY takes no prepared parameters; callers inline only dates from date objects.
    escaped = str(path).replace("'", "''")
    con.execute(f"COPY ({query}) TO '{escaped}' (FORMAT parquet, COMPRESSION zstd)")


def export(
    con: duckdb.DuckDBPyConnection,
    out_dir: Path,
    run_id: str,
    as_of: date | None = None,
    update_latest: bool = True,
    config: ComparisonConfig | None = None,
) -> ExportResult:
    as_of = as_of or newest_crawl_date(con)
    if as_of is None:
        raise ExportError("the warehouse holds no crawl yet: nothing to export (run `llm-ledger run` first)")
    config = config or load_comparison_config()
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = out_dir / f".tmp-{uuid.uuid4().hex[:12]}"
    tmp.mkdir()
    try:
        models = model_records(con, as_of)
        offers = offer_records(con, as_of)
        benchmarks = benchmark_records(con, as_of)
        day = f"'{as_of.isoformat()}'"

        # parquet: the datasets, prices DECIMAL(18,9), provenance and claims as JSON text
        for name, sql in (("models", MODELS_SQL), ("offers", OFFERS_SQL), ("benchmarks", BENCHMARKS_SQL)):
            query = sql.replace("SELECT *", "SELECT * REPLACE (CAST(provenance AS VARCHAR) AS provenance)")
            _copy(con, query.replace("$as_of", day), tmp / f"{name}.parquet")
        _copy(con, PRICE_HISTORY_SQL.replace("$as_of", day), tmp / "price_history.parquet")
        _copy(con, CONFLICTS_ASOF_SQL.replace("SELECT *", "SELECT * REPLACE (CAST(claims AS VARCHAR) AS claims)")
              .replace("$as_of", day), tmp / "conflicts.parquet")
        columns = compare.prepare(con, as_of, config)
        con.execute(compare.ALL_PAIRS_SQL)
        _copy(con, compare.pairs_sql(columns), tmp / "comparisons.parquet")
        n_pairs = con.execute("SELECT count(*) FROM pair_list").fetchone()[0]  # type: ignore[index]

        # JSON: lists, one file per model, one per configured pair, an index
        for name, records in (("models", models), ("offers", offers), ("benchmarks", benchmarks)):
            _write_json(tmp / f"{name}.json", {
                "schema_version": SCHEMA_VERSION, "as_of": as_of.isoformat(),
                "records": [r.model_dump(mode="json") for r in records],
            })
        index: dict[str, list[dict[str, str]]] = {"models": [], "comparisons": []}
        (tmp / "models").mkdir()
        offers_of: dict[str, list[OfferRecord]] = {}
        for o in offers:
            offers_of.setdefault(o.model_id, []).append(o)
        scores_of: dict[str, list[BenchmarkRecord]] = {}
        for b in benchmarks:
            scores_of.setdefault(b.model_id, []).append(b)
        for m in models:
            rel = f"models/{safe_name(m.model_id)}.json"
            record = ModelFile(schema_version=SCHEMA_VERSION, as_of=as_of, model=m,
                               offers=offers_of.get(m.model_id, []), benchmarks=scores_of.get(m.model_id, []))
            _write_json(_inside(tmp, tmp / rel), record.model_dump(mode="json"))
            index["models"].append({"model_id": m.model_id, "path": rel})
        (tmp / "comparisons").mkdir()
        for row in compare.pair_rows(con, columns, [tuple(p) for p in config.pairs]):
            try:
                record = compare.to_record(row, as_of, config)
            except ValidationError as e:  # never publish a record that breaks the contract
                raise ExportError(f"comparison {row['a_model_id']} vs {row['b_model_id']} as of {as_of} "
                                  f"does not validate: {e}") from None
            rel = f"comparisons/{safe_name(record.a.model_id)}--vs--{safe_name(record.b.model_id)}.json"
            _write_json(_inside(tmp, tmp / rel), record.model_dump(mode="json"))
            index["comparisons"].append({"a": record.a.model_id, "b": record.b.model_id, "path": rel})
        written = {(c["a"], c["b"]) for c in index["comparisons"]}
        missing = [list(p) for p in config.pairs if tuple(p) not in written]
        _write_json(tmp / "index.json", index)
        (tmp / "schema").mkdir()
        for kind, record_type in RECORD_TYPES.items():
            _write_json(tmp / "schema" / f"{kind}.schema.json", record_type.model_json_schema(mode="serialization"))
        files = sorted(p for p in tmp.rglob("*") if p.is_file())
        reviewed = [r.last_reviewed for recs in (models, offers, benchmarks) for r in recs if r.last_reviewed]
        counts = {"models": len(models), "offers": len(offers), "benchmarks": len(benchmarks),
                  "comparisons": n_pairs, "comparison_files": len(index["comparisons"])}
        _write_json(tmp / "manifest.json", {
            "schema_version": SCHEMA_VERSION,
            "run_id": run_id,
            "as_of": as_of.isoformat(),
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "counts": counts,
            # configured pairs with no file: a model unknown or without any offer as of this date
            "missing_pairs": missing,
            "last_reviewed": {"min": min(reviewed).isoformat() if reviewed else None,
                              "max": max(reviewed).isoformat() if reviewed else None},
            "files": {p.relative_to(tmp).as_posix(): _sha256(p) for p in files},
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
        return ExportResult(dest, latest, as_of, counts)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
