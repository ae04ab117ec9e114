"""Benchmark of the versioned (SCD2) load: llm-ledger's own load path against dlt's `scd2` merge.

One run generates a deterministic synthetic catalog (10,000 models x 20 provider offers, 30 daily
full snapshots; each day ~1% of offers change price, 0.2% vanish, 0.2% appear) and loads each day,
generated once, into two DuckDB files, timing each load on its own and alternating which goes first:
once through the project's real path (warehouse.connection.connect; the day as the stage relation
stage_offers, a view over its Arrow table with the row hash of pipeline.reconcile;
warehouse.load.apply_versions running the SCD2 layer, warehouse/sql/transform/50_scd2.sql; one
transaction per day) and once through a dlt pipeline with the `scd2` merge strategy. Both are fed
the same Arrow table and both pay for the same row hash (dlt needs it as its row version column).

Figures (the last stdout line, one JSON object):
  ledger_s_per_day, dlt_s_per_day  median seconds of the daily loads after day 1 (the initial load)
  ducklake_load_s_per_day          the same, through the same path into a DuckLake (SQLite catalog)
  speedup_vs_dlt                   their ratio: the one performance claim
  ledger_db_mb, dlt_db_mb          database file sizes after a CHECKPOINT
  asof_ms                          median of offers_asof(day 15), every row fetched into Arrow
  asof_model_ms                    median of one model's offers_asof(day 15), fetched into Arrow
  asof_all_vs_current              offers_asof(day 15) over offers_current, timed in the same loop
  e2e_obs_per_s, e2e_peak_rss_mb   a synthetic catalog of 5,000 models / 50,000 offers in the LiteLLM and
                                   models.dev formats through the real parse -> normalize -> reconcile ->
                                   load, in a child process: observations stored per second, its peak RSS
  real_rebuild_s, real_peak_rss_mb the three real catalogs of ../shared/real (when present) through
                                   `llm-ledger run --live` from 127.0.0.1, export included
  exact                            true only when checked: both stores rebuild the as-of day and hold
                                   the last day as current exactly as generated (row by row), and both
                                   hold the same versions (key, facts, valid_from, valid_to)
Progress and extra notes go to stderr. --out also writes the figures, the scale, the notes and the
library versions as JSON (`make bench` writes bench/results.json; git-ignored, as the figures
belong to one machine and one moment: the ones of record are quoted in the README).

    make bench                                     # full size: installs the `bench` extra, then runs
    .venv/bin/python bench/bench_load.py --models 20000 --days 60 --as-of-day 30   # a bigger run
    .venv/bin/python bench/bench_load.py --models 500 --days 5 --as-of-day 3       # a quick smoke run
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipeline.fields import FIELDS, OFFER_FIELDS, FieldType, arrow_type  # noqa: E402
from pipeline.reconcile import OFFER_KEY, _hash  # noqa: E402  (the row hash reconcile builds)
from warehouse import transform  # noqa: E402
from warehouse.connection import connect  # noqa: E402
from warehouse.load import apply_versions  # noqa: E402
from warehouse.location import LakeWarehouse  # noqa: E402

PRICE_TYPE = arrow_type(FieldType.DECIMAL)  # DuckDB DECIMAL(18, 9), as offer_versions holds prices
NANO = pa.scalar(Decimal("0.000000001"), pa.decimal128(10, 9))
FACT_COLUMNS = [*OFFER_KEY, *OFFER_FIELDS]  # what a rebuilt day is compared on
PRICE_FIELDS = [f for f, t in OFFER_FIELDS.items() if t == FieldType.DECIMAL]
ARROW_TYPES: dict[str, pa.DataType] = {c: pa.string() for c in OFFER_KEY} | {
    f: arrow_type(t) for f, t in OFFER_FIELDS.items()
}
STATIC_COLUMNS = [c for c in FACT_COLUMNS if c not in PRICE_FIELDS]  # fixed for an offer's life
CREATORS = ["meta", "mistralai", "google", "qwen", "deepseek", "openai", "anthropic", "microsoft"]
START = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)  # day 1's crawl; day n is n - 1 days later


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# The synthetic catalog


@dataclass(frozen=True)
class Scale:
    models: int = 10_000
    providers: int = 20
    days: int = 30
    as_of_day: int = 15
    change: float = 0.01  # share of live offers whose price changes each day
    vanish: float = 0.002  # share of live offers that disappear each day
    appear: float = 0.002  # new offers each day, as a share of the initial catalog
    seed: int = 20260601

    def ts(self, day: int) -> datetime:
        return START + timedelta(days=day - 1)


@dataclass(frozen=True)
class Day:
    day: int
    ts: datetime
    offers: pa.Table  # the full resolved snapshot of that day: OFFER_KEY + OFFER_FIELDS


class Catalog:
    """Daily full snapshots of the offers, the same for the same Scale (random.Random(seed)).

    Prices are whole nano-dollars per 1M tokens (ints), turned into DECIMAL(18, 9) exactly. Every
    column of OFFER_FIELDS is filled: the ones this generator knows get realistic values, any
    field added later stays NULL (typed) until someone teaches the generator about it."""

    def __init__(self, scale: Scale) -> None:
        self.scale = scale
        self.rng = random.Random(scale.seed)
        self.static: dict[str, list[object]] = {c: [] for c in STATIC_COLUMNS}
        self.base: list[list[int]] = []  # per offer: input, output price in nano-dollars
        self.flags: list[tuple[bool, bool, bool]] = []  # per offer: cached price, cache write price, tiered
        self.price_cols: dict[str, list[int | None]] = {f: [] for f in PRICE_FIELDS}  # per offer, kept current
        self.live: dict[int, None] = {}  # offer indices in the catalog today (an ordered set)
        self.serial = 0

    def _new_offer(self, model: int, provider: int, reissue: bool) -> None:
        rng = self.rng
        creator = CREATORS[model % len(CREATORS)]
        slug = f"model-{model:05d}-{('instruct', 'chat', 'base', 'coder')[model % 4]}"
        pid = f"provider-{provider:02d}"
        pmid = f"@p{provider}/{creator}/{slug}"
        variant = self.rng.choice(["", "", "", ":free", ":nitro"])
        if reissue:  # an offer appearing later: a new route (variant) of an existing model
            self.serial += 1
            pmid += f"-r{self.serial}"
            variant = f"route-{self.serial}"  # the offer key is (model, provider, variant)
        inp = rng.randrange(10_000_000, 15_000_000_000)  # $0.01 .. $15 per 1M tokens, to the nano
        out = inp * rng.randrange(1, 6) + rng.randrange(0, 1_000_000)
        flags = (rng.random() < 0.5, rng.random() < 0.2, rng.random() < 0.05)
        row: dict[str, object] = {
            "model_id": f"{creator}/{slug}", "provider_id": pid, "provider_model_id": pmid,
            "variant": variant,
            "context_window": rng.choice([8_192, 32_768, 131_072, 200_000, 1_048_576]),
            "max_output_tokens": rng.choice([4_096, 8_192, 16_384, 65_536, None]),
            "quantization": rng.choice(["fp8", "bf16", "int4", None]),
            "offer_name": f"{creator} {slug} on {pid}",
            "tier_threshold_tokens": 200_000 if flags[2] else None,
        }
        for c in STATIC_COLUMNS:
            self.static[c].append(row.get(c))
        self.live[len(self.base)] = None
        self.base.append([inp, out])
        self.flags.append(flags)
        for f, v in self._prices(len(self.base) - 1).items():
            self.price_cols[f].append(v)

    def _prices(self, i: int) -> dict[str, int | None]:
        (inp, out), (cached, write, tiered) = self.base[i], self.flags[i]
        return {
            "input_usd_per_mtok": inp,
            "output_usd_per_mtok": out,
            "cached_input_usd_per_mtok": inp // 10 if cached else None,
            "cache_write_usd_per_mtok": inp * 5 // 4 if write else None,
            "input_usd_per_mtok_above_tier": inp * 2 if tiered else None,
            "output_usd_per_mtok_above_tier": out * 3 // 2 if tiered else None,
        }

    def _step(self) -> None:
        rng, live = self.rng, self.live
        for i in rng.sample(list(live), round(len(live) * self.scale.vanish)):
            del live[i]
        for i in rng.sample(list(live), round(len(live) * self.scale.change)):
            p = self.base[i]
            for j in (0, 1) if rng.random() < 0.5 else (rng.choice((0, 1)),):
                new = p[j] * rng.randrange(80, 121) // 100
                p[j] = new if new != p[j] else p[j] + 1_000_000
            for f, v in self._prices(i).items():  # only changed offers are recomputed: a day stays cheap
                self.price_cols[f][i] = v
        for _ in range(round(self.scale.models * self.scale.providers * self.scale.appear)):
            self._new_offer(rng.randrange(self.scale.models), rng.randrange(self.scale.providers), True)

    def _table(self) -> pa.Table:
        idx = pa.array(list(self.live), pa.int64())
        cols = {c: pa.array(self.static[c], ARROW_TYPES[c]).take(idx) for c in STATIC_COLUMNS}
        for f in PRICE_FIELDS:
            nanos = pa.array(self.price_cols[f], pa.int64()).take(idx)
            cols[f] = pc.multiply(nanos.cast(pa.decimal128(19, 0)), NANO).cast(PRICE_TYPE)
        return pa.table({c: cols[c] for c in FACT_COLUMNS})

    def days(self) -> Iterator[Day]:
        s = self.scale
        for m in range(s.models):
            for p in range(s.providers):
                self._new_offer(m, p, False)
        for day in range(1, s.days + 1):
            if day > 1:
                self._step()
            yield Day(day, s.ts(day), self._table())


# ---------------------------------------------------------------------------------------------
# The two loaders. Each loads one daily snapshot per call; the same Day object goes to both, so
# they see identical data, and they take turns first each day so that background load on a
# shared machine falls on both alike.


class LedgerLoader:
    """The project's path: schema by migrations, set-wise stage with reconcile's row hash,
    warehouse.load.apply_versions (the SCD2 layer), one transaction per day."""

    name = "ledger"

    def __init__(self, db: Path) -> None:
        self.db = db
        self.con = connect(db)
        self.split: list[tuple[float, float]] = []  # per day: SCD2 layer seconds, commit seconds
        # reconcile builds every stage table the SCD2 layer reads; this bench resolves offers only
        for entity in (e for e in FIELDS if e != "offer"):
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE {transform.stage_table(entity)} AS SELECT * EXCLUDE "
                             f"(valid_from, valid_to, opened_by, closed_by) FROM {transform.versions_table(entity)} LIMIT 0")

    def load(self, d: Day) -> str:
        con = self.con
        con.execute("BEGIN TRANSACTION")
        t0 = time.perf_counter()
        con.register("day_offers", d.offers)
        try:
            con.execute(STAGE_OFFERS_SQL)
            stats = apply_versions(con, f"bench-{d.day:02d}", d.ts)
            t1 = time.perf_counter()
            con.execute("COMMIT")
            # where the time goes: the SCD2 layer (reading the day, hashing it, diff, close, open)
            # against the commit
            self.split.append((t1 - t0, time.perf_counter() - t1))
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            con.unregister("day_offers")
        return f"+{stats.offers_opened} -{stats.offers_closed} versions"

    def close(self, notes: dict[str, object]) -> None:
        self.con.execute("CHECKPOINT")
        notes["ledger_versions"] = self.con.execute("SELECT count(*) FROM offer_versions").fetchall()[0][0]
        notes["ledger_apply_s_per_day"] = round(per_day([a for a, _ in self.split]), 4)
        notes["ledger_commit_s_per_day"] = round(per_day([b for _, b in self.split]), 4)
        self.con.close()


class LakeLoader(LedgerLoader):
    """The same path and days into a DuckLake warehouse with a SQLite catalog (README "DuckLake")."""

    name = "ducklake"

    def close(self, notes: dict[str, object]) -> None:
        # no CHECKPOINT: on a DuckLake it is lake maintenance (merging files), not a flush
        notes["ducklake_versions"] = self.con.execute("SELECT count(*) FROM offer_versions").fetchall()[0][0]
        self.con.close()


class DltLoader:
    """dlt's merge/scd2 into a DuckDB file, one pipeline.run per daily full snapshot."""

    name = "dlt"
    table = "bench.offers"  # dataset_name "bench", table_name "offers"

    def __init__(self, db: Path, workdir: Path, dlt_input: str) -> None:
        os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
        os.environ.setdefault("DLT_DATA_DIR", str(workdir / "dlt-home"))
        try:
            import dlt  # benchmark-only dependency: `make bench` installs it through the bench extra
        except ImportError:
            raise SystemExit("dlt is not installed: run `make bench` (it installs the `bench` extra)") from None
        self.dlt = dlt
        self.db, self.workdir, self.dlt_input = db, workdir, dlt_input
        self.hasher = duckdb.connect()
        # untimed warm-up (imports, first schema, first merge) on a tiny catalog in another file
        warm = self._pipeline("bench_warmup", workdir / "dlt_warmup.duckdb")
        for d in Catalog(Scale(models=20, providers=3, days=2, as_of_day=1)).days():
            self._run(warm, d)
        self.pipeline = self._pipeline("bench_scd2", db)

    def _pipeline(self, name: str, db: Path) -> Any:
        return self.dlt.pipeline(pipeline_name=name, pipelines_dir=str(self.workdir / "dlt-pipelines"),
                                 destination=self.dlt.destinations.duckdb(str(db)), dataset_name="bench")

    def _run(self, pipeline: Any, d: Day) -> None:
        hints = {f: {"data_type": "decimal", "precision": 18, "scale": 9} for f in PRICE_FIELDS}
        disposition: dict[str, object] = {"disposition": "merge", "strategy": "scd2", "boundary_timestamp": d.ts}
        if self.dlt_input == "arrow":
            data: object = _dlt_rows_hash(self.hasher, d.offers)
            disposition["row_version_column_name"] = "row_hash"
        else:
            data = d.offers.to_pylist()
        pipeline.run(data, table_name="offers", write_disposition=disposition,
                     primary_key=list(OFFER_KEY), columns=hints)

    def load(self, d: Day) -> str:
        self._run(self.pipeline, d)
        return f"({self.dlt_input})"

    def close(self, notes: dict[str, object]) -> None:
        self.hasher.close()
        con = duckdb.connect(str(self.db))
        try:
            con.execute("CHECKPOINT")
            notes["dlt_versions"] = con.execute(f"SELECT count(*) FROM {self.table}").fetchall()[0][0]
            notes["dlt_price_type"] = con.execute(
                "SELECT data_type FROM information_schema.columns WHERE table_schema = 'bench' "
                f"AND table_name = 'offers' AND column_name = '{PRICE_FIELDS[0]}'").fetchall()[0][0]
        finally:
            con.close()


