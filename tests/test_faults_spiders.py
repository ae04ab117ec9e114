"""Faults of the fetch side found by the fault matrix, each kept as a reproducing test.

(5)  A catalog could make a spider read local files or other hosts: follow-up links, redirects
     and Scrapy's own download handlers are held to http(s) on the source's hosts.
(10) Errors name what failed: the URL, HTTP status and Retry-After of every failed page,
     Retry-After honoured (up to a cap), the size limit of an oversize body (with or without
     Content-Length), and a fetch.json that a killed crawl leaves is never "ok".

Everything runs against servers on 127.0.0.1 (tests/httpserver.py). "localhost" serves as the
foreign host: it reaches the same local server under another host name, so a request that
escaped the rule shows up in the server's log instead of going to the internet.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from pipeline.raw import FetchInfo
from spiders.archive import follow_refusal, source_hosts
from spiders.settings import build_settings
from spiders.writer import UNFINISHED, SourceCrawlWriter
from tests.httpserver import Streamed, serve, silent_server
from tests.test_spiders import CRAWL, FAST, JSON, REPO_ROOT, assert_sound, crawl, make_source

SECRET = b"LEDGER-LOCAL-SECRET-7f3a"


def archived_bytes(root: Path) -> bytes:
    """Every byte the crawl wrote under the archive (bodies, index, fetch.json)."""
    return b"".join(f.read_bytes() for f in sorted((root / CRAWL).rglob("*")) if f.is_file())


def local_secret(tmp_path: Path) -> Path:
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_bytes(SECRET + b"\n")
    return secret


def foreign(base: str) -> str:
    """The same local server under another host name."""
    return base.replace("127.0.0.1", "localhost")


# -- (5) follow-ups stay http(s) on the source's hosts ------------------------------------------

def test_follow_rule_allows_only_http_on_the_sources_hosts():
    src = make_source("openrouter", ["https://openrouter.ai/api/v1/models", "http://127.0.0.1:8123/x"],
                      follow_hosts=["cdn.example.com", "*.mirror.test"])
    hosts = source_hosts(src)
    assert hosts == {"openrouter.ai", "127.0.0.1", "cdn.example.com", "*.mirror.test"}
    ok = ["https://openrouter.ai/api/v1/models/x/endpoints", "http://OPENROUTER.AI./a",
          "http://127.0.0.1:9999/other-port", "https://cdn.example.com/f", "https://eu.mirror.test/f"]
    assert [follow_refusal(u, hosts) for u in ok] == [None] * len(ok)
    assert follow_refusal("file:///etc/passwd", hosts) == "scheme file is not http(s)"
    assert follow_refusal("ftp://openrouter.ai/x", hosts) == "scheme ftp is not http(s)"
    assert follow_refusal("data:text/plain,hi", hosts) == "scheme data is not http(s)"
    assert follow_refusal("s3://bucket/key", hosts) == "scheme s3 is not http(s)"
    assert follow_refusal("https://evil.test/x", hosts) == "host evil.test is not a host of this source"
    assert follow_refusal("https://openrouter.ai.evil.test/x", hosts) == "host openrouter.ai.evil.test is not a host of this source"
    assert follow_refusal("https://mirror.test/x", hosts) == "host mirror.test is not a host of this source"
    assert follow_refusal("http://user@evil.test@openrouter.ai/", hosts) is None  # the host is openrouter.ai
    assert follow_refusal("http:///etc/passwd", hosts) == "the URL names no host"


def test_openrouter_links_to_files_or_other_hosts_are_refused_and_never_fetched(tmp_path):
    """The fault: ``links.details: file:///etc/passwd`` copied the file into the raw archive."""
    secret = local_secret(tmp_path)
    routes = {
        "/api/v1/models/d/ok/endpoints": (200, JSON, b'{"data": {"id": "d/ok"}}'),
        "/api/v1/models/e/busy/endpoints": (503, {"Retry-After": "120"}, b"busy"),
        # f/missing: 404 (a follow-up page the parser judges; not a fetch error)
    }
    with serve(routes) as base:
        elsewhere = foreign(base)
        models = {"data": [
            {"id": "a/file", "links": {"details": secret.as_uri()}},
            {"id": "b/foreign", "links": {"details": f"{elsewhere}/api/v1/models/b/endpoints"}},
            {"id": "c/protocol-relative", "links": {"details": f"//{elsewhere.split('://')[1]}/api/v1/models/c/endpoints"}},
            {"id": "d/ok", "links": {"details": "/api/v1/models/d/ok/endpoints"}},
            {"id": "e/busy"},
            {"id": "f/missing"},
        ]}
        routes["/api/v1/models"] = (200, JSON, json.dumps(models).encode())
        src = make_source("openrouter", [base.url("/api/v1/models")], sid="openrouter",
                          endpoints_for=["a/file", "b/foreign", "c/protocol-relative", "d/ok", "e/busy", "f/missing"])
        info, pages, _ = crawl(src, tmp_path)
        paths = [r.path for r in base.requests]

    assert SECRET not in archived_bytes(tmp_path)
    assert sorted((p.url, p.status) for p in pages) == [
        (base.url("/api/v1/models"), 200),
        (base.url("/api/v1/models/d/ok/endpoints"), 200),
        (base.url("/api/v1/models/e/busy/endpoints"), 503),
        (base.url("/api/v1/models/f/missing/endpoints"), 404),
    ]
    assert "/api/v1/models/b/endpoints" not in paths and "/api/v1/models/c/endpoints" not in paths
    assert info.status == "ok"
    assert sorted(info.errors) == sorted([
        f"{secret.as_uri()}: follow-up refused: scheme file is not http(s)",
        f"{elsewhere}/api/v1/models/b/endpoints: follow-up refused: host localhost is not a host of this source",
        f"{elsewhere}/api/v1/models/c/endpoints: follow-up refused: host localhost is not a host of this source",
        # the spider's own decision not to retry is named; the 404 is left to the parser
        f"{base.url('/api/v1/models/e/busy/endpoints')}: HTTP 503 (Retry-After: 120); "
        "not retried: Retry-After 120 s is over RETRY_AFTER_MAX (60 s)",
    ])
    assert_sound(tmp_path, "openrouter", info)


