"""A bot challenge or a script-only shell is never parsed as data: parse_page names it, and the
source keeps what it said last time (the page is unusable, an error of the source)."""
from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.config import load_sources
from pipeline.models import RawPage
from pipeline.parse import challenge, parse_page

CF_CHALLENGE = (b"<!DOCTYPE html><html lang=\"en-US\"><head><title>Just a moment...</title></head><body>"
                b"<script src=\"/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1\"></script></body></html>")
SHELL = (b"<!doctype html><html><head><title>Pricing</title></head><body><div id=\"root\"></div>"
         b"<noscript>You need to enable JavaScript to run this app.</noscript></body></html>")


def page(tmp_path: Path, body: bytes, status: int = 200, ctype: str = "text/html", **headers: str) -> RawPage:
    (tmp_path / "body").write_bytes(body)
    return RawPage(source_id="cloudflare-workers-ai", url="https://developers.cloudflare.com/workers-ai/platform/pricing/",
                   status=status, headers={"Content-Type": ctype, **headers}, fetched_at=datetime(2026, 6, 4, tzinfo=UTC),
                   sha256=hashlib.sha256(body).hexdigest(), body_file="body", base_dir=tmp_path)


@pytest.mark.parametrize("status", [200, 403, 503])
def test_a_cloudflare_challenge_is_named_and_not_parsed(tmp_path, status):
    result = parse_page(page(tmp_path, CF_CHALLENGE, status), load_sources().get("cloudflare-workers-ai"))
    (problem,) = result.problems
    assert problem.severity == "error" and "bot challenge" in problem.message
    assert problem.url.endswith("/pricing/") and result.observations == [] and result.failed_pages


def test_the_challenge_header_alone_is_enough(tmp_path):
    assert "bot challenge" in challenge(page(tmp_path, b"<html><body>wait</body></html>", 403, **{"cf-mitigated": "challenge"}))


def test_a_script_only_shell_needs_javascript(tmp_path):
    result = parse_page(page(tmp_path, SHELL), load_sources().get("cloudflare-workers-ai"))
    assert ["needs JavaScript" in p.message for p in result.problems] == [True]


def test_a_server_rendered_page_with_the_same_noscript_line_is_read(tmp_path):
    rows = "".join(f"<p>paragraph {i} with some words of real content in it</p>" for i in range(40))
    body = SHELL.replace(b"</body>", rows.encode() + b"</body>")
    assert challenge(page(tmp_path, body)) is None


def test_json_and_markdown_are_never_taken_for_a_challenge(tmp_path):
    assert challenge(page(tmp_path, b'{"note": "Just a moment... challenge-platform"}', ctype="application/json")) is None
    assert challenge(page(tmp_path, b"# Pricing\n\nEnable JavaScript and cookies to continue", ctype="text/markdown")) is None
