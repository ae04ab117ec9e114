"""Golden fixture cases for the parsers (web-poet style: one folder per case, one assertion per fact).

Layout::

    tests/fixtures/parse/<source_id>/<case>/
        body.<ext>      the stored page, exactly as a spider would have received it
        meta.json       {"source_id", "url", "status"} (optionally "headers")
        expected.json   what the parser must make of it:
            {
              "items": 3,                       # ParseResult.items
              "observations": [                 # every observation, nothing more (exhaustive)
                {"entity": "offer", "model_id": "meta/llama-3.2-1b-instruct",
                 "provider_id": "openrouter", "provider_model_id": "meta-llama/llama-3.2-1b-instruct",
                 "variant": "", "field": "input_usd_per_mtok", "value": "0.027", "status": "known",
                 "raw": "0.000000027"},         # raw is checked when given
                ...
              ],
              "problems": [                     # every problem, nothing more
                {"severity": "skip", "field": null, "contains": ["openrouter/auto", "dynamic pricing"]}
              ]
            }

tests/test_parse_fixtures.py collects every case folder of every source and turns each expected
observation into its own test, plus one no-extras, one problems and one items test per case, so
one regression fails one named case (``<source>/<case>/<entity>:<model>[<offer key>].<field>``).
The per-source modules hold only what a fixture cannot say (the quirks, spelled out), and read
the recorded crawl (``recorded``) and the real copies in ../shared/real/pages (``real_page``);
tests/test_parse_recorded.py checks every recorded folder of every source (sealed, dated, fetched
from the start URLs, parsed without errors), so the per-source modules check only facts.
"""
from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

from pipeline.config import load_sources
from pipeline.models import Observation, ParseResult, Problem, RawPage
from pipeline.parse import parse_page

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "parse"
FETCHED_AT = datetime(2026, 6, 4, 6, 0, tzinfo=UTC)

ROOT = Path(__file__).resolve().parents[1]
RECORDED = ROOT / "spiders" / "recorded"
# The models of the golden comparison pairs (shared/golden/seed-pairs.yaml, spiders/recorded/PLAN.md):
# a recorded source may state them only where PLAN.md says it does.
GOLDEN_MODELS = frozenset({
    "meta/llama-3.2-1b-instruct", "meta/llama-3.2-1b", "meta/llama-3.2-3b-instruct", "openai/o3-mini",
    "openai/o4-mini", "openai/gpt-4.1-mini", "openai/gpt-5.3-codex", "mistral/mixtral-8x22b-instruct-v0.3"})
# Real copies of what each spider fetches (../shared/real/pages/<source>/): on the team's machines,
# absent from a clean clone, where the tests that read them skip with a message.
REAL_PAGES = ROOT.parent / "shared" / "real" / "pages"

# entity, model_id, provider_id, provider_model_id, variant, benchmark_id, field
ObsKey = tuple[str, str, str, str, str, str, str]


def sources_with_fixtures() -> list[str]:
    return sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())


def case_dirs(source_id: str) -> list[Path]:
    folder = FIXTURES / source_id
    return sorted(p for p in folder.iterdir() if (p / "meta.json").exists())


def body_file(case_dir: Path) -> Path:
    bodies = sorted(case_dir.glob("body.*"))
    if len(bodies) != 1:
        raise AssertionError(f"{case_dir}: expected exactly one body.* file, found {len(bodies)}")
    return bodies[0]


def load_page(case_dir: Path) -> RawPage:
    """The fixture page as a stored RawPage (sha256 computed, attached to the case folder)."""
    meta = json.loads((case_dir / "meta.json").read_text())
    body = body_file(case_dir)
    return RawPage(
        source_id=meta["source_id"],
        url=meta["url"],
        status=meta.get("status", 200),
        headers=meta.get("headers", {}),
        fetched_at=FETCHED_AT,
        sha256=hashlib.sha256(body.read_bytes()).hexdigest(),
        body_file=body.name,
        base_dir=case_dir,
    )


@lru_cache(maxsize=None)
def _registry():
    return load_sources()


@lru_cache(maxsize=None)
def _run(case_dir: str) -> ParseResult:
    page = load_page(Path(case_dir))
    return parse_page(page, _registry().get(page.source_id))


def run_case(case_dir: Path) -> ParseResult:
    """parse_page on the fixture page (cached: a case is parsed once per session)."""
    return _run(str(case_dir))


def expected(case_dir: Path) -> dict[str, Any]:
    return json.loads((case_dir / "expected.json").read_text())


def obs_key(o: Observation | dict[str, Any]) -> ObsKey:
    d = o.model_dump() if isinstance(o, Observation) else o
    return (d["entity"], d["model_id"], d.get("provider_id") or "", d.get("provider_model_id") or "",
            d.get("variant") or "", d.get("benchmark_id") or "", d["field"])


def key_id(key: ObsKey) -> str:
    entity, model_id, provider_id, pmid, variant, benchmark_id, field = key
    offer = f"[{provider_id}|{pmid}|{variant}]" if entity == "offer" else ""
    bench = f"[{benchmark_id}]" if benchmark_id else ""
    return f"{entity}:{model_id}{offer}{bench}.{field}"


