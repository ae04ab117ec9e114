"""End to end on a real Prefect server: flows.yaml deployed, a refresh run by a process worker.

The test starts `prefect server start` on 127.0.0.1 (free port, SQLite in a temporary
PREFECT_HOME, telemetry off), creates the two process work pools, runs
`prefect deploy --all --prefect-file flows.yaml`, checks the deployments and their schedules,
triggers the daily refresh with every recorded source pointed at a local HTTP server serving the
bundled recorded crawl and a temporary data dir, crawling in the refresh's own flow run
(`crawl_deployment: null`: one machine, one pool; tests/test_prefect_pools.py runs the crawl pool),
runs a writer worker until that flow run ends, and checks the warehouse, the exports, the
artifacts and the logs. Everything it starts is stopped in a finally. Nothing leaves 127.0.0.1.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path

import duckdb
import pytest

from pipeline.config import load_sources
from tests.httpserver import routes_from_recorded, serve

pytestmark = pytest.mark.slow  # `make test-slow` runs it (CI runs make test, then make test-slow)

REPO = Path(__file__).resolve().parents[1]
RECORDED = REPO / "spiders" / "recorded"
PREFECT = [sys.executable, "-m", "prefect"]
POOL = "llm-ledger-writer"
CRAWL_POOL = "llm-ledger-crawl"
FAST = {"AUTOTHROTTLE_START_DELAY": "0", "DOWNLOAD_DELAY": "0", "DOWNLOAD_TIMEOUT": "10"}
SERVER_START_S = 90
RUN_TIMEOUT_S = 150


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(cmd: list[str], env: dict[str, str], log: Path, cwd: Path) -> subprocess.Popen:
    """Start a process in its own session (so that its whole group can be stopped)."""
    out = open(log, "wb")
    return subprocess.Popen(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                            start_new_session=True)


def stop(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def wait_healthy(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"prefect server exited:\n{log.read_text()[-3000:]}"
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"prefect server not healthy after {SERVER_START_S} s:\n{log.read_text()[-3000:]}")


def server_env(home: Path, api: str) -> dict[str, str]:
    """The environment of every Prefect process a test starts: this server, nothing outbound."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_") and k != "LLM_LEDGER_HOME"}
    env.update({
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": api,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",  # no telemetry, no outbound calls
        "DO_NOT_TRACK": "1",
        "PREFECT_UI_ENABLED": "false",  # not needed here; saves the UI build on first start
        "PREFECT_CLI_PROMPT": "false",
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "PREFECT_LOGGING_LEVEL": "INFO",
    })
    return env


