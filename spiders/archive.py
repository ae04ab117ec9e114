"""Raw first: every response a spider receives is stored before the spider looks at it.

- ``ArchiveRecorder`` owns the ``SourceCrawlWriter`` of one source for the whole crawl process
  (it outlives the spider): it stores pages, records errors and decides the fetch status.
- ``ArchiveMiddleware`` (a spider middleware next to the engine, see spiders/settings.py) hands
  each response to the recorder before any other middleware or callback sees it, whatever its
  HTTP status.
- ``ArchiveSpider`` is the base of every spider: it takes the ``SourceConfig`` and the recorder,
  gives every request an errback that records download errors (DNS, timeout, refused, size
  limit, robots.txt) as ``"<url>: <reason>"``, and leaves follow-up decisions to subclasses.
  Subclasses build follow-up requests with ``follow()``, which refuses (and records) any link
  that is not http(s) or leaves the hosts of the source (``follow_refusal``); the downloader
  middleware ``spiders.middlewares.FollowGuardMiddleware`` applies the same rule again to every
  request, redirects included.
"""
from __future__ import annotations

import logging
import os
import re
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider, signals
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.http import Response
from twisted.python.failure import Failure

from pipeline.config import SourceConfig
from pipeline.errors import LedgerError
from pipeline.models import RawPage
from pipeline.raw import FetchInfo
from spiders.writer import SourceCrawlWriter

logger = logging.getLogger(__name__)

# Request.meta key: the start URL a request stands for (set on start requests only).
START_URL = "ledger_start_url"
# Request.meta keys set by spiders.middlewares.RetryAfterMiddleware / the byte counter below.
RETRY_NOTE = "ledger_retry_note"  # why a retryable status was not retried (Retry-After over the cap)
BYTES_RECEIVED = "ledger_bytes_received"  # body bytes received by the current download attempt
FOLLOW_SCHEMES = ("http", "https")


class FollowRefused(IgnoreRequest, LedgerError):
    """A request the source's follow rule refuses (scheme not http(s), host not of the source)."""

    def __init__(self, reason: str, *, label: str = "follow-up refused") -> None:
        super().__init__(reason)
        self.reason = reason
        self.label = label

    def __str__(self) -> str:
        return f"{self.label}: {self.reason}"


def source_hosts(source: SourceConfig) -> frozenset[str]:
    """The hosts a source may be fetched from: those of its start URLs (as configured or
    overridden, e.g. 127.0.0.1 in tests) plus ``options.follow_hosts`` (exact host names;
    ``*.example.com`` allows the subdomains of example.com)."""
    extra = source.options.get("follow_hosts") or []
    if isinstance(extra, str):
        extra = [extra]
    hosts = {_host(u) for u in source.start_urls}
    hosts |= {str(h).strip().lower().rstrip(".") for h in extra if str(h).strip()}
    return frozenset(h for h in hosts if h)


def _host(url: str) -> str | None:
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return host.rstrip(".") if host else None


def follow_refusal(url: str, hosts: Iterable[str]) -> str | None:
    """Why ``url`` may not be fetched for a source allowed on ``hosts`` (None: it may)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as e:
        return f"not a valid URL ({e})"
    scheme = parts.scheme.lower()
    if scheme not in FOLLOW_SCHEMES:
        return f"scheme {scheme or '(none)'} is not http(s)"
    if not host:
        return "the URL names no host"
    host = host.rstrip(".")
    for allowed in hosts:
        if host == allowed or (allowed.startswith("*.") and host.endswith(allowed[1:])):
            return None
    return f"host {host} is not a host of this source"


def decode_headers(headers: Any) -> dict[str, str]:
    """Scrapy's bytes headers -> ``{name: first value}`` as text (UTF-8, else Latin-1)."""
    out: dict[str, str] = {}
    for key, values in headers.items():
        if not values:
            continue
        out[_text(key)] = _text(values[0])
    return out


def _text(raw: bytes | str) -> str:
    if isinstance(raw, str):
        return raw
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


