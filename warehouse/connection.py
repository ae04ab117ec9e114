"""Opening the warehouse: one writer at a time, schema migrations, views."""
from __future__ import annotations

import hashlib
import logging
import os
import re
import time
from importlib import resources
from pathlib import Path
from collections.abc import Callable

import duckdb

from pipeline.resources import read_yaml
from pipeline.errors import LedgerError
from warehouse import lake
from warehouse.location import LakeWarehouse, parse_warehouse

MIGRATIONS = ["001_schema.sql", "002_offer_key.sql", "003_analysts.sql"]
SCHEMA_VERSION = len(MIGRATIONS)


class WarehouseLocked(LedgerError, RuntimeError):
    """Another process holds the warehouse file."""


class WarehouseIncompatible(LedgerError, RuntimeError):
    """The file was written by a DuckDB whose storage format this one cannot read."""


class WarehouseMissing(LedgerError, FileNotFoundError):
    pass


def sql_text(name: str) -> str:
    return resources.files("warehouse").joinpath("sql", name).read_text()


# How long an open waits for a lock another process holds (a load, an analyst's connection) before
# it gives up: a load holds the file for seconds, so readers and a second writer wait it out.
LOCK_WAIT_ENV = "LLM_LEDGER_LOCK_WAIT"
DEFAULT_LOCK_WAIT_S = 60.0
log = logging.getLogger(__name__)


def lock_wait_s() -> float:
    text = os.environ.get(LOCK_WAIT_ENV)
    try:
        return max(0.0, float(text)) if text else DEFAULT_LOCK_WAIT_S
    except ValueError:
        raise LedgerError(f"{LOCK_WAIT_ENV}={text!r}: expected seconds (a number)") from None


def _is_lock_conflict(message: str) -> bool:
    low = message.lower()  # not just "lock": a checksum error names a "block"
    return "could not set lock" in low or "conflicting lock" in low


def connect(path: Path | str | LakeWarehouse, read_only: bool = False,
            wait_s: float | None = None) -> duckdb.DuckDBPyConnection:
    """Open the warehouse: a DuckDB file (a Path or path text), or a DuckLake (a ``ducklake:`` spec
    or a LakeWarehouse; see warehouse/location.py). While another process holds the DuckDB file (a
    load writing, or an analyst's connection), wait up to ``wait_s`` (default $LLM_LEDGER_LOCK_WAIT,
    else 60 s), then fail with a clear message naming the process. A DuckLake with a SQLite or
    Postgres catalog takes no such lock: its readers read the last committed snapshot at once."""
    target = path if isinstance(path, LakeWarehouse) else parse_warehouse(path)
    if isinstance(target, LakeWarehouse):
        if read_only and target.kind != "postgres" and not target.exists():
            raise WarehouseMissing(f"no warehouse at {target}: run `llm-ledger run` first")
        # A DuckDB-file catalog is locked like the warehouse file, so the same wait applies to it.
        con = _open_waiting(target, lambda: lake.open_lake(target, read_only), wait_s)
        if read_only and not lake.has_schema(con):
            con.close()
            raise WarehouseMissing(f"no warehouse in {target}: run `llm-ledger run` first")
    else:
        file = Path(target)
        if read_only and not file.exists():
            raise WarehouseMissing(f"no warehouse at {file}: run `llm-ledger run` first")
        file.parent.mkdir(parents=True, exist_ok=True)
        con = _open_waiting(file, lambda: duckdb.connect(str(file), read_only=read_only, config=CONNECT_CONFIG),
                            wait_s)
    con.execute("SET TimeZone = 'UTC'")
    if not read_only:
        migrate(con)
    return con


# Nothing is ever downloaded: parquet and json are built in, DuckLake's extensions are LOADed from
# their packages (warehouse/lake.py).
CONNECT_CONFIG = {"autoinstall_known_extensions": False}


