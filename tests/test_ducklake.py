"""The DuckLake warehouse (warehouse/lake.py, warehouse/location.py), selected by LLM_LEDGER_WAREHOUSE.

The whole bundled recorded crawl runs into a DuckLake with a SQLite catalog and must give exactly
what the DuckDB file gives: the export byte for byte, the seed facts, the as-of macros on every
seed date. Its last load runs in a second process and is held open inside its transaction: a
reader here must get the last committed snapshot at once, and the new one after the commit. The
same run against a Postgres catalog needs a throwaway PostgreSQL cluster (Debian's server
binaries) and skips, saying how to get them, without one. No network anywhere.
"""
from __future__ import annotations

import contextlib
import glob
import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import tests.test_golden_seeds as golden
from pipeline.config import load_sources
from pipeline.run import Paths, run
from warehouse import lake
from warehouse.connection import WarehouseMissing, connect, sql_text
from warehouse.location import (
    LAKE_DATA_PATH_ENV,
    WAREHOUSE_ENV,
    LakeWarehouse,
    WarehouseSpecError,
    parse_lake,
    parse_warehouse,
    resolve_warehouse,
)

REPO = Path(__file__).resolve().parents[1]
RECORDED = REPO / "spiders" / "recorded"
NEWEST = date(2026, 6, 4)  # the newest recorded crawl: what a run exports
SEED_DAYS = sorted({date.fromisoformat(str(p["as_of"])) for p in golden.GOLDEN})
LLAMA = "meta/llama-3.2-1b-instruct"

# A run in its own process that holds its last load open, inside the transaction, until told to
# go on: progress("loaded") is called after a crawl's versions are applied and before COMMIT.
WRITER = """
import sys, time
from pathlib import Path
from pipeline.config import load_sources
from pipeline.run import run
data, recorded, paused, go = map(Path, sys.argv[1:5])
def progress(stage, source, counts):
    if stage == "loaded":
        paused.write_text(counts["crawl"])
        deadline = time.monotonic() + 120
        while not go.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
run(data, load_sources(), progress=progress, recorded_dir=recorded)
print("committed", flush=True)
"""

# What a reader asks while the load is held: the crawls, and a fact the last crawl changes.
STATE_SQL = ("SELECT (SELECT count(*) FROM crawls), (SELECT count(*) FROM offer_versions), "
             "(SELECT count(*) FROM offers_current)")


@contextlib.contextmanager
def lake_env(spec: str) -> Iterator[None]:
    """LLM_LEDGER_WAREHOUSE for one call only: the other tests of this worker use the DuckDB file."""
    saved = {k: os.environ.get(k) for k in (WAREHOUSE_ENV, LAKE_DATA_PATH_ENV)}
    os.environ[WAREHOUSE_ENV] = spec
    os.environ.pop(LAKE_DATA_PATH_ENV, None)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def tree_differences(a: Path, b: Path) -> list[str]:
    """Every file that is not byte for byte the same in two export folders (missing ones too)."""
    files_a = {p.relative_to(a) for p in a.rglob("*") if p.is_file()}
    files_b = {p.relative_to(b) for p in b.rglob("*") if p.is_file()}
    out = [f"only in {a}: {p}" for p in sorted(files_a - files_b)]
    out += [f"only in {b}: {p}" for p in sorted(files_b - files_a)]
    out += [f"differs: {p}" for p in sorted(files_a & files_b) if (a / p).read_bytes() != (b / p).read_bytes()]
    return out


def check_seed_facts(export: Path, day: date) -> int:
    """tests/test_golden_seeds.py's check of every fact of the seed pairs as of ``day``."""
    checked = 0
    for param in golden.cases():
        pair, fact, part = param.values
        if str(pair["as_of"]) == day.isoformat():
            golden.test_seed_fact({day.isoformat(): export}, pair, fact, part)
            checked += 1
    return checked