_MAXSIZE = re.compile(r"receive (\d+) bytes which is larger than download max size \((\d+)\)")


def describe_failure(failure: Failure, maxsize: int | None = None) -> str:
    """A short, specific reason for a failed download (the URL is added by the caller).

    ``maxsize`` is the DOWNLOAD_MAXSIZE in force: Scrapy cancels a body that grows over it
    while streaming (no Content-Length) with an empty DownloadCancelledError, so the reason is
    rebuilt from the limit and the bytes counted so far (``BYTES_RECEIVED``).
    """
    exc = failure.value
    request = getattr(failure, "request", None)
    meta = request.meta if request is not None else {}
    if isinstance(exc, FollowRefused):
        return str(exc)
    if isinstance(exc, IgnoreRequest):
        response = getattr(exc, "response", None)
        if response is not None:  # HttpError: only when HTTPERROR_ALLOW_ALL is switched off
            return f"HTTP {response.status} (response stored, not processed)"
        msg = str(exc)
        if "robots.txt" in msg:
            return "forbidden by robots.txt"
        return f"request ignored: {msg or type(exc).__name__}"
    if isinstance(exc, DownloadTimeoutError):
        timeout = meta.get("download_timeout")
        return f"download timed out after {timeout:g} s" if isinstance(timeout, (int, float)) else f"download timed out ({exc})"
    if isinstance(exc, DownloadConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, CannotResolveHostError):
        return f"DNS lookup failed ({exc})"
    if isinstance(exc, DownloadCancelledError):
        m = _MAXSIZE.search(str(exc))
        if m:
            return f"response of {m.group(1)} bytes exceeds DOWNLOAD_MAXSIZE ({m.group(2)} bytes); not stored"
        if "max size" in str(exc):
            return f"response exceeds DOWNLOAD_MAXSIZE; not stored ({exc})"
        limit = meta.get("download_maxsize", maxsize)
        received = meta.get(BYTES_RECEIVED)
        if not str(exc) and limit and isinstance(received, int) and received > int(limit):
            # streamed body (no Content-Length): Scrapy cancels mid-body and says nothing
            return (f"response exceeds DOWNLOAD_MAXSIZE ({int(limit)} bytes): cancelled after {received} bytes "
                    "(no Content-Length); not stored")
        if not str(exc):
            got = f" after {received} bytes" if isinstance(received, int) else ""
            cap = f"; DOWNLOAD_MAXSIZE is {int(limit)} bytes" if limit else ""
            return f"download cancelled{got} (no reason given{cap}); not stored"
        return f"download cancelled ({exc})"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def http_failure(response: Response) -> str:
    """``HTTP 503 (Retry-After: 120)`` plus what the retries did, for a stored error response."""
    text = f"HTTP {response.status}"
    retry_after = response.headers.get("Retry-After")
    if retry_after:
        text += f" (Retry-After: {_text(retry_after).strip()})"
    request = getattr(response, "request", None)
    meta = request.meta if request is not None else {}
    redirects = meta.get("redirect_urls") or []
    if redirects:
        text += f" (redirected from {redirects[0]})"
    if meta.get(RETRY_NOTE):
        text += f"; {meta[RETRY_NOTE]}"
    elif meta.get("retry_times"):
        text += f"; still failing after {meta['retry_times']} retr{'y' if meta['retry_times'] == 1 else 'ies'}"
    return text


