"""The writing side of the raw archive (pipeline/raw.py reads it): the pages of one source in
one crawl, written as they arrive, with fetch.json saying how the fetch went."""
from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from pipeline.models import RawPage
from pipeline.raw import FetchInfo, FetchStatus

# The last error of a fetch.json written before finish(): a crawl killed (kill -9) mid-fetch
# leaves a failed status and this line, never an "ok" a reader could take for a whole fetch.
UNFINISHED = "fetch did not finish (no finished_at)"


def _safe_name(url: str, limit: int = 80) -> str:
    parts = urlsplit(url)
    name = (parts.path.strip("/") or "index").replace("/", "_")
    if parts.query:
        name += "_" + parts.query
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "page"
    return name[-limit:]


class SourceCrawlWriter:
    """Writes the pages of one source in one crawl. Used by the spiders' pipeline.

    fetch.json is rewritten (atomically) at the start, on every error and at ``finish()``.
    Until ``finish()`` it says status "failed", no ``finished_at``, and ``UNFINISHED`` as its
    last error; ``self.info`` holds the real state meanwhile.
    """

    def __init__(self, folder: Path, source_id: str) -> None:
        self.folder = folder
        self.source_id = source_id
        (folder / "bodies").mkdir(parents=True, exist_ok=True)
        self.info = FetchInfo(source_id=source_id, started_at=datetime.now(UTC))
        self._pages = open(folder / "pages.jsonl", "a", encoding="utf-8")
        self._write_info()

    def add(
        self,
        url: str,
        status: int,
        headers: dict[str, str],
        body: bytes,
        fetched_at: datetime | None = None,
    ) -> RawPage:
        self.info.pages += 1
        body_file = f"bodies/{self.info.pages:04d}-{_safe_name(url)}"
        (self.folder / body_file).write_bytes(body)
        page = RawPage(
            source_id=self.source_id,
            url=url,
            status=status,
            headers=headers,
            fetched_at=fetched_at or datetime.now(UTC),
            sha256=hashlib.sha256(body).hexdigest(),
            body_file=body_file,
            base_dir=self.folder,
        )
        self._pages.write(page.model_dump_json() + "\n")
        self._pages.flush()
        return page

    def error(self, message: str) -> None:
        self.info.errors.append(message)
        self._write_info()  # a crawl killed later still leaves its errors on disk

    def finish(self, status: FetchStatus | None = None) -> FetchInfo:
        self._pages.close()
        self.info.finished_at = datetime.now(UTC)
        if status is not None:
            self.info.status = status
        elif self.info.pages == 0:
            self.info.status = "failed"
            if not self.info.errors:
                self.info.errors.append("no page was fetched")
        self._write_info()
        return self.info

    def _write_info(self) -> None:
        info = self.info
        if info.finished_at is None:
            info = info.model_copy(update={"status": "failed", "errors": [*info.errors, UNFINISHED]})
        tmp = self.folder / "fetch.json.tmp"
        tmp.write_text(info.model_dump_json(indent=2))
        tmp.replace(self.folder / "fetch.json")


def source_writer(archive_root: Path, crawl_id: str, source_id: str) -> SourceCrawlWriter:
    """The writer of ``source_id`` in crawl ``crawl_id`` of the archive at ``archive_root``."""
    folder = Path(archive_root) / crawl_id / source_id
    if (folder / "pages.jsonl").exists():
        raise FileExistsError(f"crawl {crawl_id} already holds pages of source {source_id}: {folder}")
    return SourceCrawlWriter(folder, source_id)
