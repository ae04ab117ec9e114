"""Every page of the bundled recorded crawl (spiders/recorded/) parses cleanly and carries the key facts."""
from __future__ import annotations

import json
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import pytest

from pipeline.config import load_sources
from pipeline.models import ParseResult, RawPage
from pipeline.parse import parse_page
from pipeline.raw import RawArchive, verify

RECORDED = Path(__file__).resolve().parents[1] / "spiders" / "recorded"
CRAWL = "20260604T060000Z"
SOURCES = ["openrouter", "huggingface", "cloudflare-workers-ai"]
LLAMA_1B = "meta/llama-3.2-1b-instruct"


def pages(source_id: str) -> list[RawPage]:
    return list(RawArchive(RECORDED).pages(CRAWL, source_id))


@lru_cache(maxsize=None)
def parsed(source_id: str) -> tuple[tuple[RawPage, ParseResult], ...]:
    source = load_sources().get(source_id)
    return tuple((p, parse_page(p, source)) for p in pages(source_id))


def merged(source_id: str) -> ParseResult:
    out = ParseResult()
    for _, r in parsed(source_id):
        out.extend(r)
    return out


def test_crawl_json_says_recorded():
    info = json.loads((RECORDED / CRAWL / "crawl.json").read_text())
    assert info == {"crawl_id": CRAWL, "started_at": "2026-06-04T06:00:00Z", "mode": "recorded"}
    assert [c.crawl_id for c in RawArchive(RECORDED).crawls()] == ["20260415T060000Z", "20260424T060000Z", CRAWL]


@pytest.mark.parametrize("source_id", SOURCES)
def test_fetch_json_matches_pages(source_id):
    (fetch,) = [f for f in RawArchive(RECORDED).fetches(CRAWL) if f.source_id == source_id]
    assert (fetch.status, fetch.errors, fetch.pages) == ("ok", [], len(pages(source_id)))
    assert all(p.status == 200 and p.fetched_at.date().isoformat() == "2026-06-04" for p in pages(source_id))


@pytest.mark.parametrize("source_id", SOURCES)
def test_bodies_match_their_sha256(source_id):
    assert verify(RECORDED / CRAWL / source_id) == []


@pytest.mark.parametrize("source_id", SOURCES)
def test_every_page_parses_without_errors(source_id):
    for page, result in parsed(source_id):
        errors = [str(p) for p in result.problems if p.severity == "error"]
        assert not errors, errors
        assert result.observations and result.items >= 1, page.url


def test_urls_are_the_production_urls_the_spiders_fetch():
    sources = load_sources()
    orr = sources.get("openrouter")
    models = json.loads(pages("openrouter")[0].body())["data"]
    wanted = set(orr.options["endpoints_for"])
    expected = set(orr.start_urls) | {"https://openrouter.ai" + m["links"]["details"] for m in models if m["id"] in wanted}
    assert {p.url for p in pages("openrouter")} == expected
    assert "https://openrouter.ai/api/v1/models/openai/o3-mini-2025-01-31/endpoints" in expected
    hf = set()
    for url in sources.get("huggingface").start_urls:
        repo = url.split("/api/models/", 1)[1]
        hf |= {url, f"https://huggingface.co/{repo}/raw/main/README.md", f"https://huggingface.co/{repo}/raw/main/config.json"}
    assert {p.url for p in pages("huggingface")} == hf
    assert [p.url for p in pages("cloudflare-workers-ai")] == sources.get("cloudflare-workers-ai").start_urls


