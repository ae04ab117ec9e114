"""Crawls on a pool of their own (flows.yaml: llm-ledger-crawl and llm-ledger-writer), on a real server.

The end-to-end test starts `prefect server start` on 127.0.0.1 (tests/test_prefect_server.py's
helpers), creates both process pools, deploys flows.yaml, starts two crawl workers (crawl-1,
crawl-2) and one writer worker, and triggers the daily refresh (its distributed path: one crawl
flow run per host group) against two local HTTP servers that hold two sources each and answer
every request after a fixed delay. Two servers are two hosts, so two groups of equal size:

- each crawl flow run ran on its own crawl worker. The worker is Prefect's own record: a worker
  labels every flow run it submits with ``prefect.worker.name`` (read back from the API);
- the load ran once (one ``load`` task run on the whole server), in the refresh's flow run, which
  the writer worker ran; no crawl task ran there;
- the warehouse holds the facts a single-machine replay of the same recorded pages gives.

Then crawl-2 is stopped and the refresh's two crawl flow runs run again (same parameters, a new
crawl id that is never published) on crawl-1 alone. The crawl's wall time (the first crawl flow
run's start to the last one's end, from the API) with one crawl worker and with two is printed,
and two must be faster by at least two request delays (each group sleeps four that a second
worker overlaps). Everything started is
stopped in a finally; nothing leaves 127.0.0.1.
"""
from __future__ import annotations

import subprocess
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pipeline.config import SourceConfig, load_sources
from pipeline.raw import RawArchive
from pipeline.run import run
from tests.crawl_helpers import newest_recorded
from tests.httpserver import Route, routes_from_recorded, serve
from tests.test_live_crawl_cli import OFFERS, _only_crawl
from tests.test_prefect_server import PREFECT, REPO, cli, start, start_server, stop

WRITER_POOL = "llm-ledger-writer"
CRAWL_POOL = "llm-ledger-crawl"
CRAWL_WORKERS = ("crawl-1", "crawl-2")
# Two hosts (one local server each), two sources each, one page each: two groups of equal size.
HOSTS = {"a": ["cloudflare-workers-ai", "google-gemini"], "b": ["groq", "deepinfra"]}
DELAY_S = 1.0  # every request, robots.txt included: a group sleeps 2 sources x 2 requests = 4 s
FAST = {"AUTOTHROTTLE_START_DELAY": "0", "DOWNLOAD_DELAY": "0", "DOWNLOAD_TIMEOUT": "10"}
WORKERS_ONLINE_S = 90
# The server's SQLite is the bottleneck once three workers poll it: its background services that
# this test does not need are off, above all the scheduler (it writes the cron deployments' next
# runs right after the deploy, while the workers start polling).
QUIET_SERVER = {f"PREFECT_SERVER_SERVICES_{name}_ENABLED": "false" for name in (
    "SCHEDULER", "LATE_RUNS", "FOREMAN", "PAUSE_EXPIRATIONS", "CANCELLATION_CLEANUP", "TRIGGERS",
    "EVENT_PERSISTER", "DB_VACUUM")}
RUN_TIMEOUT_S = 180  # a refresh takes 30-45 s here; the server's SQLite has stalled for 60 s under load


# --- grouping by host: plain functions --------------------------------------------------------------

def _source(sid: str, *urls: str) -> SourceConfig:
    return load_sources().get("groq").model_copy(update={"id": sid, "start_urls": list(urls)})


def test_sources_sharing_a_host_form_one_group():
    from pipeline.flows import crawl_host, group_by_host

    assert crawl_host("https://API.Example.com/v1?x=1") == "api.example.com"
    assert crawl_host("http://127.0.0.1:8001/a") != crawl_host("http://127.0.0.1:8002/a")  # two servers
    sources = [
        _source("a", "https://one.example/x"),
        _source("b", "https://two.example/x"),
        _source("c", "https://three.example/x", "https://one.example/y"),  # joins a's group
        _source("d", "https://four.example/x", "https://two.example/y", "https://three.example/z"),  # merges both
        _source("e", "https://five.example/x"),
    ]
    assert [[s.id for s in g] for g in group_by_host(sources)] == [["a", "b", "c", "d"], ["e"]]
    assert [[s.id for s in g] for g in group_by_host(sources[:2] + sources[4:])] == [["a"], ["b"], ["e"]]


