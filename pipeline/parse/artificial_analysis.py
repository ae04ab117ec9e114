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

``items`` counts the models that yielded a score.
"""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from pipeline import normalize
from pipeline.benchmarks import canonical_benchmark
from pipeline.config import SourceConfig
from pipeline.curated import load_map
from pipeline.models import Observation, PageLayoutError, ParseResult, Problem, RawPage


def parse(page: RawPage, source: SourceConfig) -> ParseResult:
    try:
        doc = json.loads(page.body().decode("utf-8"), parse_float=Decimal)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise PageLayoutError(f"evaluations API response is not valid JSON ({e})") from None
    models = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(models, list):
        raise PageLayoutError("evaluations API response has no 'data' list")
    if not models:
        raise PageLayoutError("evaluations API response 'data' is empty")
    # warehouse/curated/benchmark_slugs.yaml, with a source's options.models adding or overriding
    slug_map = {**load_map("benchmark_slugs"), **dict(source.options.get("models") or {})}
    if not slug_map:
        raise PageLayoutError("no AA slug -> canonical model id map (warehouse/curated/benchmark_slugs.yaml "
                              "or options.models): no model can be identified")

    result = ParseResult()

    def problem(message: str, field: str | None = None, severity: str = "error") -> None:
        result.problems.append(Problem(source_id=source.id, url=page.url, field=field, message=message,
                                       severity=severity))  # type: ignore[arg-type]

    untracked: dict[str, int] = {}
    read_models: dict[str, str] = {}  # canonical id -> the AA slug read for it
    for i, entry in enumerate(models):
        slug = entry.get("slug") if isinstance(entry, dict) else None
        if not isinstance(slug, str) or not slug.strip():
            problem(f"data[{i}] has no model slug")
            continue
        slug = slug.strip()
        who = f"{slug} ({entry.get('name')})" if isinstance(entry.get("name"), str) else slug
        model_id = slug_map.get(slug)
        if not isinstance(model_id, str) or "/" not in model_id:
            problem(f"{who}: not mapped to a canonical model in options.models: scores not read",
                    severity="skip")
            continue
        if model_id in read_models:
            problem(f"{who}: maps to {model_id}, already read from {read_models[model_id]!r}: not read twice",
                    severity="skip")
            continue
        evaluations = entry.get("evaluations")
        if not isinstance(evaluations, dict):
            problem(f"{who}: no 'evaluations' object")
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
            try:
                score = Observation(source_id=source.id, url=page.url, entity="benchmark", model_id=model_id,
                                    benchmark_id=bid, field="score", raw=str(value), value=_percent(value))
            except (ValueError, ValidationError) as e:
                msg = "; ".join(x["msg"] for x in e.errors()) if isinstance(e, ValidationError) else str(e)
                problem(f"{who}: cannot read score of {key!r} from {value!r}: {msg}", field="score")
                continue
            name = Observation(source_id=source.id, url=page.url, entity="benchmark", model_id=model_id,
                               benchmark_id=bid, field="benchmark_name", raw=str(key), value=display)
            result.observations += [score, name]
            scored = True
        if scored:
            result.items += 1
    for key, n in sorted(untracked.items()):
        problem(f"evaluation {key!r} ({n} model{'s' if n != 1 else ''}): not a benchmark this ledger tracks "
                "(pipeline/benchmarks.py): not read", severity="skip")
    return result


def _percent(value: Any) -> str:
    """A fraction (0.791, as parsed from JSON into Decimal) -> percent text, exactly ("79.1")."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise ValueError("expected a number")
    d = Decimal(value)
    if not d.is_finite() or d < 0 or d > 1:
        raise ValueError("expected a fraction between 0 and 1")
    return normalize.decimal_text(d.scaleb(2))
