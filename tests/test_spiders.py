"""The spiders, the crawl subprocess and the runner, against servers on 127.0.0.1 only.

Every crawl here is a real ``python -m spiders.crawl`` subprocess (~1-1.5 s each): Scrapy's
reactor cannot restart, so this is also how the pipeline runs them.
"""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.config import SourceConfig, load_sources
from pipeline.raw import FetchInfo, RawArchive, verify
from pipeline.models import RawPage
from spiders.huggingface import repo_file_urls
from spiders.runner import crawl_source, crawl_sources
from spiders.writer import source_writer
from spiders.settings import USER_AGENT, build_settings, parse_setting_pairs
from tests.httpserver import closed_port, routes_from_recorded, serve, silent_server

REPO_ROOT = Path(__file__).resolve().parents[1]

# Small delays and timeouts so the whole file stays fast; retries stay on (RETRY_TIMES=2).
FAST = {
    "AUTOTHROTTLE_START_DELAY": "0",
    "AUTOTHROTTLE_MAX_DELAY": "0.2",
    "DOWNLOAD_DELAY": "0",
    "DOWNLOAD_TIMEOUT": "5",
    "STATS_DUMP": "False",
    # No https in these tests: a link that escaped to the real internet fails instead of fetching.
    "DOWNLOAD_HANDLERS": '{"https": null}',
}
JSON = {"Content-Type": "application/json"}
CRAWL = "20260101T000000Z"


def make_source(spider: str, urls: list[str], sid: str = "test-source", **options: object) -> SourceConfig:
    return SourceConfig(
        id=sid, name=sid, kind="catalog", authority="catalog", spider=spider, parser=sid.replace("-", "_"),
        start_urls=urls, options=dict(options),
    )


def crawl(source: SourceConfig, root: Path, **settings: object) -> tuple[FetchInfo, list[RawPage], list[str]]:
    lines: list[str] = []
    info = crawl_source(source, root, CRAWL, timeout_s=60, settings={**FAST, **settings}, on_line=lines.append)
    pages = list(RawArchive(root).pages(CRAWL, source.id))
    return info, pages, lines


def assert_sound(root: Path, source_id: str, info: FetchInfo) -> None:
    """fetch.json on disk is the returned FetchInfo; every body matches its sha256."""
    folder = root / CRAWL / source_id
    assert FetchInfo.model_validate_json((folder / "fetch.json").read_text()) == info
    assert verify(folder) == []


# -- OpenRouter --------------------------------------------------------------------------

MODELS = {
    "data": [
        {"id": "meta-llama/llama-3.2-1b-instruct", "links": {"details": "/api/v1/models/meta-llama/llama-3.2-1b-instruct/endpoints"}},
        {"id": "openai/o3-mini"},  # no links: the spider builds the endpoints path itself
        {"id": "acme/not-wanted", "links": {"details": "/api/v1/models/acme/not-wanted/endpoints"}},
    ]
}