def _dlt_rows_hash(con: duckdb.DuckDBPyConnection, offers: pa.Table) -> pa.Table:
    """dlt hashes rows itself only for Python dicts: Arrow input needs a row version column. It
    is the same hash as the ledger's, and its time counts in dlt's load as it does in the ledger's."""
    con.register("day_offers", offers)
    try:
        hashed = con.sql(f"SELECT *, {_hash(FACT_COLUMNS)} AS row_hash FROM day_offers").to_arrow_table()
    finally:
        con.unregister("day_offers")
    # the key and the hash are never NULL: say so, as the dlt schema (primary key, row version) does
    required = {*OFFER_KEY, "row_hash"}
    return hashed.cast(pa.schema([f.with_nullable(f.name not in required) for f in hashed.schema]))


# ---------------------------------------------------------------------------------------------
# The measurements: each takes the Bench and returns figures for the final JSON line


@dataclass
class Bench:
    scale: Scale
    workdir: Path
    dlt_input: str = "arrow"
    with_dlt: bool = True  # False: the ledger half only (tests/test_bench.py, --ledger-only)
    with_lake: bool = False  # True: the ledger's path into a DuckLake too (make bench; not --ledger-only)
    pairs_models: int = 2_000  # models in the comparisons.parquet export measurement
    with_e2e: bool = True  # False: skip the end-to-end and real-catalog runs (--no-e2e)
    ledger_db: Path | None = None
    dlt_db: Path | None = None
    expected: pa.Table | None = None  # the generator's own snapshot of the as-of day
    final: pa.Table | None = None  # ... and of the last day: what both stores must hold as current
    notes: dict[str, object] = field(default_factory=dict)

    @property
    def as_of_ts(self) -> datetime:
        return self.scale.ts(self.scale.as_of_day)


