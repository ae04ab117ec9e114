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
