"""The raw archive: every fetched response is stored before anything parses it.

Layout (the recorded crawl under spiders/recorded/ has the same shape)::

    <root>/<crawl_id>/crawl.json                  crawl id, start time, mode, seal (written last)
    <root>/<crawl_id>/<source_id>/fetch.json      fetch outcome: ok/failed, errors, page count
    <root>/<crawl_id>/<source_id>/pages.jsonl     one RawPage per line (url, status, headers, fetched_at, sha256, body_file)
    <root>/<crawl_id>/<source_id>/bodies/NNNN-<name>   the bytes, as received

Each source of a crawl writes only its own folder, so crawls of several sources can run in
parallel processes. This module reads the archive; the writing side is spiders/writer.py.
"""
from __future__ import annotations

import hashlib
import re
import shutil
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Iterator, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline.errors import ArchiveError
from pipeline.models import RawPage

FetchStatus = Literal["ok", "failed"]
_M = TypeVar("_M", bound=BaseModel)


class SourceSeal(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pages_sha256: str  # of pages.jsonl (each line carries its body's sha256)
    fetch_sha256: str  # of fetch.json


class CrawlInfo(BaseModel):
    """crawl.json: written last, when every source of the crawl has finished (a crawl folder
    without it is unfinished: a run killed mid-fetch, never loaded). ``sources`` seals the
    crawl: the sha256 of each source's pages.jsonl and fetch.json, so a deleted or edited
    source is noticed (bodies are covered through their sha256 in pages.jsonl)."""

    model_config = ConfigDict(extra="forbid")
    crawl_id: str
    started_at: datetime
    mode: Literal["live", "recorded", "test"] = "live"
    sources: dict[str, SourceSeal] | None = None


class FetchInfo(BaseModel):
    """How the fetch of one source went (HTTP level; parsing decides the rest)."""

    model_config = ConfigDict(extra="forbid")
    source_id: str
    started_at: datetime
    finished_at: datetime | None = None
    status: FetchStatus = "ok"
    errors: list[str] = Field(default_factory=list)
    pages: int = 0


@dataclass(frozen=True)
class Damage:
    """One problem of the stored archive, naming the file."""

    crawl_id: str
    path: Path
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def new_crawl_id(at: datetime | None = None) -> str:
    at = at or datetime.now(UTC)
    return at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _read_model(model: type[_M], path: Path) -> _M:
    """Read a JSON file of the archive; any problem is an ArchiveError naming the file."""
    try:
        return model.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        raise ArchiveError(f"{path}: missing") from None
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(x) for x in first.get("loc", ())) or "(document)"
        raise ArchiveError(f"{path}: not a valid {model.__name__} ({where}: {first['msg']})") from None
    except OSError as e:
        raise ArchiveError(f"{path}: unreadable ({e.strerror or e})") from None


