"""Each parser over the real copies of its pages (../shared/real/pages/<source>/): items, errors and
skips per copy, as the spider would have stored it. Prints a table; --json prints one JSON object.

    .venv/bin/python bench/real_pages.py [--json]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from pipeline.config import load_sources
from pipeline.models import RawPage
from pipeline.parse import parse_page

REAL_PAGES = Path(__import__("os").environ.get("LLM_LEDGER_REAL", Path(__file__).resolve().parents[2] / "shared" / "real")) / "pages"
MD, JSON_, CSV = "text/markdown; charset=utf-8", "application/json", "text/csv"
HF = "https://huggingface.co/meta-llama"
# (source, file, the URL the spider fetches it at, content type)
COPIES = [
    ("anthropic", "models-overview.md", "https://platform.claude.com/docs/en/about-claude/models/overview.md", MD),
    ("anthropic", "pricing.md", "https://platform.claude.com/docs/en/about-claude/pricing.md", MD),
    ("bfcl", "data_overall.csv", "https://gorilla.cs.berkeley.edu/data_overall.csv", CSV),
    ("cloudflare-workers-ai", "pricing.mdx", "https://developers.cloudflare.com/workers-ai/platform/pricing/index.md", MD),
    ("deepinfra", "models-list-entry-2026-05-12.json", "https://api.deepinfra.com/models/list", JSON_),
    ("google-gemini", "pricing-rendered-2026-06-02.md", "https://ai.google.dev/gemini-api/docs/pricing.md.txt", MD),
    ("huggingface", "Llama-3.2-1B-Instruct-README-2024-09.md", f"{HF}/Llama-3.2-1B-Instruct/raw/main/README.md", MD),
    ("huggingface", "Llama-3.2-1B-README-2025-11.md", f"{HF}/Llama-3.2-1B/raw/main/README.md", MD),
    # Meta publishes one card text for both repos: the current layout as the instruct repo reads it
    ("huggingface", "Llama-3.2-1B-README-2025-11.md", f"{HF}/Llama-3.2-1B-Instruct/raw/main/README.md", MD),
    ("huggingface", "Llama-3.2-1B-Instruct-config.json", f"{HF}/Llama-3.2-1B-Instruct/raw/main/config.json", JSON_),
    ("huggingface", "Llama-3.2-1B-config.json", f"{HF}/Llama-3.2-1B/raw/main/config.json", JSON_),
    ("huggingface", "api-models-meta-llama-Llama-3.2-3B.json", "https://huggingface.co/api/models/meta-llama/Llama-3.2-3B", JSON_),
    ("openai", "pricing-rendered-2026-05-08.md", "https://developers.openai.com/api/docs/pricing.md", MD),
    ("openrouter", "endpoints-moonshotai-kimi-k3-2026-08-25.json",
     "https://openrouter.ai/api/v1/models/moonshotai/kimi-k3/endpoints", JSON_),
]


def measure() -> list[dict[str, object]]:
    registry = load_sources()
    rows = []
    for source_id, name, url, ctype in COPIES:
        path = REAL_PAGES / source_id / name
        if not path.exists():
            rows.append({"source": source_id, "file": name, "absent": True})
            continue
        page = RawPage(source_id=source_id, url=url, status=200, headers={"Content-Type": ctype},
                       fetched_at=datetime.now(UTC), sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
                       body_file=path.name, base_dir=path.parent)
        result = parse_page(page, registry.get(source_id))
        sev = Counter(p.severity for p in result.problems)
        rows.append({"source": source_id, "file": name, "items": result.items, "observations": len(result.observations),
                     "errors": sev["error"], "skips": sev["skip"],
                     "first_error": next((p.message for p in result.problems if p.severity == "error"), None)})
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if not REAL_PAGES.is_dir():
        print(f"{REAL_PAGES} is absent: nothing to measure", file=sys.stderr)
        return 1
    rows = measure()
    if args.json:
        print(json.dumps(rows))
        return 0
    print(f"{'source':22} {'file':46} {'items':>5} {'obs':>5} {'err':>4} {'skip':>5}  first error")
    for r in rows:
        if r.get("absent"):
            print(f"{r['source']:22} {r['file']:46} absent")
            continue
        err = (r["first_error"] or "")[:110]
        print(f"{r['source']:22} {r['file']:46} {r['items']:>5} {r['observations']:>5} {r['errors']:>4} {r['skips']:>5}  {err}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