def test_follow_hosts_option_lets_a_named_host_through(tmp_path):
    routes = {"/api/v1/models/b/endpoints": (200, JSON, b'{"data": {"id": "b"}}')}
    with serve(routes) as base:
        models = {"data": [{"id": "b", "links": {"details": f"{foreign(base)}/api/v1/models/b/endpoints"}}]}
        routes["/api/v1/models"] = (200, JSON, json.dumps(models).encode())
        src = make_source("openrouter", [base.url("/api/v1/models")], sid="openrouter",
                          endpoints_for=["b"], follow_hosts=["localhost"])
        info, pages, _ = crawl(src, tmp_path)
        hosts = {r.headers.get("Host", "").split(":")[0] for r in base.requests if r.path == "/api/v1/models/b/endpoints"}

    assert info.status == "ok" and info.errors == []
    assert sorted(p.url for p in pages) == [base.url("/api/v1/models"), f"{foreign(base)}/api/v1/models/b/endpoints"]
    assert hosts == {"localhost"}


def test_huggingface_redirects_off_the_source_are_refused(tmp_path):
    """A repo file redirecting to another host is not fetched; one redirecting to file:// is
    not followed (Scrapy hands the 3xx back) and says so."""
    secret = local_secret(tmp_path)
    repo = "org/model"
    routes = {
        f"/api/models/{repo}": (200, JSON, b'{"id": "org/model"}'),
        "/landing/config.json": (200, JSON, b'{"leaked": true}'),
    }
    with serve(routes) as base:
        routes[f"/{repo}/raw/main/config.json"] = (302, {"Location": f"{foreign(base)}/landing/config.json"}, b"")
        routes[f"/{repo}/raw/main/README.md"] = (302, {"Location": secret.as_uri()}, b"")
        info, pages, _ = crawl(make_source("huggingface", [base.url(f"/api/models/{repo}")], sid="huggingface"), tmp_path)
        landing_hits = base.hits("/landing/config.json")

    assert landing_hits == 0
    assert SECRET not in archived_bytes(tmp_path)
    assert sorted((p.url, p.status) for p in pages) == [
        (base.url(f"/api/models/{repo}"), 200),
        (base.url(f"/{repo}/raw/main/README.md"), 302),  # stored raw; its target was not fetched
    ]
    assert sorted(info.errors) == sorted([
        f"{foreign(base)}/landing/config.json: redirect refused: host localhost is not a host of this source "
        f"(redirected from {base.url(f'/{repo}/raw/main/config.json')})",
        f"{base.url(f'/{repo}/raw/main/README.md')}: redirect to {secret.as_uri()} not followed: scheme file is not http(s)",
    ])


