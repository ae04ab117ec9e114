"""Parsers: one module per source format, each a pure function of one stored page.

    parse(page: RawPage, source: SourceConfig) -> ParseResult

A parser raises PageLayoutError when the page is not what it expects (the page is then
unusable); a value it cannot read becomes a Problem naming the field, and no observation.
"""
from __future__ import annotations

import importlib
from typing import Callable

from pipeline.config import SourceConfig
from pipeline.models import PageLayoutError, ParseResult, Problem, RawPage

Parser = Callable[[RawPage, SourceConfig], ParseResult]


def get_parser(name: str) -> Parser:
    try:
        module = importlib.import_module(f"pipeline.parse.{name}")
    except ModuleNotFoundError:
        raise KeyError(f"no parser named {name!r} (expected pipeline/parse/{name}.py)") from None
    return module.parse


def parse_page(page: RawPage, source: SourceConfig) -> ParseResult:
    """Parse one stored page; HTTP errors and broken pages become Problems, never exceptions."""
    if page.status in (401, 403):
        # An access-restricted page (a gated model repo's files) is expected, not a broken source.
        return ParseResult(problems=[Problem(source_id=source.id, url=page.url, severity="skip",
                                             message=f"HTTP {page.status}: access restricted, not read")])
    if page.status >= 400:
        return ParseResult(problems=[Problem(source_id=source.id, url=page.url, message=f"HTTP {page.status}")])
    try:
        return get_parser(source.parser)(page, source)
    except PageLayoutError as e:
        return ParseResult(problems=[Problem(source_id=source.id, url=page.url, message=f"page unusable: {e}")])
    except Exception as e:  # a parser bug must not stop the other pages and sources
        return ParseResult(problems=[Problem(source_id=source.id, url=page.url,
                                             message=f"parser {source.parser} crashed: {type(e).__name__}: {e}")])