def llama_facts(export: Path) -> None:
    """The golden facts, spelled out: Llama 3.2 1B Instruct vs o3 Mini as of 2026-06-04."""
    rec = golden.record({NEWEST.isoformat(): export}, golden.GOLDEN[0])
    assert rec["a"]["model_id"] == LLAMA and rec["b"]["model_id"] == "openai/o3-mini"
    assert rec["a"]["cheapest_input"]["usd_per_mtok"] == "0.027"
    assert rec["a"]["cheapest_input"]["provider"]["name"] == "Cloudflare Workers AI"
    assert (golden.money(rec["a"]["monthly"]["usd"]), golden.money(rec["b"]["monthly"]["usd"])) == (
        golden.money("71.85"), golden.money("1980.00"))


def latest_export(data_dir: Path) -> Path:
    return (data_dir / "exports" / "latest").resolve()


# --- the DuckLake with a SQLite catalog, its last load held open by a second process -------------

@dataclass
class LakeRun:
    data_dir: Path
    warehouse: LakeWarehouse
    before: tuple[Any, ...]   # the committed state before the last load
    during: tuple[Any, ...]   # what a reader got while the load was held open
    fresh: tuple[Any, ...]    # what a reader that opened during the load got
    after: tuple[Any, ...]    # what the same reader got after the commit
    query_s: float            # a query on an open connection, during the load
    open_query_s: float       # a new read-only connection plus the query, during the load
    held_crawl: str


@pytest.fixture(scope="module")
def sqlite_lake(tmp_path_factory: pytest.TempPathFactory) -> LakeRun:
    root = tmp_path_factory.mktemp("sqlite-lake")
    data_dir = root / "data"
    spec = f"ducklake:sqlite:{root / 'catalog.sqlite'}"
    crawls = sorted(p for p in RECORDED.iterdir() if (p / "crawl.json").exists())
    first_two = root / "recorded-first-two"
    first_two.mkdir()
    for crawl in crawls[:2]:
        (first_two / crawl.name).symlink_to(crawl, target_is_directory=True)
    with lake_env(spec):
        run(data_dir, load_sources(), do_export=False, recorded_dir=first_two)
        warehouse = Paths(data_dir).warehouse
    assert isinstance(warehouse, LakeWarehouse) and warehouse.data_path == data_dir / "lake"

    reader = connect(warehouse, read_only=True)
    before = reader.execute(STATE_SQL).fetchall()[0]
    paused, go = root / "paused", root / "go"
    env = {**os.environ, WAREHOUSE_ENV: spec, "PYTHONPATH": str(REPO)}
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(data_dir), str(RECORDED), str(paused), str(go)],
                              cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not paused.exists():
            if writer.poll() is not None or time.monotonic() > deadline:
                out, err = writer.communicate(timeout=5) if writer.poll() is not None else ("", "")
                pytest.fail(f"the writer never reached its open load transaction: {out}\n{err[-3000:]}")
            time.sleep(0.02)
        started = time.perf_counter()
        during = reader.execute(STATE_SQL).fetchall()[0]
        query_s = time.perf_counter() - started
        started = time.perf_counter()
        other = connect(warehouse, read_only=True)
        fresh = other.execute(STATE_SQL).fetchall()[0]
        open_query_s = time.perf_counter() - started
        other.close()
        assert writer.poll() is None, "the writer ended before the reads: its transaction was not held open"
    finally:
        go.touch()
    out, err = writer.communicate(timeout=300)
    assert writer.returncode == 0 and "committed" in out, err[-3000:]
    after = reader.execute(STATE_SQL).fetchall()[0]
    reader.close()
    return LakeRun(data_dir, warehouse, before, during, fresh, after, query_s, open_query_s, paused.read_text())


@pytest.mark.slow  # ~45 s: DuckLake writes a file per statement (`make test-slow`, which CI runs)
def test_the_recorded_crawl_into_a_sqlite_lake(sqlite_lake: LakeRun, recorded_exports,
                                              recorded_warehouse: Path) -> None:
    """One test for the one lake (so that two test workers never build it twice): the reader during
    the load, the export's bytes, the seed facts, time travel, what the lake does without."""
    reader_during_the_load(sqlite_lake)
    export = latest_export(sqlite_lake.data_dir)
    assert export.parent.name == "versions" and export.name.startswith(NEWEST.isoformat())
    assert tree_differences(export, recorded_exports(NEWEST)) == []
    assert len(list(export.rglob("*.json"))) > 50 and list(export.glob("*.parquet"))
    llama_facts(export)
    assert check_seed_facts(export, NEWEST) > 40
    time_travel_is_the_file_s(sqlite_lake.warehouse, recorded_warehouse)
    what_the_lake_does_without(sqlite_lake.warehouse)
    # a catalog keeps its data path: another one is an error naming the setting, not a second lake
    elsewhere = LakeWarehouse("sqlite", sqlite_lake.warehouse.target, sqlite_lake.data_dir / "elsewhere")
    with pytest.raises(lake.LakeError, match=LAKE_DATA_PATH_ENV):
        connect(elsewhere, read_only=True)
    # one transaction per run, versions by row hash: running again loads nothing and changes nothing
    with lake_env(sqlite_lake.warehouse.spec):
        again = run(sqlite_lake.data_dir, load_sources(), do_export=False, recorded_dir=RECORDED)
    assert again.reports == []


