"""The golden test: run the pipeline over the bundled recorded crawl, export as of each seed page's
date, and check every fact the seed pages state (tests/golden/seed_pairs.yaml, a copy of
shared/golden/seed-pairs.yaml). One test per fact, so a regression names the fact it broke."""
from __future__ import annotations

import json
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline.export import safe_name

GOLDEN = yaml.safe_load((Path(__file__).parent / "golden" / "seed_pairs.yaml").read_text())["pairs"]
BENCHMARK_IDS = {"MMLU-Pro": "mmlu-pro", "GPQA": "gpqa", "BFCL": "bfcl"}


@pytest.fixture(scope="module")
def exports(recorded_exports) -> dict[str, Path]:
    """The export of the recorded crawl (what `make run` loads) as of each seed's date."""
    return {as_of: recorded_exports(date.fromisoformat(as_of)) for as_of in sorted({str(p["as_of"]) for p in GOLDEN})}


def record(exports: dict[str, Path], pair: dict[str, Any]) -> dict[str, Any]:
    folder = exports[str(pair["as_of"])]
    index = json.loads((folder / "index.json").read_text())
    paths = [c["path"] for c in index["comparisons"] if c["a"] == pair["a"]["id"] and c["b"] == pair["b"]["id"]]
    assert paths, f"no comparison file for {pair['a']['id']} vs {pair['b']['id']} as of {pair['as_of']}"
    assert paths[0] == f"comparisons/{safe_name(pair['a']['id'])}--vs--{safe_name(pair['b']['id'])}.json"
    return json.loads((folder / paths[0]).read_text())


def money(text: Any, places: str = "0.01") -> Decimal:
    return Decimal(str(text)).quantize(Decimal(places), ROUND_HALF_UP)


def names(providers: list[dict[str, str]]) -> set[str]:
    return {p["name"] for p in providers}


def cases() -> list[Any]:
    out = []
    for pair in GOLDEN:
        tag = pair["seed"].split("_")[0]
        for fact in pair:
            if fact in ("seed", "as_of"):
                continue
            values = pair[fact]
            if fact == "benchmarks" and values:
                for bench in values:
                    out.append(pytest.param(pair, fact, bench, id=f"{tag}-benchmark-{bench}"))
            elif isinstance(values, dict) and fact not in ("benchmarks", "capabilities", "monthly_usd") and \
                    set(values) <= {"a", "b"}:
                for side in values:
                    out.append(pytest.param(pair, fact, side, id=f"{tag}-{fact}-{side}"))
            else:
                out.append(pytest.param(pair, fact, None, id=f"{tag}-{fact}"))
        out.append(pytest.param(pair, "last_reviewed", None, id=f"{tag}-last_reviewed"))
    return out


def tokens_fact(side: dict[str, Any], expected: Any) -> None:
    if expected == "unknown":
        assert side["status"] == "unknown" and side["tokens"] is None
    elif isinstance(expected, int):
        assert side["tokens"] == expected
    else:
        assert side["label"] == expected and side["status"] == "known"


@pytest.mark.parametrize(("pair", "fact", "part"), cases())
def test_seed_fact(exports, pair, fact, part):
    rec = record(exports, pair)
    if fact == "last_reviewed":
        assert rec["last_reviewed"] == str(pair["as_of"])
        return
    expected = pair[fact] if part is None or fact == "benchmarks" else pair[fact][part]
    side = rec[part] if part in ("a", "b") else None
    if fact in ("a", "b"):
        assert (rec[fact]["model_id"], rec[fact]["name"], rec[fact]["creator"]) == (
            expected["id"], expected["name"], expected["creator"])
    elif fact == "context_window":
        tokens_fact(side["context_window"], expected)
    elif fact == "max_output_tokens":
        tokens_fact(side["max_output_tokens"], expected)
    elif fact == "cheapest_input_usd_per_mtok":
        assert Decimal(side["cheapest_input"]["usd_per_mtok"]) == Decimal(expected)
    elif fact == "cheapest_output_usd_per_mtok":
        assert Decimal(side["cheapest_output"]["usd_per_mtok"]) == Decimal(expected)
    elif fact == "cheapest_route":
        assert side["cheapest_input"]["provider"]["name"] == expected
        assert side["monthly"]["provider"]["name"] == expected
    elif fact == "providers_count":
        assert side["providers_count"] == expected
    elif fact == "providers":
        assert names(side["providers"]) == set(expected)
    elif fact == "providers_include":
        assert set(expected) <= names(side["providers"])
    elif fact == "provider_overlap":
        assert names(rec["provider_overlap"]) == set(expected)
    elif fact == "cheaper":
        assert rec["cheaper"] == expected
    elif fact == "cheaper_pct":
        assert money(rec["cheaper_pct"], "1") == Decimal(expected)
    elif fact in ("blended_70_30_gap_usd", "output_price_gap_usd"):
        assert money(rec[fact]) == Decimal(expected)
    elif fact in ("input_price_ratio", "output_price_ratio", "blended_3_1_ratio"):
        assert Decimal(rec[fact]) == Decimal(expected)
    elif fact == "monthly_usd":
        assert money(rec["a"]["monthly"]["usd"]) == Decimal(expected["a"])
        assert money(rec["b"]["monthly"]["usd"]) == Decimal(expected["b"])
        assert money(rec["monthly_gap_usd"]) == Decimal(expected["gap"])
    elif fact == "released":
        assert side["released"] == str(expected)
    elif fact == "parameters":
        assert side["parameters"]["label"] == expected
    elif fact in ("architecture", "license", "open_weights"):
        assert side[fact] == expected
    elif fact == "knowledge_cutoff":
        assert side["knowledge_cutoff"] == (None if expected == "unknown" else str(expected))
    elif fact == "benchmarks":
        if not expected:
            assert rec["benchmarks"] == [] and rec["largest_benchmark_gap"] is None
            return
        want = expected[part] if part else None
        (got,) = [b for b in rec["benchmarks"] if b["id"] == BENCHMARK_IDS[part]]
        assert (money(got["a"], "0.1"), money(got["b"], "0.1"), got["leader"], money(got["gap"], "0.1")) == (
            money(want["a"], "0.1"), money(want["b"], "0.1"), want["leader"], money(want["gap"], "0.1"))
        assert {b["id"] for b in rec["benchmarks"]} == {BENCHMARK_IDS[n] for n in expected}
        largest = max(expected, key=lambda n: expected[n]["gap"])
        assert rec["largest_benchmark_gap"]["id"] == BENCHMARK_IDS[largest]
    elif fact == "capabilities":
        caps = rec["capabilities"]
        for key in ("only_a", "only_b", "shared"):
            if key in expected:
                assert set(caps[key]) == set(expected[key]), key
        for cap in expected.get("neither", []):
            assert cap not in caps["only_a"] + caps["only_b"] + caps["shared"], cap
    else:
        pytest.fail(f"the golden file states a fact this test does not check: {fact}")
