"""The raw archive: every fetched response is stored before anything parses it.

Layout (the recorded crawl under spiders/recorded/ has the same shape)::

    <root>/<crawl_id>/crawl.json                  crawl id, start time, mode
    <root>/<crawl_id>/<source_id>/fetch.json      fetch outcome: ok/failed, errors, page count
    <root>/<crawl_id>/<source_id>/pages.jsonl     one RawPage per line (url, status, headers, fetched_at, sha256, body_file)
    <root>/<crawl_id>/<source_id>/bodies/NNNN-<name>   the bytes, as received

Each source of a crawl writes only its own folder, so crawls of several sources can run in
parallel processes. This module reads the archive; the writing side is spiders/writer.py.
"""
from __future__ import annotations

import hashlib
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Iterator, Literal

from pydantic import BaseModel, ConfigDict, Field

from pipeline.models import RawPage

FetchStatus = Literal["ok", "failed"]


class CrawlInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")
    crawl_id: str
    started_at: datetime
    mode: Literal["live", "recorded", "test"] = "live"


class FetchInfo(BaseModel):
    """How the fetch of one source went (HTTP level; parsing decides the rest)."""

    model_config = ConfigDict(extra="forbid")
    source_id: str
    started_at: datetime
    finished_at: datetime | None = None
    status: FetchStatus = "ok"
    errors: list[str] = Field(default_factory=list)
    pages: int = 0


def new_crawl_id(at: datetime | None = None) -> str:
    at = at or datetime.now(UTC)
    return at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


class RawArchive:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def crawl_dir(self, crawl_id: str) -> Path:
        return self.root / crawl_id

    def start_crawl(self, crawl_id: str, started_at: datetime, mode: str = "live") -> CrawlInfo:
        folder = self.crawl_dir(crawl_id)
        folder.mkdir(parents=True, exist_ok=True)
        info = CrawlInfo(crawl_id=crawl_id, started_at=started_at, mode=mode)  # type: ignore[arg-type]
        (folder / "crawl.json").write_text(info.model_dump_json(indent=2))
        return info

    def crawls(self) -> list[CrawlInfo]:
        """Every stored crawl, oldest first."""
        out = []
        if self.root.is_dir():
            for f in self.root.glob("*/crawl.json"):
                out.append(CrawlInfo.model_validate_json(f.read_text()))
        return sorted(out, key=lambda c: (c.started_at, c.crawl_id))

    def crawl(self, crawl_id: str) -> CrawlInfo:
        f = self.crawl_dir(crawl_id) / "crawl.json"
        if not f.exists():
            raise FileNotFoundError(f"no crawl {crawl_id} in {self.root}")
        return CrawlInfo.model_validate_json(f.read_text())

    def fetches(self, crawl_id: str) -> list[FetchInfo]:
        return sorted(
            (FetchInfo.model_validate_json(f.read_text()) for f in self.crawl_dir(crawl_id).glob("*/fetch.json")),
            key=lambda f: f.source_id,
        )

    def pages(self, crawl_id: str, source_id: str) -> Iterator[RawPage]:
        folder = self.crawl_dir(crawl_id) / source_id
        path = folder / "pages.jsonl"
        if not path.exists():
            return
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    yield RawPage.model_validate_json(line).model_copy(update={"base_dir": folder})

    def import_crawl(self, src: Path) -> tuple[CrawlInfo, bool]:
        """Copy a crawl folder (a recorded crawl) into the archive; False if it was already there."""
        info = CrawlInfo.model_validate_json((src / "crawl.json").read_text())
        dest = self.crawl_dir(info.crawl_id)
        if (dest / "crawl.json").exists():
            return info, False
        tmp = self.root / f".{info.crawl_id}.importing"
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(src, tmp)
        tmp.rename(dest)
        return info, True


def verify(folder: Path) -> list[str]:
    """Problems with a source folder: bodies missing or not matching their sha256."""
    problems = []
    for line in (folder / "pages.jsonl").read_text().splitlines():
        if not line.strip():
            continue
        page = RawPage.model_validate_json(line)
        body = folder / page.body_file
        if not body.exists():
            problems.append(f"{page.url}: body {page.body_file} is missing")
        elif hashlib.sha256(body.read_bytes()).hexdigest() != page.sha256:
            problems.append(f"{page.url}: body {page.body_file} does not match its sha256")
    return problems


def reseal(folder: Path) -> int:
    """Recompute sha256 (and Content-Length) of a hand-edited recorded source folder."""
    lines = (folder / "pages.jsonl").read_text().splitlines()
    out = []
    for line in lines:
        if not line.strip():
            continue
        page = RawPage.model_validate_json(line)
        body = (folder / page.body_file).read_bytes()
        headers = dict(page.headers)
        if "Content-Length" in headers:
            headers["Content-Length"] = str(len(body))
        page = page.model_copy(update={"sha256": hashlib.sha256(body).hexdigest(), "headers": headers})
        out.append(page.model_dump_json())
    (folder / "pages.jsonl").write_text("\n".join(out) + "\n")
    return len(out)


if __name__ == "__main__":  # python -m pipeline.raw reseal FOLDER...
    if len(sys.argv) < 3 or sys.argv[1] != "reseal":
        sys.exit("usage: python -m pipeline.raw reseal SOURCE_FOLDER...")
    for arg in sys.argv[2:]:
        print(f"{arg}: {reseal(Path(arg))} pages resealed")