def per_day(times: list[float]) -> float:
    """Median of the daily loads after the first (day 1 is the initial load of the whole catalog)."""
    return statistics.median(times[1:] if len(times) > 1 else times)


def db_mb(path: Path) -> float:
    size = path.stat().st_size
    wal = path.with_name(path.name + ".wal")
    if wal.exists():
        size += wal.stat().st_size
    return round(size / 1_000_000, 2)


# The day's resolved offers as the stage relation the SCD2 layer reads (key, facts, provenance,
# row hash): a view over the day's Arrow table, so the day is read and hashed as the load reads it,
# not copied into a table first. (A crawl's stage is a table: reconcile's pivot of the winners.)
STAGE_OFFERS_SQL = f"""
CREATE OR REPLACE TEMP VIEW stage_offers AS
SELECT *, {_hash(FACT_COLUMNS)} AS row_hash FROM (
    SELECT {", ".join(FACT_COLUMNS)}, CAST('{{}}' AS JSON) AS provenance FROM day_offers
)
"""


def measure_loads(b: Bench) -> dict[str, object]:
    """Generate each day once and load it into every store, timing each load on its own."""
    b.ledger_db = b.workdir / "ledger.duckdb"
    loaders: list[Any] = [LedgerLoader(b.ledger_db)]
    if b.with_lake:
        loaders.append(LakeLoader(LakeWarehouse("sqlite", str(b.workdir / "lake.sqlite"), b.workdir / "lake")))
    if b.with_dlt:
        b.dlt_db = b.workdir / "dlt.duckdb"
        loaders.append(DltLoader(b.dlt_db, b.workdir, b.dlt_input))
    times: dict[str, list[float]] = {ld.name: [] for ld in loaders}
    for d in Catalog(b.scale).days():
        if d.day == b.scale.as_of_day:
            b.expected = d.offers
        b.final = d.offers
        for ld in loaders if d.day % 2 else loaders[::-1]:
            t0 = time.perf_counter()
            detail = ld.load(d)
            times[ld.name].append(time.perf_counter() - t0)
            log(f"{ld.name:6} day {d.day}/{b.scale.days}: {times[ld.name][-1]:.3f} s, "
                f"{d.offers.num_rows} offers {detail}")
    for ld in loaders:
        ld.close(b.notes)
    figures: dict[str, object] = {"ledger_s_per_day": round(per_day(times["ledger"]), 4)}
    if b.with_lake:
        figures["ducklake_load_s_per_day"] = round(per_day(times["ducklake"]), 4)
        b.notes["ducklake_first_day_s"] = round(times["ducklake"][0], 3)
    b.notes["ledger_first_day_s"] = round(times["ledger"][0], 3)
    if b.with_dlt:
        figures["dlt_s_per_day"] = round(per_day(times["dlt"]), 4)
        # the one performance claim: how many times faster the ledger's daily load is than dlt's
        figures["speedup_vs_dlt"] = round(per_day(times["dlt"]) / per_day(times["ledger"]), 1)
        b.notes["dlt_first_day_s"] = round(times["dlt"][0], 3)
    figures["ledger_db_mb"] = db_mb(b.ledger_db)
    if b.dlt_db is not None:
        figures["dlt_db_mb"] = db_mb(b.dlt_db)
    return figures


