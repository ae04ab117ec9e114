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