def test_openrouter_stores_models_and_follows_configured_endpoints_on_the_local_server(tmp_path):
    endpoints_1b = b'{"data": {"id": "meta-llama/llama-3.2-1b-instruct", "endpoints": []}}'
    routes = {
        "/api/v1/models": (200, {**JSON, "X-Served-By": "test"}, json.dumps(MODELS).encode()),
        "/api/v1/models/meta-llama/llama-3.2-1b-instruct/endpoints": (200, JSON, endpoints_1b),
        "/api/v1/models/openai/o3-mini/endpoints": (200, JSON, b'{"data": {"id": "openai/o3-mini"}}'),
        "/api/v1/models/acme/not-wanted/endpoints": (200, JSON, b"{}"),
    }
    wanted = ["meta-llama/llama-3.2-1b-instruct", "openai/o3-mini", "openai/o4-mini"]  # o4-mini: not listed
    with serve(routes) as base:
        src = make_source("openrouter", [base.url("/api/v1/models")], sid="openrouter", endpoints_for=wanted)
        before = datetime.now(UTC)
        info, pages, lines = crawl(src, tmp_path)
        after = datetime.now(UTC)

    assert info.status == "ok", info
    assert info.errors == []
    assert info.pages == 3
    assert_sound(tmp_path, "openrouter", info)
    urls = [p.url for p in pages]
    assert urls[0] == base.url("/api/v1/models")
    assert sorted(urls[1:]) == sorted([
        base.url("/api/v1/models/meta-llama/llama-3.2-1b-instruct/endpoints"),
        base.url("/api/v1/models/openai/o3-mini/endpoints"),
    ])
    assert base.hits("/api/v1/models/acme/not-wanted/endpoints") == 0
    for page in pages:
        body = page.body()
        assert page.source_id == "openrouter"
        assert page.status == 200
        assert page.sha256 == hashlib.sha256(body).hexdigest()
        assert page.body_file.startswith("bodies/")
        assert page.headers["Content-Type"] == "application/json"
        assert page.headers["Content-Length"] == str(len(body))
        assert page.fetched_at.tzinfo is not None and before <= page.fetched_at <= after
    assert pages[0].body() == json.dumps(MODELS).encode()
    assert pages[0].headers["X-Served-By"] == "test"
    endpoints = next(p for p in pages if "llama-3.2-1b" in p.url)
    assert endpoints.body() == endpoints_1b
    # log lines come prefixed with the source id
    assert any("[openrouter]" in line and "stored 200" in line for line in lines)


def test_openrouter_broken_json_is_stored_and_nothing_followed(tmp_path):
    broken = b'{"data": [{"id": "openai/o3-mini", '
    with serve({"/api/v1/models": (200, JSON, broken)}) as base:
        src = make_source("openrouter", [base.url("/api/v1/models")], sid="openrouter", endpoints_for=["openai/o3-mini"])
        info, pages, lines = crawl(src, tmp_path)
        requested = [r.path for r in base.requests]

    assert [p.body() for p in pages] == [broken]
    assert requested == ["/robots.txt", "/api/v1/models"]
    assert info.status == "ok"  # fetched fine; the parser will say the page is broken
    assert len(info.errors) == 1 and "not valid JSON" in info.errors[0] and base.url("/api/v1/models") in info.errors[0]
    assert any("ERROR" in line and "not valid JSON" in line for line in lines)


# -- Hugging Face ------------------------------------------------------------------------

def test_huggingface_fetches_api_readme_and_config_for_each_start_url(tmp_path):
    routes = {}
    for repo in ("meta-llama/Llama-3.2-1B-Instruct", "meta-llama/Llama-3.2-1B"):
        routes[f"/api/models/{repo}"] = (200, JSON, json.dumps({"id": repo}).encode())
        routes[f"/{repo}/raw/main/README.md"] = (200, {"Content-Type": "text/plain; charset=utf-8"}, f"---\nlicense: llama3.2\n---\n# {repo}\n".encode())
        routes[f"/{repo}/raw/main/config.json"] = (200, JSON, b'{"max_position_embeddings": 131072}')
    with serve(routes) as base:
        urls = [base.url("/api/models/meta-llama/Llama-3.2-1B-Instruct"), base.url("/api/models/meta-llama/Llama-3.2-1B")]
        info, pages, _ = crawl(make_source("huggingface", urls, sid="huggingface"), tmp_path)

    assert info.status == "ok" and info.errors == [] and info.pages == 6
    assert_sound(tmp_path, "huggingface", info)
    assert sorted(p.url for p in pages) == sorted(base.url(path) for path in routes)
    for page in pages:
        path = page.url[len(base):]
        assert page.body() == routes[path][2]


def test_repo_file_urls_keep_scheme_host_and_port():
    assert repo_file_urls("http://127.0.0.1:8123/api/models/org/name", ["README.md", "sub dir/config.json"]) == [
        "http://127.0.0.1:8123/org/name/raw/main/README.md",
        "http://127.0.0.1:8123/org/name/raw/main/sub%20dir/config.json",
    ]
    assert repo_file_urls("https://huggingface.co/api/models/gpt2", ["config.json"]) == [
        "https://huggingface.co/gpt2/raw/main/config.json"
    ]
    assert repo_file_urls("https://huggingface.co/meta-llama/Llama-3.2-1B", ["config.json"]) is None