class RawArchive:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def crawl_dir(self, crawl_id: str) -> Path:
        return self.root / crawl_id

    def claim_crawl(self) -> tuple[str, datetime]:
        """A new crawl id whose folder this call creates (two runs in the same second get
        different ids). Only the folder: ``publish_crawl`` writes crawl.json once every source
        has finished, so a load running meanwhile, or after a kill, never sees a half-fetched crawl."""
        self.root.mkdir(parents=True, exist_ok=True)
        while True:
            started = datetime.now(UTC)
            crawl_id = new_crawl_id(started)
            try:
                (self.root / crawl_id).mkdir()
                return crawl_id, started
            except FileExistsError:
                time.sleep(1.05 - started.microsecond / 1e6)

    def publish_crawl(self, crawl_id: str, started_at: datetime, mode: str = "live") -> CrawlInfo:
        """Write crawl.json (atomically), sealing the source folders the crawl holds now."""
        folder = self.crawl_dir(crawl_id)
        folder.mkdir(parents=True, exist_ok=True)
        sealed = {f.parent.name: _seal(f.parent) for f in sorted(folder.glob("*/fetch.json"))}
        info = CrawlInfo(crawl_id=crawl_id, started_at=started_at, mode=mode, sources=sealed)  # type: ignore[arg-type]
        tmp = folder / "crawl.json.tmp"
        tmp.write_text(info.model_dump_json(indent=2))
        tmp.replace(folder / "crawl.json")
        return info

    def crawls(self) -> list[CrawlInfo]:
        """Every published crawl, oldest first (an invalid crawl.json is an ArchiveError)."""
        crawls, damage = self.scan()
        if damage:
            raise ArchiveError(str(damage[0]))
        return crawls

    def scan(self) -> tuple[list[CrawlInfo], list[Damage]]:
        """Every published crawl, oldest first, and the crawl.json files that cannot be read."""
        out, damage = [], []
        if self.root.is_dir():
            for f in sorted(self.root.glob("*/crawl.json")):
                try:
                    out.append(_read_model(CrawlInfo, f))
                except ArchiveError as e:
                    damage.append(Damage(f.parent.name, f, str(e).partition(": ")[2]))
        return sorted(out, key=lambda c: (c.started_at, c.crawl_id)), damage

    def unfinished(self) -> list[Path]:
        """Crawl folders without crawl.json: a crawl still running, or killed before it finished."""
        if not self.root.is_dir():
            return []
        return sorted(d for d in self.root.iterdir()
                      if d.is_dir() and not d.name.startswith(".") and not (d / "crawl.json").exists())

    def fetches(self, crawl_id: str) -> list[FetchInfo]:
        return sorted((_read_model(FetchInfo, f) for f in self.crawl_dir(crawl_id).glob("*/fetch.json")),
                      key=lambda f: f.source_id)

    def pages(self, crawl_id: str, source_id: str) -> Iterator[RawPage]:
        """The stored pages of one source; a line that is not a RawPage, names another source,
        or points its body outside the source's folder is an ArchiveError naming the file."""
        folder = self.crawl_dir(crawl_id) / source_id
        path = folder / "pages.jsonl"
        if not path.exists():
            return
        with open(path, encoding="utf-8", errors="replace") as fh:
            for n, line in enumerate(fh, 1):
                if line.strip():
                    yield _page(line, path, n, folder, source_id)

    def verify_crawl(self, crawl_id: str, folder: Path | None = None) -> list[Damage]:
        """Every problem of one stored crawl: crawl.json, the seal, each fetch.json and its page
        count, each pages.jsonl line, each body against its sha256. Reads every body."""
        folder = folder or self.crawl_dir(crawl_id)
        damage: list[Damage] = []

        def bad(path: Path, message: str) -> None:
            damage.append(Damage(crawl_id, path, message))

        try:
            info = _read_model(CrawlInfo, folder / "crawl.json")
        except ArchiveError as e:
            return [Damage(crawl_id, folder / "crawl.json", str(e).split(": ", 1)[1])]
        if info.crawl_id != crawl_id:
            bad(folder / "crawl.json", f"names crawl {info.crawl_id!r}, not its folder {crawl_id!r}")
        present = {f.parent.name for f in folder.glob("*/pages.jsonl")} | {f.parent.name for f in folder.glob("*/fetch.json")}
        for source_id in sorted(set(info.sources or {}) - present):
            bad(folder / source_id, "source folder sealed in crawl.json is missing")
        for source_id in sorted(present):
            sfolder = folder / source_id
            fetch_ok = False
            try:
                fetch = _read_model(FetchInfo, sfolder / "fetch.json")
                fetch_ok = True
                if fetch.source_id != source_id:
                    bad(sfolder / "fetch.json", f"names source {fetch.source_id!r}, not its folder {source_id!r}")
            except ArchiveError as e:
                bad(sfolder / "fetch.json", str(e).split(": ", 1)[1])
            pages_file = sfolder / "pages.jsonl"
            lines = _verify_bodies(crawl_id, sfolder, damage)
            # a finished fetch states how many pages it stored (a killed one's count is stale)
            if fetch_ok and fetch.finished_at is not None and fetch.pages != lines:
                bad(pages_file, f"holds {lines} page(s) where fetch.json says {fetch.pages}"
                    + (" (pages.jsonl is missing)" if not pages_file.exists() else ""))
            if info.sources is not None:
                sealed = info.sources.get(source_id)
                if sealed is None:
                    bad(sfolder, "source folder is not sealed in crawl.json (added after the crawl was published)")
                else:
                    for path, want in ((pages_file, sealed.pages_sha256), (sfolder / "fetch.json", sealed.fetch_sha256)):
                        if path.exists() and _sha256_file(path) != want:
                            bad(path, "does not match the sha256 sealed in crawl.json (edited after the crawl)")
        return damage

    def import_crawl(self, src: Path) -> tuple[CrawlInfo, bool]:
        """Copy a crawl folder (a recorded crawl) into the archive; False if it was already there."""
        info = _read_model(CrawlInfo, src / "crawl.json")
        dest = self.crawl_dir(info.crawl_id)
        if (dest / "crawl.json").exists():
            return info, False
        tmp = self.root / f".{info.crawl_id}.importing"
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(src, tmp)
        if info.sources is None:  # seal what was verified on import, so later damage is noticed
            if not self.verify_crawl(info.crawl_id, folder=tmp):
                sealed = {f.parent.name: _seal(f.parent) for f in sorted(tmp.glob("*/fetch.json"))}
                info = info.model_copy(update={"sources": sealed})
                (tmp / "crawl.json").write_text(info.model_dump_json(indent=2))
        tmp.rename(dest)
        return info, True


