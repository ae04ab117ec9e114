"""Benchmark of the versioned (SCD2) load: llm-ledger's own load path against dlt's `scd2` merge.

One run generates a deterministic synthetic catalog (10,000 models x 20 provider offers, 30 daily
full snapshots; each day ~1% of offers change price, 0.2% vanish, 0.2% appear), loads it day by
day into two DuckDB files — once through the project's real path (warehouse.connection.connect,
a TEMP stage_offers with the row hash of pipeline.reconcile, warehouse.load.apply_versions, one
transaction per day) and once through a dlt pipeline with the `scd2` merge strategy — then
rebuilds day 15 from both and compares it row by row with the generator's own day 15.

Progress goes to stderr; the LAST line on stdout is one JSON object with the figures. Each
measurement is a function taking the shared `Bench` context and returning a dict of figures;
`main` merges them in order (add a new measurement to `MEASUREMENTS`).

    .venv/bin/python bench/bench_load.py            # full size (what `make bench` runs)
    .venv/bin/python bench/bench_load.py --models 500 --days 5 --as-of-day 3   # a quick smoke run
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipeline.fields import OFFER_FIELDS, FieldType  # noqa: E402
from pipeline.reconcile import OFFER_KEY, _hash  # noqa: E402  (the row hash reconcile builds)
from warehouse.connection import connect, sql_text  # noqa: E402
from warehouse.load import apply_versions  # noqa: E402

PRICE_TYPE = pa.decimal128(18, 9)  # DuckDB DECIMAL(18, 9), as offer_versions holds prices
NANO = pa.scalar(Decimal("0.000000001"), pa.decimal128(10, 9))
FACT_COLUMNS = [*OFFER_KEY, *OFFER_FIELDS]  # what a rebuilt day is compared on
PRICE_FIELDS = [f for f, t in OFFER_FIELDS.items() if t == FieldType.DECIMAL]
ARROW_TYPES: dict[str, pa.DataType] = {c: pa.string() for c in OFFER_KEY} | {
    f: {FieldType.DECIMAL: PRICE_TYPE, FieldType.INT: pa.int64(), FieldType.DATE: pa.date32(),
        FieldType.BOOL: pa.bool_()}.get(t, pa.string())
    for f, t in OFFER_FIELDS.items()
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
        self.live: dict[int, None] = {}  # offer indices in the catalog today (an ordered set)
        self.serial = 0

    def _new_offer(self, model: int, provider: int, reissue: bool) -> None:
        rng = self.rng
        creator = CREATORS[model % len(CREATORS)]
        slug = f"model-{model:05d}-{('instruct', 'chat', 'base', 'coder')[model % 4]}"
        pid = f"provider-{provider:02d}"
        pmid = f"@p{provider}/{creator}/{slug}"
        if reissue:  # an offer appearing later: a new route of an existing model
            self.serial += 1
            pmid += f"-r{self.serial}"
        inp = rng.randrange(10_000_000, 15_000_000_000)  # $0.01 .. $15 per 1M tokens, to the nano
        out = inp * rng.randrange(1, 6) + rng.randrange(0, 1_000_000)
        flags = (rng.random() < 0.5, rng.random() < 0.2, rng.random() < 0.05)
        row: dict[str, object] = {
            "model_id": f"{creator}/{slug}", "provider_id": pid, "provider_model_id": pmid,
            "variant": rng.choice(["", "", "", ":free", ":nitro"]),
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
        for _ in range(round(self.scale.models * self.scale.providers * self.scale.appear)):
            self._new_offer(rng.randrange(self.scale.models), rng.randrange(self.scale.providers), True)

    def _table(self) -> pa.Table:
        idx = pa.array(list(self.live), pa.int64())
        cols = {c: pa.array(self.static[c], ARROW_TYPES[c]).take(idx) for c in STATIC_COLUMNS}
        prices = [self._prices(i) for i in self.live]
        for f in PRICE_FIELDS:
            nanos = pa.array([p.get(f) for p in prices], pa.int64())
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
# The measurements: each takes the Bench and returns figures for the final JSON line


@dataclass
class Bench:
    scale: Scale
    workdir: Path
    dlt_input: str = "arrow"
    ledger_db: Path | None = None
    dlt_db: Path | None = None
    dlt_table: str = ""  # schema-qualified name of dlt's offers table
    expected: pa.Table | None = None  # the generator's own snapshot of the as-of day
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


def versions_table(stage: str) -> str:
    """stage_models -> model_versions: the naming scd2.sql follows."""
    return stage.removeprefix("stage_").removesuffix("s") + "_versions"


def empty_stage_tables() -> list[str]:
    """Every stage_* table that scd2.sql reads, except stage_offers (the one this bench fills)."""
    names = dict.fromkeys(re.findall(r"\b(stage_\w+)", sql_text("scd2.sql")))
    return [n for n in names if n != "stage_offers"]


STAGE_OFFERS_SQL = f"""
CREATE OR REPLACE TEMP TABLE stage_offers AS
SELECT *, {_hash(FACT_COLUMNS)} AS row_hash FROM (
    SELECT {", ".join(FACT_COLUMNS)}, CAST('{{}}' AS JSON) AS provenance FROM day_offers
)
"""


def measure_ledger_load(b: Bench) -> dict[str, object]:
    """The project's path: schema by migrations, set-wise stage, apply_versions, a transaction a day."""
    b.ledger_db = b.workdir / "ledger.duckdb"
    con = connect(b.ledger_db)
    try:
        # reconcile builds every stage table scd2.sql reads; this bench resolves offers only
        for stage in empty_stage_tables():
            con.execute(f"CREATE OR REPLACE TEMP TABLE {stage} AS SELECT * EXCLUDE "
                        f"(valid_from, valid_to, opened_by, closed_by) FROM {versions_table(stage)} LIMIT 0")
        times: list[float] = []
        for d in Catalog(b.scale).days():
            if d.day == b.scale.as_of_day:
                b.expected = d.offers
            crawl_id = f"bench-{d.day:02d}"
            t0 = time.perf_counter()
            con.execute("BEGIN TRANSACTION")
            try:
                con.register("day_offers", d.offers)
                con.execute(STAGE_OFFERS_SQL)
                con.unregister("day_offers")
                stats = apply_versions(con, crawl_id, d.ts)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            times.append(time.perf_counter() - t0)
            log(f"ledger day {d.day}/{b.scale.days}: {times[-1]:.3f} s, {d.offers.num_rows} offers, "
                f"+{stats.offers_opened} -{stats.offers_closed} versions")
        con.execute("CHECKPOINT")
        versions = con.execute("SELECT count(*) FROM offer_versions").fetchall()[0][0]
    finally:
        con.close()
    b.notes["ledger_versions"] = versions
    b.notes["ledger_first_day_s"] = round(times[0], 3)
    return {"ledger_s_per_day": round(per_day(times), 4), "ledger_db_mb": db_mb(b.ledger_db)}