def reader_during_the_load(r: LakeRun) -> None:
    print(f"\nDuckLake (SQLite catalog), reader in another process while crawl {r.held_crawl} is loading "
          f"(transaction open): query on an open connection {r.query_s * 1000:.0f} ms; "
          f"new read-only connection + query {r.open_query_s * 1000:.0f} ms")
    assert r.before[0] == 2 and r.after[0] == 3, (r.before, r.after)
    assert r.during == r.before and r.fresh == r.before, "a reader saw the open load's rows before its commit"
    assert r.after != r.before, "the reader did not see the committed load"
    assert r.query_s < 2.0, f"a query waited {r.query_s:.2f} s for the writer"
    # opening loads two ~35 MB extension files: slower than a query, never a wait for the writer
    assert r.open_query_s < 5.0, f"opening and querying took {r.open_query_s:.2f} s during the load"


AS_OF_SQL = {
    "models_asof": "SELECT * FROM models_asof(DATE '{day}') ORDER BY model_id",
    "offers_asof": "SELECT * FROM offers_asof(DATE '{day}') ORDER BY model_id, provider_id, variant",
    "benchmarks_asof": "SELECT * FROM benchmarks_asof(DATE '{day}') ORDER BY model_id, benchmark_id",
    "cheapest_routes_asof": "SELECT * FROM cheapest_routes_asof(DATE '{day}') ORDER BY model_id",
}
VIEWS_SQL = {view: f"SELECT * FROM {view} ORDER BY ALL" for view in ("price_history", "changes", "conflicts")}


def time_travel_is_the_file_s(warehouse: LakeWarehouse, file: Path) -> None:
    """The as-of macros give the DuckDB file's rows on every seed date (with DuckLake's statistics
    trusted, models_asof lost versions: lake.STATS_WORKAROUND), so do the history views, and the
    lake's own time travel (AT VERSION) holds the state before the last load."""
    lake_con = connect(warehouse, read_only=True)
    file_con = connect(file, read_only=True)
    try:
        for day in SEED_DAYS:
            for name, sql in AS_OF_SQL.items():
                got, want = (c.execute(sql.format(day=day)).fetchall() for c in (lake_con, file_con))
                assert got == want, f"{name} as of {day}"
                assert got or (name, day) == ("benchmarks_asof", SEED_DAYS[0]), f"{name} as of {day} is empty"
        for name, sql in VIEWS_SQL.items():
            got, want = (c.execute(sql).fetchall() for c in (lake_con, file_con))
            assert got == want and got, name
        llama = lake_con.execute(f"SELECT cheapest_input_usd_per_mtok, cheapest_input_routes FROM "
                                 f"cheapest_routes_asof(DATE '{NEWEST}') WHERE model_id = '{LLAMA}'").fetchall()
        assert str(llama[0][0].normalize()) == "0.027"
        assert "cloudflare-workers-ai" in {r["provider_id"] for r in llama[0][1]}
        # the snapshot before the last one (the held load's commit): two crawls, as the reader saw
        last = lake_con.execute(f"SELECT max(snapshot_id) FROM ducklake_snapshots('{lake.ALIAS}')").fetchall()[0][0]
        at = [lake_con.execute(f"SELECT count(*) FROM crawls AT (VERSION => {v})").fetchall()[0][0]
              for v in (last - 1, last)]
        assert at == [2, 3], at
    finally:
        lake_con.close()
        file_con.close()


