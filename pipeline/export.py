"""Export the warehouse as of a date: parquet (zstd) and JSON with JSON Schema and a manifest.

Layout of an export folder (``data/exports`` by default)::

    versions/<as_of>_<hash>/   one complete export, never changed once in place (content-addressed:
                               <hash> is the start of the sha256 of its manifest without `version`)
    latest -> versions/...     symlink to the newest export of the newest crawl's date
    <as_of> -> versions/...    symlink to the newest export as of that date
    publish-log.jsonl          one line per export: when, by which run, which version, what was pruned
    .lock                      held (flock) by the one export writing this folder

Reproducible: the same warehouse state and as-of date give the same bytes in every file, whatever
built the state (an incremental ``run`` or a ``rebuild`` of the same raw archive) and whenever it is
exported: rows in a total order, provenance keys sorted, no clock and no run id in any file
(``generated_at`` is the newest crawl's start). So the same state maps to the same version folder,
and exporting it again writes nothing new. The run id and the wall-clock time go to
publish-log.jsonl only.

Safe for readers: a version is written in ``.tmp-*`` and renamed into ``versions/`` complete;
``latest`` and ``<as_of>`` switch with rename(2) of a new symlink, so a path opened through them is
the old complete export or the new one. A past version is deleted only when it is beyond the
retention count (``keep``) and no longer the target of ``latest``. Leftovers of a killed export
(``.tmp-*``) are removed by the next export, under the lock.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

import duckdb

from pipeline.normalize import price_label, token_label
from pipeline import compare
from pipeline.compare import ComparisonConfig, load_comparison_config
from pipeline.config import SourcesFile, load_sources
from pipeline.records import (FILE_KINDS, RECORD_TYPES, SCHEMA_VERSION, BenchmarkList, BenchmarkRecord, IndexFile,
                              ManifestRecord, ModelFile, ModelList, ModelRecord, OfferList, OfferRecord, fact_sources,
                              json_schema)
from pipeline.errors import LedgerError
from pipeline.inspect import rows
from pipeline.model_log import changes_by_model, conflicts_by_model

VERSIONS_DIR = "versions"
LATEST = "latest"
LOCK_FILE = ".lock"
PUBLISH_LOG = "publish-log.jsonl"
TMP_PREFIX = ".tmp-"
# How many versions to keep (the target of `latest` is always kept besides). A reader that resolved
# `latest` has until keep-1 further exports to finish reading. At least 2.
KEEP_EXPORTS = 10
LOCK_TIMEOUT_S = 900.0
# left by a killed export: our temporary folders, links and trash, and the `.<name>.old-<hex>`
# folders of the layout before versions/
_STALE = re.compile(r"^(\.tmp-.+|\..+\.old-[0-9a-f]{8})$")

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
    folder: Path  # versions/<version>: the complete export, never changed once in place
    latest: Path | None  # the `latest` link, when it was switched to this export
    as_of: date
    counts: dict[str, int]
    version: str = ""
    dated: Path | None = None  # the `<as_of>` link
    reused: bool = False  # the same state was exported before: its folder was published again
    pruned: tuple[str, ...] = ()  # versions removed by retention
    stale_removed: tuple[str, ...] = ()  # leftovers of a killed export, removed first


def _rows(con: duckdb.DuckDBPyConnection, sql: str, as_of: date) -> list[dict[str, Any]]:
    return rows(con, sql, {"as_of": as_of.isoformat()})


def _validated(record_type: type[T], fields: dict[str, Any], what: str) -> T:
    try:
        return record_type.model_validate(fields)
    except ValidationError as e:  # never publish a record that breaks the contract
        raise ExportError(f"{what} does not validate against {record_type.__name__}: {e}") from None


def model_records(con: duckdb.DuckDBPyConnection, as_of: date) -> list[ModelRecord]:
    out = []
    for r in _rows(con, MODELS_SQL, as_of):
        fields = {k: r[k] for k in ModelRecord.model_fields if k in r}
        fields["provenance"] = _provenance(r["provenance"], f"model {r['model_id']}")
        fields["context_window_label"] = token_label(r["context_window"]) if r["context_window"] else None
        out.append(_validated(ModelRecord, fields, f"model {r['model_id']}"))
    return out


def offer_records(con: duckdb.DuckDBPyConnection, as_of: date) -> list[OfferRecord]:
    out = []
    for r in _rows(con, OFFERS_SQL, as_of):
        fields = {k: r[k] for k in OfferRecord.model_fields if k in r}
        fields["provenance"] = _provenance(r["provenance"], f"offer {r['provider_id']}:{r['provider_model_id']}")
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


def _provenance(value: Any, what: str) -> dict[str, Any]:
    """A record's provenance as FactSource fields, in field-name order (records.fact_sources)."""
    try:
        return fact_sources(value)
    except ValueError as e:
        raise ExportError(f"{what} does not validate: {e}") from None