def ledger_asof_sql(ts: datetime) -> str:
    """The analyst's time travel (views.sql), as an analyst would call it."""
    return f"SELECT * FROM offers_asof(TIMESTAMPTZ '{ts.isoformat()}')"


def ledger_asof(db: Path, ts: datetime) -> pa.Table:
    con = connect(db, read_only=True)
    try:
        return con.sql(ledger_asof_sql(ts)).to_arrow_table()
    finally:
        con.close()


def ledger_current(db: Path) -> pa.Table:
    """The open versions (what offers_current shows; read directly so the wall clock plays no part)."""
    con = connect(db, read_only=True)
    try:
        return con.sql("SELECT * FROM offer_versions WHERE valid_to IS NULL").to_arrow_table()
    finally:
        con.close()


def measure_asof(b: Bench, runs: int = 21) -> dict[str, object]:
    """Time travel as analysts and pages use it, each run fetched as Arrow:
    asof_ms              the whole catalog as of the as-of day (offers_asof), median;
    asof_all_vs_current  that, divided by reading offers_current (the same rows' shape, today)
                         in the same loop, run for run: what going back in time costs;
    asof_model_ms        one model's offers as of the day (offers_asof ... WHERE model_id), median
                         over `runs` models drawn from the day's catalog."""
    assert b.ledger_db is not None and b.expected is not None
    con = connect(b.ledger_db, read_only=True)
    params = {"ts": b.as_of_ts}
    all_sql, current_sql = "SELECT * FROM offers_asof($ts)", "SELECT * FROM offers_current"
    model_sql = "SELECT * FROM offers_asof($ts) WHERE model_id = $model_id"
    expected = b.expected.group_by("model_id").aggregate([("provider_id", "count")])
    per_model = dict(zip(expected.column("model_id").to_pylist(), expected.column("provider_id_count").to_pylist()))
    models = random.Random(b.scale.seed).sample(sorted(per_model), min(runs, len(per_model)))
    try:
        con.execute(all_sql, params).to_arrow_table()  # warm the cache once
        con.execute(current_sql).to_arrow_table()
        fetch, current, count, one = [], [], [], []
        for i in range(runs):
            t0 = time.perf_counter()
            rows = con.execute(all_sql, params).to_arrow_table().num_rows
            fetch.append(time.perf_counter() - t0)
            if rows != b.expected.num_rows:  # a fast answer to the wrong question is no answer
                raise AssertionError(f"offers_asof gave {rows} rows, the day had {b.expected.num_rows}")
            t0 = time.perf_counter()
            now_rows = con.execute(current_sql).to_arrow_table().num_rows
            current.append(time.perf_counter() - t0)
            if now_rows != b.final.num_rows:
                raise AssertionError(f"offers_current gave {now_rows} rows, the last day had {b.final.num_rows}")
            t0 = time.perf_counter()
            con.execute(f"SELECT count(*) FROM ({all_sql})", params).fetchall()
            count.append(time.perf_counter() - t0)
            model = models[i % len(models)]
            t0 = time.perf_counter()
            got = con.execute(model_sql, params | {"model_id": model}).to_arrow_table().num_rows
            one.append(time.perf_counter() - t0)
            if got != per_model[model]:
                raise AssertionError(f"offers_asof gave {got} offers of {model}, the day had {per_model[model]}")
    finally:
        con.close()
    # what the query costs inside DuckDB, without moving 200k rows into Python: for the reader
    b.notes["asof_count_ms"] = round(statistics.median(count) * 1000, 2)
    b.notes["current_ms"] = round(statistics.median(current) * 1000, 2)
    ratios = [a / c for a, c in zip(fetch, current, strict=True)]
    log(f"as-of day {b.scale.as_of_day}: {b.expected.num_rows} offers, median {statistics.median(fetch) * 1000:.1f} ms "
        f"(min {min(fetch) * 1000:.1f}, max {max(fetch) * 1000:.1f}); count only {b.notes['asof_count_ms']} ms; "
        f"offers_current {b.notes['current_ms']} ms; one model {statistics.median(one) * 1000:.2f} ms")
    return {"asof_ms": round(statistics.median(fetch) * 1000, 2),
            "asof_all_vs_current": round(statistics.median(ratios), 2),
            "asof_model_ms": round(statistics.median(one) * 1000, 2)}