def what_the_lake_does_without(warehouse: LakeWarehouse) -> None:
    """No key constraints, no macro comments; the tables, views, macros and table comments are there."""
    con = connect(warehouse, read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM duckdb_constraints() WHERE database_name = 'lake' "
                           "AND constraint_type IN ('PRIMARY KEY', 'UNIQUE')").fetchall()[0][0] == 0
        macros = {r[0] for r in con.execute("SELECT function_name FROM duckdb_functions() "
                                            "WHERE database_name = 'lake' AND function_type LIKE '%macro%'").fetchall()}
        assert {"asof_bound", "models_asof", "offers_asof", "cheapest_routes_asof", "typed_claims"} <= macros
        (comment,) = con.execute("SELECT comment FROM duckdb_tables() WHERE database_name = 'lake' "
                                 "AND table_name = 'offer_versions'").fetchall()[0]
        assert comment and "versions" in comment
        types = dict(con.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = 'lake' "
                                 "AND table_name = 'offer_versions'").fetchall())
        assert types["input_usd_per_mtok"] == "DECIMAL(18,9)" and types["provenance"] == "JSON"
    finally:
        con.close()


# --- configuration and translation (no warehouse opened) -----------------------------------------

def test_the_warehouse_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(WAREHOUSE_ENV, raising=False)
    monkeypatch.delenv(LAKE_DATA_PATH_ENV, raising=False)
    assert resolve_warehouse(tmp_path) == tmp_path / "ledger.duckdb" == Paths(tmp_path).warehouse
    monkeypatch.setenv(WAREHOUSE_ENV, str(tmp_path / "elsewhere.duckdb"))
    assert Paths(tmp_path).warehouse == tmp_path / "elsewhere.duckdb"
    monkeypatch.setenv(WAREHOUSE_ENV, "ducklake:sqlite:cat.sqlite")
    w = Paths(tmp_path).warehouse
    assert isinstance(w, LakeWarehouse) and w.kind == "sqlite" and Path(w.target).is_absolute()
    assert w.data_path == tmp_path / "lake" and w.spec == f"ducklake:sqlite:{w.target}"
    monkeypatch.setenv(LAKE_DATA_PATH_ENV, str(tmp_path / "files"))
    assert Paths(tmp_path).warehouse.data_path == tmp_path / "files"  # type: ignore[union-attr]
    duck = parse_lake(f"ducklake:{tmp_path / 'meta.ducklake'}")
    assert (duck.kind, duck.catalog, duck.data_path) == ("duckdb", str(tmp_path / "meta.ducklake"), None)
    pg = parse_warehouse("ducklake:postgres:dbname=ledger host=127.0.0.1 password=s3cret user=me")
    assert isinstance(pg, LakeWarehouse) and pg.kind == "postgres" and "s3cret" in pg.spec
    assert "s3cret" not in str(pg) and "password=***" in str(pg) and f"{pg}".startswith("ducklake:postgres:")
    assert "hunter2" not in str(parse_lake("ducklake:postgres:postgresql://me:hunter2@db/ledger"))
    for bad in ("ducklake:postgres:", "ducklake:mysql:db=x", "ducklake:", "ducklake:s3://bucket/x"):
        with pytest.raises(WarehouseSpecError):
            parse_lake(bad)
    assert parse_warehouse("plain.duckdb") == Path("plain.duckdb")


def test_a_missing_lake_is_not_created_by_a_reader(tmp_path: Path) -> None:
    with pytest.raises(WarehouseMissing):
        connect(f"ducklake:sqlite:{tmp_path / 'none.sqlite'}", read_only=True)
    assert not (tmp_path / "none.sqlite").exists()


def test_the_migrations_as_ducklake_takes_them() -> None:
    schema = lake.translate_ddl(sql_text("001_schema.sql"))
    assert "PRIMARY KEY" not in schema and "source_id      VARCHAR NOT NULL," in schema
    assert "crawl_id   VARCHAR NOT NULL," in schema and "skipped       INTEGER NOT NULL\n);" in schema
    assert "PRIMARY KEY" not in lake.translate_ddl(sql_text("002_offer_key.sql"))
    assert lake.translate_ddl("CREATE TABLE t (a INT UNIQUE, b INT,\n    UNIQUE (a, b)\n);") == \
        "CREATE TABLE t (a INT, b INT\n);"
    comments = sql_text("comments.sql")
    # translate_comments drops whole lines: every statement of comments.sql is one line
    assert all(line.startswith("COMMENT ON ") and line.endswith(";") for line in comments.splitlines() if line)
    kept = lake.translate_comments(comments)
    assert "COMMENT ON MACRO" not in kept and "COMMENT ON TABLE offer_versions" in kept
    assert kept.count("\n") == comments.count("\n") - comments.count("COMMENT ON MACRO")