def provenance_sql(column: str) -> str:
    """SQL twin of records.fact_sources for the parquet files: the provenance object with its fields in
    name order and each claim's keys as FactSource names and order (`source_id`, ...), as JSON text,
    whether the view gives it as JSON text or typed (MAP of STRUCT)."""
    j = f"CAST({column} AS JSON)"
    claim = ", ".join(f"'{k}', e.value->>'{k}'" for k in ("url", "observed_at", "rule", "status", "raw"))
    return (f"CASE WHEN json_type({j}) = 'OBJECT' THEN CAST(to_json(map_from_entries(list_transform(list_sort("
            f"map_entries(CAST({j} AS MAP(VARCHAR, JSON)))), lambda e: struct_pack(key := e.key, value := "
            f"json_object('source_id', coalesce(e.value->>'source_id', e.value->>'source'), {claim}))))) AS VARCHAR) "
            f"ELSE CAST({j} AS VARCHAR) END")


def _write_json(path: Path, payload: object) -> None:
    """A schema file: indented, for people reading it."""
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False, sort_keys=False) + "\n", encoding="utf-8")


def _write_record(path: Path, record: BaseModel) -> None:
    """A data file: compact UTF-8 JSON encoded by pydantic's serializer in one pass. An indented
    json.dumps runs Python's pure-Python encoder: 12 s of a real-catalog export's 50 s."""
    path.write_bytes(record.model_dump_json().encode() + b"\n")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(folder: Path) -> None:
    """Bytes on disk before the folder is renamed into place (a power cut must not leave a
    complete-looking version with empty files)."""
    for p in sorted(folder.rglob("*"), reverse=True):
        _fsync(p)
    _fsync(folder)


BENCHMARKS_SQL = "SELECT * FROM benchmarks_asof($as_of) ORDER BY model_id, benchmark_id"
PRICE_HISTORY_SQL = """
SELECT * FROM price_history WHERE valid_from < asof_bound($as_of) ORDER BY model_id, provider_id, provider_model_id, variant, valid_from
"""


# The parquet datasets: the JSON lists' queries, with provenance and claims as JSON text.
_TYPED = f"SELECT * REPLACE ({provenance_sql('provenance')} AS provenance)"
PARQUET_SQL = {
    "models": f"{_TYPED} FROM models_asof($as_of) ORDER BY model_id",
    "offers": f"{_TYPED} FROM offers_asof($as_of) ORDER BY model_id, provider_id, provider_model_id, variant",
    "benchmarks": f"{_TYPED} FROM benchmarks_asof($as_of) ORDER BY model_id, benchmark_id",
    "price_history": PRICE_HISTORY_SQL,
    "conflicts": "SELECT * REPLACE (CAST(claims AS VARCHAR) AS claims) FROM conflicts_asof($as_of) "
                 "ORDER BY entity, model_id, provider_id, provider_model_id, variant, benchmark_id, field",
}


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
        fields["provenance"] = _provenance(r["provenance"], f"benchmark {r['model_id']} {r['benchmark_id']}")
        out.append(_validated(BenchmarkRecord, fields, f"benchmark {r['model_id']} {r['benchmark_id']}"))
    return out


def _copy(con: duckdb.DuckDBPyConnection, query: str, path: Path, params: dict[str, Any] | None = None) -> None:
    # The query's $parameters are bound (the path is the one thing written into the text). It
    # orders its rows by a total key; DuckDB writes ordered rows in the same row groups and bytes
    # whatever the thread count (the row group size is stated so that a changed default is seen).
    escaped = str(path).replace("'", "''")
    con.execute(f"COPY ({query}) TO '{escaped}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)",
                params or None)