# -- Politeness and errors --------------------------------------------------------------------

def test_robots_txt_is_obeyed_and_the_user_agent_is_the_projects(tmp_path):
    robots = b"User-agent: llm-ledger\nDisallow: /private\n\nUser-agent: *\nDisallow:\n"
    routes = {
        "/robots.txt": (200, {"Content-Type": "text/plain"}, robots),
        "/public": (200, {"Content-Type": "text/html"}, b"<p>public</p>"),
        "/private": (200, {"Content-Type": "text/html"}, b"<p>private</p>"),
    }
    with serve(routes) as base:
        src = make_source("page", [base.url("/public"), base.url("/private")])
        info, pages, _ = crawl(src, tmp_path)
        seen = list(base.requests)

    assert [p.url for p in pages] == [base.url("/public")]
    assert base.hits("/private") == 0
    assert info.status == "ok"
    assert info.errors == [f"{base.url('/private')}: forbidden by robots.txt"]
    assert {r.headers.get("User-Agent") for r in seen} == {USER_AGENT}
    assert {r.path for r in seen} == {"/robots.txt", "/public"}


def test_http_500_is_retried_then_stored_raw(tmp_path):
    routes = {
        "/ok": (200, {"Content-Type": "text/html"}, b"fine"),
        "/broken": (500, {"Content-Type": "text/html", "Retry-After": "1"}, b"<h1>Internal Server Error</h1>"),
        "/gone": (404, {"Content-Type": "text/html"}, b"no such page"),
    }
    with serve(routes) as base:
        src = make_source("page", [base.url("/ok"), base.url("/broken"), base.url("/gone")])
        info, pages, _ = crawl(src, tmp_path)
        hits = {path: base.hits(path) for path in routes}
        times = base.times("/broken")

    assert hits == {"/ok": 1, "/broken": 3, "/gone": 1}  # 500 is retried twice, 404 never
    assert all(b - a >= 1.0 for a, b in zip(times, times[1:])), times  # Retry-After: 1 honoured
    stored = {p.url[len(base):]: p for p in pages}
    assert set(stored) == {"/ok", "/broken", "/gone"}  # each stored once, the last answer
    assert stored["/broken"].status == 500 and stored["/broken"].body() == b"<h1>Internal Server Error</h1>"
    assert stored["/broken"].headers["Retry-After"] == "1"
    assert stored["/gone"].status == 404
    # HTTP errors are stored pages (raw first) and named in fetch.json; one start URL was fine
    assert info.status == "ok"
    assert sorted(info.errors) == sorted([
        f"{base.url('/broken')}: HTTP 500 (Retry-After: 1); still failing after 2 retries",
        f"{base.url('/gone')}: HTTP 404",
    ])
    assert_sound(tmp_path, "test-source", info)


def test_response_over_download_maxsize_is_not_stored(tmp_path):
    routes = {
        "/small": (200, {}, b"x" * 100),
        "/big": (200, {}, b"y" * 5000),
    }
    with serve(routes) as base:
        src = make_source("page", [base.url("/small"), base.url("/big")])
        info, pages, _ = crawl(src, tmp_path, DOWNLOAD_MAXSIZE="1000", DOWNLOAD_WARNSIZE="500")

    assert [p.url for p in pages] == [base.url("/small")]
    assert info.status == "ok"
    assert info.errors == [f"{base.url('/big')}: response of 5000 bytes exceeds DOWNLOAD_MAXSIZE (1000 bytes); not stored"]


def test_server_that_never_answers_hits_download_timeout(tmp_path):
    with silent_server() as base:
        src = make_source("page", [base + "/slow"])
        info, pages, _ = crawl(src, tmp_path, DOWNLOAD_TIMEOUT="0.5", RETRY_TIMES="0")
    assert pages == []
    assert info.status == "failed"
    assert f"{base}/slow: download timed out after 0.5 s" in info.errors
    assert_sound(tmp_path, "test-source", info)


