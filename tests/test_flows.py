"""The Prefect flows (pipeline/flows.py), the run report (pipeline/report.py) and flows.yaml.

Flow logic runs under Prefect's test harness (a temporary local server, session-scoped: one
start-up for the module) against local HTTP servers serving the recorded crawl; what does not
need the engine is called as plain functions or ``task.fn``. Nothing touches the network.
"""
from __future__ import annotations

import ast
import inspect
import json
import re
import shutil
import threading
from contextlib import ExitStack
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import yaml

from pipeline.config import load_sources
from pipeline.raw import RawArchive
from pipeline.report import changes_in_crawls, changes_table, percent_change, run_report, source_outcomes
from pipeline.run import process_stored, run
from tests.crawl_helpers import replace_body
from tests.httpserver import closed_port, routes_from_recorded, serve, silent_server

REPO = Path(__file__).resolve().parents[1]
RECORDED = REPO / "spiders" / "recorded"
FAST = {"AUTOTHROTTLE_START_DELAY": "0", "DOWNLOAD_DELAY": "0", "RETRY_TIMES": "0", "DOWNLOAD_TIMEOUT": "10"}
CF = "cloudflare-workers-ai"
CF_1B = "@cf/meta/llama-3.2-1b-instruct"


@pytest.fixture(scope="session")
def harness():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield


def recorded(source_id: str) -> Path:
    """The newest bundled recorded folder of a source."""
    folders = sorted(RECORDED.glob(f"*/{source_id}/pages.jsonl"))
    assert folders, f"no recorded crawl holds {source_id}"
    return folders[-1].parent


def local_urls(base: str, source_id: str) -> list[str]:
    source = load_sources().get(source_id)
    return [f"{base}/{u.split('://', 1)[1].split('/', 1)[1]}" for u in source.start_urls]


class Flaky(dict):
    """Routes where the first ``failures`` requests of ``path`` answer 503."""

    def __init__(self, routes: dict, path: str, failures: int = 1) -> None:
        super().__init__(routes)
        self.path, self.left = path, failures

    def get(self, key, default=None):  # noqa: ANN001, ANN201
        if key == self.path and self.left > 0:
            self.left -= 1
            return (503, {"Content-Type": "text/plain"}, b"busy\n")
        return super().get(key, default)


def flow_run_id(state) -> str:  # noqa: ANN001
    return state.state_details.flow_run_id


def artifacts(run_id) -> dict[str, object]:  # noqa: ANN001
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with get_client(sync_client=True) as client:
        arts = client.read_artifacts(artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id])))
    out = {}
    for a in arts:
        out[a.key] = json.loads(a.data) if a.type == "table" and isinstance(a.data, str) else a.data
    return out


def run_logs(run_id) -> list:  # noqa: ANN001
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.logging.handlers import APILogHandler

    APILogHandler().flush()
    logs, offset = [], 0
    with get_client(sync_client=True) as client:
        while page := client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])), limit=200, offset=offset):
            logs += page
            offset += len(page)
    return logs