# Pairs per comparisons parquet file. Up to this many (about 2,800 models) the export writes one
# comparisons.parquet; beyond, comparisons-00000.parquet, comparisons-00001.parquet, ... each
# holding the pairs of a block of consecutive first models, so that an export of any catalog size
# holds one block in memory at a time (10,000 models: 49,995,000 pairs).
PAIRS_PER_FILE = 4_000_000
COMPARISONS_PARQUET = "comparisons.parquet"
COMPARISONS_PART = "comparisons-{:05d}.parquet"


@dataclass(frozen=True)
class ComparisonsWritten:
    pairs: int
    files: tuple[str, ...]  # names in the export folder, in row order


def write_comparisons(con: duckdb.DuckDBPyConnection, columns: list[str], folder: Path,
                      max_pairs: int = PAIRS_PER_FILE) -> ComparisonsWritten:
    """Write every pair of the sides (compare.prepare) as comparisons parquet into ``folder``,
    ordered by (a_model_id, b_model_id): one comparisons.parquet when the pairs fit in max_pairs,
    else one file per block of first models (COMPARISONS_PART, numbered in row order; reading them
    in name order, `read_parquet('comparisons*.parquet')`, gives the same rows in the same order).
    Memory is bounded by one block: its pair_index and DuckDB's buffered row groups."""
    models = compare.prepare_all_pairs(con, columns)
    blocks = compare.pair_blocks(models, max_pairs)
    query = compare.all_pairs_sql(columns)
    names = [COMPARISONS_PARQUET] if len(blocks) <= 1 else [COMPARISONS_PART.format(i) for i in range(len(blocks))]
    pairs = 0
    for name, (first, last) in zip(names, blocks or [(1, 0)]):  # no pair: an empty file with the columns
        compare.pair_index(con, first, last, models)
        _copy(con, query, folder / name)
        pairs += sum(models - a for a in range(first, last + 1))
    return ComparisonsWritten(pairs, tuple(names))


NEWEST_CRAWL_SQL = """
SELECT crawl_id, started_at FROM crawls WHERE started_at < asof_bound($as_of)
ORDER BY started_at DESC, crawl_id DESC LIMIT 1
"""
# Sources with observations in a crawl loaded as of the date: their facts are in the export (as
# resolved values, in price history or as conflict claims).
SOURCES_SQL = """
SELECT DISTINCT s.source_id, w.name FROM crawl_sources s JOIN crawls c USING (crawl_id)
LEFT JOIN sources w USING (source_id)
WHERE c.started_at < asof_bound($as_of) AND s.observations > 0
"""
# The source of curated overrides (warehouse/curated/): the project's own reviewed facts, each
# citing the address it was reviewed from (its provenance url).
CURATED_TERMS = {"id": "curated", "name": "llm-ledger curated overrides (warehouse/curated/)", "license": "MIT",
                 "attribution": None, "terms_url": None}


def source_terms(con: duckdb.DuckDBPyConnection, as_of: date, registry: SourcesFile,
                 cited: set[str]) -> list[dict[str, Any]]:
    """ManifestRecord.sources: every source whose facts the export carries (loaded as of the date, or
    cited by a record's provenance), by id, with the licence and attribution sources.yaml states."""
    names = dict(con.execute(SOURCES_SQL, {"as_of": as_of.isoformat()}).fetchall())
    configured = {s.id: s for s in registry.sources}
    out = []
    for sid in sorted(set(names) | cited):
        if sid == CURATED_TERMS["id"]:
            out.append(dict(CURATED_TERMS))
        elif sid in configured:
            c = configured[sid]
            out.append({"id": sid, "name": c.name, "license": c.license, "attribution": c.attribution,
                        "terms_url": c.terms_url})
        else:  # loaded once, since removed from sources.yaml: its terms are unknown here
            out.append({"id": sid, "name": names.get(sid) or sid, "license": None, "attribution": None,
                        "terms_url": None})
    return out