class ArchiveRecorder:
    """Stores the pages of one source in one crawl and decides its fetch status.

    The fetch failed when no page with HTTP status < 400 was stored, when every start URL
    failed (download error or HTTP status >= 400), or when the crawl did not end normally.
    Every failure is an error line naming its URL: a download error (``on_error``), a start
    URL answered with HTTP status >= 400 (``store``: status and Retry-After), a refused follow-up.
    """

    def __init__(self, writer: SourceCrawlWriter, start_urls: list[str]) -> None:
        self.writer = writer
        self.source_id = writer.source_id
        # start URL -> True (a response < 400), False (failed), None (no outcome yet)
        self.start_outcomes: dict[str, bool | None] = {u: None for u in start_urls}
        self.ok_pages = 0
        self.close_reason: str | None = None
        self.info: FetchInfo | None = None

    # -- during the crawl -------------------------------------------------------------
    def store(self, response: Response) -> RawPage:
        page = self.writer.add(
            url=response.url,
            status=response.status,
            headers=decode_headers(response.headers),
            body=response.body,
            fetched_at=datetime.now(UTC),
        )
        if response.status < 400:
            self.ok_pages += 1
        request = getattr(response, "request", None)
        meta = request.meta if request is not None else {}
        start = meta.get(START_URL)
        if start is not None:
            # a retried or redirected start request keeps its meta: the last response counts
            self.start_outcomes[start] = response.status < 400
        logger.info("stored %s %s (%d bytes) as %s", response.status, response.url, len(response.body), page.body_file)
        if response.status >= 400 and (start is not None or meta.get(RETRY_NOTE)):
            # Stored raw (the parser decides what the page means), and named: URL, status,
            # Retry-After. Follow-up pages are judged by the parsers (a gated repo's 401 or a
            # missing endpoints page is expected there), unless the spider itself gave up on them.
            self.writer.error(f"{response.url}: {http_failure(response)}")
        elif response.status >= 400:
            logger.warning("%s: follow-up page stored with %s", response.url, http_failure(response))
        return page

    def error(self, url: str, reason: str, *, start_url: str | None = None) -> None:
        self.writer.error(f"{url}: {reason}")
        if start_url is not None and not self.start_outcomes.get(start_url):
            self.start_outcomes[start_url] = False

    def on_spider_error(self, failure: Failure, response: Response, spider: Spider) -> None:
        # A bug in a callback: the page is stored already; say which URL it was.
        self.writer.error(f"{response.url}: spider error in callback: {failure.getErrorMessage()}")

    def on_spider_closed(self, spider: Spider, reason: str) -> None:
        self.close_reason = reason

    # -- at the end ---------------------------------------------------------------------
    def finish(self) -> FetchInfo:
        """Write fetch.json (once) and return it."""
        if self.info is not None:
            return self.info
        failed = []
        if self.close_reason not in (None, "finished"):
            failed.append(f"crawl ended early (close reason: {self.close_reason})")
        if self.ok_pages == 0:
            failed.append("no page with HTTP status < 400 was stored")
        elif self.start_outcomes and not any(self.start_outcomes.values()):
            failed.append("every start URL failed")
        for reason in failed:
            self.writer.error(reason)
        self.info = self.writer.finish("failed" if failed else "ok")
        return self.info