def query(data_dir: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(data_dir / "ledger.duckdb"), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


# --- the refresh flow under the engine ---------------------------------------------------------------

def test_refresh_loads_exports_and_reports_a_source_that_failed_after_retries(harness, tmp_path):
    from pipeline.flows import refresh

    dead = closed_port()
    with ExitStack() as stack:
        urls = {sid: local_urls(stack.enter_context(serve(routes_from_recorded(recorded(sid)))), sid)
                for sid in ("openrouter", CF)}
        urls["huggingface"] = [f"http://127.0.0.1:{dead}/api/models/meta-llama/Llama-3.2-1B-Instruct"]
        state = refresh(data_dir=str(tmp_path), sources=["openrouter", CF, "huggingface"], source_urls=urls,
                        crawl_settings=FAST, crawl_retries=1, crawl_retry_delay_s=0, return_state=True)

    # a failing source does not fail the flow; the final state names it
    assert state.is_completed(), state.message
    assert state.message.startswith("2 of 3 sources fetched; failed: huggingface (")
    result = state.result()
    assert result["failed_sources"] == ["huggingface"] and "connection refused" in result["failures"]["huggingface"]
    assert result["attempts"] == {"openrouter": 1, CF: 1, "huggingface": 2}
    assert result["offers"] > 20 and Path(result["export"], "manifest.json").exists()
    assert (tmp_path / "exports" / "latest" / "manifest.json").exists()

    # the failed first attempt was moved aside, where the loader does not look
    crawl = tmp_path / "raw" / result["crawl_id"]
    assert (crawl / ".attempts" / "huggingface.attempt-1" / "fetch.json").exists()
    assert sorted(f.source_id for f in RawArchive(tmp_path / "raw").fetches(result["crawl_id"])) == \
        sorted(["openrouter", CF, "huggingface"])

    assert query(tmp_path, "SELECT input_usd_per_mtok FROM offers_current WHERE provider_model_id = ?", [CF_1B]) == \
        [(Decimal("0.027"),)]
    assert dict(query(tmp_path, "SELECT source_id, health FROM source_status")) == \
        {"openrouter": "ok", CF: "ok", "huggingface": "failed"}

    # artifacts: the run report and the changes table
    arts = artifacts(flow_run_id(state))
    report = arts["llm-ledger-refresh-report"]
    assert "**2 of 3 sources usable**; failed: huggingface" in report
    assert re.search(r"\*\*huggingface\*\* \(failed\): .*connection refused", report)
    table = arts["llm-ledger-refresh-changes"]
    assert len(table) == result["changes"]["new offers"] > 20
    assert {"change": "new offer", "provider_id": CF, "provider_model_id": CF_1B}.items() <= \
        next(r for r in table if r["provider_model_id"] == CF_1B).items()

    # Scrapy's lines and the pipeline's own log records reach the run logs
    logs = run_logs(flow_run_id(state))
    assert any("[scrapy.core.engine] INFO: Spider opened" in log.message for log in logs)
    assert any(log.name == "llm_ledger.process" and "[huggingface] failed" in log.message for log in logs)


def test_retry_succeeds_kinds_select_and_a_price_move_is_reported(harness, tmp_path):
    from pipeline.flows import refresh

    routes = routes_from_recorded(recorded(CF))
    (path,) = [p for p in routes if "pricing" in p]
    flaky = Flaky(routes, path, failures=1)
    with serve(flaky) as base:
        params = dict(data_dir=str(tmp_path), sources=["openrouter", CF], kinds=["pricing"],
                      source_urls={CF: local_urls(base, CF)}, crawl_settings=FAST, crawl_retries=2,
                      crawl_retry_delay_s=0, return_state=True)
        first = refresh(**params)
        status, headers, body = routes[path]
        flaky[path] = (status, headers, body.replace(b"$0.027 per M input tokens", b"$0.030 per M input tokens"))
        second = refresh(**params)

    r1 = first.result()
    assert first.is_completed() and first.message == "1 of 1 sources fetched"
    assert r1["sources"] == [CF] and r1["attempts"] == {CF: 2} and r1["failed_sources"] == []
    attempt = tmp_path / "raw" / r1["crawl_id"] / ".attempts" / f"{CF}.attempt-1"
    assert json.loads((attempt / "fetch.json").read_text())["status"] == "failed"
    # only the successful attempt was loaded
    assert query(tmp_path, "SELECT count(*) FROM raw_pages WHERE crawl_id = ?", [r1["crawl_id"]]) == [(1,)]

    r2 = second.result()
    assert r2["crawl_id"] != r1["crawl_id"] and r2["attempts"] == {CF: 1}
    assert r2["changes"] == {"new offers": 0, "retired offers": 0, "price moves": 1, "new conflicts": 0}
    (move,) = artifacts(flow_run_id(second))["llm-ledger-refresh-changes"]
    assert (move["change"], move["provider_model_id"], move["field"], move["old"], move["new"], move["percent"]) == \
        ("price move", CF_1B, "input_usd_per_mtok", "0.027", "0.03", "11.11")
    assert "| 0.027 | 0.03 | +11.11% |" in artifacts(flow_run_id(second))["llm-ledger-refresh-report"]


def test_refresh_fails_when_every_source_fails_and_still_reports(harness, tmp_path):
    from pipeline.flows import RefreshFailed, refresh

    dead = closed_port()
    state = refresh(data_dir=str(tmp_path), sources=[CF], crawl_settings=FAST, crawl_retries=0,
                    source_urls={CF: [f"http://127.0.0.1:{dead}/pricing/"]}, return_state=True)
    assert state.is_failed()
    assert "every source failed" in state.message and CF in state.message
    report = artifacts(flow_run_id(state))["llm-ledger-refresh-report"]
    assert "**0 of 1 sources usable**" in report and "connection refused" in report
    # the failure is on record in the warehouse; nothing was exported
    assert query(tmp_path, "SELECT source_id, health FROM source_status") == [(CF, "failed")]
    assert not (tmp_path / "exports").exists()
    with pytest.raises(RefreshFailed, match="every source failed"):
        state.result()  # what calling refresh() raises


def test_rebuild_and_export_flows(harness, tmp_path):
    from pipeline.flows import export_flow, rebuild

    before = run(tmp_path)  # the CLI's path: replay the recorded crawls, load, export
    state = rebuild(data_dir=str(tmp_path), return_state=True)
    assert state.is_completed()
    result = state.result()
    assert result["offers"] == before.offers and result["crawls"] == [r.crawl_id for r in before.reports]
    assert result["changes"] == {"new offers": 0, "retired offers": 0, "price moves": 0, "new conflicts": 0}
    arts = artifacts(flow_run_id(state))
    assert "Nothing: no offer opened or closed" in arts["llm-ledger-rebuild-report"]
    assert arts["llm-ledger-rebuild-changes"] == []

    state = export_flow(data_dir=str(tmp_path), as_of="2026-06-04", out=str(tmp_path / "out"), site=True,
                        return_state=True)
    exported = state.result()
    assert exported["as_of"] == "2026-06-04" and exported["latest"] is None
    assert (tmp_path / "out" / "manifest.json").exists()  # --out / out: the folder that receives the files
    # site: the export rendered, by default into DATA_DIR/site/<as_of>/
    assert exported["site"] == str(tmp_path / "site" / "2026-06-04")
    page = tmp_path / "site" / "2026-06-04" / "compare" / "meta__llama-3.2-1b-instruct--vs--openai__o3-mini.html"
    assert "$71.85" in page.read_text()
    assert "export as of 2026-06-04" in artifacts(flow_run_id(state))["llm-ledger-export-report"]


def test_one_writer_at_a_time(harness):
    from prefect.client.orchestration import get_client
    from prefect.concurrency.sync import concurrency

    from pipeline.flows import WAREHOUSE_LIMIT, warehouse_slot

    outcome: list[object] = []

    def second_writer() -> None:
        try:
            with concurrency(WAREHOUSE_LIMIT, occupy=1, timeout_seconds=2, strict=True):
                outcome.append("acquired")
        except TimeoutError as e:
            outcome.append(e)

    with warehouse_slot():  # creates the limit on first use
        t = threading.Thread(target=second_writer)
        t.start()
        t.join(30)
    assert len(outcome) == 1 and isinstance(outcome[0], TimeoutError)
    with get_client(sync_client=True) as client:
        assert client.read_global_concurrency_limit_by_name(WAREHOUSE_LIMIT).limit == 1
    second_writer()
    assert outcome[-1] == "acquired"


# --- plain functions, no engine ------------------------------------------------------------------------

def test_crawl_task_moves_a_failed_attempt_aside_and_raises(tmp_path):
    from pipeline.flows import ATTEMPTS_DIR, CrawlFailed, claim_crawl, crawl_source_task

    source = load_sources().get(CF).model_copy(update={"start_urls": [f"http://127.0.0.1:{closed_port()}/pricing/"]})
    crawl_id, _ = claim_crawl(tmp_path)
    args = dict(source_id=CF, source_json=source.model_dump_json(), archive_root=str(tmp_path), crawl_id=crawl_id,
                crawl_settings=FAST, timeout_s=60)
    for attempt in (1, 2):
        with pytest.raises(CrawlFailed, match=rf"{CF} \(attempt {attempt}\): .*connection refused"):
            crawl_source_task.fn(**args)
    crawl = tmp_path / crawl_id
    assert sorted(p.name for p in (crawl / ATTEMPTS_DIR).iterdir()) == [f"{CF}.attempt-1"]
    assert (crawl / CF / "pages.jsonl").exists() and (crawl / ATTEMPTS_DIR / f"{CF}.attempt-1" / "fetch.json").exists()
    assert [f.status for f in RawArchive(tmp_path).fetches(crawl_id)] == ["failed"]  # one source, not two
    assert RawArchive(tmp_path).crawls() == []  # crawl.json is written by the flow once every task is done
    other, _ = claim_crawl(tmp_path)
    assert other != crawl_id  # same second, still a new crawl


def test_crawl_task_timeout_stops_the_crawl_and_raises(tmp_path):
    from pipeline.flows import CrawlFailed, claim_crawl, crawl_source_task

    crawl_id, _ = claim_crawl(tmp_path)
    with silent_server() as base:  # accepts, never answers: only the task's timeout ends the crawl
        source = load_sources().get(CF).model_copy(update={"start_urls": [f"{base}/pricing/"]})
        with pytest.raises(CrawlFailed, match=rf"{CF} \(attempt 1\): .*timed out after 2 s"):
            crawl_source_task.fn(source_id=CF, source_json=source.model_dump_json(), archive_root=str(tmp_path),
                                 crawl_id=crawl_id, crawl_settings={**FAST, "DOWNLOAD_TIMEOUT": "60"}, timeout_s=2)


def test_live_run_reports_progress_per_source(tmp_path):
    """`llm-ledger run --live` progress: each source's fetch as it ends, then what was parsed of it."""
    events: list[tuple[str, str, dict]] = []
    dead = closed_port()
    with serve(routes_from_recorded(recorded(CF))) as base:
        summary = run(tmp_path, live=True, only=[CF, "openrouter"], do_export=False, crawl_settings=FAST,
                      url_overrides={CF: local_urls(base, CF), "openrouter": [f"http://127.0.0.1:{dead}/api/v1/models"]},
                      progress=lambda stage, sid, counts: events.append((stage, sid, counts)))
    fetched = {sid: c for stage, sid, c in events if stage == "fetched"}
    parsed = {sid: c for stage, sid, c in events if stage == "parsed"}
    assert fetched[CF]["status"] == "ok" and fetched[CF]["pages"] > 0 and fetched[CF]["errors"] == 0
    assert fetched["openrouter"]["status"] == "failed" and fetched["openrouter"]["errors"] > 0
    assert parsed[CF]["items"] > 0 and parsed[CF]["health"] == "ok"
    assert parsed["openrouter"]["health"] == "failed"
    # every fetch is reported before any parsing starts, and the load comes last
    stages = [stage for stage, _, _ in events]
    assert stages.index("parsed") > max(i for i, st in enumerate(stages) if st == "fetched")
    assert stages[-1] == "loaded" and summary.fetches and len(summary.fetches) == 2


def test_kinds_select_sources():
    from pipeline.flows import select

    registry = load_sources()
    pricing = select(registry, None, ["pricing"], None)
    assert pricing and {s.kind for s in pricing} == {"pricing"}
    assert {s.id for s in pricing} == {s.id for s in registry.sources if s.enabled and s.kind == "pricing"}
    assert [s.id for s in select(registry, ["openrouter", CF], ["pricing"], None)] == [CF]
    with pytest.raises(ValueError, match="unknown source kind"):
        select(registry, None, ["pricng"], None)
    with pytest.raises(ValueError, match="no enabled source matches"):
        select(registry, ["openrouter"], ["pricing"], None)


def test_changes_of_a_crawl_new_retired_price_moves_and_new_conflicts(tmp_path):
    raw = tmp_path / "raw"
    mistral = "@cf/mistral/mistral-7b-instruct-v0.1"  # its row: the pipe-table line naming it

    def crawl(crawl_id: str, day: int, sources: list[str]) -> Path:
        dest = raw / crawl_id
        dest.mkdir(parents=True)
        for sid in sources:
            shutil.copytree(recorded(sid), dest / sid)
        (dest / "crawl.json").write_text(json.dumps(
            {"crawl_id": crawl_id, "started_at": datetime(2026, 6, day, 6, tzinfo=UTC).isoformat(), "mode": "test"}))
        return dest

    c1 = crawl("20260601T060000Z", 1, [CF, "openrouter"])
    process_stored(tmp_path, do_export=False)
    c2 = crawl("20260602T060000Z", 2, [CF, "openrouter", "huggingface"])
    page = c2 / CF
    replace_body(page, "pricing", old="$0.027 per M input tokens", to="$0.030 per M input tokens")
    body = (page / "bodies").iterdir().__next__()
    text = body.read_text()
    row_start = text.rindex("\n", 0, text.index(mistral)) + 1
    row = text[row_start: text.index("\n", row_start) + 1]
    assert row.startswith("|") and row.count(mistral) == 1
    replace_body(page, "pricing", old=row, to="")
    process_stored(tmp_path, do_export=False)
    c3 = raw / "20260603T060000Z"  # the same pages again
    shutil.copytree(c2, c3)
    (c3 / "crawl.json").write_text(json.dumps(
        {"crawl_id": c3.name, "started_at": datetime(2026, 6, 3, 6, tzinfo=UTC).isoformat(), "mode": "test"}))
    process_stored(tmp_path, do_export=False)
    assert c1.exists()

    con = duckdb.connect(str(tmp_path / "ledger.duckdb"), read_only=True)
    try:
        first = changes_in_crawls(con, ["20260601T060000Z"])
        second = changes_in_crawls(con, ["20260602T060000Z"])
        third = changes_in_crawls(con, ["20260603T060000Z"])
        logged2 = con.execute("SELECT count(*) FROM conflict_log WHERE crawl_id = '20260602T060000Z'").fetchone()[0]
        logged1 = con.execute("SELECT count(*) FROM conflict_log WHERE crawl_id = '20260601T060000Z'").fetchone()[0]
    finally:
        con.close()

    assert first.counts()["new offers"] > 20 and not first.retired_offers and not first.price_moves
    assert len(first.new_conflicts) == logged1  # the first crawl: every conflict is new
    cf_moves = [m for m in second.price_moves if m.key[1] == CF]
    assert [(m.key[2], m.field, m.old, m.new, m.percent) for m in cf_moves] == \
        [(CF_1B, "input_usd_per_mtok", Decimal("0.027"), Decimal("0.030"), Decimal("11.11"))]
    assert isinstance(cf_moves[0].old, Decimal)
    assert [o.key[2] for o in second.retired_offers if o.key[1] == CF] == ["@cf/mistral/mistral-7b-instruct-v0.1"]
    # huggingface joined in crawl 2: the conflicts it brings are new there, and no longer new in crawl 3
    assert logged2 > logged1 and second.new_conflicts
    assert all(c.crawl_id == "20260602T060000Z" for c in second.new_conflicts)
    assert third.empty

    rows = changes_table(second)
    assert {tuple(r) for r in rows} == {tuple(rows[0])}  # every row has the same columns
    move = next(r for r in rows if r["change"] == "price move" and r["provider_id"] == CF)
    assert (move["old"], move["new"], move["percent"]) == ("0.027", "0.03", "11.11")
    assert any(r["change"] == "new conflict" and r["detail"] for r in rows)


def test_percent_change_is_exact():
    assert percent_change(Decimal("0.027"), Decimal("0.030")) == Decimal("11.11")
    assert percent_change(Decimal("0.201"), Decimal("0.19")) == Decimal("-5.47")
    assert percent_change(Decimal("1.10"), Decimal("0.55")) == Decimal("-50.00")
    assert percent_change(Decimal("0"), Decimal("1")) is None and percent_change(None, Decimal("1")) is None


def test_run_report_lists_failures_with_reasons(tmp_path):
    from pipeline.raw import FetchInfo

    now = datetime.now(UTC)
    fetches = [FetchInfo(source_id="a", started_at=now, finished_at=now, pages=3),
               FetchInfo(source_id="b", started_at=now, finished_at=now, status="failed",
                         errors=["http://x/: connection refused | really"])]
    outcomes = source_outcomes(None, fetches, {"b": 3}, {"a": "pricing", "b": "catalog"})
    md = run_report("refresh X", outcomes=outcomes, crawl_id="X")
    assert "**1 of 2 sources usable**; failed: b" in md
    assert "| b | catalog | failed | 3 | 0 | not loaded |" in md
    assert r"- **b** (failed): http://x/: connection refused \| really" in md


# --- flows.yaml ----------------------------------------------------------------------------------------

def test_flows_yaml_deployments():
    import pipeline.flows as flows

    text = (REPO / "flows.yaml").read_text()
    doc = yaml.safe_load(text)
    deployments = {d["name"]: d for d in doc["deployments"]}
    assert {"daily-refresh", "pricing-refresh", "weekly-rebuild"} <= set(deployments)
    tree = ast.parse((REPO / "pipeline" / "flows.py").read_text())
    top_level = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    for name, d in deployments.items():
        path, _, func = d["entrypoint"].partition(":")
        assert path == "pipeline/flows.py" and func in top_level, name
        flow = getattr(flows, func)
        assert set(d.get("parameters", {})) <= set(inspect.signature(flow.fn).parameters), name
        if func == "crawl_group":  # the crawl pool's: many at once, never the warehouse
            assert d["work_pool"]["name"] == "llm-ledger-crawl" and "concurrency_limit" not in d, name
            continue
        assert d["work_pool"]["name"] == "llm-ledger-writer", name
        assert d["concurrency_limit"]["limit"] == 1, name
        assert d.get("parameters", {}).get("data_dir") is None, name
        for schedule in d.get("schedules", []):
            assert schedule["timezone"] == "UTC" and len(schedule["cron"].split()) == 5, name
    assert deployments["pricing-refresh"]["parameters"]["kinds"] == ["pricing"]
    assert deployments["daily-refresh"]["parameters"]["kinds"] is None
    assert deployments["weekly-rebuild"]["entrypoint"].endswith(":rebuild")
    assert deployments["weekly-rebuild"]["schedules"][0]["cron"].split()[4] != "*"  # weekly
    # no machine path: the working directory comes from the worker's environment
    assert doc["pull"] == [{"prefect.deployments.steps.set_working_directory": {"directory": "{{ $LLM_LEDGER_HOME }}"}}]
    assert not re.search(r"(^|\s|\")(/home|/work|/Users|/root|/tmp|[A-Z]:\\)", text)