def _write_folder(con: duckdb.DuckDBPyConnection, tmp: Path, as_of: date,
                  config: ComparisonConfig, registry: SourcesFile) -> tuple[ManifestRecord, dict[str, int]]:
    """Write one complete export into ``tmp``; manifest.json last. Returns the manifest."""
    models = model_records(con, as_of)
    offers = offer_records(con, as_of)
    benchmarks = benchmark_records(con, as_of)
    day = {"as_of": as_of.isoformat()}

    # parquet: the datasets, prices DECIMAL(18,9), provenance and claims as JSON text
    for name, sql in PARQUET_SQL.items():
        _copy(con, sql, tmp / f"{name}.parquet", day)
    columns = compare.prepare(con, as_of, config)
    pricing = compare.model_pricing(con, as_of)
    n_pairs = write_comparisons(con, columns, tmp).pairs

    # JSON: lists, one file per model, one per configured pair, an index
    for name, list_type, records in (("models", ModelList, models), ("offers", OfferList, offers),
                                     ("benchmarks", BenchmarkList, benchmarks)):
        listed = _validated(list_type, {"schema_version": SCHEMA_VERSION, "as_of": as_of, "records": records},
                            f"{name}.json")
        _write_record(tmp / f"{name}.json", listed)
    index: dict[str, list[dict[str, str]]] = {"models": [], "comparisons": []}
    (tmp / "models").mkdir()
    offers_of: dict[str, list[OfferRecord]] = {}
    for o in offers:
        offers_of.setdefault(o.model_id, []).append(o)
    disputes, changes = conflicts_by_model(con, as_of), changes_by_model(con, as_of)
    scores_of: dict[str, list[BenchmarkRecord]] = {}
    for b in benchmarks:
        scores_of.setdefault(b.model_id, []).append(b)
    for m in models:
        rel = f"models/{safe_name(m.model_id)}.json"
        record = _validated(ModelFile, {
            "schema_version": SCHEMA_VERSION, "as_of": as_of, "model": m, "offers": offers_of.get(m.model_id, []),
            **pricing.get(m.model_id, {"routes": [], "cheapest_input": None, "cheapest_output": None,
                                       "price_history": []}),
            "benchmarks": scores_of.get(m.model_id, []),
            "conflicts": disputes.get(m.model_id, []), "changes": changes.get(m.model_id, []),
        }, f"model file {m.model_id}")
        _write_record(_inside(tmp, tmp / rel), record)
        index["models"].append({"model_id": m.model_id, "path": rel})
    (tmp / "comparisons").mkdir()
    cited = {f.source_id for recs in (models, offers, benchmarks) for r in recs for f in r.provenance.values()}
    for row in compare.pair_rows(con, columns, [tuple(p) for p in config.pairs]):
        try:
            comparison = compare.to_record(row, as_of, config)
        except ValidationError as e:  # never publish a record that breaks the contract
            raise ExportError(f"comparison {row['a_model_id']} vs {row['b_model_id']} as of {as_of} "
                              f"does not validate: {e}") from None
        rel = f"comparisons/{safe_name(comparison.a.model_id)}--vs--{safe_name(comparison.b.model_id)}.json"
        _write_record(_inside(tmp, tmp / rel), comparison)
        index["comparisons"].append({"a": comparison.a.model_id, "b": comparison.b.model_id, "path": rel})
    written = {(c["a"], c["b"]) for c in index["comparisons"]}
    missing = [list(p) for p in config.pairs if tuple(p) not in written]
    index_file = _validated(IndexFile, {"schema_version": SCHEMA_VERSION, "as_of": as_of, **index}, "index.json")
    _write_record(tmp / "index.json", index_file)
    (tmp / "schema").mkdir()
    for kind in RECORD_TYPES:
        _write_json(tmp / "schema" / f"{kind}.schema.json", json_schema(kind))

    files = sorted(p for p in tmp.rglob("*") if p.is_file())
    reviewed = [r.last_reviewed for recs in (models, offers, benchmarks) for r in recs if r.last_reviewed]
    counts = {"models": len(models), "offers": len(offers), "benchmarks": len(benchmarks),
              "comparisons": n_pairs, "comparison_files": len(index["comparisons"])}
    crawl = con.execute(NEWEST_CRAWL_SQL, {"as_of": as_of.isoformat()}).fetchone()
    manifest = _validated(ManifestRecord, {
        "schema_version": SCHEMA_VERSION,
        "version": "",
        "as_of": as_of,
        # from the data, not the clock: the same state gives the same bytes
        "generated_at": crawl[1].astimezone(UTC) if crawl else None,
        "newest_crawl_id": crawl[0] if crawl else None,
        "counts": counts,
        # configured pairs with no file: a model unknown or without any offer as of this date
        "missing_pairs": missing,
        "last_reviewed": {"min": min(reviewed) if reviewed else None, "max": max(reviewed) if reviewed else None},
        "sources": source_terms(con, as_of, registry, cited),
        "schemas": {pattern: f"schema/{kind}.schema.json" for pattern, kind in FILE_KINDS.items()},
        "files": {p.relative_to(tmp).as_posix(): _sha256(p) for p in files},
    }, "the manifest")
    digest = hashlib.sha256(manifest.model_dump_json(exclude={"version"}).encode()).hexdigest()
    manifest = manifest.model_copy(update={"version": f"{as_of.isoformat()}_{digest[:12]}"})
    _write_record(tmp / "manifest.json", manifest)
    return manifest, counts