def same_rows(name: str, got: pa.Table, expected: pa.Table) -> bool:
    """Row by row on the key and every fact, in key order. Arrow compares whole columns at once
    (after a safe cast to the generator's types: a value that does not fit fails); only when they
    differ are the rows walked in Python (Decimal compares by value) to say where."""
    order = [(c, "ascending") for c in OFFER_KEY]
    e = expected.select(FACT_COLUMNS).sort_by(order)
    g = got.select(FACT_COLUMNS).sort_by(order)
    if g.num_rows != e.num_rows:
        log(f"{name}: {g.num_rows} rows rebuilt, {e.num_rows} expected")
        return False
    try:
        if g.cast(e.schema.remove_metadata()).equals(e):
            log(f"{name}: all {e.num_rows} rows identical")
            return True
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as err:
        log(f"{name}: does not fit the generator's types ({err}); comparing values")
    a, x = g.to_pylist(), e.to_pylist()
    bad = [(r, s) for r, s in zip(a, x, strict=True) if r != s]
    if bad:
        log(f"{name}: {len(bad)} of {len(x)} rows differ, first: got {bad[0][0]} expected {bad[0][1]}")
        return False
    log(f"{name}: all {len(x)} rows equal by value")
    return True


def _dlt_state(b: Bench, where: str) -> pa.Table:
    assert b.dlt_db is not None
    con = duckdb.connect(str(b.dlt_db), read_only=True)
    try:
        return con.sql(f"SELECT * FROM {DltLoader.table} WHERE {where}").to_arrow_table()
    finally:
        con.close()