def test_runner_stops_a_crawl_that_outlives_its_timeout(tmp_path):
    with silent_server() as base:
        src = make_source("page", [base + "/slow"])
        lines: list[str] = []
        info = crawl_source(src, tmp_path, CRAWL, timeout_s=1.5,
                            settings={**FAST, "DOWNLOAD_TIMEOUT": "60"}, on_line=lines.append)
    assert info.status == "failed"
    assert "test-source: timed out after 1.5 s; crawl process stopped" in info.errors
    assert info.finished_at is not None
    # (under load the child may be stopped before it created its folder: no verify() here)
    assert FetchInfo.model_validate_json((tmp_path / CRAWL / "test-source" / "fetch.json").read_text()) == info


def test_connection_refused_fails_with_the_url_named(tmp_path):
    """Through the CLI itself: exit code 3 and a one-line JSON summary on stdout."""
    url = f"http://127.0.0.1:{closed_port()}/pricing/"
    src = make_source("page", [url])
    cmd = [sys.executable, "-m", "spiders.crawl", "--archive", str(tmp_path), "--crawl-id", CRAWL,
           "--source-json", src.model_dump_json(), "--setting", "RETRY_TIMES=0"]
    cmd += [f"--setting={k}={v}" for k, v in FAST.items()]
    proc = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)

    assert proc.returncode == 3, proc.stderr
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary == {
        "source_id": "test-source", "status": "failed", "pages": 0,
        "errors": [f"{url}: connection refused", "no page with HTTP status < 400 was stored"],
    }
    info = FetchInfo.model_validate_json((tmp_path / CRAWL / "test-source" / "fetch.json").read_text())
    assert info.status == "failed" and info.errors == summary["errors"]
    assert "[test-source]" in proc.stderr


def test_crawl_sources_runs_in_parallel_and_one_failure_spares_the_others(tmp_path):
    routes = {"/pricing/": (200, {"Content-Type": "text/html"}, b"<table>prices</table>"), "/gone": (404, {}, b"gone")}
    with serve(routes) as base:
        good = make_source("page", [base.url("/pricing/")], sid="good")
        bad = make_source("page", [f"http://127.0.0.1:{closed_port()}/pricing/"], sid="bad")
        ghost = make_source("no-such-spider", [base.url("/pricing/")], sid="ghost")
        gone = make_source("page", [base.url("/gone")], sid="gone")
        lines: list[str] = []
        infos = crawl_sources([bad, good, ghost, gone], tmp_path, CRAWL, parallel=3,
                              settings={**FAST, "RETRY_TIMES": "0"}, on_line=lines.append)

    assert [i.source_id for i in infos] == ["bad", "good", "ghost", "gone"]
    assert [i.status for i in infos] == ["failed", "ok", "failed", "failed"]
    assert infos[0].errors[0].endswith(": connection refused")
    assert infos[1].pages == 1 and infos[1].errors == []
    assert "unknown spider 'no-such-spider'" in infos[2].errors[0]
    # a 404 is stored (raw first), but a source with nothing but error pages did not fetch
    assert infos[3].pages == 1 and infos[3].errors == [
        f"{base.url('/gone')}: HTTP 404", "no page with HTTP status < 400 was stored"]
    assert [p.status for p in RawArchive(tmp_path).pages(CRAWL, "gone")] == [404]
    assert RawArchive(tmp_path).fetches(CRAWL) == sorted(infos, key=lambda i: i.source_id)
    assert any("[good]" in line for line in lines) and any("[bad]" in line for line in lines)


def test_a_child_that_dies_early_gives_a_failed_fetch_with_its_last_words(tmp_path):
    src = make_source("page", ["http://127.0.0.1:9/"])
    info = crawl_source(src, tmp_path, CRAWL, settings={"not a setting": "1"}, on_line=lambda line: None)
    assert info.status == "failed"
    assert "exited with code 2 without finishing" in info.errors[-1]
    assert "--setting expects KEY=VALUE" in info.errors[-1]
    assert FetchInfo.model_validate_json((tmp_path / CRAWL / "test-source" / "fetch.json").read_text()) == info


