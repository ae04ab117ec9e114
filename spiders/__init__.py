"""The Scrapy shell of llm-ledger: downloads and stores bytes, follows links, extracts no facts.

Importing this package (or ``spiders.runner``/``spiders.settings``) imports no Scrapy: the
pipeline runs every crawl in a subprocess (``python -m spiders.crawl``), because Twisted's
reactor cannot be restarted within one process.

Spiders by the name sources.yaml gives them (``spider:``), loaded lazily.
"""
from __future__ import annotations

import importlib
from typing import Any

SPIDERS: dict[str, str] = {
    "page": "spiders.page:PageSpider",
    "openrouter": "spiders.openrouter:OpenRouterSpider",
    "huggingface": "spiders.huggingface:HuggingFaceSpider",
    "paged": "spiders.paged:PagedSpider",
}


def spider_class(name: str) -> Any:
    """The spider class registered as ``name`` (imports Scrapy)."""
    try:
        target = SPIDERS[name]
    except KeyError:
        raise KeyError(f"unknown spider {name!r} (known: {', '.join(sorted(SPIDERS))})") from None
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)