# (source, entity, model_id, provider_id, provider_model_id, variant, field, value)
KEY_FACTS = [
    ("cloudflare-workers-ai", "offer", LLAMA_1B, "cloudflare-workers-ai", "@cf/meta/llama-3.2-1b-instruct", "", "input_usd_per_mtok", "0.027"),
    ("cloudflare-workers-ai", "offer", LLAMA_1B, "cloudflare-workers-ai", "@cf/meta/llama-3.2-1b-instruct", "", "output_usd_per_mtok", "0.201"),
    ("huggingface", "model", LLAMA_1B, None, None, "", "parameters_total", "1235814400"),
    ("huggingface", "model", LLAMA_1B, None, None, "", "context_window", "131072"),
    ("huggingface", "model", LLAMA_1B, None, None, "", "license", "Llama 3.2 Community License"),
    ("huggingface", "model", LLAMA_1B, None, None, "", "release_date", "2024-09-25"),
    ("huggingface", "model", LLAMA_1B, None, None, "", "knowledge_cutoff", "2023-12"),
    ("huggingface", "model", LLAMA_1B, None, None, "", "parameters_label", "1.23B"),
    ("huggingface", "model", LLAMA_1B, None, None, "", "architecture", "decoder only"),
    ("huggingface", "model", LLAMA_1B, None, None, "", "open_weights", "true"),
    ("huggingface", "model", "meta/llama-3.2-1b", None, None, "", "parameters_total", "1235814400"),
    ("huggingface", "model", "meta/llama-3.2-3b-instruct", None, None, "", "parameters_total", "3212749824"),
    ("openrouter", "offer", "openai/o3-mini", "openrouter", "openai/o3-mini", "", "input_usd_per_mtok", "1.1"),
    ("openrouter", "offer", "openai/o3-mini", "openrouter", "openai/o3-mini", "", "output_usd_per_mtok", "4.4"),
    ("openrouter", "offer", "openai/o3-mini", "openrouter", "openai/o3-mini", "", "context_window", "200000"),
    ("openrouter", "offer", "openai/o3-mini", "openrouter", "openai/o3-mini", "azure", "input_usd_per_mtok", "1.1"),
    ("openrouter", "offer", "openai/o3-mini", "openrouter", "openai/o3-mini", "openai", "output_usd_per_mtok", "4.4"),
    ("openrouter", "model", "openai/o3-mini", None, None, "", "release_date", "2025-01-31"),
    ("openrouter", "model", "openai/o3-mini", None, None, "", "supports_reasoning", "true"),
    ("openrouter", "offer", LLAMA_1B, "openrouter", "meta-llama/llama-3.2-1b-instruct", "cloudflare", "input_usd_per_mtok", "0.027"),
    ("openrouter", "offer", "openai/gpt-4.1-mini", "openrouter", "openai/gpt-4.1-mini", "", "context_window", "1047576"),
    ("openrouter", "offer", "openai/gpt-4.1-mini", "openrouter", "openai/gpt-4.1-mini", "", "max_output_tokens", "32768"),
    ("openrouter", "offer", "openai/gpt-5.3-codex", "openrouter", "openai/gpt-5.3-codex", "", "output_usd_per_mtok", "14"),
    ("openrouter", "model", "openai/gpt-5.3-codex", None, None, "", "release_date", "2026-02-05"),
    ("openrouter", "offer", "meta/llama-3.2-3b-instruct", "openrouter", "meta-llama/llama-3.2-3b-instruct", "deepinfra", "input_usd_per_mtok", "0.01"),
]


@pytest.mark.parametrize("fact", KEY_FACTS, ids=lambda f: f"{f[0]}:{f[2]}[{f[5]}].{f[6]}")
def test_key_fact(fact):
    source_id, entity, model_id, provider_id, pmid, variant, field, value = fact
    found = [o for o in merged(source_id).observations
             if (o.entity, o.model_id, o.provider_id, o.provider_model_id, o.variant, o.field)
             == (entity, model_id, provider_id, pmid, variant, field)]
    # one per page that states it (the Hub API and the card both state the license)
    assert found and {(o.status, o.value) for o in found} == {("known", value)}, found


def test_no_route_is_cheaper_than_cloudflare_for_llama_1b():
    """The comparison pages name Cloudflare Workers AI as the cheapest route (0.027 in, 0.201 out)."""
    for source_id in SOURCES:
        for o in merged(source_id).observations:
            if o.model_id == LLAMA_1B and o.entity == "offer" and o.status == "known":
                if o.field == "input_usd_per_mtok":
                    assert Decimal(o.value) >= Decimal("0.027"), o
                elif o.field == "output_usd_per_mtok":
                    assert Decimal(o.value) >= Decimal("0.201"), o


def test_deliberate_skips_are_counted_with_reasons():
    orr = [p.message for p in merged("openrouter").problems if p.severity == "skip"]
    assert any("openrouter/auto" in m and "dynamic pricing" in m for m in orr)
    assert any("no 'completion' price" in m for m in orr)
    assert not [o for o in merged("openrouter").observations if o.model_id == "openrouter/auto"]
    cf = [p.message for p in merged("cloudflare-workers-ai").problems if p.severity == "skip"]
    assert any("bge-m3" in m for m in cf) and any("flux-1-schnell" in m for m in cf)
