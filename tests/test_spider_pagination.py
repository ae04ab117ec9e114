"""A listing served in pages (Artificial Analysis): ``next_page_url`` on stored pages, and the ``paged``
spider against a local server (tests/httpserver.py) serving 2-3 pages, whole or with a page missing.

A missing page must make the crawl partial (nothing retired) while the pages before it are read."""
from __future__ import annotations

import json
from typing import Any

import pytest

from pipeline.models import PageLayoutError, ParseResult
from pipeline.parse import parse_page
from pipeline.parse.artificial_analysis import next_page_url
from pipeline.process import judge_health
from tests.httpserver import serve
from tests.test_spiders import crawl, make_source

JSON = {"Content-Type": "application/json"}
PATH = "/api/v2/data/llms/models"
URL = "https://artificialanalysis.ai" + PATH


def body(models: list[tuple[str, str]], pagination: dict[str, Any] | None = None) -> bytes:
    """An AA response: (slug, mmlu_pro fraction) per model, and a pagination object when given."""
    doc: dict[str, Any] = {"status": 200, "data": [
        {"id": f"id-{slug}", "name": slug, "slug": slug, "evaluations": {"mmlu_pro": json.loads(score), "gpqa": None}}
        for slug, score in models]}
    if pagination is not None:
        doc["pagination"] = pagination
    return json.dumps(doc).encode()


# --- next_page_url: a plain function of one stored page --------------------------------------------

@pytest.mark.parametrize(("url", "pagination", "expected"), [
    (URL, None, None),  # no pagination object: the only page
    (URL, {"page": 1, "total_pages": 3, "next": f"{PATH}?page=2"}, f"{URL}?page=2"),  # a relative link, joined
    (URL, {"page": 1, "next": "https://artificialanalysis.ai/api/v2/data/llms/models?cursor=abc"},
     f"{URL}?cursor=abc"),
    (URL, {"page": 1, "per_page": 2, "total_pages": 3, "next": None}, f"{URL}?page=2"),  # no link: page + 1
    (f"{URL}?page=2&prompt_length=medium", {"page": 2, "total_pages": 3}, f"{URL}?prompt_length=medium&page=3"),
    (f"{URL}?page=3", {"page": 3, "total_pages": 3, "next": None}, None),  # the last page
    (URL, {"page": 1, "has_more": True}, f"{URL}?page=2"),
    (f"{URL}?page=2", {"page": 2, "has_more": False}, None),
])
def test_next_page_url(url, pagination, expected):
    assert next_page_url(url, body([("o3-mini", "0.791")], pagination)) == expected


@pytest.mark.parametrize(("raw", "why"), [
    (b'{"data": [], "pagination": ', "not valid JSON"),
    (body([], pagination=[1, 2]), "'pagination' is not an object"),  # type: ignore[arg-type]
    (body([], {"next": 2}), "not a URL or null"),
    (body([], {"page": "1", "total_pages": 3}), "names no next page"),
    (body([], {"per_page": 100}), "names no next page"),
])
def test_an_unreadable_pagination_is_a_layout_error_never_the_last_page(raw, why):
    with pytest.raises(PageLayoutError, match=why):
        next_page_url(URL, raw)


# --- the paged spider on a local server -----------------------------------------------------------------

PAGE_1 = [("llama-3-2-instruct-1b", "0.2"), ("o3-mini", "0.791")]
PAGE_2 = [("o4-mini", "0.832"), ("gpt-4o", "0.748")]
PAGE_3 = [("llama-3-1-instruct-8b", "0.476")]


def routes(page_2_status: int = 200) -> dict[str, Any]:
    return {
        PATH: (200, JSON, body(PAGE_1, {"page": 1, "per_page": 2, "total_pages": 3, "next": f"{PATH}?page=2"})),
        f"{PATH}?page=2": (page_2_status, JSON, body(PAGE_2, {"page": 2, "per_page": 2, "total_pages": 3, "next": None})),
        f"{PATH}?page=3": (200, JSON, body(PAGE_3, {"page": 3, "per_page": 2, "total_pages": 3, "next": None})),
    }


def aa_source(base: str):
    return make_source("paged", [base + PATH], sid="artificial-analysis")


def parsed(source, pages) -> ParseResult:
    out = ParseResult()
    for page in pages:
        out.extend(parse_page(page, source))
    return out


def scores(result: ParseResult) -> dict[str, str]:
    return {o.model_id: o.value for o in result.observations if o.field == "score"}


def test_every_page_is_fetched_stored_and_read(tmp_path):
    with serve(routes()) as base:
        source = aa_source(base)
        info, pages, _ = crawl(source, tmp_path)
        asked = [r.path for r in base.requests if r.path != "/robots.txt"]
    assert (info.status, info.errors, info.pages) == ("ok", [], 3)
    assert asked == [PATH, f"{PATH}?page=2", f"{PATH}?page=3"]  # in order, each once
    result = parsed(source, pages)
    assert scores(result) == {"meta/llama-3.2-1b-instruct": "20", "openai/o3-mini": "79.1", "openai/o4-mini": "83.2",
                              "openai/gpt-4o": "74.8", "meta/llama-3.1-8b-instruct": "47.6"}
    assert judge_health(info, len(pages), result)[0] == "ok"


def test_a_missing_page_makes_the_crawl_partial_and_keeps_the_pages_before_it(tmp_path):
    with serve(routes(page_2_status=404)) as base:
        source = aa_source(base)
        info, pages, _ = crawl(source, tmp_path)
        asked = [r.path for r in base.requests if r.path != "/robots.txt"]
    assert asked == [PATH, f"{PATH}?page=2"]  # page 3 is named by page 2 only
    assert info.status == "ok" and len(info.errors) == 1  # fetched; the gap is named
    assert "HTTP 404" in info.errors[0] and "?page=2" in info.errors[0] and "pages after it" in info.errors[0]
    result = parsed(source, pages)
    assert scores(result) == {"meta/llama-3.2-1b-instruct": "20", "openai/o3-mini": "79.1"}  # page 1 is read
    health, why = judge_health(info, len(pages), result)
    assert health == "partial" and "HTTP 404" in (why or "")  # partial: nothing is retired


def test_a_page_linking_back_is_a_loop_named_in_the_errors(tmp_path):
    loop = routes()
    loop[f"{PATH}?page=2"] = (200, JSON, body(PAGE_2, {"page": 2, "next": PATH}))
    with serve(loop) as base:
        info, pages, _ = crawl(aa_source(base), tmp_path)
    assert len(pages) == 2 and len(info.errors) == 1 and "loops" in info.errors[0]


def test_max_pages_stops_a_listing_and_says_so(tmp_path):
    with serve(routes()) as base:
        source = make_source("paged", [base + PATH], sid="artificial-analysis", max_pages=2)
        info, pages, _ = crawl(source, tmp_path)
    assert len(pages) == 2 and len(info.errors) == 1
    assert "stopped after 2 pages" in info.errors[0] and "?page=3" in info.errors[0]
