"""Run crawls in subprocesses (``python -m spiders.crawl``), one per source.

Plain functions the pipeline calls; this module imports no Scrapy. Each crawl runs in its own
process because Twisted's reactor cannot be restarted, and so that a source that hangs or
crashes is killed or reported without touching the others.

The child writes ``<archive>/<crawl_id>/<source_id>/fetch.json``; when it cannot (it was killed
on timeout, or crashed) the runner writes a failed ``FetchInfo`` itself, with the reason.
Writing ``crawl.json`` (``RawArchive.publish_crawl``, once every source has finished) is the caller's business.
"""
from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.config import SourceConfig
from pipeline.raw import FetchInfo
from pipeline.resources import IMPORT_ROOT
from spiders.writer import UNFINISHED

TERM_GRACE_S = 2.0  # on timeout: how long the child may take to stop after each SIGTERM
STDERR_TAIL = 15  # stderr lines kept for the error of a crashed child

logger = logging.getLogger("llm_ledger.crawl")

_LEVEL = re.compile(r"\] (DEBUG|INFO|WARNING|ERROR|CRITICAL): ")


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    path = env.get("PYTHONPATH")
    env["PYTHONPATH"] = str(IMPORT_ROOT) + (os.pathsep + path if path else "")
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def _setting_arg(key: str, value: Any) -> str:
    if isinstance(value, (dict, list)):
        value = json.dumps(value)
    return f"{key}={value}"


def _line_sink(source_id: str, on_line: Callable[[str], None] | None) -> Callable[[str], None]:
    if on_line is not None:
        return on_line
    log = logging.getLogger(f"llm_ledger.crawl.{source_id}")

    def emit(line: str) -> None:
        m = _LEVEL.search(line)
        log.log(getattr(logging, m.group(1)) if m else logging.INFO, "%s", line)

    return emit


def _count_pages(folder: Path) -> int:
    try:
        with open(folder / "pages.jsonl", encoding="utf-8") as fh:
            return sum(1 for line in fh if line.strip())
    except FileNotFoundError:
        return 0


def _read_fetch(folder: Path) -> FetchInfo | None:
    try:
        return FetchInfo.model_validate_json((folder / "fetch.json").read_text())
    except (FileNotFoundError, ValueError):
        return None


def _write_fetch(folder: Path, info: FetchInfo) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / "fetch.json.tmp"
    tmp.write_text(info.model_dump_json(indent=2))
    tmp.replace(folder / "fetch.json")


def _known_errors(info: FetchInfo) -> list[str]:
    """The errors of an unfinished fetch.json without the writer's "did not finish" marker
    (the runner finishes it with the reason it knows)."""
    return [e for e in info.errors if e != UNFINISHED]


def _stop(proc: subprocess.Popen[str]) -> None:
    """Stop a child that ran out of time, giving it the chance to write fetch.json.

    First SIGTERM: Scrapy closes the spider gracefully, but waits for downloads in flight (up
    to DOWNLOAD_TIMEOUT). Second SIGTERM: Scrapy stops its reactor at once and the child still
    writes fetch.json. Last resort: SIGKILL.
    """
    def send(sig: int) -> None:
        try:
            if os.name == "posix":
                os.killpg(proc.pid, sig)  # the child's own session (start_new_session=True)
            elif sig == signal.SIGTERM:
                proc.terminate()
            else:
                proc.kill()
        except ProcessLookupError:
            pass

    for _ in range(2):
        send(signal.SIGTERM)
        try:
            proc.wait(TERM_GRACE_S)
            return
        except subprocess.TimeoutExpired:
            pass
    send(signal.SIGKILL if os.name == "posix" else signal.SIGTERM)
    proc.wait()