def test_wait_budget_covers_every_attempt_of_every_group():
    from pipeline.flows import GROUP_OVERHEAD_S, crawl_wait_budget_s, source_budget_s

    assert source_budget_s(600, 2, 30) == 600 * 3 + (30 + 60) * 1.2
    groups = [[_source("a", "https://a/")], [_source("b", "https://b/"), _source("c", "https://b/c")]]
    assert crawl_wait_budget_s(groups, 10, 0, 5) == 2 * GROUP_OVERHEAD_S + 3 * 10


def test_a_source_the_pool_left_unfinished_is_failed_with_the_reason(tmp_path):
    from uuid import uuid4

    from prefect.client.schemas.objects import FlowRun
    from prefect.states import Completed, Scheduled

    from pipeline.flows import CrawlFailed, final_fetch, source_outcome
    from pipeline.raw import FetchInfo

    waiting = FlowRun(id=uuid4(), name="crawl-X-groq.com", flow_id=uuid4(), state=Scheduled())
    outcome = source_outcome(tmp_path, "groq", waiting, 30)
    assert isinstance(outcome, CrawlFailed)
    assert "did not finish within 30 s: Scheduled (no worker took it: is one serving pool llm-ledger-crawl?)" in str(outcome)
    info = final_fetch(tmp_path, "groq", outcome)  # what the refresh records, then publishes
    assert info.status == "failed" and "no worker took it" in info.errors[-1]

    done = FetchInfo(source_id="deepinfra", started_at=info.started_at, finished_at=info.finished_at, pages=1)
    (tmp_path / "deepinfra").mkdir()
    (tmp_path / "deepinfra" / "fetch.json").write_text(done.model_dump_json())
    ended = waiting.model_copy(update={"state": Completed(), "labels": {"prefect.worker.name": "crawl-1"}})
    assert source_outcome(tmp_path, "deepinfra", ended, 30) == done.model_dump(mode="json")


# --- the real thing -----------------------------------------------------------------------------------

def delayed(routes: dict[str, Route], delay_s: float) -> dict[str, Any]:
    """The same answers, each after ``delay_s`` (robots.txt too: a 404, as the recorded sites give
    none). Callable routes are answered outside the server's lock, so delays overlap as they would."""
    def later(answer: Route) -> Any:
        def answer_later() -> Route:
            time.sleep(delay_s)
            return answer
        return answer_later

    out: dict[str, Any] = {path: later(answer) for path, answer in routes.items()}
    out["/robots.txt"] = later((404, {"Content-Type": "text/plain"}, b"not found\n"))
    return out


def local_urls(base: str, sid: str) -> list[str]:
    return [f"{base}/{u.split('://', 1)[1].split('/', 1)[1]}" for u in load_sources().get(sid).start_urls]


def create_pools(client: Any) -> None:
    """Both process pools, as `prefect work-pool create NAME --type process` makes them (without two
    more CLI start-ups: tests/test_prefect_server.py runs those commands)."""
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.workers.process import ProcessWorker

    template = ProcessWorker.get_default_base_job_template()
    for name in (WRITER_POOL, CRAWL_POOL):
        client.create_work_pool(WorkPoolCreate(name=name, type="process", base_job_template=template))


def start_worker(pool: str, name: str, env: dict[str, str], tmp_path: Path) -> subprocess.Popen:
    # --limit 1: a worker busy with one group leaves the other group to the other worker
    return start([*PREFECT, "worker", "start", "--pool", pool, "--type", "process", "--name", name, "--limit", "1"],
                 {**env, "LLM_LEDGER_HOME": str(REPO)}, tmp_path / f"{name}.log", tmp_path)


def log_tail(tmp_path: Path) -> str:
    return "\n".join(f"--- {f.name}\n{f.read_text()[-2500:]}" for f in sorted(tmp_path.glob("*.log")))


