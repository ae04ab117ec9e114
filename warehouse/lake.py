"""The DuckLake warehouse: everything that differs from the DuckDB file is here.

A DuckLake is a catalog (SQLite, Postgres or a DuckDB file: the tables, snapshots and statistics)
plus parquet files under a data path. llm-ledger attaches it as ``lake`` on an in-memory DuckDB
connection and makes it the default catalog, so every query, migration, load and export runs
unchanged. What DuckLake does without (README "DuckLake"), and what this module does instead:

- PRIMARY KEY / UNIQUE constraints: not supported; the migrations' keys are dropped here
  (``translate_ddl``) and a key column keeps its NOT NULL. The loads never relied on them: they
  are set-wise and idempotent by row hash.
- Indexes: not supported (``CREATE INDEX`` fails); the schema has none.
- COMMENT ON MACRO and COMMENT ON COLUMN of a view: not supported (tables, their columns and
  views keep their comments; macros are stored in the lake, but without a comment):
  ``translate_comments`` leaves those statements out, ``LAKE_COMMENTED_COLUMNS`` lists tables only.
- Trustworthy column statistics: DuckLake 1.5.5 keeps wrong min/max after a transaction that
  updates rows it inserted (every multi-crawl load and rebuild), and DuckDB's statistics
  propagation then drops rows; every connection opened here turns that optimizer off
  (``STATS_WORKAROUND``). Another client reading the lake must do the same.
- One writer: DuckLake takes no file lock, so LLM_LEDGER_LOCK_WAIT does not apply to SQLite or
  Postgres catalogs (readers read the last committed snapshot while a load runs). A second writer
  is not refused when it opens: its commit fails if it collides with the first, and its whole
  load is rolled back (the Prefect warehouse slot keeps runs from getting there).

The extensions come from the ``duckdb-extension-*`` packages (pyproject) and are LOADed from their
installed path: no INSTALL, nothing downloaded, ``autoinstall_known_extensions`` stays off.
"""
from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import re
import shutil
import tempfile
from pathlib import Path

import duckdb

from pipeline.errors import LedgerError
from warehouse.location import LakeWarehouse

ALIAS = "lake"
CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


class LakeError(LedgerError, RuntimeError):
    """A DuckLake cannot be opened: an extension missing or built for another DuckDB, a data path
    that is not the catalog's, an unreachable catalog."""


# (pip package, file in the package, the name DuckDB loads it under). DuckDB derives an
# extension's entry point from its file name, and both scanners ship under their alias
# (sqlite.duckdb_extension, postgres.duckdb_extension) while their entry point is the canonical
# *_scanner one: those are loaded from a copy under the canonical name (``_cached_copy``).
EXTENSIONS: dict[str, tuple[str, str, str]] = {
    "ducklake": ("duckdb-extension-ducklake", "ducklake", "ducklake"),
    "sqlite": ("duckdb-extension-sqlite", "sqlite", "sqlite_scanner"),
    "postgres": ("duckdb-extension-postgres", "postgres", "postgres_scanner"),
}
CATALOG_EXTENSION = {"sqlite": "sqlite", "postgres": "postgres", "duckdb": None}


def extension_file(name: str) -> Path:
    """The installed file of one extension, built for the running DuckDB, under the name DuckDB
    must load it by."""
    package, stem, load_as = EXTENSIONS[name]
    module = package.replace("-", "_")
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise LakeError(f"the DuckLake warehouse needs the {package} package: "
                        f".venv/bin/pip install '{package}=={duckdb.__version__}' (or `make setup`)")
    root = Path(next(iter(spec.submodule_search_locations)))
    found = root / "extensions" / f"v{duckdb.__version__}" / f"{stem}.duckdb_extension"
    if not found.is_file():
        try:
            built = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            built = "?"
        raise LakeError(f"{package} {built} holds no extension for duckdb {duckdb.__version__} (an extension loads only "
                        f"in the DuckDB it was built for): pip install 'duckdb=={built}' '{package}=={built}'")
    return found if stem == load_as else _cached_copy(found, load_as)


def _cache_dir() -> Path:
    # Per user: a shared-by-name folder in /tmp would let another user plant the library we load.
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    folder = base / "llm-ledger" / "duckdb-extensions" / f"v{duckdb.__version__}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    except OSError:
        return Path(tempfile.gettempdir()) / f"llm-ledger-{os.getuid()}-duckdb-extensions-v{duckdb.__version__}"


def _cached_copy(source: Path, load_as: str) -> Path:
    """``source`` copied once as ``<load_as>.duckdb_extension`` (an atomic rename, so processes
    opening at once never load a half-written copy); a copy of another size is made again."""
    folder = _cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{load_as}.duckdb_extension"
    if target.is_file() and target.stat().st_size == source.stat().st_size:
        return target
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{load_as}-")
    os.close(fd)
    shutil.copyfile(source, tmp)
    os.replace(tmp, target)
    return target