def test_a_redirect_to_another_host_never_carries_the_api_key_there(tmp_path, monkeypatch):
    """Scrapy's RedirectMiddleware follows any http(s) redirect and drops only Cookie and
    Authorization: a custom key header (x-api-key) would have gone to the other host."""
    monkeypatch.setenv("LEDGER_TEST_API_KEY", "s3cret-key")
    routes = {"/landing": (200, JSON, b"{}")}
    with serve(routes) as base:
        routes["/start"] = (301, {"Location": f"{foreign(base)}/landing"}, b"")
        src = make_source("page", [base.url("/start")], headers_from_env={"x-api-key": "LEDGER_TEST_API_KEY"})
        info, pages, _ = crawl(src, tmp_path)
        seen = list(base.requests)

    assert [r.path for r in seen if r.path != "/robots.txt"] == ["/start"]
    assert pages == []
    assert info.status == "failed"
    assert info.errors == [
        f"{foreign(base)}/landing: redirect refused: host localhost is not a host of this source "
        f"(redirected from {base.url('/start')})",
        "no page with HTTP status < 400 was stored",
    ]


def test_scrapy_file_handlers_are_off_even_without_the_guard(tmp_path):
    """Defense in depth: with the follow guard switched off, file:// still cannot be read."""
    s = build_settings()
    assert all(s["DOWNLOAD_HANDLERS"][scheme] is None for scheme in ("file", "s3", "ftp", "data"))
    # a test switching https off keeps the others off (handlers are merged, not replaced)
    merged = build_settings({"DOWNLOAD_HANDLERS": '{"https": null}'})["DOWNLOAD_HANDLERS"]
    assert merged == {"file": None, "s3": None, "ftp": None, "data": None, "https": None}

    secret = local_secret(tmp_path)
    src = make_source("page", [secret.as_uri()])
    info, pages, _ = crawl(src, tmp_path, DOWNLOADER_MIDDLEWARES='{"spiders.middlewares.FollowGuardMiddleware": null}')
    assert pages == [] and SECRET not in archived_bytes(tmp_path)
    assert info.status == "failed"
    assert info.errors[0].startswith(f"{secret.as_uri()}: NotSupported: Unsupported URL scheme 'file'")


def test_a_start_url_that_is_not_http_is_refused_by_the_guard(tmp_path):
    secret = local_secret(tmp_path)
    info, pages, _ = crawl(make_source("page", [secret.as_uri()]), tmp_path)
    assert pages == [] and SECRET not in archived_bytes(tmp_path)
    assert info.errors == [f"{secret.as_uri()}: refused: scheme file is not http(s)",
                           "no page with HTTP status < 400 was stored"]


# -- (10) failed pages are named: URL, status, Retry-After ----------------------------------------