def wait_online(client: Any, workers: dict[str, subprocess.Popen], tmp_path: Path) -> None:
    """Until every worker has said hello to the server (each polls its pool from then on)."""
    from prefect.client.schemas.objects import WorkerStatus

    deadline = time.monotonic() + WORKERS_ONLINE_S
    while True:
        online = {w.name for pool in (WRITER_POOL, CRAWL_POOL) for w in client.read_workers_for_work_pool(pool)
                  if w.status == WorkerStatus.ONLINE}
        if set(workers) <= online:
            return
        for name, proc in workers.items():
            assert proc.poll() is None, f"worker {name} exited:\n{log_tail(tmp_path)}"
        assert time.monotonic() < deadline, f"workers online: {online}\n{log_tail(tmp_path)}"
        time.sleep(0.5)


def run_refresh(client: Any, deployment_id: Any, parameters: dict[str, Any], tmp_path: Path) -> Any:
    """Trigger the deployment and wait for its flow run to end; the flow run."""
    run = client.create_flow_run_from_deployment(deployment_id, parameters=parameters)
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while True:
        flow_run = client.read_flow_run(run.id)
        if flow_run.state is not None and flow_run.state.is_final():
            assert flow_run.state.is_completed(), f"{flow_run.state}\n{log_tail(tmp_path)}"
            return flow_run
        assert time.monotonic() < deadline, f"flow run still {flow_run.state}:\n{log_tail(tmp_path)}"
        time.sleep(0.5)


def rerun_crawls(client: Any, runs: list[Any], crawl_id: str, tmp_path: Path) -> list[Any]:
    """The same crawl flow runs again, into a newly claimed crawl (never published: timing only),
    started together as a refresh starts them; waited for."""
    started = [client.create_flow_run_from_deployment(r.deployment_id, parameters={**r.parameters, "crawl_id": crawl_id})
               for r in runs]
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while True:
        now = [client.read_flow_run(r.id) for r in started]
        if all(r.state is not None and r.state.is_final() for r in now):
            assert all(r.state.is_completed() for r in now), [r.state for r in now]
            return now
        assert time.monotonic() < deadline, f"crawl runs still {[r.state for r in now]}:\n{log_tail(tmp_path)}"
        time.sleep(0.5)


def crawl_runs(client: Any, parent_id: Any) -> list[Any]:
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterParentFlowRunId,
    )

    return client.read_flow_runs(flow_run_filter=FlowRunFilter(
        parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[parent_id])))


def task_runs(client: Any, flow_run_ids: list[Any]) -> list[Any]:
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    return client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=flow_run_ids)))


def load_runs(client: Any) -> list[Any]:
    from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterName

    return client.read_task_runs(task_run_filter=TaskRunFilter(name=TaskRunFilterName(any_=["load"])))


def worker_of(flow_run: Any) -> str | None:
    """The worker that submitted the flow run: it labels the run before starting it."""
    return (flow_run.labels or {}).get("prefect.worker.name")


def crawl_wall_s(runs: list[Any]) -> float:
    """From the first crawl flow run's start to the last one's end (the server's clock)."""
    return (max(r.end_time for r in runs) - min(r.start_time for r in runs)).total_seconds()


def replay_offers(tmp_path: Path, ids: list[str]) -> list[tuple]:
    """offers_current of a single-machine replay of the same recorded pages (no Prefect)."""
    run(tmp_path / "replay", load_sources(), do_export=False,
        recorded_dir=_only_crawl(tmp_path / "recorded", newest_recorded(), ids))
    return query(tmp_path / "replay", OFFERS)


