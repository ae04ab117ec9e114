"""The ``page`` spider: fetch the start URLs (a pricing page, a docs page), follow nothing."""
from __future__ import annotations

from spiders.archive import ArchiveSpider


class PageSpider(ArchiveSpider):
    name = "page"
