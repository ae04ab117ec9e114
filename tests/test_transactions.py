"""A run is one transaction: killed at any point, the warehouse keeps its previous state; a second
writer fails at once with a clear message, not a corrupt file."""
from __future__ import annotations

import os
import signal
import struct
import subprocess
import sys
import time
import duckdb
import pytest
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pipeline.config import load_sources
from pipeline.process import process_pending
from pipeline.raw import RawArchive
from tests.crawl_helpers import copy_crawl, newest_recorded, replace_body
from warehouse.connection import connect

REPO = Path(__file__).resolve().parents[1]
DAY1 = datetime(2026, 6, 4, 6, tzinfo=UTC)

STATE = ["SELECT count(*) FROM crawls", "SELECT count(*) FROM observations",
         "SELECT * EXCLUDE (provenance) FROM offer_versions ORDER BY ALL",
         "SELECT * EXCLUDE (provenance) FROM model_versions ORDER BY ALL"]

LOADER = """
import sys
from pathlib import Path
from pipeline.config import load_sources
from pipeline.run import process_stored
def progress(stage, source, counts):
    print("progress", stage, source, flush=True)
process_stored(Path(sys.argv[1]), load_sources(), do_export=False, progress=progress)
print("done", flush=True)
"""


def state(db: Path) -> list:
    con = connect(db, read_only=True)
    try:
        return [con.execute(q).fetchall() for q in STATE]
    finally:
        con.close()


def test_killed_mid_load_leaves_the_previous_state(tmp_path):
    raw = tmp_path / "raw"
    copy_crawl(newest_recorded(), raw, "day01", DAY1)
    con = connect(tmp_path / "ledger.duckdb")
    process_pending(con, RawArchive(raw), load_sources(), "first")
    con.close()
    before = state(tmp_path / "ledger.duckdb")
    # pending crawls with moving prices, loaded in one transaction: killed at the 5th of ~39
    # progress lines (one per source and crawl), it is in the middle
    for day in range(2, 5):
        folder = copy_crawl(newest_recorded(), raw, f"day{day:02d}", DAY1 + timedelta(days=day))
        replace_body(folder / "cloudflare-workers-ai", "pricing", old="$0.201 per M output", to=f"$0.2{day:02d} per M output")
    proc = subprocess.Popen([sys.executable, "-c", LOADER, str(tmp_path)], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        lines = 0
        assert proc.stdout is not None
        for line in proc.stdout:  # inside the transaction once the first source is parsed
            if line.startswith("progress"):
                lines += 1
                if lines == 5:
                    break
        assert lines == 5, "the loader ended before it could be killed"
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert state(tmp_path / "ledger.duckdb") == before
    # and the next run loads everything cleanly
    con = connect(tmp_path / "ledger.duckdb")
    reports = process_pending(con, RawArchive(raw), load_sources(), "again")
    assert len(reports) == 3
    con.close()


def test_a_run_waits_for_a_held_warehouse_then_fails_clearly_and_keeps_its_crawl(tmp_path):
    """Another process holds the file (a long load, or an analyst's connection): the run crawls
    anyway (the crawl never needs the warehouse), waits $LLM_LEDGER_LOCK_WAIT for the load, then
    fails naming the holder; its crawl stays in the archive and the next run loads it."""
    holder = connect(tmp_path / "ledger.duckdb")
    try:
        started = time.monotonic()
        proc = subprocess.run([sys.executable, "-m", "pipeline.cli", "run", "--data-dir", str(tmp_path)],
                              cwd=REPO, capture_output=True, text=True, timeout=120,
                              env={**os.environ, "COLUMNS": "300", "LLM_LEDGER_LOCK_WAIT": "2"})
        elapsed = time.monotonic() - started
    finally:
        holder.close()
    assert proc.returncode == 1
    assert f"is in use by another llm-ledger run (process {os.getpid()}) (waited 2 s" in proc.stderr
    assert "the next run loads it" in proc.stderr
    assert 2 <= elapsed < 30
    kept = sorted(p.name for p in (tmp_path / "raw").iterdir() if (p / "crawl.json").exists())
    assert len(kept) == 3  # the recorded crawls were imported, then kept
    con = connect(tmp_path / "ledger.duckdb")
    assert con.execute("SELECT count(*) FROM crawls").fetchone() == (0,)  # the file is intact
    con.close()
    again = subprocess.run([sys.executable, "-m", "pipeline.cli", "run", "--data-dir", str(tmp_path)],
                           cwd=REPO, capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "300"})
    assert again.returncode == 0, again.stderr
    con = connect(tmp_path / "ledger.duckdb", read_only=True)
    assert sorted(r[0] for r in con.execute("SELECT crawl_id FROM crawls").fetchall()) == kept
    con.close()


def test_a_lock_released_within_the_wait_is_waited_for(tmp_path):
    db = tmp_path / "ledger.duckdb"
    connect(db).close()
    hold = ("import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); "
            "time.sleep(1.0); c.close()")
    holder = subprocess.Popen([sys.executable, "-c", hold, str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        con = connect(db, read_only=True, wait_s=30)
        waited = time.monotonic() - started
        con.close()
    finally:
        holder.wait(timeout=30)
    assert 0.3 < waited < 20


def _header_checksum(block: bytes) -> int:
    """DuckDB's block checksum (storage/checksum.cpp): 5381 xor each 8-byte word times a constant."""
    result = 5381
    for (word,) in struct.iter_unpack("<Q", block):
        result ^= (word * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    return result


def test_a_damaged_warehouse_is_not_called_in_use(tmp_path):
    """'block' contains 'lock': a checksum error must not read as another run holding the file."""
    db = tmp_path / "ledger.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE t (a INTEGER)")
    con.close()
    raw = bytearray(db.read_bytes())
    raw[100] ^= 0xFF
    db.write_bytes(bytes(raw))
    with pytest.raises(duckdb.IOException, match="checksum"):
        connect(db)


def test_a_warehouse_from_another_duckdb_storage_version_is_named_and_left_alone(tmp_path):
    """A file written by a newer DuckDB (storage version in the header, bytes 12-19) is refused with
    what to do, not a traceback, and is not touched."""
    db = tmp_path / "ledger.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE t (a INTEGER)")
    con.close()
    raw = bytearray(db.read_bytes())
    assert raw[8:12] == b"DUCK"
    raw[12:20] = (int.from_bytes(raw[12:20], "little") + 5).to_bytes(8, "little")
    raw[0:8] = _header_checksum(bytes(raw[8:4096])).to_bytes(8, "little")
    db.write_bytes(bytes(raw))
    before = db.read_bytes()
    proc = subprocess.run([sys.executable, "-m", "pipeline.cli", "run", "--data-dir", str(tmp_path)],
                          cwd=REPO, capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "400"})
    assert proc.returncode == 1
    assert "different DuckDB storage version" in proc.stderr
    assert "llm-ledger rebuild" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert db.read_bytes() == before
