"""The export's JSON contract as a downstream site sees it: every JSON file of an export validates
against the schema manifest.json names for it (jsonschema, draft 2020-12, formats checked); every
schema states its draft, an $id and a description on every property; exact decimals (prices,
scores) are strings with a pattern, one type everywhere; model and comparison records carry routes,
ties, price history and per-fact provenance; the manifest states each source's terms."""
from __future__ import annotations

import copy
import json
import re
from datetime import date
from decimal import Decimal
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Iterator

import jsonschema
import pytest
from jsonschema import Draft202012Validator
from pydantic import ValidationError

from pipeline.config import SourceConfig, load_sources
from pipeline.records import SCHEMA_VERSION

AS_OF = date(2026, 6, 4)
EARLIER = date(2026, 4, 24)
LLAMA = "meta/llama-3.2-1b-instruct"
DRAFT = "https://json-schema.org/draft/2020-12/schema"
DECIMAL = re.compile(r"^[0-9]+(\.[0-9]+)?$")


@pytest.fixture(scope="module")
def exports(recorded_exports) -> dict[date, Path]:
    return {day: recorded_exports(day) for day in (AS_OF, EARLIER)}


@pytest.fixture(scope="module")
def folder(exports: dict[date, Path]) -> Path:
    return exports[AS_OF]


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def schema_of(folder: Path, rel: str) -> str:
    """The schema manifest.json names for a file: exactly one pattern matches it."""
    patterns = load(folder / "manifest.json")["schemas"]
    parts = rel.split("/")
    hits = [schema for pattern, schema in patterns.items()
            if len(pattern.split("/")) == len(parts) and all(map(fnmatchcase, parts, pattern.split("/")))]
    assert len(hits) == 1, f"{rel}: {hits}"
    return hits[0]


def validator(folder: Path, schema_rel: str) -> Draft202012Validator:
    return Draft202012Validator(load(folder / schema_rel), format_checker=Draft202012Validator.FORMAT_CHECKER)