# DuckLake 1.5.5 keeps wrong column statistics after a transaction that UPDATEs rows it INSERTed
# itself (a load of several crawls closes versions the same transaction opened; a rebuild always
# does): the table's min/max then hold only later values, and DuckDB's statistics propagation
# drops rows a filter such as `valid_to IS NULL OR valid_to >= x` must keep (models_asof on a past
# date lost versions). Reading without that optimizer gives the right rows; the data and the file
# statistics are not touched. tests/test_ducklake.py fails without this line.
STATS_WORKAROUND = "SET disabled_optimizers = 'statistics_propagation'"


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


DATA_PATH_MISMATCH = re.compile(r"does not match existing data path", re.IGNORECASE)


def open_lake(lake: LakeWarehouse, read_only: bool) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with the lake attached as ``lake`` and in use."""
    con = duckdb.connect(":memory:", config=CONFIG)
    try:
        con.execute(f"LOAD {_sql_string(str(extension_file('ducklake')))}")
        needed = CATALOG_EXTENSION[lake.kind]
        if needed:
            con.execute(f"LOAD {_sql_string(str(extension_file(needed)))}")
        options = []
        if lake.data_path is not None:
            # A trailing slash: DuckLake joins file names onto the data path as text.
            options.append(f"DATA_PATH {_sql_string(str(lake.data_path).rstrip('/') + '/')}")
            if not read_only:
                lake.data_path.mkdir(parents=True, exist_ok=True)
        if read_only:
            options.append("READ_ONLY")
        if lake.kind != "postgres" and not read_only:
            Path(lake.target).parent.mkdir(parents=True, exist_ok=True)
        attach = f"ATTACH {_sql_string('ducklake:' + lake.catalog)} AS {ALIAS}"
        con.execute(attach + (f" ({', '.join(options)})" if options else ""))
        con.execute(f"USE {ALIAS}")
        con.execute(STATS_WORKAROUND)
    except duckdb.Error as e:
        con.close()
        msg = str(e)
        if DATA_PATH_MISMATCH.search(msg):
            raise LakeError(f"the DuckLake {lake} keeps its files elsewhere than {lake.data_path} "
                            f"({msg.splitlines()[0]}): set LLM_LEDGER_LAKE_DATA_PATH (--lake-data-path) "
                            "to the catalog's data path") from None
        raise
    except BaseException:
        con.close()
        raise
    return con


def is_lake(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the connection's default catalog is a DuckLake."""
    row = con.execute("SELECT type FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    return bool(row) and row[0] == "ducklake"


def has_schema(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the lake holds a migrated warehouse (a read-only open of a new catalog must fail)."""
    row = con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
                      "AND table_name = 'schema_version'").fetchone()
    return bool(row and row[0])


def catalog_has_schema(lake: LakeWarehouse) -> bool:
    try:
        con = open_lake(lake, read_only=True)
    except (duckdb.Error, LakeError):
        return False
    try:
        return has_schema(con)
    finally:
        con.close()


# PRIMARY KEY on a column (it keeps NOT NULL, which DuckLake has) and as a table constraint line.
# Upper case only, as the migrations write keywords: prose in a comment or a string is left alone.
_COLUMN_KEY = re.compile(r"\s+PRIMARY\s+KEY\b(?!\s*\()")
_TABLE_KEY = re.compile(r",\s*\n\s*(?:PRIMARY\s+KEY|UNIQUE)\s*\([^)]*\)")
_COLUMN_UNIQUE = re.compile(r"\s+UNIQUE\b(?!\s*\()")


def translate_ddl(sql: str) -> str:
    """A migration as DuckLake takes it: without PRIMARY KEY / UNIQUE (a key column stays NOT NULL)."""
    sql = _TABLE_KEY.sub("", sql)
    sql = _COLUMN_KEY.sub(" NOT NULL", sql)
    return _COLUMN_UNIQUE.sub("", sql)


# comments.sql writes one statement per line (tests/test_ducklake.py checks it).
_MACRO_COMMENT = re.compile(r"^COMMENT ON MACRO\b.*\n?", re.MULTILINE)


def translate_comments(sql: str) -> str:
    """comments.sql as DuckLake takes it: without COMMENT ON MACRO."""
    return _MACRO_COMMENT.sub("", sql)


# The columns connection._comment_columns comments on a DuckLake: those of its tables (not views).
LAKE_COMMENTED_COLUMNS = """
SELECT table_name, column_name FROM duckdb_columns()
WHERE database_name = current_database() AND schema_name = 'main' AND NOT internal
  AND table_name IN (SELECT table_name FROM duckdb_tables()
                     WHERE database_name = current_database() AND NOT internal AND NOT temporary)
"""