def observation_params(source_ids: list[str]) -> list[Any]:
    """One pytest param per expected observation of every case of the sources."""
    return [pytest.param(case_dir, exp, id=f"{source_id}/{case_dir.name}/{key_id(obs_key(exp))}")
            for source_id in source_ids for case_dir in case_dirs(source_id)
            for exp in expected(case_dir)["observations"]]


def case_params(source_ids: list[str]) -> list[Any]:
    return [pytest.param(d, id=f"{source_id}/{d.name}") for source_id in source_ids for d in case_dirs(source_id)]


def check_observation(case_dir: Path, exp: dict[str, Any]) -> None:
    key = obs_key(exp)
    found = [o for o in run_case(case_dir).observations if obs_key(o) == key]
    assert found, f"no observation {key_id(key)} (problems: {[str(p) for p in run_case(case_dir).problems]})"
    # A source may state several values of one fact (entries that disagree): each is expected.
    stated = [(o.status, o.value) for o in found]
    assert (exp.get("status", "known"), exp.get("value")) in stated, f"{key_id(key)}: {stated}"
    obs = found[stated.index((exp.get("status", "known"), exp.get("value")))]
    if "raw" in exp:
        assert obs.raw == exp["raw"], key_id(key)
    page = load_page(case_dir)
    assert (obs.source_id, obs.url) == (page.source_id, page.url)


def check_no_extra_observations(case_dir: Path) -> None:
    want = {(obs_key(e), e.get("status", "known"), e.get("value")) for e in expected(case_dir)["observations"]}
    got = [(obs_key(o), o.status, o.value) for o in run_case(case_dir).observations]
    extra = sorted(f"{key_id(k)}={v!r}" for k, st, v in got if (k, st, v) not in want)
    assert not extra, f"unexpected observations: {extra}"
    # A catalog states a model's limits, dates and open weights once per entry that lists the model
    # (how many entries agree is evidence reconcile weighs): those repeat by design, nothing else may.
    repeatable = {"context_window", "max_input_tokens", "max_output_tokens", "release_date", "knowledge_cutoff",
                  "open_weights"}
    dupes = sorted({f"{key_id(k)}={v!r}" for k, st, v in got
                    if got.count((k, st, v)) > 1 and not (k[0] == "model" and k[-1] in repeatable)})
    assert not dupes, f"duplicate observations: {dupes}"


def _matches(p: Problem, exp: dict[str, Any]) -> bool:
    return (p.severity == exp.get("severity", "error") and p.field == exp.get("field")
            and all(s in p.message for s in exp.get("contains", [])))


def check_problems(case_dir: Path) -> None:
    """Every expected problem is there (severity, field, message substrings), and no other."""
    result = run_case(case_dir)
    page = load_page(case_dir)
    left = list(result.problems)
    for exp in expected(case_dir).get("problems", []):
        hit = next((p for p in left if _matches(p, exp)), None)
        assert hit is not None, f"no problem like {exp}; problems: {[str(p) for p in left]}"
        assert (hit.source_id, hit.url) == (page.source_id, page.url)
        left.remove(hit)
    assert not left, f"unexpected problems: {[f'{p.severity}: {p}' for p in left]}"


def check_items(case_dir: Path) -> None:
    assert run_case(case_dir).items == expected(case_dir)["items"]


# --- the recorded crawl and the real copies -------------------------------------------------------

@lru_cache(maxsize=None)
def recorded(source_id: str, crawl_id: str = "20260604T060000Z") -> ParseResult:
    """Every page of ``source_id`` in a bundled recorded crawl, parsed (once per session)."""
    from pipeline.raw import RawArchive

    source = _registry().get(source_id)
    out = ParseResult()
    for page in RawArchive(RECORDED).pages(crawl_id, source_id):
        out.extend(parse_page(page, source))
    return out


def real_page(source_id: str, filename: str, url: str, content_type: str) -> RawPage:
    """A real copy from ../shared/real/pages/<source>/ as the page the spider would have stored at
    ``url``; the test skips, saying what is missing, when the copy is not beside the project."""
    path = REAL_PAGES / source_id / filename
    if not path.exists():
        pytest.skip(f"real copy {path} is absent (../shared/real is on the team's machines, not in a clone)")
    return RawPage(source_id=source_id, url=url, status=200, headers={"Content-Type": content_type},
                   fetched_at=FETCHED_AT, sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
                   body_file=path.name, base_dir=path.parent)


def parse_real(source_id: str, filename: str, url: str, content_type: str) -> ParseResult:
    page = real_page(source_id, filename, url, content_type)
    return parse_page(page, _registry().get(source_id))


def offer_facts(result: ParseResult, provider_id: str, pmid: str, variant: str = "") -> dict[str, tuple[str, str | None]]:
    """field -> (status, value) of one offer's observations."""
    return {o.field: (o.status, o.value) for o in result.observations
            if o.entity == "offer" and (o.provider_id, o.provider_model_id, o.variant) == (provider_id, pmid, variant)}


def model_facts(result: ParseResult, model_id: str) -> dict[str, str | None]:
    """field -> value of one model's known observations."""
    return {o.field: o.value for o in result.observations
            if o.entity == "model" and o.model_id == model_id and o.status == "known"}