def walk(schema: Any, where: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every subschema of a schema, with its JSON pointer."""
    if isinstance(schema, dict):
        yield where, schema
        for key, value in schema.items():
            yield from walk(value, f"{where}/{key}")
    elif isinstance(schema, list):
        for i, value in enumerate(schema):
            yield from walk(value, f"{where}/{i}")


def test_every_json_file_validates_against_its_schema(folder):
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.json"))
    data_files = [f for f in files if not f.startswith("schema/")]
    # index, manifest, the three lists, one file per model and per configured pair: all of them
    assert {"index.json", "manifest.json", "models.json", "offers.json", "benchmarks.json"} <= set(data_files)
    assert any(f.startswith("models/") for f in data_files) and any(f.startswith("comparisons/") for f in data_files)
    validators: dict[str, Draft202012Validator] = {}
    for rel in data_files:
        schema = schema_of(folder, rel)
        v = validators.setdefault(schema, validator(folder, schema))
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in v.iter_errors(load(folder / rel))]
        assert errors == [], f"{rel} against {schema}"
    # every schema of the export is named for some file, or is a record type a list or file holds
    assert set(validators) <= {f for f in files if f.startswith("schema/")}


def test_schemas_state_their_draft_id_and_a_description_on_every_property(folder):
    ids = set()
    descriptions = set()
    for path in sorted((folder / "schema").glob("*.schema.json")):
        schema = load(path)
        kind = path.name.removesuffix(".schema.json")
        Draft202012Validator.check_schema(schema)
        assert schema["$schema"] == DRAFT, path.name
        assert schema["$id"] == f"https://llm-ledger.dev/schema/{SCHEMA_VERSION}/{kind}.schema.json"
        ids.add(schema["$id"])
        descriptions.add(schema["description"])
        objects = [("#", schema), *((f"#/$defs/{n}", d) for n, d in schema.get("$defs", {}).items())]
        for where, sub in objects:  # the record and every record it nests (pydantic puts them in $defs)
            assert sub.get("description"), f"{path.name} {where} has no description"
            for name, prop in sub.get("properties", {}).items():
                assert prop.get("description"), f"{path.name} {where}/properties/{name} has no description"
        # no object schema anywhere else (an inline object would escape the check above)
        assert all(w == "#" or w.startswith("#/$defs/") and w.count("/") == 2
                   for w, sub in walk(schema) if "properties" in sub), path.name
    assert len(ids) == len(descriptions) == 10  # one id and one description per schema, none shared


def test_every_exact_decimal_is_a_patterned_string(folder):
    """Prices, money, ratios and scores: strings with a decimal pattern (no exponent, no float),
    in every schema; a benchmark score is the same type in models/*.json and in comparisons."""
    decimal_fields = re.compile(r"(usd_per_mtok(_above_tier)?|^usd|_usd|^score|^gap|_ratio|_pct|_mtok)$")
    checked = set()
    for path in sorted((folder / "schema").glob("*.schema.json")):
        for where, sub in walk(load(path)):
            for name, prop in sub.get("properties", {}).items():
                if not (decimal_fields.search(name) or where.endswith("/SharedBenchmark") and name in ("a", "b")):
                    continue
                checked.add(name)
                options = [o for o in prop.get("anyOf", [prop]) if o.get("type") != "null"]
                if options and "$ref" in options[0]:
                    continue  # a nested record, checked where it is defined
                assert [o.get("type") for o in options] == ["string"], f"{path.name} {where}/{name}"
                assert options[0]["pattern"] == r"^[0-9]+(\.[0-9]*[1-9])?$", f"{path.name} {where}/{name}"
    assert {"input_usd_per_mtok", "usd", "score", "gap", "a", "cheaper_pct", "input_price_ratio",
            "monthly_gap_usd", "input_mtok", "output_usd_per_mtok_above_tier"} <= checked
    model_file = load(folder / "models" / "meta__llama-3.2-1b-instruct.json")
    comparison = load(folder / "comparisons" / "meta__llama-3.2-1b-instruct--vs--openai__o3-mini.json")
    scores = [b["score"] for b in model_file["benchmarks"]]
    side_scores = [s["score"] for s in comparison["a"]["benchmarks"].values()]
    shared = [v for b in comparison["benchmarks"] for v in (b["a"], b["b"], b["gap"])]
    assert scores and sorted(scores) == sorted(side_scores)
    assert all(isinstance(v, str) and DECIMAL.match(v) for v in scores + side_scores + shared)


@pytest.mark.parametrize(("path", "bad"), [
    (("a", "cheapest_input", "usd_per_mtok"), "1E+2"),
    (("a", "cheapest_input", "usd_per_mtok"), 0.027),
    (("a", "cheapest_input", "usd_per_mtok"), "-0.027"),
    (("benchmarks", 0, "a"), 25.6),
    (("a", "routes", 0, "input_usd_per_mtok"), "0.0270"),
    (("a", "price_history", 0, "points", 0, "valid_from"), "2026-13-01T00:00:00Z"),
    (("a", "provenance", "release_date", "observed_at"), "24 Sept 2024"),
])
def test_the_schema_refuses_what_the_contract_refuses(folder, path, bad):
    rel = "comparisons/meta__llama-3.2-1b-instruct--vs--openai__o3-mini.json"
    record = copy.deepcopy(load(folder / rel))
    node = record
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = bad
    with pytest.raises(jsonschema.ValidationError):
        validator(folder, schema_of(folder, rel)).validate(record)


def test_model_file_carries_routes_ties_history_and_sources(folder):
    rec = load(folder / "models" / "meta__llama-3.2-1b-instruct.json")
    assert len(rec["routes"]) == len(rec["offers"]) > 2  # one route per offer
    kinds = [r["kind"] for r in rec["routes"]]
    assert kinds == sorted(kinds, key=lambda k: k != "standard")  # standard routes first
    assert {(r["provider"]["id"], r["variant"]) for r in rec["routes"]} == {
        (o["provider_id"], o["variant"]) for o in rec["offers"]}
    # the tie at $0.027 per 1M input tokens: both providers are listed
    assert rec["cheapest_input"]["usd_per_mtok"] == "0.027"
    assert {p["name"] for p in rec["cheapest_input"]["providers"]} >= {"Cloudflare Workers AI", "OpenRouter"}
    cloudflare = [s for s in rec["price_history"] if s["provider"]["id"] == "cloudflare-workers-ai"]
    assert cloudflare and cloudflare[0]["current"] and cloudflare[0]["points"][-1]["valid_to"] is None
    assert cloudflare[0]["points"][-1]["input_usd_per_mtok"] == "0.027"
    source = rec["model"]["provenance"]["release_date"]
    assert set(source) == {"source_id", "url", "observed_at", "rule", "status", "raw"}
    assert source["source_id"] == "huggingface" and source["url"].startswith("https://")


def test_comparison_carries_routes_history_and_sources(folder):
    rec = load(folder / "comparisons" / "meta__llama-3.2-1b-instruct--vs--openai__o4-mini.json")
    for side in (rec["a"], rec["b"]):
        model = load(folder / "models" / f"{side['model_id'].replace('/', '__')}.json")
        # the same routes, history and per-fact sources as the model's own file
        assert side["routes"] == model["routes"]
        assert side["price_history"] == model["price_history"]
        assert side["provenance"] == model["model"]["provenance"]
    o4 = rec["b"]
    assert {r["kind"] for r in o4["routes"]} == {"standard", "batch", "flex", "priority"}
    assert any(r["cached_input_usd_per_mtok"] for r in o4["routes"])


def test_price_history_stops_at_the_export_date(exports):
    rec = load(exports[EARLIER] / "models" / "meta__llama-3.2-1b-instruct.json")
    bound = "2026-04-25"
    points = [p for s in rec["price_history"] for p in s["points"]]
    assert points
    assert all(p["valid_from"] < bound and (p["valid_to"] is None or p["valid_to"] < bound) for p in points)
    for s in rec["price_history"]:  # consecutive points are distinct prices or have a gap between them
        for before, after in zip(s["points"], s["points"][1:]):
            prices = ("input_usd_per_mtok", "output_usd_per_mtok", "cached_input_usd_per_mtok",
                      "cache_write_usd_per_mtok")
            assert before["valid_to"] != after["valid_from"] or any(before[k] != after[k] for k in prices)


def test_manifest_states_the_terms_of_every_source_the_export_carries(folder):
    manifest = load(folder / "manifest.json")
    terms = {s["id"]: s for s in manifest["sources"]}
    assert [s["id"] for s in manifest["sources"]] == sorted(terms)
    cited = set()
    for rel in ("models.json", "offers.json", "benchmarks.json"):
        cited |= {f["source_id"] for r in load(folder / rel)["records"] for f in r["provenance"].values()}
    assert cited <= set(terms)
    assert "Artificial Analysis" in terms["artificial-analysis"]["attribution"]
    assert "artificialanalysis.ai" in terms["artificial-analysis"]["attribution"]
    assert terms["litellm"]["license"] == terms["models-dev"]["license"] == "MIT"
    assert terms["bfcl"]["license"] == "Apache-2.0"
    assert "No license granted" in terms["cloudflare-workers-ai"]["license"]
    assert "Cloudflare's public Workers AI pricing page" in terms["cloudflare-workers-ai"]["attribution"]
    assert terms["curated"]["license"] == "MIT"


def test_every_configured_source_states_its_terms():
    for source in load_sources().sources:
        assert source.license and source.attribution, source.id


@pytest.mark.parametrize(("field", "value"), [
    ("terms_url", "ftp://example.com/terms"), ("terms_url", "https://example.com/a b"),
    ("license", "  "), ("attribution", " Data from X"),
])
def test_source_terms_are_validated(field, value):
    base = load_sources().sources[0].model_dump()
    with pytest.raises(ValidationError, match=field):
        SourceConfig.model_validate({**base, field: value})


def test_decimal_pattern_matches_what_the_export_writes(folder):
    offers = load(folder / "offers.json")["records"]
    prices = [o[k] for o in offers for k in ("input_usd_per_mtok", "output_usd_per_mtok") if o[k] is not None]
    assert prices and all(Decimal(p) >= 0 and DECIMAL.match(p) and not p.endswith(".0") for p in prices)
