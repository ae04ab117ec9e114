"""Artificial Analysis: the LLM evaluations API (``GET /api/v2/data/llms/models``, JSON).

``{"status": 200, "data": [{"id", "name", "slug", "release_date", "model_creator": {"id", "name",
"slug"}, "evaluations": {"artificial_analysis_intelligence_index": 63.0, "mmlu_pro": 0.791,
"gpqa": 0.797, "hle": ..., ...}, "pricing": {...}, ...}, ...]}``

Per model, one ``benchmark`` observation pair (``score`` and ``benchmark_name``) per evaluation
key that pipeline/benchmarks.py knows (``mmlu_pro`` -> mmlu-pro, ``gpqa`` -> gpqa). An independent
evaluator: reconcile ranks these scores above the vendors' own tables (sources.yaml policy).

Quirks of this source, all handled here:

- Scores of the benchmarks are fractions (``0.791``): they become percent exactly, with Decimal
  (``79.1``), like every other source's scores. A value outside 0..1 is a Problem, not a score.
- Model identity: AA's slugs name a model its own way (``llama-3-2-instruct-1b``, and a slug per
  reasoning setting: ``o3-mini``, ``o3-mini-high``), which the identity rules would read into
  wrong ids. Only the slugs mapped in ``options.models`` (sources.yaml: AA slug -> canonical
  ``creator/slug``) are read; every other model is skipped with a reason. Each entry of that
  map is a reviewed decision.
- ``null`` means AA has not run that evaluation on that model: no observation (like any claim a
  source does not make), not an "unknown" score. So o4-mini's ``"gpqa": null`` states nothing.
- Evaluation keys that are not a benchmark this ledger tracks (AA's own indices, ``hle``,
  ``livecodebench``, ...) are skipped with one reason per key, naming how many models had it.
- The ``pricing`` block and speed figures are AA's measurements of other providers' APIs, not
  offers of a provider: not read.

Pagination (assumed, see sources.yaml): the API may serve the list in pages. A page then carries
``"pagination": {"page": 1, "per_page": 100, "total_pages": 3, "next": "<url of the next page>" |
null}``; ``next_page_url`` (a plain function of one stored page, used by the ``paged`` spider)
follows ``next`` (joined to the page's URL), else asks for ``page + 1`` while ``page <
total_pages`` or ``has_more`` is true; no ``pagination`` object means one page. Each page is
parsed on its own; a page that could not be fetched makes the crawl partial (the spider names
it), so the models of the pages before it are read and those it held keep their last state.

``items`` counts the models that yielded a score.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from pipeline.benchmarks import canonical_benchmark
from pipeline.config import SourceConfig
from pipeline.curated import load_map
from pipeline.models import PageLayoutError, ParseResult, RawPage
from pipeline.parse.collect import PageOut, const, fraction_percent, json_of, load_json

WHAT = "evaluations API response"


def parse(page: RawPage, source: SourceConfig) -> ParseResult:
    doc = load_json(page, WHAT)
    models = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(models, list):
        raise PageLayoutError(f"{WHAT} has no 'data' list")
    if not models:
        raise PageLayoutError(f"{WHAT} 'data' is empty")
    # warehouse/curated/benchmark_slugs.yaml, with a source's options.models adding or overriding
    slug_map = {**load_map("benchmark_slugs"), **dict(source.options.get("models") or {})}
    if not slug_map:
        raise PageLayoutError("no AA slug -> canonical model id map (warehouse/curated/benchmark_slugs.yaml "
                              "or options.models): no model can be identified")
    out = PageOut(page, source)
    untracked: dict[str, int] = {}
    read_models: dict[str, str] = {}  # canonical id -> the AA slug read for it
    for i, entry in enumerate(models):
        slug = entry.get("slug") if isinstance(entry, dict) else None
        if not isinstance(slug, str) or not slug.strip():
            out.problem(f"data[{i}] has no model slug")
            continue
        slug = slug.strip()
        who = f"{slug} ({entry.get('name')})" if isinstance(entry.get("name"), str) else slug
        model_id = slug_map.get(slug)
        if not isinstance(model_id, str) or "/" not in model_id:
            out.skip(f"{who}: not mapped to a canonical model in options.models: scores not read")
            continue
        if model_id in read_models:
            out.skip(f"{who}: maps to {model_id}, already read from {read_models[model_id]!r}: not read twice")
            continue
        evaluations = entry.get("evaluations")
        if not isinstance(evaluations, dict):
            out.problem(f"{who}: no 'evaluations' object")
            continue
        read_models[model_id] = slug
        scored = False
        for key, value in evaluations.items():
            canon = canonical_benchmark(str(key))
            if canon is None:
                untracked[str(key)] = untracked.get(str(key), 0) + 1
                continue
            if value is None:
                continue  # not evaluated: states nothing
            bid, display = canon
            if out.add("benchmark", model_id, "score", value, fraction_percent, who=f"{who}, evaluation {key!r}",
                       benchmark_id=bid):
                out.add("benchmark", model_id, "benchmark_name", str(key), const(display), who=who, benchmark_id=bid)
                scored = True
        if scored:
            out.result.items += 1
    for key, n in sorted(untracked.items()):
        out.skip(f"evaluation {key!r} ({n} model{'s' if n != 1 else ''}): not a benchmark this ledger tracks "
                 "(pipeline/benchmarks.py): not read")
    return out.result


def next_page_url(url: str, body: bytes) -> str | None:
    """The URL of the page after this one (``url``, ``body`` as stored), or None when this page is
    the last (or the only one). A ``pagination`` object that cannot be read is a PageLayoutError:
    the spider then stops and says so, rather than taking a partial listing for the whole."""
    doc = json_of(body, WHAT)
    pagination = doc.get("pagination") if isinstance(doc, dict) else None
    if pagination is None:
        return None
    if not isinstance(pagination, dict):
        raise PageLayoutError(f"{WHAT}: 'pagination' is not an object")
    link = pagination.get("next")
    if isinstance(link, str) and link.strip():
        return urljoin(url, link.strip())
    if link is not None:
        raise PageLayoutError(f"{WHAT}: pagination 'next' is {link!r}, not a URL or null")
    number, total, more = pagination.get("page"), pagination.get("total_pages"), pagination.get("has_more")
    if not _whole(number) or not (_whole(total) or isinstance(more, bool)):
        raise PageLayoutError(f"{WHAT}: pagination {pagination!r} names no next page, page number and page count")
    if (_whole(total) and number < total) or more is True:
        return _with_page(url, number + 1)
    return None


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _with_page(url: str, number: int) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "page"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("page", str(number))])))