def _same_history(b: Bench) -> bool:
    """Both stores hold the same versions: key, facts and validity interval, both ways round."""
    assert b.ledger_db is not None and b.dlt_db is not None
    cols = ", ".join(FACT_COLUMNS)
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"ATTACH '{b.ledger_db}' AS l (READ_ONLY)")
        con.execute(f"ATTACH '{b.dlt_db}' AS d (READ_ONLY)")
        ledger = f"SELECT {cols}, valid_from AS vf, valid_to AS vt FROM l.offer_versions"
        dlt = f"SELECT {cols}, _dlt_valid_from AS vf, _dlt_valid_to AS vt FROM d.{DltLoader.table}"
        only_l = con.execute(f"SELECT count(*) FROM ({ledger} EXCEPT ALL {dlt})").fetchall()[0][0]
        only_d = con.execute(f"SELECT count(*) FROM ({dlt} EXCEPT ALL {ledger})").fetchall()[0][0]
    finally:
        con.close()
    log(f"history: {only_l} versions only in the ledger, {only_d} only in dlt")
    return only_l == 0 and only_d == 0


def check_exact(b: Bench) -> dict[str, object]:
    """Checked, not assumed: both stores rebuild the as-of day and hold the last day as current,
    exactly as the generator made them, row by row; and their whole histories are the same."""
    assert b.ledger_db is not None and b.expected is not None and b.final is not None
    checks = {
        "ledger_asof": same_rows("ledger as-of", ledger_asof(b.ledger_db, b.as_of_ts), b.expected),
        "ledger_current": same_rows("ledger current", ledger_current(b.ledger_db), b.final),
    }
    if b.with_dlt:
        ts = f"TIMESTAMPTZ '{b.as_of_ts.isoformat()}'"
        checks["dlt_asof"] = same_rows("dlt as-of", _dlt_state(
            b, f"_dlt_valid_from <= {ts} AND (_dlt_valid_to IS NULL OR _dlt_valid_to > {ts})"), b.expected)
        checks["dlt_current"] = same_rows("dlt current", _dlt_state(b, "_dlt_valid_to IS NULL"), b.final)
        checks["same_history"] = _same_history(b)
    b.notes["checks"] = checks
    return {"exact": all(checks.values())}


