"""The ``paged`` spider: a listing served in pages (an API's ``?page=2``, a ``next`` link).

It fetches the start URL, then the next page the source's parser names, until a page names
none. Which page comes next is read from the stored page by ``next_page_url(url, body)`` of the
source's parser module (``pipeline/parse/<parser>.py``): a plain function, tested without
Scrapy; this shell only turns its answer into a request. Pages are fetched one after another
with the same settings as every spider (robots.txt, AutoThrottle, DOWNLOAD_DELAY, retries,
DOWNLOAD_TIMEOUT: spiders/settings.py), through ``ArchiveSpider.follow`` (http(s), the source's
hosts only).

A listing that cannot be followed to its end is named in the fetch errors, so the crawl is
partial and retires nothing (pipeline.process.judge_health): the pages before the gap are read,
and what the missing pages held last time stands. That covers a page answered with HTTP >= 400
(start URLs are named by the recorder already), a download error (the errback), a page whose
next link cannot be read, a next link back to a page already fetched (a loop), and a listing
longer than ``options.max_pages`` (default 100).
"""
from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import Any

from scrapy import Request
from scrapy.http import Response

from pipeline.models import PageLayoutError
from spiders.archive import RETRY_NOTE, START_URL, ArchiveSpider

DEFAULT_MAX_PAGES = 100
NextPage = Callable[[str, bytes], "str | None"]


def next_page_function(parser: str) -> NextPage:
    """The ``next_page_url`` of parser module ``parser`` (a source configured with the ``paged``
    spider must have one)."""
    module = importlib.import_module(f"pipeline.parse.{parser}")
    found = getattr(module, "next_page_url", None)
    if not callable(found):
        raise ValueError(f"parser {parser!r} has no next_page_url(url, body): it cannot be crawled by the paged spider")
    return found


class PagedSpider(ArchiveSpider):
    name = "paged"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.next_page = next_page_function(self.source.parser)
        self.max_pages = int(self.source.options.get("max_pages", DEFAULT_MAX_PAGES))
        self.asked: set[str] = set(self.start_urls)  # every page URL requested so far

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Request]:
        meta = response.request.meta if response.request is not None else {}
        if response.status >= 400:
            if START_URL not in meta and RETRY_NOTE not in meta:  # the recorder named those already
                self.record_problem(response, f"HTTP {response.status}: a page of the listing is missing; "
                                              "the pages after it were not fetched")
            return
        try:
            url = self.next_page(response.url, response.body)
        except PageLayoutError as e:
            self.record_problem(response, f"cannot tell the next page ({e}); the pages after it were not fetched")
            return
        if url is None:
            return
        if url in self.asked:
            self.record_problem(response, f"next page {url} was requested already: the listing loops; stopped")
            return
        if len(self.asked) >= self.max_pages:
            self.record_problem(response, f"stopped after {len(self.asked)} pages (options.max_pages): "
                                          f"the listing goes on at {url}")
            return
        self.asked.add(url)
        request = self.follow(url)
        if request is not None:
            yield request
