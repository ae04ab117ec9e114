"""Scrapy settings of every llm-ledger crawl (plain data: importing this module imports no Scrapy).

``build_settings(overrides)`` returns a copy with overrides applied; tests use it to shrink
timeouts and throttling delays, ``python -m spiders.crawl --setting KEY=VALUE`` passes them on.
Overrides of ``DOWNLOAD_HANDLERS`` and ``DOWNLOADER_MIDDLEWARES`` are merged into ours key by
key (other settings are replaced), so switching off https for a test keeps file:// switched
off and the follow guard in place; a key set to ``None`` switches that entry off.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

USER_AGENT = "llm-ledger/0.1 (+https://github.com/llm-ledger/llm-ledger; data pipeline)"

SETTINGS: dict[str, Any] = {
    # Politeness: robots.txt, an honest User-Agent, adaptive throttling.
    "ROBOTSTXT_OBEY": True,
    "USER_AGENT": USER_AGENT,
    "AUTOTHROTTLE_ENABLED": True,
    "AUTOTHROTTLE_START_DELAY": 1.0,
    "AUTOTHROTTLE_MAX_DELAY": 30.0,
    "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
    "DOWNLOAD_DELAY": 0.5,  # AutoThrottle never goes below this
    "CONCURRENT_REQUESTS": 8,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
    # Limits.
    "DOWNLOAD_TIMEOUT": 30,
    "DOWNLOAD_MAXSIZE": 25 * 1024 * 1024,
    "DOWNLOAD_WARNSIZE": 10 * 1024 * 1024,
    "RETRY_ENABLED": True,
    "RETRY_TIMES": 2,  # 3 requests in all for 5xx/408/429 and connection errors
    # A retried status with Retry-After waits that long, up to this many seconds; longer: the
    # URL is not retried and its error names the Retry-After (spiders.middlewares).
    "RETRY_AFTER_MAX": 60,
    # Only http(s) is ever fetched: no handler for file://, s3://, ftp:// or data: URLs, so no
    # link in a fetched page can make a crawl read local files (defense in depth: the follow
    # guard below refuses those URLs first).
    "DOWNLOAD_HANDLERS": {"file": None, "s3": None, "ftp": None, "data": None},
    "DOWNLOADER_MIDDLEWARES": {
        # Before robots.txt (100) and everything else: every request, redirects included, must
        # be http(s) on a host of its source (start URL hosts + options.follow_hosts).
        "spiders.middlewares.FollowGuardMiddleware": 40,
        # Retry-After honoured (up to RETRY_AFTER_MAX) instead of Scrapy's plain retries.
        "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
        "spiders.middlewares.RetryAfterMiddleware": 550,
    },
    # Error responses reach the spider, so they are stored raw too: the parsers decide what a
    # 404 or a 500 means (raw-first, DESIGN.md rule 1).
    "HTTPERROR_ALLOW_ALL": True,
    # The raw archive is the only record of what was fetched: no HTTP cache in between.
    "HTTPCACHE_ENABLED": False,
    "COOKIES_ENABLED": False,
    # No consoles: Scrapy 2.19 also starts a "remote control" HTTP server (code execution with
    # a token) unless told not to.
    "TELNETCONSOLE_ENABLED": False,
    "REMOTE_CONTROL_ENABLED": False,
    "LOG_LEVEL": "INFO",
    "LOG_FORMAT": "%(asctime)s [%(name)s] %(levelname)s: %(message)s",
    "LOG_DATEFORMAT": "%Y-%m-%d %H:%M:%S",
    # Every response is stored by this spider middleware before any callback sees it.
    # 10: closest to the engine, so it runs before HttpErrorMiddleware (50) could filter.
    "SPIDER_MIDDLEWARES": {"spiders.archive.ArchiveMiddleware": 10},
    # Nothing is exported through Scrapy feeds or item pipelines: spiders extract no facts.
    "ITEM_PIPELINES": {},
}


def build_settings(overrides: Mapping[str, Any] | None = None, *, source_id: str | None = None) -> dict[str, Any]:
    """The crawl settings with ``overrides`` applied; ``source_id`` prefixes every log line."""
    out = dict(SETTINGS)
    if source_id:
        out["LOG_FORMAT"] = f"%(asctime)s [{source_id}] [%(name)s] %(levelname)s: %(message)s"
    for key, value in (overrides or {}).items():
        value = _coerce(value)
        if key in _MERGED and isinstance(value, dict):
            value = {**out[key], **value}
        out[key] = value
    return out


# Dict settings whose overrides are merged into ours (security-relevant: see the module doc).
_MERGED = ("DOWNLOAD_HANDLERS", "DOWNLOADER_MIDDLEWARES")


def _coerce(value: Any) -> Any:
    """``"{...}"``/``"[...]"`` strings (dict and list settings) become JSON values; others stay."""
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def parse_setting_pairs(pairs: Iterable[str]) -> dict[str, str]:
    """``["DOWNLOAD_TIMEOUT=2", ...]`` -> ``{"DOWNLOAD_TIMEOUT": "2"}``.

    Values stay strings: Scrapy's ``Settings.getint/getfloat/getbool`` accept them.
    """
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key or not key.replace("_", "").isalnum() or key != key.upper():
            raise ValueError(f"--setting expects KEY=VALUE with an upper-case Scrapy setting name, got {pair!r}")
        out[key] = value
    return out