def _dlt_rows_hash(con: duckdb.DuckDBPyConnection, offers: pa.Table) -> pa.Table:
    """dlt hashes rows itself only for Python dicts: Arrow input needs a row version column."""
    con.register("day_offers", offers)
    try:
        hashed = con.sql(f"SELECT *, {_hash(FACT_COLUMNS)} AS row_hash FROM day_offers").to_arrow_table()
    finally:
        con.unregister("day_offers")
    # the key and the hash are never NULL: say so, as the dlt schema (primary key, row version) does
    required = {*OFFER_KEY, "row_hash"}
    return hashed.cast(pa.schema([f.with_nullable(f.name not in required) for f in hashed.schema]))


def measure_dlt_load(b: Bench) -> dict[str, object]:
    """dlt's merge/scd2 into a DuckDB file, one pipeline.run per daily full snapshot."""
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    os.environ.setdefault("DLT_DATA_DIR", str(b.workdir / "dlt-home"))
    import dlt  # benchmark-only dependency (`pip install -e '.[bench]'`)

    hints = {f: {"data_type": "decimal", "precision": 18, "scale": 9} for f in PRICE_FIELDS}
    hasher = duckdb.connect()

    def run(pipeline: dlt.Pipeline, d: Day) -> None:
        disposition: dict[str, object] = {"disposition": "merge", "strategy": "scd2", "boundary_timestamp": d.ts}
        if b.dlt_input == "arrow":
            data: object = _dlt_rows_hash(hasher, d.offers)
            disposition["row_version_column_name"] = "row_hash"
        else:
            data = d.offers.to_pylist()
        pipeline.run(data, table_name="offers", write_disposition=disposition,  # type: ignore[arg-type]
                     primary_key=list(OFFER_KEY), columns=hints)  # type: ignore[arg-type]

    def pipeline_at(name: str, db: Path) -> dlt.Pipeline:
        return dlt.pipeline(pipeline_name=name, pipelines_dir=str(b.workdir / "dlt-pipelines"),
                            destination=dlt.destinations.duckdb(str(db)), dataset_name="bench")

    # untimed warm-up (imports, first schema, first merge) on a tiny catalog in another file
    warm = pipeline_at("bench_warmup", b.workdir / "dlt_warmup.duckdb")
    for d in Catalog(Scale(models=20, providers=3, days=2, as_of_day=1)).days():
        run(warm, d)

    b.dlt_db = b.workdir / "dlt.duckdb"
    pipeline = pipeline_at("bench_scd2", b.dlt_db)
    times: list[float] = []
    for d in Catalog(b.scale).days():
        if d.day == b.scale.as_of_day and b.expected is not None and not d.offers.equals(b.expected):
            raise RuntimeError("the catalog is not deterministic: day %d differs between runs" % d.day)
        t0 = time.perf_counter()
        run(pipeline, d)
        times.append(time.perf_counter() - t0)
        log(f"dlt    day {d.day}/{b.scale.days}: {times[-1]:.3f} s ({b.dlt_input})")
    hasher.close()
    b.dlt_table = f"{pipeline.dataset_name}.offers"
    con = duckdb.connect(str(b.dlt_db))
    try:
        con.execute("CHECKPOINT")
        b.notes["dlt_versions"] = con.execute(f"SELECT count(*) FROM {b.dlt_table}").fetchall()[0][0]
        b.notes["dlt_price_type"] = con.execute(
            f"SELECT data_type FROM information_schema.columns WHERE table_schema = 'bench' "
            f"AND table_name = 'offers' AND column_name = '{PRICE_FIELDS[0]}'").fetchall()[0][0]
    finally:
        con.close()
    b.notes["dlt_first_day_s"] = round(times[0], 3)
    return {"dlt_s_per_day": round(per_day(times), 4), "dlt_db_mb": db_mb(b.dlt_db)}


