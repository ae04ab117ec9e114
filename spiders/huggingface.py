"""The ``huggingface`` spider: a Hub model API record plus files of the same repo.

Start URLs are ``https://HOST/api/models/<org>/<name>``; for each, the spider also fetches
``https://HOST/<org>/<name>/raw/main/<file>`` for each file in ``options.files`` (default
README.md and config.json), on the same scheme, host and port as the start URL, so a mirror or
a local test server serves them too. They go through ``ArchiveSpider.follow`` like every
follow-up (http(s) on the source's hosts only); a redirect off those hosts is refused by
``spiders.middlewares.FollowGuardMiddleware``.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote, urlsplit, urlunsplit

from scrapy import Request

from spiders.archive import ArchiveSpider

DEFAULT_FILES = ["README.md", "config.json"]
_API_PATH = re.compile(r"^/api/models/(?P<repo>[^/]+(?:/[^/]+)?)/?$")


def repo_file_urls(api_url: str, files: list[str], revision: str = "main") -> list[str] | None:
    """``.../api/models/<org>/<name>`` -> the raw URLs of ``files`` in that repo (None: not an API URL)."""
    parts = urlsplit(api_url)
    m = _API_PATH.match(parts.path)
    if not m:
        return None
    repo = m.group("repo")
    return [
        urlunsplit((parts.scheme, parts.netloc, f"/{repo}/raw/{revision}/{quote(f, safe='/')}", "", ""))
        for f in files
    ]


class HuggingFaceSpider(ArchiveSpider):
    name = "huggingface"

    def start_requests_for(self, url: str) -> Iterator[Request]:
        yield self.request(url, start=True)
        files = [str(f) for f in self.source.options.get("files", DEFAULT_FILES)]
        urls = repo_file_urls(url, files)
        if urls is None:
            reason = "not a Hub model API URL (/api/models/<org>/<name>); repo files not fetched"
            self.logger.error("%s: %s", url, reason)
            self.recorder.writer.error(f"{url}: {reason}")
            return
        for file_url in urls:
            request = self.follow(file_url)
            if request is not None:
                yield request
