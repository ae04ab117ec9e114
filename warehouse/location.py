"""Which warehouse a run opens: the DuckDB file (the default) or a DuckLake, chosen by configuration.

``LLM_LEDGER_WAREHOUSE`` (the CLI's ``--warehouse`` sets it) is either a DuckDB file path or
``ducklake:<catalog>``, where the catalog is ``sqlite:/path/x.sqlite``, a DuckDB file path, or
``postgres:<libpq conninfo>``. A DuckLake keeps its parquet files under ``LLM_LEDGER_LAKE_DATA_PATH``
(``--lake-data-path``; default DATA_DIR/lake/). Resolved from the environment so that every caller
of ``Paths.warehouse`` (the CLI, the Prefect flows, the tests) picks the same warehouse up.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pipeline.errors import LedgerError

WAREHOUSE_ENV = "LLM_LEDGER_WAREHOUSE"
LAKE_DATA_PATH_ENV = "LLM_LEDGER_LAKE_DATA_PATH"
LAKE_PREFIX = "ducklake:"
DEFAULT_FILE = "ledger.duckdb"
DEFAULT_LAKE_DATA = "lake"

CatalogKind = Literal["sqlite", "duckdb", "postgres"]


class WarehouseSpecError(LedgerError, ValueError):
    """LLM_LEDGER_WAREHOUSE / --warehouse names no warehouse llm-ledger can open."""


# A libpq password (key=value or URI form) never goes into a log line, report or error message.
_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)|(://[^:/@\s]+:)([^@\s]+)(@)", re.IGNORECASE)


@dataclass(frozen=True)
class LakeWarehouse:
    """A DuckLake: its catalog (where the metadata lives) and its data path (the parquet files).

    ``data_path`` None means "whatever the catalog stored when it was created" (a read of a lake
    named by a bare spec string); creating a lake needs one."""
    kind: CatalogKind
    target: str  # an absolute file path, or a libpq conninfo for postgres
    data_path: Path | None = None

    @property
    def catalog(self) -> str:
        """What follows ``ducklake:`` in DuckDB's ATTACH (the sqlite: and postgres: prefixes kept)."""
        return self.target if self.kind == "duckdb" else f"{self.kind}:{self.target}"

    @property
    def spec(self) -> str:
        """The full ``ducklake:`` spec, password included: for the environment, never for display."""
        return LAKE_PREFIX + self.catalog

    def exists(self) -> bool:
        """Whether the lake's catalog is there (a file catalog: the file). A Postgres catalog is a
        database that holds the catalog only once a writable open migrated it, so look inside."""
        if self.kind != "postgres":
            return Path(self.target).is_file() and Path(self.target).stat().st_size > 0
        from warehouse.lake import catalog_has_schema  # DuckDB and its extensions only when asked

        return catalog_has_schema(self)

    def __str__(self) -> str:
        return LAKE_PREFIX + _PASSWORD.sub(_redact, self.catalog)


def _redact(m: re.Match[str]) -> str:
    return f"{m.group(1)}***" if m.group(1) else f"{m.group(3)}***{m.group(5)}"


Warehouse = Path | LakeWarehouse


def parse_lake(spec: str, data_path: str | Path | None = None) -> LakeWarehouse:
    """``ducklake:sqlite:/x.sqlite`` / ``ducklake:/x.ducklake`` / ``ducklake:postgres:dbname=x host=...``."""
    if not spec.startswith(LAKE_PREFIX):
        raise WarehouseSpecError(f"{spec!r} is not a DuckLake spec (it starts with {LAKE_PREFIX!r})")
    catalog = spec[len(LAKE_PREFIX):].strip()
    data = Path(data_path).expanduser().resolve() if data_path else None
    kind: CatalogKind
    if catalog.startswith("sqlite:"):
        kind, target = "sqlite", catalog[len("sqlite:"):]
    elif catalog.startswith("postgres:"):
        kind, target = "postgres", catalog[len("postgres:"):]
        if not target.strip():
            raise WarehouseSpecError(f"{WAREHOUSE_ENV}: {LAKE_PREFIX}postgres: needs a libpq conninfo, "
                                     "e.g. 'ducklake:postgres:dbname=ledger host=127.0.0.1'")
        return LakeWarehouse("postgres", target.strip(), data)
    elif catalog.startswith(("mysql:", "duckdb:")) or re.match(r"^[a-z][a-z0-9+.-]*://", catalog):
        raise WarehouseSpecError(f"{WAREHOUSE_ENV}: catalog {catalog.split(':')[0]!r} is not supported: use "
                                 "sqlite:/path/x.sqlite, a DuckDB file path, or postgres:<conninfo>")
    else:
        kind, target = "duckdb", catalog
    if not target.strip():
        raise WarehouseSpecError(f"{WAREHOUSE_ENV}: {spec!r} names no catalog file")
    # Absolute, so that the catalog and the data path mean the same thing from every working directory.
    return LakeWarehouse(kind, str(Path(target.strip()).expanduser().resolve()), data)


def parse_warehouse(spec: str | Path, data_dir: Path | None = None) -> Warehouse:
    """A DuckDB file path, or a DuckLake (its data path from LLM_LEDGER_LAKE_DATA_PATH, else
    DATA_DIR/lake/ when ``data_dir`` is given, else what the catalog stored)."""
    if isinstance(spec, Path) or not str(spec).startswith(LAKE_PREFIX):
        return Path(spec).expanduser()
    data_path = os.environ.get(LAKE_DATA_PATH_ENV) or (data_dir / DEFAULT_LAKE_DATA if data_dir else None)
    return parse_lake(str(spec), data_path)


def resolve_warehouse(data_dir: Path) -> Warehouse:
    """The warehouse of a data dir: LLM_LEDGER_WAREHOUSE when set, else DATA_DIR/ledger.duckdb."""
    spec = os.environ.get(WAREHOUSE_ENV, "").strip()
    if not spec:
        return data_dir / DEFAULT_FILE
    return parse_warehouse(spec, data_dir)