def test_the_same_source_twice_in_one_crawl_is_refused(tmp_path):
    folder = tmp_path / CRAWL / "test-source"
    folder.mkdir(parents=True)
    (folder / "pages.jsonl").write_text("")
    with pytest.raises(FileExistsError):
        crawl_source(make_source("page", ["http://127.0.0.1:9/"]), tmp_path, CRAWL)


# -- Settings and layering ------------------------------------------------------------------

def test_settings_are_polite_and_overridable():
    s = build_settings()
    assert s["ROBOTSTXT_OBEY"] is True and s["AUTOTHROTTLE_ENABLED"] is True
    assert s["USER_AGENT"] == "llm-ledger/0.1 (+https://github.com/llm-ledger/llm-ledger; data pipeline)"
    assert s["DOWNLOAD_TIMEOUT"] == 30 and s["RETRY_TIMES"] == 2 and s["HTTPERROR_ALLOW_ALL"] is True
    assert s["DOWNLOAD_WARNSIZE"] < s["DOWNLOAD_MAXSIZE"] == 25 * 1024 * 1024
    assert s["TELNETCONSOLE_ENABLED"] is False and s["HTTPCACHE_ENABLED"] is False
    o = build_settings({"DOWNLOAD_TIMEOUT": "2", "SPIDER_MIDDLEWARES": '{"x.Y": 5}'}, source_id="abc")
    assert o["DOWNLOAD_TIMEOUT"] == "2" and o["SPIDER_MIDDLEWARES"] == {"x.Y": 5}
    assert "[abc]" in o["LOG_FORMAT"]
    assert parse_setting_pairs(["A_B=1=2"]) == {"A_B": "1=2"}
    with pytest.raises(ValueError):
        parse_setting_pairs(["download_timeout=1"])


def test_download_errors_are_described_specifically():
    from scrapy import Request
    from scrapy.exceptions import CannotResolveHostError, DownloadCancelledError, DownloadTimeoutError, IgnoreRequest
    from twisted.python.failure import Failure

    from spiders.archive import describe_failure

    def failure(exc: Exception, **meta: object) -> Failure:
        f = Failure(exc)
        f.request = Request("https://example.test/x", meta=meta)  # as Scrapy sets it
        return f

    assert describe_failure(failure(CannotResolveHostError("example.test"))) == "DNS lookup failed (example.test)"
    assert describe_failure(failure(DownloadTimeoutError("took longer"), download_timeout=30)) == "download timed out after 30 s"
    assert describe_failure(failure(IgnoreRequest("Forbidden by robots.txt"))) == "forbidden by robots.txt"
    big = DownloadCancelledError("Expected to receive 99 bytes which is larger than download max size (10) in request <GET x>.")
    assert describe_failure(failure(big)) == "response of 99 bytes exceeds DOWNLOAD_MAXSIZE (10 bytes); not stored"
    assert describe_failure(failure(ValueError("odd"))) == "ValueError: odd"


def test_importing_the_runner_imports_no_scrapy():
    code = "import sys, spiders.runner, spiders.settings; sys.exit(any(m.split('.')[0] in ('scrapy', 'twisted') for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT).returncode == 0


# -- Recorded crawls, served locally ------------------------------------------------------------

RECORDED = REPO_ROOT / "spiders" / "recorded"


def url_path(url: str) -> str:
    """``https://host:port/a/b?q`` -> ``/a/b?q``."""
    rest = url.split("://", 1)[1]
    return "/" + rest.split("/", 1)[1] if "/" in rest else "/"


def refetch_recorded(source: SourceConfig, folder: Path, root: Path) -> tuple[FetchInfo, dict[str, RawPage], dict[str, RawPage]]:
    """Crawl ``source`` against a local server replaying ``folder``; (fetch, fetched, recorded) by path."""
    recorded = {url_path(p.url): p for p in RawArchive(folder.parent.parent).pages(folder.parent.name, folder.name)}
    with serve(routes_from_recorded(folder)) as base:
        starts = [base + url_path(u) for u in source.start_urls if url_path(u) in recorded]
        assert starts, f"{source.id}: the recording holds none of its start URLs"
        info, pages, _ = crawl(source.model_copy(update={"start_urls": starts}), root)
    assert all(p.url.startswith(base + "/") for p in pages)
    return info, {url_path(p.url): p for p in pages}, recorded