@contextmanager
def _writer_lock(out_dir: Path) -> Iterator[None]:
    """One export at a time per export folder, whatever started it (run, rebuild, `export` with a
    read-only warehouse, a flow). The kernel drops the lock when its process dies, so whatever
    `.tmp-*` is found while holding it was left by a killed export."""
    path = out_dir / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + LOCK_TIMEOUT_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = path.read_text(encoding="utf-8", errors="replace").strip() or "?"
                    raise ExportError(f"another export (process {holder}) has held {path} for more than "
                                      f"{LOCK_TIMEOUT_S:.0f} s: wait for it to finish") from None
                time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def _remove_stale(out_dir: Path) -> list[str]:
    """Remove what a killed export left behind. Call only while holding the writer lock."""
    removed = []
    for p in sorted(out_dir.iterdir()):
        if _STALE.match(p.name):
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
            removed.append(p.name)
    return removed


def _store(out_dir: Path, tmp: Path, version: str) -> tuple[Path, bool]:
    """Move the complete folder ``tmp`` to versions/<version>; if that version is already there
    (the same state exported before), keep it and drop ``tmp``."""
    versions = out_dir / VERSIONS_DIR
    versions.mkdir(exist_ok=True)
    dest = versions / version
    if dest.is_dir() and not dest.is_symlink():
        try:
            same = (dest / "manifest.json").read_bytes() == (tmp / "manifest.json").read_bytes()
        except FileNotFoundError:
            same = False
        if not same:
            raise ExportError(f"{dest} holds other bytes than this export of the same version: it was changed "
                              "after it was written. Move it away and export again.")
        shutil.rmtree(tmp)
        reused = True
    else:
        _fsync_tree(tmp)
        tmp.rename(dest)
        _fsync(versions)
        reused = False
    now = time.time_ns()  # publication order, for retention: the newest published are kept
    os.utime(dest, ns=(now, now))
    return dest, reused


def _link_target(link: Path) -> str | None:
    """The version a link of the export folder points to, if it points into versions/."""
    target = Path(os.readlink(link))
    return target.name if target.parent == Path(VERSIONS_DIR) else None


def _point(out_dir: Path, name: str, folder: Path) -> Path:
    """Point the link ``out_dir/name`` at ``folder`` with one rename(2): a reader opening a path
    through it gets the previous complete export or this one."""
    link = out_dir / name
    target = Path(VERSIONS_DIR) / folder.name
    if link.is_symlink():
        if Path(os.readlink(link)) == target:
            return link
    elif link.is_dir():
        # a folder of the layout before versions/ (a copy, not a link): kept as a past version
        link.rename(out_dir / VERSIONS_DIR / f"legacy-{name}-{uuid.uuid4().hex[:8]}")
    elif link.exists():
        raise ExportError(f"{link} is in the way of the export's `{name}` link: move it away")
    tmp_link = out_dir / f"{TMP_PREFIX}link-{uuid.uuid4().hex[:12]}"
    os.symlink(target, tmp_link)
    os.replace(tmp_link, link)
    _fsync(out_dir)
    return link


def _prune(out_dir: Path, keep: int, published: str) -> list[str]:
    """Remove the versions beyond the ``keep`` newest published, never the target of `latest` nor
    the one just published; a dated link to a removed version goes first, so no link dangles."""
    versions = sorted((p for p in (out_dir / VERSIONS_DIR).iterdir()
                       if p.is_dir() and not p.is_symlink() and not p.name.startswith(".")),
                      key=lambda p: (p.stat().st_mtime_ns, p.name), reverse=True)
    links = {p: _link_target(p) for p in out_dir.iterdir() if p.is_symlink() and not p.name.startswith(".")}
    protected = {published} | {t for p, t in links.items() if p.name == LATEST and t}
    doomed = [p for p in versions[keep:] if p.name not in protected]
    names = {p.name for p in doomed}
    for link, target in links.items():
        if target in names and link.name != LATEST:
            link.unlink()
    for p in doomed:
        trash = out_dir / f"{TMP_PREFIX}trash-{uuid.uuid4().hex[:12]}"
        p.rename(trash)  # out of versions/ at once; a killed removal is finished by the next export
        shutil.rmtree(trash, ignore_errors=True)
    return sorted(names)


