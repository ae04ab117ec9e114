"""Build crawls for tests from the bundled recorded crawl: copy, re-date, damage pages."""
from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

from pipeline.raw import RawPage, reseal

REPO = Path(__file__).resolve().parents[1]
RECORDED = REPO / "spiders" / "recorded"


def newest_recorded() -> Path:
    """The newest bundled recorded crawl (the one carrying every source)."""
    return sorted(p for p in RECORDED.iterdir() if (p / "crawl.json").exists())[-1]


def copy_crawl(src: Path, archive_root: Path, crawl_id: str, started_at: datetime,
               sources: list[str] | None = None) -> Path:
    """A copy of a recorded crawl under a new id and start time (optionally only some sources)."""
    dest = archive_root / crawl_id
    dest.mkdir(parents=True)
    for folder in src.iterdir():
        if folder.is_dir() and (sources is None or folder.name in sources):
            shutil.copytree(folder, dest / folder.name)
    (dest / "crawl.json").write_text(json.dumps(
        {"crawl_id": crawl_id, "started_at": started_at.isoformat(), "mode": "test"}))
    return dest


def page_body(source_folder: Path, url_contains: str) -> Path:
    for line in (source_folder / "pages.jsonl").read_text().splitlines():
        page = RawPage.model_validate_json(line)
        if url_contains in page.url:
            return source_folder / page.body_file
    raise KeyError(f"no page with {url_contains!r} in {source_folder}")


def replace_body(source_folder: Path, url_contains: str, new: bytes | None = None, *,
                 old: str | None = None, to: str | None = None, status: int | None = None) -> None:
    """Change one stored page (whole body, a substring, or its HTTP status) and reseal the index."""
    body = page_body(source_folder, url_contains)
    if new is not None:
        body.write_bytes(new)
    if old is not None:
        text = body.read_text()
        assert old in text, f"{old!r} not in {body}"
        body.write_text(text.replace(old, to or ""))
    if status is not None:
        lines = []
        for line in (source_folder / "pages.jsonl").read_text().splitlines():
            page = RawPage.model_validate_json(line)
            if url_contains in page.url:
                page = page.model_copy(update={"status": status})
            lines.append(page.model_dump_json())
        (source_folder / "pages.jsonl").write_text("\n".join(lines) + "\n")
    reseal(source_folder)