def test_every_failed_start_url_is_named_with_its_status_and_retry_after(tmp_path):
    """The fault: fetch.json said only "no page with HTTP status < 400 was stored"."""
    later = format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)
    routes = {
        "/pricing": (503, {"Retry-After": "120"}, b"busy"),
        "/models": (429, {"Retry-After": later}, b"slow down"),
        "/docs": (403, {}, b"forbidden"),
        "/gone": (404, {}, b"gone"),
    }
    with serve(routes) as base:
        src = make_source("page", [base.url(p) for p in routes])
        started = time.monotonic()
        info, pages, _ = crawl(src, tmp_path)
        took = time.monotonic() - started
        hits = {p: base.hits(p) for p in routes}

    assert hits == {"/pricing": 1, "/models": 1, "/docs": 1, "/gone": 1}  # Retry-After over the cap: no retry
    assert took < 30  # nobody waited 120 s
    assert sorted((p.url, p.status) for p in pages) == sorted((base.url(p), r[0]) for p, r in routes.items())
    assert info.status == "failed"
    assert info.errors[-1] == "no page with HTTP status < 400 was stored"
    named = sorted(info.errors[:-1])
    assert named[0] == f"{base.url('/docs')}: HTTP 403"
    assert named[1] == f"{base.url('/gone')}: HTTP 404"
    assert re.fullmatch(re.escape(f"{base.url('/models')}: HTTP 429 (Retry-After: {later}); not retried: "
                                  f"Retry-After {later} (") + r"\d+" + re.escape(" s from now) is over RETRY_AFTER_MAX (60 s)"),
                        named[2]), named[2]
    assert named[3] == (f"{base.url('/pricing')}: HTTP 503 (Retry-After: 120); "
                        "not retried: Retry-After 120 s is over RETRY_AFTER_MAX (60 s)")
    assert_sound(tmp_path, "test-source", info)


def test_retry_after_is_honoured_in_seconds_and_as_a_date_up_to_the_cap(tmp_path):
    """The fault: ``Retry-After: 2`` was ignored and retries went out at once."""
    ok = (200, {"Content-Type": "text/plain"}, b"fine now")
    routes: dict = {
        "/seconds": [(503, {"Retry-After": "1"}, b"busy"), ok],
        "/slow": [(503, {"Retry-After": "5"}, b"busy"), ok],  # over RETRY_AFTER_MAX=3: given up
    }
    with serve(routes) as base:
        # an HTTP date 2 s after the request arrives: whole seconds, so the wait is 1 to 2 s
        routes["/date"] = [lambda: (429, {"Retry-After": format_datetime(datetime.now(UTC) + timedelta(seconds=2), usegmt=True)}, b"slow"), ok]
        src = make_source("page", [base.url("/seconds"), base.url("/date"), base.url("/slow")])
        info, pages, _ = crawl(src, tmp_path, RETRY_AFTER_MAX="3")
        times = {p: base.times(p) for p in routes}

    assert len(times["/seconds"]) == 2 and times["/seconds"][1] - times["/seconds"][0] >= 1.0, times
    assert len(times["/date"]) == 2 and times["/date"][1] - times["/date"][0] >= 0.9, times
    assert len(times["/slow"]) == 1
    stored = {p.url[len(base):]: p.status for p in pages}
    assert stored == {"/seconds": 200, "/date": 200, "/slow": 503}
    assert info.status == "ok"
    assert info.errors == [f"{base.url('/slow')}: HTTP 503 (Retry-After: 5); not retried: Retry-After 5 s is over RETRY_AFTER_MAX (3 s)"]


def test_retry_after_values_are_read_as_seconds_or_http_dates():
    from spiders.middlewares import parse_retry_after

    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("2", now) == 2.0
    assert parse_retry_after(" 120 ", now) == 120.0
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("Thu, 01 Jan 2026 11:00:00 GMT", now) == 0.0  # in the past: no wait
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after("-5", now) is None
    assert parse_retry_after("", now) is None and parse_retry_after(None, now) is None


# -- (10) oversize bodies name the limit, with or without Content-Length --------------------------