class ArchiveMiddleware:
    """Spider middleware: store every response before anything else in the spider sees it."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> ArchiveMiddleware:
        return cls(crawler)

    def process_spider_input(self, response: Response, spider: Spider | None = None) -> None:
        spider = spider or self.crawler.spider
        recorder = getattr(spider, "recorder", None)
        if recorder is not None:
            recorder.store(response)


class ArchiveSpider(Spider):
    """Base spider: requests carry an errback that records download errors; no facts extracted.

    ``source`` is a ``SourceConfig`` (or its JSON / dict), ``recorder`` the ``ArchiveRecorder``.
    Subclasses override ``start_requests_for`` (the requests of one start URL) and ``parse``.
    """

    name = "archive"

    def __init__(self, source: SourceConfig | str | dict, recorder: ArchiveRecorder, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if isinstance(source, (str, bytes)):
            source = SourceConfig.model_validate_json(source)
        elif isinstance(source, dict):
            source = SourceConfig.model_validate(source)
        self.source: SourceConfig = source
        self.recorder = recorder
        self.start_urls = list(source.start_urls)
        self.secret_headers = self._secret_headers(source)
        # Every request of this source must stay on these hosts (see follow_refusal).
        self.hosts: frozenset[str] = source_hosts(source)

    def _secret_headers(self, source: SourceConfig) -> dict[str, str]:
        """``options.headers_from_env: {Header: ENV_VAR}``: API keys sent with every request.

        Keys come from the environment, never from configuration, and request headers are not
        archived (only responses are), so a key never lands in the raw archive.
        """
        out: dict[str, str] = {}
        for header, var in dict(source.options.get("headers_from_env") or {}).items():
            value = os.environ.get(str(var))
            if value:
                out[str(header)] = value
            else:
                self.logger.warning("%s: %s is not set; requests go without the %s header",
                                    source.id, var, header)
        return out

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> ArchiveSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        # Receivers are weak references by default; the recorder outlives the crawl anyway.
        crawler.signals.connect(spider.recorder.on_spider_error, signal=signals.spider_error, weak=False)
        crawler.signals.connect(spider.recorder.on_spider_closed, signal=signals.spider_closed, weak=False)
        # Count body bytes per download attempt, so a body cancelled over DOWNLOAD_MAXSIZE
        # while streaming can be described (Scrapy's exception carries no text then).
        crawler.signals.connect(spider._on_headers_received, signal=signals.headers_received, weak=False)
        crawler.signals.connect(spider._on_bytes_received, signal=signals.bytes_received, weak=False)
        return spider

    @staticmethod
    def _on_headers_received(request: Request, **kwargs: Any) -> None:
        request.meta[BYTES_RECEIVED] = 0  # a retried request carries the meta of the last attempt

    @staticmethod
    def _on_bytes_received(data: bytes, request: Request, **kwargs: Any) -> None:
        request.meta[BYTES_RECEIVED] = request.meta.get(BYTES_RECEIVED, 0) + len(data)

    # -- requests -------------------------------------------------------------------------
    def request(self, url: str, callback: Callable[..., Any] | None = None, *, start: bool = False, **kwargs: Any) -> Request:
        meta = dict(kwargs.pop("meta", None) or {})
        if start:
            meta[START_URL] = url
            kwargs.setdefault("dont_filter", True)
        if self.secret_headers:
            kwargs["headers"] = {**self.secret_headers, **dict(kwargs.get("headers") or {})}
        return Request(url, callback=callback or self.parse, errback=self.on_error, meta=meta, **kwargs)

    def follow(self, url: str, callback: Callable[..., Any] | None = None, **kwargs: Any) -> Request | None:
        """A follow-up request for ``url``, or None (recorded as an error, never fetched) when
        it is not http(s) or not on a host of this source (``self.hosts``)."""
        reason = follow_refusal(url, self.hosts)
        if reason is not None:
            refused = FollowRefused(reason)
            self.logger.error("%s: %s", url, refused)
            self.recorder.error(url, str(refused))
            return None
        return self.request(url, callback, **kwargs)

    def start_requests_for(self, url: str) -> Iterator[Request]:
        yield self.request(url, start=True)

    async def start(self) -> AsyncIterator[Request]:  # Scrapy >= 2.13
        for request in self.start_requests():
            yield request

    def start_requests(self) -> Iterator[Request]:  # Scrapy < 2.13
        for url in self.start_urls:
            yield from self.start_requests_for(url)

    def on_error(self, failure: Failure) -> None:
        request = failure.request
        reason = describe_failure(failure, maxsize=self.crawler.settings.getint("DOWNLOAD_MAXSIZE"))
        self.logger.error("%s: %s", request.url, reason)
        self.recorder.error(request.url, reason, start_url=request.meta.get(START_URL))

    def record_problem(self, response: Response, reason: str) -> None:
        """A stored page the spider could not use to decide follow-ups (logged and recorded)."""
        self.logger.error("%s: %s", response.url, reason)
        self.recorder.writer.error(f"{response.url}: {reason}")

    # -- callbacks ----------------------------------------------------------------------
    def parse(self, response: Response, **kwargs: Any) -> Any:
        """The page is stored already; the base spider follows nothing."""
        return None
