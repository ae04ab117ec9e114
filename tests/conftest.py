"""Shared test set-up: no network, Prefect kept local and quiet, the recorded crawl at hand."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# Prefect writes ~/.prefect and phones home unless told otherwise (shared/STACK-NOTES.md).
_PREFECT_HOME = tempfile.mkdtemp(prefix="llm-ledger-prefect-")
os.environ.setdefault("PREFECT_HOME", _PREFECT_HOME)
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
os.environ.pop("LLM_LEDGER_DATA_DIR", None)
# The suite's warehouses are DuckDB files unless a test says otherwise (tests/test_ducklake.py).
os.environ.pop("LLM_LEDGER_WAREHOUSE", None)
os.environ.pop("LLM_LEDGER_LAKE_DATA_PATH", None)

REPO = Path(__file__).resolve().parents[1]
RECORDED = REPO / "spiders" / "recorded"


@pytest.fixture(scope="session")
def recorded_dir() -> Path:
    return RECORDED


@pytest.fixture(scope="session")
def recorded_warehouse(tmp_path_factory: pytest.TempPathFactory, recorded_dir: Path) -> Path:
    """The warehouse `make run` builds from the recorded crawl (without the export): read it, never write it."""
    from pipeline.config import load_sources
    from pipeline.run import run

    folder = tmp_path_factory.mktemp("recorded-warehouse")
    run(folder, load_sources(), do_export=False, recorded_dir=recorded_dir)
    return folder / "ledger.duckdb"


@pytest.fixture(scope="session")
def recorded_exports(recorded_warehouse: Path, tmp_path_factory: pytest.TempPathFactory):
    """The recorded crawl's export as of a date (`export --out`), made once per date and worker:
    read it, never write it (copy it first to change it)."""
    from datetime import date

    from pipeline.config import load_sources
    from pipeline.export import export_into
    from warehouse.connection import connect

    root = tmp_path_factory.mktemp("recorded-exports")
    made: dict[date, Path] = {}

    def export_of(day: date) -> Path:
        if day not in made:
            con = connect(recorded_warehouse, read_only=True)
            try:
                made[day] = export_into(con, root / day.isoformat(), day, registry=load_sources()).folder
            finally:
                con.close()
        return made[day]

    return export_of