def query(data_dir: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(data_dir / "ledger.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.mark.slow  # `make test-slow` runs it (CI runs make test, then make test-slow)
def test_crawls_run_on_two_crawl_workers_and_load_once_on_the_writer(tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from pipeline.flows import CRAWL_DEPLOYMENT

    t0 = time.monotonic()
    timings: dict[str, float] = {}
    data = tmp_path / "data"
    ids = sorted(sid for group in HOSTS.values() for sid in group)
    server = None
    workers: dict[str, subprocess.Popen] = {}
    try:
        server, api, env = start_server(tmp_path, QUIET_SERVER)
        timings["server healthy"] = time.monotonic() - t0
        with temporary_settings(updates={PREFECT_API_URL: api}), get_client(sync_client=True) as client:
            create_pools(client)
            cli(["--no-prompt", "deploy", "--all", "--prefect-file", "flows.yaml"], env)
            deployments = {d.name: d for d in client.read_deployments()}
            assert deployments["crawl-sources"].work_pool_name == CRAWL_POOL
            assert deployments["daily-refresh"].work_pool_name == WRITER_POOL
            assert deployments["daily-refresh"].parameters["crawl_deployment"] == CRAWL_DEPLOYMENT
            timings["deployed"] = time.monotonic() - t0
            # One worker at a time, after the deploy: three starting together during the deploy
            # stalled the server's SQLite for 60 s ("database is locked" on the workers' first
            # heartbeats and queue polls), twice in three runs.
            workers["writer"] = start_worker(WRITER_POOL, "writer", env, tmp_path)
            expected_offers = replay_offers(tmp_path, ids)  # meanwhile (no Prefect in it)
            wait_online(client, workers, tmp_path)
            for name in CRAWL_WORKERS:
                workers[name] = start_worker(CRAWL_POOL, name, env, tmp_path)
                wait_online(client, workers, tmp_path)
            timings["workers online"] = time.monotonic() - t0

            with ExitStack() as servers:
                urls: dict[str, list[str]] = {}
                for group in HOSTS.values():
                    routes: dict[str, Route] = {}
                    for sid in group:
                        routes.update(routes_from_recorded(newest_recorded() / sid))
                    base = servers.enter_context(serve(delayed(routes, DELAY_S)))
                    urls.update({sid: local_urls(base, sid) for sid in group})
                params = {"data_dir": str(data), "sources": ids, "source_urls": urls, "crawl_settings": FAST,
                          "crawl_retries": 1, "crawl_retry_delay_s": 1}
                refresh = run_refresh(client, deployments["daily-refresh"].id, params, tmp_path)
                timings["refresh, 2 crawl workers"] = time.monotonic() - t0
                two = crawl_runs(client, refresh.id)

                # (a) one crawl flow run per host, each on its own crawl worker; the refresh on the writer
                assert refresh.state.message == f"{len(ids)} of {len(ids)} sources fetched"
                assert sorted(sorted(r.parameters["sources"]) for r in two) == sorted(map(sorted, HOSTS.values()))
                assert all(r.state.is_completed() and r.deployment_id == deployments["crawl-sources"].id for r in two)
                assert sorted(worker_of(r) for r in two) == list(CRAWL_WORKERS), [r.labels for r in two]
                assert worker_of(refresh) == "writer"
                # (b) the load ran once, in the writer's flow run; the crawls ran in the crawl flow runs
                loads = load_runs(client)  # on the whole server
                assert len(loads) == 1 and loads[0].flow_run_id == refresh.id and loads[0].state.is_completed()
                tasks = task_runs(client, [refresh.id, *(r.id for r in two)])
                crawled = {t.name: t.flow_run_id for t in tasks if t.name in {f"crawl-{sid}" for sid in ids}}
                assert len(crawled) == len(ids) and set(crawled.values()) == {r.id for r in two}
                # (c) the same facts as the replay, from one crawl published and loaded once
                assert query(data, "SELECT count(*) FROM crawls") == [(1,)]
                assert dict(query(data, "SELECT source_id, health FROM source_status")) == {sid: "ok" for sid in ids}
                assert query(data, OFFERS) == expected_offers and len(expected_offers) > 20
                assert (data / "exports" / "latest" / "manifest.json").exists()

                # the same two crawl flow runs (a new crawl id) on one crawl worker
                stop(workers.pop("crawl-2"))
                one = rerun_crawls(client, two, RawArchive(data / "raw").claim_crawl()[0], tmp_path)
                timings["crawl again, 1 crawl worker"] = time.monotonic() - t0
                assert [worker_of(r) for r in one] == ["crawl-1", "crawl-1"]

        wall_1, wall_2 = crawl_wall_s(one), crawl_wall_s(two)
        print(f"crawl wall time, 2 groups x 2 sources x 2 requests at {DELAY_S:.1f} s each: "
              f"1 crawl worker {wall_1:.1f} s, 2 crawl workers {wall_2:.1f} s")
        # each group sleeps 4 delays that a second worker overlaps; half of that must show
        assert wall_1 - wall_2 > 2 * DELAY_S, (wall_1, wall_2)
    finally:
        for proc in workers.values():
            stop(proc)
        stop(server)
        timings["total"] = time.monotonic() - t0
        print("crawl pool test timings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))