def _ledger_asof_sql(ts: datetime) -> str:
    return f"SELECT * FROM offers_asof(TIMESTAMPTZ '{ts.isoformat()}')"


def measure_asof(b: Bench, runs: int = 21) -> dict[str, object]:
    """Median time to rebuild the as-of day from the ledger (offers_asof, fetched as Arrow)."""
    assert b.ledger_db is not None
    con = connect(b.ledger_db, read_only=True)
    try:
        sql = _ledger_asof_sql(b.as_of_ts)
        con.sql(sql).to_arrow_table()  # warm the cache once
        times = []
        rows = 0
        for _ in range(runs):
            t0 = time.perf_counter()
            rows = con.sql(sql).to_arrow_table().num_rows
            times.append(time.perf_counter() - t0)
    finally:
        con.close()
    log(f"as-of day {b.scale.as_of_day}: {rows} offers, median {statistics.median(times) * 1000:.1f} ms "
        f"(min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f})")
    return {"asof_ms": round(statistics.median(times) * 1000, 2)}


def _same_rows(name: str, got: pa.Table, expected: pa.Table) -> bool:
    order = [(c, "ascending") for c in OFFER_KEY]
    a = got.select(FACT_COLUMNS).sort_by(order).to_pylist()
    e = expected.select(FACT_COLUMNS).sort_by(order).to_pylist()
    if len(a) != len(e):
        log(f"{name}: {len(a)} rows rebuilt, {len(e)} expected")
        return False
    bad = [(x, y) for x, y in zip(a, e, strict=True) if x != y]  # Decimal compares by value
    if bad:
        log(f"{name}: {len(bad)} of {len(e)} rows differ, first: got {bad[0][0]} expected {bad[0][1]}")
        return False
    log(f"{name}: all {len(e)} rows identical")
    return True


def check_exact(b: Bench) -> dict[str, object]:
    """Both stores rebuild the as-of day exactly as the generator made it, row by row."""
    assert b.ledger_db is not None and b.dlt_db is not None and b.expected is not None
    ts = b.as_of_ts
    con = connect(b.ledger_db, read_only=True)
    try:
        ledger = con.sql(_ledger_asof_sql(ts)).to_arrow_table()
    finally:
        con.close()
    con = duckdb.connect(str(b.dlt_db), read_only=True)
    try:
        dlt_day = con.sql(
            f"SELECT * FROM {b.dlt_table} WHERE _dlt_valid_from <= TIMESTAMPTZ '{ts.isoformat()}' "
            f"AND (_dlt_valid_to IS NULL OR _dlt_valid_to > TIMESTAMPTZ '{ts.isoformat()}')").to_arrow_table()
    finally:
        con.close()
    ok_ledger = _same_rows("ledger as-of", ledger, b.expected)
    ok_dlt = _same_rows("dlt as-of", dlt_day, b.expected)
    return {"exact": ok_ledger and ok_dlt}


Measurement = Callable[[Bench], dict[str, object]]
MEASUREMENTS: list[Measurement] = [measure_ledger_load, measure_dlt_load, measure_asof, check_exact]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=int, default=Scale.models)
    ap.add_argument("--providers", type=int, default=Scale.providers)
    ap.add_argument("--days", type=int, default=Scale.days)
    ap.add_argument("--as-of-day", type=int, default=Scale.as_of_day)
    ap.add_argument("--seed", type=int, default=Scale.seed)
    ap.add_argument("--dlt-input", choices=["arrow", "dicts"], default="arrow",
                    help="what dlt is fed: Arrow tables with a row hash column, or Python dicts it hashes")
    ap.add_argument("--keep", type=Path, help="write the databases here and keep them (default: a temp dir)")
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
        b = Bench(scale=scale, workdir=workdir, dlt_input=args.dlt_input)
        figures: dict[str, object] = {}
        for measure in MEASUREMENTS:
            figures |= measure(b)
            if "ledger_s_per_day" in figures and "dlt_s_per_day" in figures and "speedup_vs_dlt" not in figures:
                figures["speedup_vs_dlt"] = round(
                    float(figures["dlt_s_per_day"]) / float(figures["ledger_s_per_day"]), 1)  # type: ignore[arg-type]
        log("notes: " + json.dumps(b.notes, default=str))
        log(f"bench took {time.perf_counter() - started:.1f} s")
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(figures), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