def _open_waiting(where: object, opener: Callable[[], duckdb.DuckDBPyConnection],
                  wait_s: float | None) -> duckdb.DuckDBPyConnection:
    budget = lock_wait_s() if wait_s is None else wait_s
    deadline = time.monotonic() + budget
    delay, said = 0.05, False
    while True:
        try:
            con = opener()
            break
        except duckdb.IOException as e:
            msg = str(e)
            if _is_lock_conflict(msg):
                pid = re.search(r"PID (\d+)", msg)
                who = f" (process {pid.group(1)})" if pid else ""
                if time.monotonic() + delay < deadline:
                    if not said:
                        log.warning("the warehouse %s is in use by another process%s: waiting up to %.0f s",
                                    where, who, budget)
                        said = True
                    time.sleep(delay)
                    delay = min(delay * 2, 1.0)
                    continue
                raise WarehouseLocked(
                    f"the warehouse {where} is in use by another llm-ledger run{who}"
                    + (f" (waited {budget:.0f} s, ${LOCK_WAIT_ENV})" if budget else "")
                    + "; wait for it to finish, or point --data-dir elsewhere"
                ) from None
            if "version number" in msg:
                # A file written by another DuckDB storage version: say which, and what to do.
                raise WarehouseIncompatible(
                    f"the warehouse {where} was written by a different DuckDB storage version than this "
                    f"llm-ledger's duckdb {duckdb.__version__} can read ({msg.splitlines()[0]}); "
                    "open it with the DuckDB that wrote it, or move it aside and run `llm-ledger rebuild`, "
                    "which remakes it from the raw archive next to it"
                ) from None
            raise
    if said:
        log.warning("the warehouse %s is free: going on", where)
    return con


def migrate(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = con.execute("SELECT max(version) FROM schema_version").fetchone()
    current = (row[0] if row else None) or 0
    if current > SCHEMA_VERSION:
        raise RuntimeError(f"warehouse schema {current} is newer than this llm-ledger ({SCHEMA_VERSION}): upgrade")
    on_lake = lake.is_lake(con)
    for version, name in enumerate(MIGRATIONS, start=1):
        if version > current:
            con.execute("BEGIN")
            # DuckLake has no PRIMARY KEY / UNIQUE: the one translation of the migrations (lake.py)
            con.execute(lake.translate_ddl(sql_text(name)) if on_lake else sql_text(name))
            con.execute("INSERT INTO schema_version VALUES (?)", [version])
            con.execute("COMMIT")
    _views_and_comments(con)


def _views_and_comments(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create the views and macros and comment every object, unless this warehouse already has
    exactly these: ~430 COMMENT ON statements cost about a second on every writable open. The
    stamp is the sha256 of the SQL and docs that make them; a missing view is recreated too."""
    from warehouse import transform  # the marts' templates (warehouse/transform.py imports nothing of this module)

    texts = [sql_text("views.sql") + "\n" + transform.changes_view_sql(), sql_text("comments.sql"),
             sql_text("column_docs.yaml")]
    stamp = hashlib.sha256("\0".join([str(SCHEMA_VERSION), *texts]).encode()).hexdigest()
    con.execute("CREATE TABLE IF NOT EXISTS schema_objects (stamp VARCHAR NOT NULL)")
    row = con.execute("SELECT max(stamp) FROM schema_objects").fetchone()
    wanted = set(re.findall(r"CREATE OR REPLACE VIEW (\w+)", texts[0]))
    have = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    if row and row[0] == stamp and wanted <= have:
        return
    con.execute("BEGIN")
    con.execute(texts[0])
    # DuckLake comments tables, views and columns but not macros (lake.py)
    con.execute(lake.translate_comments(texts[1]) if lake.is_lake(con) else texts[1])
    _comment_columns(con)
    con.execute("DELETE FROM schema_objects")
    con.execute("INSERT INTO schema_objects VALUES (?)", [stamp])
    con.execute("COMMIT")


USER_OBJECTS = """
SELECT table_name, column_name FROM duckdb_columns()
WHERE schema_name = 'main' AND NOT internal
  AND table_name IN (SELECT table_name FROM duckdb_tables() WHERE NOT internal AND NOT temporary
                     UNION SELECT view_name FROM duckdb_views() WHERE NOT internal AND NOT temporary)
"""


def _comment_columns(con: duckdb.DuckDBPyConnection) -> None:
    """COMMENT ON COLUMN for every column of every table and view, from sql/column_docs.yaml (on a
    DuckLake, of every table: it comments no view's columns, lake.py)."""
    docs: dict[str, str] = read_yaml(sql_text("column_docs.yaml"))
    for table, column in con.execute(lake.LAKE_COMMENTED_COLUMNS if lake.is_lake(con) else USER_OBJECTS).fetchall():
        doc = docs.get(column)
        if doc:
            con.execute(f"COMMENT ON COLUMN {table}.{column} IS '{doc.replace(chr(39), chr(39) * 2)}'")