def export(
    con: duckdb.DuckDBPyConnection,
    out_dir: Path,
    run_id: str,
    as_of: date | None = None,
    update_latest: bool = True,
    config: ComparisonConfig | None = None,
    keep: int | None = None,
    registry: SourcesFile | None = None,
) -> ExportResult:
    """Export the state as of ``as_of`` (default: the newest crawl's date) to
    ``out_dir/versions/<version>``, point ``out_dir/<as_of>`` (and ``latest`` if ``update_latest``)
    at it, and keep the ``keep`` newest versions (default KEEP_EXPORTS). ``run_id`` goes to
    publish-log.jsonl, not into the export. ``registry`` (default: load_sources()) gives the
    sources' licences and attributions for the manifest."""
    as_of = as_of or newest_crawl_date(con)
    if as_of is None:
        raise ExportError("the warehouse holds no crawl yet: nothing to export (run `llm-ledger run` first)")
    keep = KEEP_EXPORTS if keep is None else keep
    if keep < 2:
        raise ExportError(f"keep at least 2 exports (got {keep}): the previous one may still be being read")
    config = config or load_comparison_config()
    registry = registry or load_sources()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with _writer_lock(out_dir):
        stale = _remove_stale(out_dir)
        tmp = out_dir / f"{TMP_PREFIX}{uuid.uuid4().hex[:12]}"
        tmp.mkdir()
        try:
            manifest, counts = _write_folder(con, tmp, as_of, config, registry)
            folder, reused = _store(out_dir, tmp, manifest.version)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        dated = _point(out_dir, as_of.isoformat(), folder)
        latest = _point(out_dir, LATEST, folder) if update_latest else None
        pruned = _prune(out_dir, keep, folder.name)
        with open(out_dir / PUBLISH_LOG, "a", encoding="utf-8") as log:
            log.write(json.dumps({
                "published_at": datetime.now(UTC).isoformat(timespec="seconds"), "run_id": run_id,
                "as_of": as_of.isoformat(), "version": manifest.version, "latest": update_latest,
                "reused": reused, "pruned": pruned, "stale_removed": stale,
            }) + "\n")
    return ExportResult(folder, latest, as_of, counts, version=manifest.version, dated=dated, reused=reused,
                        pruned=tuple(pruned), stale_removed=tuple(stale))


def export_into(con: duckdb.DuckDBPyConnection, folder: Path, as_of: date | None = None,
                config: ComparisonConfig | None = None, registry: SourcesFile | None = None) -> ExportResult:
    """Write one export's files straight into ``folder`` (`llm-ledger export --out`): manifest.json,
    the parquet and JSON files, models/, comparisons/, schema/; no versions/, no links, no log.

    ``folder`` is missing, empty, or an earlier export (a folder with a manifest.json), which is
    replaced whole: the new export is written beside it and renamed in its place, so the folder
    is never half written. Anything else in the way is an error, never overwritten."""
    as_of = as_of or newest_crawl_date(con)
    if as_of is None:
        raise ExportError("the warehouse holds no crawl yet: nothing to export (run `llm-ledger run` first)")
    folder = Path(folder).absolute()
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise ExportError(f"{folder} is not a folder: --out names the folder that receives the files")
    if folder.exists() and any(folder.iterdir()) and not (folder / "manifest.json").is_file():
        raise ExportError(f"{folder} is neither empty nor an earlier export (no manifest.json): "
                          "choose a new or empty folder for --out")
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.parent / f"{TMP_PREFIX}{folder.name}-{uuid.uuid4().hex[:12]}"
    tmp.mkdir()
    try:
        manifest, counts = _write_folder(con, tmp, as_of, config or load_comparison_config(),
                                         registry or load_sources())
        _fsync_tree(tmp)
        if folder.exists():
            trash = folder.parent / f"{TMP_PREFIX}trash-{uuid.uuid4().hex[:12]}"
            folder.rename(trash)
            tmp.rename(folder)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            tmp.rename(folder)
        _fsync(folder.parent)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return ExportResult(folder, None, as_of, counts, version=manifest.version)
