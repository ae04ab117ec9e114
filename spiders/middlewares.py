"""Downloader middlewares of every llm-ledger crawl (configured in spiders/settings.py).

- ``FollowGuardMiddleware`` (40: before robots.txt and everything else) applies the source's
  follow rule (``spiders.archive.follow_refusal``) to every request that reaches the
  downloader: start URLs, follow-ups, retries and redirect targets (Scrapy's RedirectMiddleware
  follows a 3xx to any http(s) host, keeping custom headers such as API keys; it does not follow
  other schemes, it hands the 3xx back as the response). A refused request raises
  ``FollowRefused``, which the request's errback records as ``"<url>: ... refused: <why>"``.
  A 3xx left unfollowed because its target breaks the rule is recorded too.
- ``RetryAfterMiddleware`` replaces Scrapy's RetryMiddleware: a retried status (429, 503...)
  that carries ``Retry-After`` (seconds or an HTTP date) is retried no sooner than it says, up
  to ``RETRY_AFTER_MAX`` seconds; above that the URL is not retried at all: the response is
  stored and the error names the Retry-After (``spiders.archive.http_failure``).
"""
from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.asyncio import sleep
from scrapy.utils.response import response_status_message
from w3lib.url import safe_url_string

from spiders.archive import RETRY_NOTE, START_URL, FollowRefused, _text, follow_refusal

logger = logging.getLogger(__name__)

DEFAULT_RETRY_AFTER_MAX = 60.0


class FollowGuardMiddleware:
    """Refuse any request that is not http(s) or leaves the hosts of the spider's source."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FollowGuardMiddleware:
        return cls(crawler)

    def _hosts(self) -> frozenset[str] | None:
        return getattr(self.crawler.spider, "hosts", None)  # None: not an ArchiveSpider

    def process_request(self, request: Request) -> None:
        hosts = self._hosts()
        if hosts is None:
            return None
        reason = follow_refusal(request.url, hosts)
        if reason is None:
            return None
        redirects = request.meta.get("redirect_urls") or []
        if redirects:
            raise FollowRefused(f"{reason} (redirected from {redirects[-1]})", label="redirect refused")
        if request.meta.get(START_URL) == request.url:
            raise FollowRefused(reason, label="refused")
        raise FollowRefused(reason)

    def process_response(self, request: Request, response: Response) -> Response:
        """A 3xx that reaches here was not followed; say so when its target breaks the rule."""
        hosts = self._hosts()
        location = response.headers.get("Location")
        if hosts is None or not location or not 300 <= response.status < 400:
            return response
        target = urljoin(request.url, safe_url_string(_text(location).strip()))
        reason = follow_refusal(target, hosts)
        recorder = getattr(self.crawler.spider, "recorder", None)
        if reason is not None and recorder is not None:
            logger.error("%s: redirect to %s not followed: %s", response.url, target, reason)
            recorder.error(response.url, f"redirect to {target} not followed: {reason}")
        return response


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` in seconds from now: delta-seconds or an HTTP date (None: absent or unreadable)."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class RetryAfterMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware, honouring ``Retry-After`` up to ``RETRY_AFTER_MAX`` seconds.

    The wait happens here, before the retry request is handed back: it occupies one of the
    CONCURRENT_REQUESTS slots meanwhile, never the reactor.
    """

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.retry_after_max = settings.getfloat("RETRY_AFTER_MAX", DEFAULT_RETRY_AFTER_MAX)

    async def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        header = response.headers.get("Retry-After")
        raw = _text(header).strip() if header else None
        delay = parse_retry_after(raw)
        if delay is not None and delay > self.retry_after_max:
            said = f"{raw} s" if raw and raw.isdigit() else f"{raw} ({delay:.0f} s from now)"
            note = f"not retried: Retry-After {said} is over RETRY_AFTER_MAX ({self.retry_after_max:g} s)"
            request.meta[RETRY_NOTE] = note
            logger.warning("%s: HTTP %s, %s", request.url, response.status, note)
            return response
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        if delay:
            logger.info("%s: HTTP %s with Retry-After %s: retrying in %.1f s", request.url, response.status, raw, delay)
            await sleep(delay)
        return retry