def _seal(folder: Path) -> SourceSeal:
    pages = folder / "pages.jsonl"
    empty = hashlib.sha256(b"").hexdigest()
    return SourceSeal(pages_sha256=_sha256_file(pages) if pages.exists() else empty,
                      fetch_sha256=_sha256_file(folder / "fetch.json"))


def _verify_bodies(crawl_id: str, folder: Path, damage: list[Damage]) -> int:
    """Each pages.jsonl line of a source folder against its body's sha256 (problems appended to
    ``damage``); returns the number of pages."""
    pages_file = folder / "pages.jsonl"
    if not pages_file.exists():
        return 0
    count = 0
    seen: dict[str, int] = {}
    try:
        with open(pages_file, encoding="utf-8", errors="replace") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                count += 1
                page = _page(line, pages_file, n, folder, folder.name)
                if page.body_file in seen:  # the writer gives every response a body file of its own
                    damage.append(Damage(crawl_id, pages_file, f"line {n} repeats line {seen[page.body_file]} "
                                                               f"(body_file {page.body_file})"))
                seen.setdefault(page.body_file, n)
                body = folder / page.body_file
                if not _HEX64.match(page.sha256):
                    damage.append(Damage(crawl_id, pages_file, f"line {n}: sha256 {page.sha256!r} of {page.url} is not a sha256"))
                elif not body.is_file():
                    damage.append(Damage(crawl_id, body, f"body of {page.url} is missing"))
                elif _sha256_file(body) != page.sha256:
                    damage.append(Damage(crawl_id, body, f"body of {page.url} does not match its sha256"))
    except ArchiveError as e:
        path, _, message = str(e).partition(": ")
        damage.append(Damage(crawl_id, Path(path), message))
    return count


def verify(folder: Path) -> list[str]:
    """Problems of one source folder: invalid lines, bodies missing or not matching their sha256."""
    damage: list[Damage] = []
    _verify_bodies(folder.parent.name, folder, damage)
    return [str(d) for d in damage]


def _page(line: str, path: Path, n: int, folder: Path, source_id: str) -> RawPage:
    try:
        page = RawPage.model_validate_json(line)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(x) for x in first.get("loc", ())) or "(line)"
        raise ArchiveError(f"{path}: line {n} is not a stored page ({where}: {first['msg']})") from None
    if page.source_id != source_id:
        raise ArchiveError(f"{path}: line {n} names source {page.source_id!r}, not its folder {source_id!r}")
    # A body_file resolves inside the source's folder: `../` or an absolute path would make a
    # rebuild read any file of the machine into the warehouse.
    body = (folder / page.body_file).resolve()
    if not body.is_relative_to(folder.resolve()) or Path(page.body_file).is_absolute():
        raise ArchiveError(f"{path}: line {n}: body_file {page.body_file!r} points outside {folder}")
    return page.model_copy(update={"base_dir": folder})


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
    crawl_file = folder.parent / "crawl.json"
    if crawl_file.exists():  # a sealed crawl: seal the edited source again
        info = _read_model(CrawlInfo, crawl_file)
        if info.sources is not None:
            RawArchive(folder.parent.parent).publish_crawl(info.crawl_id, info.started_at, info.mode)
    return len(out)


if __name__ == "__main__":  # python -m pipeline.raw reseal FOLDER...
    if len(sys.argv) < 3 or sys.argv[1] != "reseal":
        sys.exit("usage: python -m pipeline.raw reseal SOURCE_FOLDER...")
    for arg in sys.argv[2:]:
        print(f"{arg}: {reseal(Path(arg))} pages resealed")
