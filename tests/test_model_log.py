"""A model's log in its export file: disputed facts with every value seen, and what changed when.
Story tests on hand-made observations (as test_versioning), then the recorded crawl's export."""
from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from pipeline.model_log import changes_by_model, conflicts_by_model
from tests.test_versioning import M, OFFER, con, load, obs  # noqa: F401  (con is a fixture)


def test_a_story_of_changes_and_disputes(con):  # noqa: F811
    load(con, "c1", 1, [obs("card", "context_window", "131072"), obs("cf", "input_usd_per_mtok", "0.027", **OFFER)])
    load(con, "c2", 2, [obs("card", "context_window", "262144"), obs("card", "license", "llama3.2"),
                        obs("cat", "license", "MIT"),
                        obs("cf", "input_usd_per_mtok", "0.03", **OFFER)])

    day1 = changes_by_model(con, date(2026, 6, 1))[M]
    assert [(c["entity"], c["change"], c["fields"]) for c in day1] == [("model", "new model", []),
                                                                        ("offer", "new offer", [])]
    assert conflicts_by_model(con, date(2026, 6, 1)) == {}

    day2 = changes_by_model(con, date(2026, 6, 2))[M]
    assert [c["changed_at"] for c in day2] == [datetime(2026, 6, 2, 6, tzinfo=UTC)] * 2 + \
        [datetime(2026, 6, 1, 6, tzinfo=UTC)] * 2  # newest first
    model, offer = day2[0], day2[1]
    assert (model["change"], model["fields"]) == ("model facts", [
        {"field": "context_window", "old": "131072", "new": "262144", "source_id": "card"},
        {"field": "license", "old": None, "new": "llama3.2", "source_id": "card"}])
    assert offer["change"] == "price move"
    assert offer["provider"] == {"id": "cloudflare-workers-ai", "name": "cloudflare-workers-ai"}
    assert offer["fields"] == [{"field": "input_usd_per_mtok", "old": "0.027", "new": "0.03", "source_id": "cf"}]

    (dispute,) = conflicts_by_model(con, date(2026, 6, 2))[M]
    assert (dispute["entity"], dispute["field"], dispute["chosen_value"], dispute["chosen_source"],
            dispute["severity"]) == ("model", "license", "llama3.2", "card", "major")
    assert [(c["source_id"], c["value"], c["url"]) for c in dispute["claims"]] == [
        ("card", "llama3.2", "https://card.example/"), ("cat", "MIT", "https://cat.example/")]


def test_a_version_that_changes_only_provenance_is_no_change(con):  # noqa: F811
    load(con, "c1", 1, [obs("card", "license", "MIT")])
    load(con, "c2", 2, [obs("cat", "license", "MIT")])  # the same fact from another source
    assert [c["change"] for c in changes_by_model(con, date(2026, 6, 2))[M]] == ["new model"]


@pytest.fixture(scope="module")
def llama_file(recorded_exports) -> dict:
    out = recorded_exports(date(2026, 6, 4))
    return json.loads((out / "models" / "meta__llama-3.2-1b-instruct.json").read_text())


def test_the_recorded_export_lists_disputed_facts_with_every_value_and_source(llama_file):
    cutoff = next(c for c in llama_file["conflicts"] if c["field"] == "knowledge_cutoff")
    assert (cutoff["chosen_value"], cutoff["chosen_source"], cutoff["severity"]) == ("2023-12", "huggingface", "minor")
    assert {(c["source_id"], c["value"]) for c in cutoff["claims"]} == {
        ("huggingface", "2023-12"), ("models-dev", "2023-12"), ("openrouter", "2023-12-31")}
    assert all(c["url"].startswith("https://") for c in cutoff["claims"])


def test_the_recorded_export_says_what_changed_when(llama_file):
    changes = llama_file["changes"]
    assert [c["changed_at"] for c in changes] == sorted((c["changed_at"] for c in changes), reverse=True)
    new_cf = [c for c in changes if c["change"] == "new offer" and c["provider"]["id"] == "cloudflare-workers-ai"]
    assert [c["changed_at"] for c in new_cf] == ["2026-06-04T06:00:00Z"]
    structured = [f for c in changes if c["entity"] == "model" for f in c["fields"]
                  if f["field"] == "supports_structured_outputs"]
    assert structured == [{"field": "supports_structured_outputs", "old": None, "new": "true",
                           "source_id": "openrouter"}]