def crawl_source(
    source: SourceConfig,
    archive_root: Path,
    crawl_id: str,
    *,
    timeout_s: float = 600,
    settings: Mapping[str, Any] | None = None,
    on_line: Callable[[str], None] | None = None,
) -> FetchInfo:
    """Crawl one source in a subprocess; return its FetchInfo (also in fetch.json).

    ``settings`` overrides Scrapy settings (spiders/settings.py). ``on_line`` receives each
    stderr line of the child (default: the logger ``llm_ledger.crawl.<source_id>``). After
    ``timeout_s`` the child is stopped and the fetch marked failed ("timed out after N s").
    """
    archive_root = Path(archive_root).resolve()
    folder = archive_root / crawl_id / source.id
    if (folder / "pages.jsonl").exists():
        raise FileExistsError(f"crawl {crawl_id} already holds pages of source {source.id}: {folder}")
    cmd = [
        sys.executable, "-m", "spiders.crawl",
        "--archive", str(archive_root),
        "--crawl-id", crawl_id,
        "--source-json", source.model_dump_json(),
    ]
    for key, value in (settings or {}).items():
        cmd += ["--setting", _setting_arg(key, value)]
    emit = _line_sink(source.id, on_line)
    tail: deque[str] = deque(maxlen=STDERR_TAIL)
    started = datetime.now(UTC)

    proc = subprocess.Popen(
        cmd,
        cwd=IMPORT_ROOT,
        env=_child_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
        start_new_session=(os.name == "posix"),
    )
    stdout: list[str] = []

    def pump_stderr() -> None:
        assert proc.stderr is not None
        for raw in proc.stderr:
            line = raw.rstrip("\n")
            tail.append(line)
            try:
                emit(line)
            except Exception:  # a broken sink must not stall the child on a full pipe
                logger.exception("on_line failed for %s", source.id)

    def pump_stdout() -> None:
        assert proc.stdout is not None
        stdout.extend(proc.stdout)

    readers = [threading.Thread(target=f, daemon=True, name=f"crawl-{source.id}-{f.__name__}") for f in (pump_stderr, pump_stdout)]
    for t in readers:
        t.start()
    timed_out = False
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        timed_out = True
        emit(f"[{source.id}] timed out after {timeout_s:g} s: stopping the crawl process {proc.pid}")
        _stop(proc)
    except BaseException:  # KeyboardInterrupt in the parent: do not leave the child behind
        _stop(proc)
        raise
    for t in readers:
        t.join(timeout=5)

    info = _read_fetch(folder)
    now = datetime.now(UTC)
    if timed_out:
        base = info or FetchInfo(source_id=source.id, started_at=started)
        info = base.model_copy(update={
            "status": "failed",
            "errors": [*_known_errors(base), f"{source.id}: timed out after {timeout_s:g} s; crawl process stopped"],
            "pages": _count_pages(folder),
            "finished_at": now,
        })
        _write_fetch(folder, info)
    elif info is None or info.finished_at is None:
        last = " | ".join(line for line in tail if line.strip()) or "(no output)"
        base = info or FetchInfo(source_id=source.id, started_at=started)
        info = base.model_copy(update={
            "status": "failed",
            "errors": [*_known_errors(base), f"{source.id}: crawl process exited with code {proc.returncode} without finishing: {last}"],
            "pages": _count_pages(folder),
            "finished_at": now,
        })
        _write_fetch(folder, info)
    return info


def crawl_sources(
    sources: list[SourceConfig],
    archive_root: Path,
    crawl_id: str,
    *,
    parallel: int = 2,
    timeout_s: float = 600,
    settings: Mapping[str, Any] | None = None,
    on_line: Callable[[str], None] | None = None,
) -> list[FetchInfo]:
    """Crawl several sources, ``parallel`` subprocesses at a time; results in input order.

    One source's failure (even the runner failing to start its crawl) never stops the others:
    it comes back as a failed FetchInfo. ``on_line`` is called from several threads.
    """
    def one(source: SourceConfig) -> FetchInfo:
        try:
            return crawl_source(source, archive_root, crawl_id, timeout_s=timeout_s, settings=settings, on_line=on_line)
        except Exception as e:
            logger.exception("crawl of %s could not run", source.id)
            now = datetime.now(UTC)
            return FetchInfo(
                source_id=source.id, started_at=now, finished_at=now, status="failed",
                errors=[f"{source.id}: crawl could not run: {type(e).__name__}: {e}"],
            )

    if not sources:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(parallel, len(sources))), thread_name_prefix="crawl") as pool:
        return list(pool.map(one, sources))
