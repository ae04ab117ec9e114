"""Parsers: one module per source format, each a pure function of one stored page.

    parse(page: RawPage, source: SourceConfig) -> ParseResult

A parser raises PageLayoutError when the page is not what it expects (the page is then
unusable); a value it cannot read becomes a Problem naming the field, and no observation.
"""
from __future__ import annotations

import importlib
import re
from typing import Callable

from pipeline.config import ConfigError, SourceConfig
from pipeline.models import PageLayoutError, ParseResult, Problem, RawPage

Parser = Callable[[RawPage, SourceConfig], ParseResult]


def get_parser(name: str) -> Parser:
    try:
        module = importlib.import_module(f"pipeline.parse.{name}")
    except ModuleNotFoundError:
        raise KeyError(f"no parser named {name!r} (expected pipeline/parse/{name}.py)") from None
    return module.parse


def _is_follow_up(page: RawPage, source: SourceConfig) -> bool:
    """Whether the source's parser calls this page a follow-up of another (its own ``is_follow_up``)."""
    try:
        module = importlib.import_module(f"pipeline.parse.{source.parser}")
    except ModuleNotFoundError:
        return False
    check = getattr(module, "is_follow_up", None)
    return bool(check and check(page.url))


_HTML_START = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)\b", re.I | re.S)
_HTML_END = re.compile(rb"</html\s*>", re.I)


def cut_off(page: RawPage) -> str | None:
    """Why a stored page is visibly incomplete, else None. An HTML document ends with ``</html>``:
    a body cut mid-table still parses (HTML parsers close what is open) and would list a fraction
    of its rows as if the rest were gone. Truncated JSON fails to parse on its own."""
    body = page.body()
    ctype = next((v for k, v in page.headers.items() if k.lower() == "content-type"), "")
    if ("html" in ctype.lower() or _HTML_START.match(body[:4096])) and not _HTML_END.search(body[-8192:]):
        return f"the HTML is cut off: no closing </html> tag after {len(body)} bytes"
    return None


# What a bot wall or a script-only shell says instead of the page. Never data: such a body is
# named for what it is and the source keeps what it said last time.
_CHALLENGES: tuple[tuple[re.Pattern[bytes], str], ...] = (
    (re.compile(rb"<title>\s*Just a moment\.\.\.\s*</title>|challenge-platform|cf_chl_|cf-chl-", re.I),
     "a bot challenge (Cloudflare), not the page: a plain HTTP client is refused here"),
    (re.compile(rb"Attention Required! \| Cloudflare|Enable JavaScript and cookies to continue", re.I),
     "a bot challenge (Cloudflare), not the page: a plain HTTP client is refused here"),
    (re.compile(rb"<title>\s*(?:Access Denied|Robot Check|Are you a robot\?)\s*</title>|captcha-delivery|px-captcha", re.I),
     "a bot check (access denied / captcha), not the page"),
)
_SCRIPT_ONLY = re.compile(rb"<noscript>[^<]{0,200}(?:enable|need|requires?) JavaScript", re.I)
_TAGS = re.compile(rb"<script\b.*?</script>|<style\b.*?</style>|<[^>]+>", re.I | re.S)


def challenge(page: RawPage) -> str | None:
    """Why a stored body is a bot challenge or a script-only shell instead of the page, else None.
    Checked on HTML only (a JSON or markdown body is the data itself), on its first 64 KB."""
    if any(k.lower() == "cf-mitigated" and v.lower() == "challenge" for k, v in page.headers.items()):
        return _CHALLENGES[0][1]
    body = page.body()
    ctype = next((v for k, v in page.headers.items() if k.lower() == "content-type"), "")
    if "html" not in ctype.lower() and not _HTML_START.match(body[:4096]):
        return None
    head = body[:65536]
    for pattern, why in _CHALLENGES:
        if pattern.search(head):
            return why
    # A script-only shell: "enable JavaScript" and next to no text. Server-rendered pages carry
    # the same <noscript> line beside their content, so the text decides.
    if _SCRIPT_ONLY.search(head) and b"<table" not in body.lower() and len(_TAGS.sub(b" ", body).split()) < 150:
        return "a page that needs JavaScript to show its content: the body holds no data"
    return None


def parse_page(page: RawPage, source: SourceConfig) -> ParseResult:
    """Parse one stored page; HTTP errors and broken pages become Problems, never exceptions."""
    def failed(message: str, severity: str = "error") -> ParseResult:
        return ParseResult(failed_pages=[page.url], problems=[Problem(
            source_id=source.id, url=page.url, message=message, severity=severity)])  # type: ignore[arg-type]

    wall = challenge(page) if page.status in (200, 403, 429, 503) else None
    if wall:
        return failed(f"page unusable: {wall}")
    if page.status in (401, 403):
        # An access-restricted page (a gated model repo's files) is expected, not a broken source.
        return failed(f"HTTP {page.status}: access restricted, not read", "skip")
    if page.status == 404 and _is_follow_up(page, source):
        # A follow-up page that is not there (a model's endpoints page OpenRouter does not serve):
        # a problem of that page, not of the source; what it said last time stands.
        return failed("HTTP 404: follow-up page not found; what it said last time stands", "skip")
    if page.status >= 400:
        return failed(f"HTTP {page.status}")
    cut = cut_off(page)
    if cut:
        return failed(f"page unusable: {cut}")
    try:
        return get_parser(source.parser)(page, source)
    except PageLayoutError as e:
        return failed(f"page unusable: {e}")
    except ConfigError:
        raise  # a broken configuration is not this page's fault: the run stops, naming the file
    except Exception as e:  # a parser bug must not stop the other pages and sources
        return failed(f"parser {source.parser} crashed: {type(e).__name__}: {e}")


def offer_variant(*parts: str) -> str:
    """One variant text from its parts (region, deployment, price tier, quantization): 'eu/batch'."""
    return "/".join(p for p in parts if p)