Measurement = Callable[[Bench], dict[str, object]]
def _pairs_warehouse(db: Path, n_models: int, seed: int) -> None:
    """A warehouse of n_models models, each with 1-5 offers among 20 providers, all open."""
    rng = random.Random(seed)
    con = connect(db)
    try:
        ts = datetime(2026, 6, 1, 6, tzinfo=UTC)
        models = {"model_id": [], "name": [], "context_window": [], "supports_reasoning": [],
                  "supports_vision": [], "open_weights": []}
        offers = {k: [] for k in ("model_id", "provider_id", "provider_model_id", "variant",
                                  "input_usd_per_mtok", "output_usd_per_mtok")}
        for i in range(n_models):
            mid = f"creator{i % 50}/model-{i:05d}"
            models["model_id"].append(mid)
            models["name"].append(f"Model {i}")
            models["context_window"].append(rng.choice([8192, 32768, 131072, 200000, 1047576]))
            models["supports_reasoning"].append(rng.choice([True, False, None]))
            models["supports_vision"].append(rng.choice([True, False, None]))
            models["open_weights"].append(rng.random() < 0.5)
            for p in rng.sample(range(20), rng.randint(1, 5)):
                offers["model_id"].append(mid)
                offers["provider_id"].append(f"provider-{p:02d}")
                offers["provider_model_id"].append(mid)
                offers["variant"].append("")
                cents = rng.randint(1, 2000)
                offers["input_usd_per_mtok"].append(Decimal(cents) / 1000)
                offers["output_usd_per_mtok"].append(Decimal(cents * rng.randint(1, 5)) / 1000)
        for table, cols in (("model_versions", models), ("offer_versions", offers)):
            n = len(cols["model_id"])
            data = pa.table({**cols, "row_hash": ["bench"] * n, "valid_from": [ts] * n, "opened_by": ["bench"] * n})
            con.register("src", data)
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM src")
            con.unregister("src")
        con.execute("INSERT INTO providers (provider_id, name) SELECT 'provider-' || lpad(i::VARCHAR, 2, '0'), "
                    "'Provider ' || i FROM range(20) t(i)")
    finally:
        con.close()


def measure_pairs_export(b: Bench) -> dict[str, object]:
    """Time what `llm-ledger export` does for comparisons.parquet: the sides as of a date, every
    pair, the figures set-wise in DuckDB, written as zstd parquet (the export's own functions)."""
    from datetime import date

    from pipeline import compare
    from pipeline.export import write_comparisons

    db = b.workdir / "pairs.duckdb"
    _pairs_warehouse(db, b.pairs_models, b.scale.seed)
    con = connect(db)
    try:
        t0 = time.perf_counter()
        columns = compare.prepare(con, date(2026, 6, 2), compare.load_comparison_config())
        files = [b.workdir / f for f in write_comparisons(con, columns, b.workdir).files]  # comparisons.parquet
        took = time.perf_counter() - t0
        rows = con.execute("SELECT count(*) FROM read_parquet($f)", {"f": [str(f) for f in files]}).fetchall()[0][0]
    finally:
        con.close()
    expected = b.pairs_models * (b.pairs_models - 1) // 2
    if rows != expected:  # every pair, once
        raise AssertionError(f"comparisons.parquet has {rows} rows, expected {expected}")
    b.notes["pairs"] = rows
    b.notes["pairs_parquet_mb"] = round(sum(f.stat().st_size for f in files) / 1_000_000, 1)
    log(f"pairs export: {rows} pairs of {b.pairs_models} models in {took:.1f} s")
    return {"pairs_export_s": round(took, 2)}