def test_routes_from_recorded_replay_a_source_folder_byte_for_byte(tmp_path):
    writer = source_writer(tmp_path / "rec", "20260101T000000Z", "test-source")
    writer.add("https://example.test/docs/pricing/", 200, {"Content-Type": "text/html", "Content-Encoding": "gzip",
               "Content-Length": "3"}, "<p>€0.03 / 1M</p>".encode())
    writer.add("https://example.test/docs/models?page=2", 200, {"Content-Type": "application/json"}, b'{"page": 2}')
    writer.finish()
    folder = tmp_path / "rec" / "20260101T000000Z" / "test-source"
    routes = routes_from_recorded(folder)
    assert set(routes) == {"/docs/pricing/", "/docs/models?page=2"}
    assert routes["/docs/pricing/"][1] == {"Content-Type": "text/html"}  # transfer headers dropped

    src = make_source("page", ["https://example.test/docs/pricing/", "https://example.test/docs/models?page=2"])
    info, fetched, recorded = refetch_recorded(src, folder, tmp_path / "archive")
    assert info.status == "ok"
    assert set(fetched) == set(recorded)
    assert all(fetched[k].sha256 == recorded[k].sha256 for k in recorded)


def recorded_source_folders() -> dict[str, Path]:
    if not RECORDED.is_dir():
        return {}
    return {p.name: p for c in sorted(RECORDED.iterdir()) if (c / "crawl.json").exists()
            for p in c.iterdir() if (p / "pages.jsonl").exists()}


def configured_source_ids() -> list[str]:
    try:
        return [s.id for s in load_sources().sources]
    except Exception:  # a broken sources.yaml fails its own tests, not this file's collection
        return ["openrouter", "huggingface", "cloudflare-workers-ai"]


@pytest.mark.skipif(not recorded_source_folders(), reason="no recorded crawl bundled yet")
@pytest.mark.parametrize("source_id", configured_source_ids())
def test_bundled_recorded_crawl_is_fetched_again_by_the_configured_spider(tmp_path, source_id):
    """The configured source, its start URLs moved onto a local server replaying its recorded
    pages, fetches every recorded page again with the same bytes: the spider follows the same
    links offline as it did online."""
    folder = recorded_source_folders().get(source_id)
    if folder is None:
        pytest.skip(f"no recorded pages of {source_id}")
    info, fetched, recorded = refetch_recorded(load_sources().get(source_id), folder, tmp_path)
    assert info.status == "ok", info
    assert sorted(set(recorded) - set(fetched)) == [], "recorded pages the spider did not fetch again"
    for path, page in recorded.items():
        assert (fetched[path].status, fetched[path].sha256) == (page.status, page.sha256), path
    extra = {path: p.status for path, p in fetched.items() if path not in recorded}
    assert set(extra.values()) <= {404}, extra  # only links the recording does not hold


def test_api_keys_come_from_the_environment_and_are_not_archived(tmp_path, monkeypatch):
    routes = {"/data": (200, {"Content-Type": "application/json"}, b'{"data": []}')}
    monkeypatch.setenv("LEDGER_TEST_API_KEY", "s3cret-key")
    with serve(routes) as base:
        src = make_source("page", [base.url("/data")], headers_from_env={"x-api-key": "LEDGER_TEST_API_KEY"})
        info, pages, _ = crawl(src, tmp_path)
        seen = [r for r in base.requests if r.path == "/data"]
    assert info.status == "ok" and [p.status for p in pages] == [200]
    # HTTP header names are case-insensitive (Scrapy sends "X-Api-Key").
    assert [{k.lower(): v for k, v in r.headers.items()}.get("x-api-key") for r in seen] == ["s3cret-key"]
    stored = b"".join(f.read_bytes() for f in (tmp_path / CRAWL).rglob("*") if f.is_file())
    assert b"s3cret-key" not in stored
