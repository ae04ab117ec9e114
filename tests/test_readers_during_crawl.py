"""Readers are never refused during a crawl: the crawl does not open the warehouse, only the load
and the export do (and a reader waits those seconds out rather than failing).

A live run crawls a local server that answers each request after a delay, while this test queries
the warehouse over and over: through llm-ledger's own reader (`connect(read_only=True)`, what
`show` and `compare` use), through a plain DuckDB connection as an analyst opens one, and through
`llm-ledger show` itself. The crawl phase ends when the crawl's crawl.json (its commit marker)
appears."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipeline.config import load_sources
from tests.crawl_helpers import newest_recorded
from tests.httpserver import routes_from_recorded, serve
from warehouse.connection import connect

REPO = Path(__file__).resolve().parents[1]
SOURCES = ["cloudflare-workers-ai", "openrouter"]
DELAY_S = 0.6  # per request: the crawl takes seconds, as a slow source does
FAST = ["--crawl-setting", "AUTOTHROTTLE_START_DELAY=0", "--crawl-setting", "DOWNLOAD_DELAY=0",
        "--crawl-setting", "DOWNLOAD_TIMEOUT=20"]
QUERY = "SELECT count(*) FROM offers_current WHERE model_id = 'meta/llama-3.2-1b-instruct'"


@dataclass
class Attempt:
    how: str
    started: float
    seconds: float
    ok: bool
    error: str = ""


def slow(route):
    def answer():
        time.sleep(DELAY_S)
        return route
    return answer


def test_readers_query_throughout_a_slow_crawl(tmp_path, recorded_warehouse):
    shutil.copy(recorded_warehouse, tmp_path / "ledger.duckdb")  # yesterday's state, to read
    recorded = newest_recorded()
    routes = {}
    for source in SOURCES:
        routes.update({path: slow(route) for path, route in routes_from_recorded(recorded / source).items()})
    registry = load_sources()
    attempts: list[Attempt] = []
    done = threading.Event()

    def read(how: str) -> None:
        started = time.monotonic()
        try:
            if how == "llm-ledger reader":
                con = connect(tmp_path / "ledger.duckdb", read_only=True)
            else:  # an analyst's own connection: no waiting, fails at once if the file is held
                con = duckdb.connect(str(tmp_path / "ledger.duckdb"), read_only=True)
            try:
                assert con.execute(QUERY).fetchone()[0] > 0
            finally:
                con.close()
            attempts.append(Attempt(how, started, time.monotonic() - started, True))
        except Exception as e:  # noqa: BLE001 (every failure is an attempt to report)
            attempts.append(Attempt(how, started, time.monotonic() - started, False, str(e)))

    def readers() -> None:
        while not done.is_set():
            read("llm-ledger reader")
            read("analyst")
            time.sleep(0.1)

    with serve(routes) as base:
        args = ["--sources", ",".join(SOURCES)]
        for source in (registry.get(i) for i in SOURCES):
            for url in source.start_urls:
                args += ["--source-url", f"{source.id}={base}/{url.split('://', 1)[1].split('/', 1)[1]}"]
        started = time.monotonic()
        run = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "run", "--data-dir", str(tmp_path), *args, *FAST],
                               cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "COLUMNS": "200"})
        thread = threading.Thread(target=readers)
        thread.start()
        shows = []
        crawl_done_at = None
        try:
            while run.poll() is None:
                if crawl_done_at is None:
                    published = [p for p in (tmp_path / "raw").glob("*/crawl.json")]
                    if published:
                        # when it was written, not when this loop saw it (it may have been
                        # waiting on a `show`): the clock of the file, on the monotonic scale
                        crawl_done_at = published[0].stat().st_mtime - (time.time() - time.monotonic())
                    elif len(shows) < 3:  # the CLI itself, a few times during the crawl
                        t = time.monotonic()
                        show = subprocess.run([sys.executable, "-m", "pipeline.cli", "show",
                                               "meta/llama-3.2-1b-instruct", "--data-dir", str(tmp_path), "--json"],
                                              cwd=REPO, capture_output=True, text=True, timeout=120)
                        if not list((tmp_path / "raw").glob("*/crawl.json")):  # still crawling when it ended
                            shows.append((show.returncode, time.monotonic() - t, show.stderr[-300:]))
                time.sleep(0.05)
            out, err = run.communicate(timeout=120)
        finally:
            done.set()
            thread.join(timeout=120)
            if run.poll() is None:
                run.kill()
    assert run.returncode == 0, out + err
    if crawl_done_at is None:  # the run ended while the loop was waiting on a `show`: the file says when
        published = [p for p in (tmp_path / "raw").glob("*/crawl.json")]
        assert published, "the run published no crawl.json"
        crawl_done_at = published[0].stat().st_mtime - (time.time() - time.monotonic())
    crawl_s = crawl_done_at - started
    during = [a for a in attempts if a.started + a.seconds < crawl_done_at]
    after = [a for a in attempts if a.how == "llm-ledger reader" and a.started + a.seconds >= crawl_done_at]
    print(f"crawl {crawl_s:.1f} s; {len(during)} reads during it, slowest "
          f"{max(a.seconds for a in during) * 1000:.0f} ms; {len(shows)} `show` runs; "
          f"{len(after)} llm-ledger reads after it (load and export), slowest "
          f"{max((a.seconds for a in after), default=0) * 1000:.0f} ms")
    assert crawl_s > 3  # the crawl was slow enough to matter
    assert len(during) >= 10 and len({a.how for a in during}) == 2
    assert [a for a in during if not a.ok] == []  # never refused during the crawl
    assert max(a.seconds for a in during) < 2  # and never kept waiting by it
    assert shows and all(code == 0 for code, _, _ in shows), shows
    # after the crawl, the load holds the file for a moment: llm-ledger's readers wait it out
    assert all(a.ok for a in attempts if a.how == "llm-ledger reader"), [a for a in attempts if not a.ok][:3]