def start_server(tmp_path: Path, server_only: dict[str, str] | None = None) -> tuple[subprocess.Popen, str, dict[str, str]]:
    """`prefect server start` on a free port of 127.0.0.1, healthy: (process, API URL, environment).
    ``server_only``: settings for the server process alone (not in the environment returned)."""
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = server_env(tmp_path / "prefect-home", api)
    server = start([*PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                   {**env, **(server_only or {})}, tmp_path / "server.log", tmp_path)
    try:
        wait_healthy(api, server, tmp_path / "server.log")
    except BaseException:
        stop(server)
        raise
    return server, api, env


def cli(args: list[str], env: dict[str, str], cwd: Path = REPO) -> str:
    proc = subprocess.run([*PREFECT, *args], env=env, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, f"prefect {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout + proc.stderr


def recorded_sources() -> dict[str, Path]:
    """Each configured source that has a recorded crawl -> its newest recorded folder."""
    out = {}
    for s in load_sources().sources:
        folders = sorted(RECORDED.glob(f"*/{s.id}/pages.jsonl"))
        if folders and s.enabled:
            out[s.id] = folders[-1].parent
    return out


def test_flows_yaml_on_a_real_prefect_server(tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, LogFilter, LogFilterFlowRunId
    from prefect.settings import PREFECT_API_URL, temporary_settings

    t0 = time.monotonic()
    timings: dict[str, float] = {}
    data = tmp_path / "data"
    server = worker = None
    try:
        server, api, env = start_server(tmp_path)
        timings["server healthy"] = time.monotonic() - t0

        # the README's commands: the process pools, then every deployment of flows.yaml
        cli(["work-pool", "create", POOL, "--type", "process"], env)
        cli(["work-pool", "create", CRAWL_POOL, "--type", "process"], env)
        out = cli(["--no-prompt", "deploy", "--all", "--prefect-file", "flows.yaml"], env)  # no LLM_LEDGER_HOME here
        timings["deployed"] = time.monotonic() - t0

        with temporary_settings(updates={PREFECT_API_URL: api}), get_client(sync_client=True) as client:
            deployments = {d.name: d for d in client.read_deployments()}
            assert {"daily-refresh", "pricing-refresh", "weekly-rebuild"} <= set(deployments), out
            for name in ("daily-refresh", "pricing-refresh", "weekly-rebuild"):
                d = deployments[name]
                assert d.work_pool_name == POOL and d.entrypoint.startswith("pipeline/flows.py:")
                assert d.global_concurrency_limit is not None and d.global_concurrency_limit.limit == 1, name
                (schedule,) = d.schedules
                assert schedule.active and schedule.schedule.timezone == "UTC" and schedule.schedule.cron, name
                # the working directory is the worker's $LLM_LEDGER_HOME, resolved at run time
                assert d.pull_steps == [{"prefect.deployments.steps.set_working_directory": {
                    "directory": "{{ $LLM_LEDGER_HOME }}"}}], name
            assert deployments["daily-refresh"].schedules[0].schedule.cron == "0 5 * * *"
            assert deployments["pricing-refresh"].parameters["kinds"] == ["pricing"]
            assert deployments["weekly-rebuild"].schedules[0].schedule.cron == "0 3 * * 0"
            assert deployments["crawl-sources"].work_pool_name == CRAWL_POOL

            sources = recorded_sources()
            assert len(sources) >= 3, sources
            with ExitStack() as servers:
                urls = {}
                for sid, folder in sources.items():
                    base = servers.enter_context(serve(routes_from_recorded(folder)))
                    urls[sid] = [f"{base}/{u.split('://', 1)[1].split('/', 1)[1]}"
                                 for u in load_sources().get(sid).start_urls]
                run = client.create_flow_run_from_deployment(deployments["daily-refresh"].id, parameters={
                    "data_dir": str(data), "sources": sorted(sources), "source_urls": urls,
                    "crawl_settings": FAST, "crawl_retries": 1, "crawl_retry_delay_s": 1,
                    "crawl_deployment": None,  # crawl in this flow run: no crawl worker here
                })
                # the worker runs from elsewhere: the pull step moves each flow run to $LLM_LEDGER_HOME
                worker = start([*PREFECT, "worker", "start", "--pool", POOL, "--type", "process", "--limit", "1"],
                               {**env, "LLM_LEDGER_HOME": str(REPO)}, tmp_path / "worker.log", tmp_path)
                deadline = time.monotonic() + RUN_TIMEOUT_S
                while True:
                    flow_run = client.read_flow_run(run.id)
                    if flow_run.state is not None and flow_run.state.is_final():
                        break
                    assert worker.poll() is None, (tmp_path / "worker.log").read_text()[-3000:]
                    assert time.monotonic() < deadline, \
                        f"flow run still {flow_run.state}:\n{(tmp_path / 'worker.log').read_text()[-4000:]}"
                    time.sleep(1)
            timings["flow run done"] = time.monotonic() - t0

            worker_log = (tmp_path / "worker.log").read_text()
            assert flow_run.state.is_completed(), f"{flow_run.state}\n{worker_log[-4000:]}"
            n = len(sources)
            assert flow_run.state.message == f"{n} of {n} sources fetched"
            arts = {a.key: a for a in client.read_artifacts(
                artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run.id])))}
            assert {"llm-ledger-refresh-report", "llm-ledger-refresh-changes"} <= set(arts)
            assert f"**{n} of {n} sources usable**" in arts["llm-ledger-refresh-report"].data
            # The run's logs reach the server from a background log worker, after the state may
            # already read Completed: poll (paging: 13 Scrapy start-ups write well over one page)
            # until both our flow's first line and a spider's start are there, for at most 60 s.
            def all_logs() -> list:
                logs, offset = [], 0
                while True:
                    page = client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run.id])),
                                            limit=200, offset=offset)
                    logs += page
                    offset += len(page)
                    if len(page) < 200:
                        return logs

            wanted = (f" into {data}", "[scrapy.core.engine] INFO: Spider opened")  # "crawl <id> of <ids> into <dir>"
            logs_deadline = time.monotonic() + 60
            while True:
                messages = [log.message for log in all_logs()]
                missing = [w for w in wanted if not any(w in m for m in messages)]
                if not missing or time.monotonic() > logs_deadline:
                    break
                time.sleep(1)
            assert missing == [], f"not in the flow run's {len(messages)} log lines after 60 s: {missing}"
            assert client.read_global_concurrency_limit_by_name("llm-ledger-warehouse").limit == 1

        # the warehouse and the exports were written where the parameters said
        con = duckdb.connect(str(data / "ledger.duckdb"), read_only=True)
        try:
            health = dict(con.execute("SELECT source_id, health FROM source_status").fetchall())
            offers = con.execute("SELECT count(*) FROM offers_current").fetchone()[0]
        finally:
            con.close()
        assert set(health) == set(sources) and "failed" not in health.values(), health
        assert offers > 20
        assert (data / "exports" / "latest" / "manifest.json").exists()
    finally:
        stop(worker)
        stop(server)
        timings["total"] = time.monotonic() - t0
        print("real Prefect server test timings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))
    assert timings["total"] < 180, timings