def test_extensions_load_from_their_packages_only() -> None:
    import duckdb

    for name in lake.EXTENSIONS:
        path = lake.extension_file(name)
        assert path.is_file() and path.name == f"{lake.EXTENSIONS[name][2]}.duckdb_extension"
    con = duckdb.connect(config=lake.CONFIG)
    try:
        settings = dict(con.execute("SELECT name, value FROM duckdb_settings() WHERE name IN "
                                    "('autoinstall_known_extensions', 'autoload_known_extensions')").fetchall())
        assert settings == {"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"}
    finally:
        con.close()


# --- the same run against a Postgres catalog, on a throwaway cluster -----------------------------

def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def postgres_conninfo() -> Iterator[str]:
    bindir = _postgres_bin()
    if bindir is None:
        pytest.skip("no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb): "
                    "`apt-get install -y postgresql` (Debian) to run the Postgres-catalog test")
    if importlib.util.find_spec("duckdb_extension_postgres") is None:
        pytest.skip("no duckdb-extension-postgres package (the postgres_scanner extension a Postgres catalog "
                    "needs): `make setup` installs it")
    prefix: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="llm-ledger-pg-"))  # short: the server's socket path lives here
    if os.geteuid() == 0:  # initdb refuses root: run the server as Debian's postgres user
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(root)
            pytest.skip("running as root without a `postgres` user to run the server as")
        runuser = shutil.which("runuser")
        if runuser is None:
            shutil.rmtree(root)
            pytest.skip("running as root without `runuser` to start the server as the postgres user")
        os.chown(root, user.pw_uid, user.pw_gid)
        prefix = [runuser, "-u", "postgres", "--"]
    cluster, port = root / "cluster", _free_port()

    def pg(*args: str) -> None:
        subprocess.run([*prefix, *args], check=True, capture_output=True, timeout=60)

    try:
        pg(str(bindir / "initdb"), "-D", str(cluster), "-A", "trust", "-U", "ledger", "--no-sync", "-E", "UTF8")
        # fsync off: a throwaway cluster; 127.0.0.1 only, on a free port
        pg(str(bindir / "pg_ctl"), "-D", str(cluster), "-l", str(root / "server.log"), "-w", "-t", "30",
           "-o", f"-h 127.0.0.1 -p {port} -k {root} -F", "start")
    except subprocess.CalledProcessError as e:
        log = (root / "server.log").read_text() if (root / "server.log").exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"could not start a throwaway PostgreSQL: {e.stderr}\n{log}")
    try:
        yield f"dbname=postgres host=127.0.0.1 port={port} user=ledger"
    finally:
        subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(cluster), "-m", "immediate", "-w", "stop"],
                       capture_output=True, timeout=60, check=False)  # a stop that fails: the rmtree still runs
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.slow  # ~35 s: a Postgres cluster and a whole run (`make test-slow`, which CI runs)
def test_a_postgres_catalog_gives_the_same_export(postgres_conninfo: str, tmp_path: Path, recorded_exports) -> None:
    data_dir = tmp_path / "data"
    with lake_env(f"ducklake:postgres:{postgres_conninfo}"):
        summary = run(data_dir, load_sources(), recorded_dir=RECORDED)
        warehouse = Paths(data_dir).warehouse
    assert isinstance(warehouse, LakeWarehouse) and warehouse.kind == "postgres" and warehouse.exists()
    assert [r.crawl_id for r in summary.reports] == sorted(p.name for p in RECORDED.iterdir() if p.name[0] == "2")
    export = latest_export(data_dir)
    assert tree_differences(export, recorded_exports(NEWEST)) == []
    llama_facts(export)
    assert check_seed_facts(export, NEWEST) > 40