def test_oversize_bodies_name_the_limit_with_and_without_content_length(tmp_path):
    """The fault: a body streamed without Content-Length gave "download cancelled ()"."""
    chunks = [b"y" * 1000] * 8
    routes = {
        "/small": (200, {}, b"x" * 100),
        "/sized": (200, {}, b"y" * 5000),  # Content-Length 5000: refused before the body
        "/chunked": Streamed(200, {}, chunks, chunked=True),  # cancelled mid-body
        "/streamed": Streamed(200, {}, chunks, chunked=False),  # HTTP/1.0, ends at close
    }
    with serve(routes) as base:
        src = make_source("page", [base.url(p) for p in routes])
        info, pages, _ = crawl(src, tmp_path, DOWNLOAD_MAXSIZE="2000", DOWNLOAD_WARNSIZE="1500", RETRY_TIMES="0")

    assert [p.url for p in pages] == [base.url("/small")]
    assert info.status == "ok"
    errors = sorted(info.errors)
    assert len(errors) == 3, errors
    streamed = re.escape(": response exceeds DOWNLOAD_MAXSIZE (2000 bytes): cancelled after ") + r"(\d+)" + \
        re.escape(" bytes (no Content-Length); not stored")
    for error, path in zip(errors, ["/chunked", "/sized", "/streamed"]):
        assert error.startswith(base.url(path) + ": "), error
        if path == "/sized":
            assert error == f"{base.url(path)}: response of 5000 bytes exceeds DOWNLOAD_MAXSIZE (2000 bytes); not stored"
        else:
            m = re.fullmatch(re.escape(base.url(path)) + streamed, error)
            assert m and 2000 < int(m.group(1)) <= 8000, error


# -- (10) an unfinished fetch is never "ok" --------------------------------------------------------

def test_fetch_json_says_failed_until_the_writer_finishes(tmp_path):
    writer = SourceCrawlWriter(tmp_path / "src", "src")

    def on_disk() -> FetchInfo:
        return FetchInfo.model_validate_json((tmp_path / "src" / "fetch.json").read_text())

    assert (on_disk().status, on_disk().finished_at, on_disk().errors) == ("failed", None, [UNFINISHED])
    writer.add("http://127.0.0.1:1/a", 200, {}, b"a")
    writer.error("http://127.0.0.1:1/b: HTTP 503")
    assert on_disk().status == "failed" and on_disk().errors == ["http://127.0.0.1:1/b: HTTP 503", UNFINISHED]
    info = writer.finish("ok")
    assert on_disk() == info
    assert (info.status, info.errors, info.pages) == ("ok", ["http://127.0.0.1:1/b: HTTP 503"], 1)
    assert info.finished_at is not None


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_a_crawl_killed_mid_fetch_leaves_a_failed_unfinished_fetch_json(tmp_path):
    with silent_server() as base:
        src = make_source("page", [base + "/slow"])
        cmd = [sys.executable, "-m", "spiders.crawl", "--archive", str(tmp_path), "--crawl-id", CRAWL,
               "--source-json", src.model_dump_json()]
        cmd += [f"--setting={k}={v}" for k, v in {**FAST, "DOWNLOAD_TIMEOUT": "60"}.items()]
        proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        fetch_json = tmp_path / CRAWL / "test-source" / "fetch.json"
        try:
            deadline = time.monotonic() + 30
            while not fetch_json.exists() and time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.05)
            time.sleep(0.3)
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    info = FetchInfo.model_validate_json(fetch_json.read_text())
    assert info.finished_at is None
    assert info.status == "failed"
    assert info.errors[-1] == UNFINISHED


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs /proc to find the child")
def test_the_runner_finishes_the_fetch_json_of_a_killed_child_without_the_unfinished_marker(tmp_path):
    from spiders.runner import crawl_source

    archive = tmp_path / "archive"

    def kill_child(line: str) -> None:
        if "crawl " not in line or "archive" not in line:  # the child's first log line
            return
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                argv = cmdline.read_bytes().split(b"\0")
            except OSError:
                continue
            if b"spiders.crawl" in argv and str(archive).encode() in argv:
                time.sleep(0.3)  # let it write its first fetch.json
                os.kill(int(cmdline.parent.name), signal.SIGKILL)

    with silent_server() as base:
        info = crawl_source(make_source("page", [base + "/slow"]), archive, CRAWL, timeout_s=30,
                            settings={**FAST, "DOWNLOAD_TIMEOUT": "20"}, on_line=kill_child)
    assert info.status == "failed" and info.finished_at is not None
    assert UNFINISHED not in info.errors
    assert "test-source: crawl process exited with code -9 without finishing" in info.errors[-1]
    assert FetchInfo.model_validate_json((archive / CRAWL / "test-source" / "fetch.json").read_text()) == info
