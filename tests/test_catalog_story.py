"""Story tests over the REAL models.dev catalog (../shared/real): two crawls of the whole file, the
second with entries removed, loaded the way a scheduled run loads them.

What a user must be able to trust at catalog scale:
- a healthy crawl of a catalog retires exactly the offers it stopped listing, nothing else;
- every claim about one route (model, provider, variant) meets on one offer, whatever id it used;
- a model's native context window is not a provider's smaller serving limit.

Skipped with a message when ../shared/real is not beside the project (a clean clone in CI)."""
from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.config import load_sources
from pipeline.run import process_stored
from tests.crawl_helpers import copy_crawl, newest_recorded, replace_body
from warehouse.connection import connect

REAL = Path(__file__).resolve().parents[2] / "shared" / "real"
MODELS_DEV = REAL / "models-dev-api-2026-07-02.json"

pytestmark = pytest.mark.skipif(not MODELS_DEV.exists(), reason=f"real catalog not found at {MODELS_DEV}")

# Entries the second crawl no longer lists: (models.dev provider, its model id). Each is an
# offer no other entry of the file states (checked below), so each must retire exactly one offer.
REMOVED = [
    ("deepseek", "deepseek-reasoner"),
    ("cloudflare-workers-ai", "@cf/meta/llama-3.2-1b-instruct"),
    ("groq", "llama-3.1-8b-instant"),
    ("openai", "o3-mini"),
    ("zai", "glm-5-turbo"),
]


def _crawl(archive: Path, crawl_id: str, day: int, doc: dict) -> None:
    folder = copy_crawl(newest_recorded(), archive, crawl_id, datetime(2026, 7, day, 6, tzinfo=UTC),
                        sources=["models-dev"])
    replace_body(folder / "models-dev", "api.json", json.dumps(doc).encode())


def _offers(con) -> set[tuple[str, str, str]]:
    return set(con.execute("SELECT model_id, provider_id, variant FROM offer_versions WHERE valid_to IS NULL").fetchall())


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    full = json.loads(MODELS_DEV.read_text())
    trimmed = json.loads(MODELS_DEV.read_text())
    for provider, model in REMOVED:
        assert model in trimmed[provider]["models"], f"{provider} {model} is not in the real file any more"
        del trimmed[provider]["models"][model]
    data = tmp_path_factory.mktemp("catalog")
    registry = load_sources()
    _crawl(data / "raw", "20260701T060000Z", 1, full)
    process_stored(data, registry, do_export=False)
    con = connect(data / "ledger.duckdb", read_only=True)
    first = _offers(con)
    health1 = con.execute("SELECT health, items, errors, reason FROM crawl_sources").fetchall()
    con.close()
    _crawl(data / "raw", "20260702T060000Z", 2, trimmed)
    process_stored(data, registry, do_export=False)
    con = connect(data / "ledger.duckdb", read_only=True)
    yield {"con": con, "first": first, "second": _offers(con), "health1": health1}
    con.close()


def test_the_real_catalog_loads_healthy(story):
    [(health, items, errors, reason)] = story["health1"]
    assert health == "ok", reason
    assert items > 4000  # every provider of the catalog is read, none skipped for want of a mapping
    assert errors <= items * 0.01


def test_a_healthy_crawl_retires_exactly_the_offers_it_no_longer_lists(story):
    con = story["con"]
    gone = story["first"] - story["second"]
    assert len(gone) == len(REMOVED), sorted(gone)
    assert story["second"] <= story["first"]  # nothing new appeared, nothing else moved
    assert ("openai/o3-mini", "openai", "") in gone
    assert ("deepseek/deepseek-reasoner", "deepseek", "") in gone
    closed = con.execute("SELECT count(*) FROM offer_versions WHERE closed_by = '20260702T060000Z'").fetchall()
    assert closed == [(len(REMOVED),)]
    # the model facts of o3-mini are still stated by other entries (Azure, Vercel...): not retired
    assert con.execute("SELECT count(*) FROM model_versions WHERE model_id = 'openai/o3-mini' "
                       "AND valid_to IS NULL").fetchall() == [(1,)]


def test_one_route_is_one_offer_whatever_id_a_source_used(story):
    con = story["con"]
    dupes = con.execute("""SELECT model_id, provider_id, variant, count(*) FROM offer_versions
                           WHERE valid_to IS NULL GROUP BY ALL HAVING count(*) > 1""").fetchall()
    assert dupes == []
    # the provider's own id is a claimed field of the offer
    assert con.execute("""SELECT provider_model_id FROM offer_versions WHERE valid_to IS NULL
                          AND model_id = 'meta/llama-3.2-3b-instruct' AND provider_id = 'cloudflare-workers-ai'
                          AND variant = ''""").fetchall() == [("@cf/meta/llama-3.2-3b-instruct",)]


def test_model_limits_are_the_native_ones_not_a_serving_limit(story):
    con = story["con"]
    got = dict(con.execute("""SELECT model_id, [context_window, max_output_tokens] FROM model_versions
                              WHERE valid_to IS NULL AND model_id IN
                              ('openai/o3-mini', 'openai/gpt-4.1-mini', 'meta/llama-3.2-1b-instruct')""").fetchall())
    assert got["openai/o3-mini"] == [200000, 100000]
    assert got["openai/gpt-4.1-mini"] == [1047576, 32768]
    assert got["meta/llama-3.2-1b-instruct"][0] == 131072  # Cloudflare serves it at 60,000
    # total context and max input are separate facts
    assert con.execute("""SELECT context_window, max_output_tokens FROM model_versions
                          WHERE valid_to IS NULL AND model_id = 'openai/gpt-5'""").fetchall() == [(400000, 128000)]


def test_a_model_whose_context_any_source_states_knows_it(story):
    stated, known = story["con"].execute("""
        WITH stated AS (SELECT DISTINCT model_id FROM observations WHERE field = 'context_window' AND status = 'known')
        SELECT count(*), count(*) FILTER (WHERE m.context_window IS NOT NULL)
        FROM model_versions m JOIN stated USING (model_id) WHERE m.valid_to IS NULL""").fetchall()[0]
    assert stated > 1000 and known >= 0.95 * stated


def test_deepseeks_own_api_is_a_provider_with_its_offer(story):
    con = story["con"]
    assert con.execute("SELECT name FROM providers WHERE provider_id = 'deepseek'").fetchall() == [("DeepSeek API",)]
    assert ("deepseek/deepseek-chat", "deepseek", "") in story["second"]
    # a provider no curated file names is a provider too, with the name the catalog gives
    assert con.execute("SELECT name, named_by FROM providers WHERE provider_id = 'inference'").fetchall() == [
        ("Inference", "models-dev")]