def _e2e() -> Any:
    """bench/e2e.py, beside this file (run as a script or imported as bench.bench_load)."""
    import importlib

    return importlib.import_module(f"{__package__}.e2e" if __package__ else "e2e")


def measure_e2e(b: Bench) -> dict[str, object]:
    """The synthetic catalog through parse -> normalize -> reconcile -> load (bench/e2e.py)."""
    return _e2e().measure_e2e(b) if b.with_e2e else {}


def measure_real(b: Bench) -> dict[str, object]:
    """The real catalogs of ../shared/real, when present (bench/e2e.py); {} with a message if not."""
    return _e2e().measure_real(b) if b.with_e2e else {}


MEASUREMENTS: list[Measurement] = [measure_loads, measure_asof, check_exact, measure_pairs_export, measure_e2e,
                                   measure_real]
# The final JSON line, in this order (the keys issue 4 asks for; asof_ms is the as-of rebuild)
KEYS = ["ledger_s_per_day", "ducklake_load_s_per_day", "dlt_s_per_day", "speedup_vs_dlt", "ledger_db_mb", "dlt_db_mb",
        "asof_ms", "asof_model_ms", "asof_all_vs_current", "exact", "pairs_export_s", "e2e_obs_per_s",
        "e2e_peak_rss_mb", "real_rebuild_s", "real_peak_rss_mb"]


def run(b: Bench) -> dict[str, object]:
    figures: dict[str, object] = {}
    for measure in MEASUREMENTS:
        figures |= measure(b)
    return {k: figures[k] for k in KEYS if k in figures} | {k: v for k, v in figures.items() if k not in KEYS}


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": sys.version.split()[0]}
    for pkg in ("duckdb", "pyarrow", "dlt"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--models", type=int, default=Scale.models)
    ap.add_argument("--providers", type=int, default=Scale.providers)
    ap.add_argument("--days", type=int, default=Scale.days)
    ap.add_argument("--as-of-day", type=int, default=Scale.as_of_day)
    ap.add_argument("--seed", type=int, default=Scale.seed)
    ap.add_argument("--dlt-input", choices=["arrow", "dicts"], default="arrow",
                    help="what dlt is fed: Arrow tables with a row hash column, or Python dicts it hashes")
    ap.add_argument("--ledger-only", action="store_true",
                    help="the DuckDB-file ledger only: skip dlt (no comparison figures) and DuckLake")
    ap.add_argument("--pairs-models", type=int, default=2_000,
                    help="models in the comparisons.parquet export measurement (issue 5: 2,000, ~2M pairs)")
    ap.add_argument("--no-e2e", action="store_true",
                    help="skip the end-to-end run of the synthetic catalog and the real catalogs (~2-3 min)")
    ap.add_argument("--keep", type=Path, help="write the databases here and keep them (default: a temp dir)")
    ap.add_argument("--out", type=Path, help="also write the figures, the scale and the notes to this JSON file")
    args = ap.parse_args(argv)
    scale = Scale(models=args.models, providers=args.providers, days=args.days, as_of_day=args.as_of_day,
                  seed=args.seed)
    if not 1 <= scale.as_of_day <= scale.days:
        ap.error("--as-of-day must be within the days loaded")
    started = time.perf_counter()
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="llm-ledger-bench-"))
    if args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True)
    log(f"bench: {scale.models} models x {scale.providers} providers, {scale.days} days, in {workdir}")
    try:
        b = Bench(scale=scale, workdir=workdir, dlt_input=args.dlt_input, with_dlt=not args.ledger_only,
                  with_lake=not args.ledger_only,
                  pairs_models=args.pairs_models, with_e2e=not args.no_e2e)
        figures = run(b)
        took = round(time.perf_counter() - started, 1)
        log("notes: " + json.dumps(b.notes, default=str))
        log(f"bench took {took} s")
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.out:
        report = {"figures": figures, "scale": asdict(scale), "notes": b.notes, "took_s": took,
                  "command": " ".join([Path(sys.argv[0]).name, *(argv if argv is not None else sys.argv[1:])]),
                  "measured_at": datetime.now(UTC).isoformat(timespec="seconds"), "cpus": os.cpu_count(),
                  "versions": _versions()}
        args.out.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(json.dumps(figures), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
