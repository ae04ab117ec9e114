"""The project's one exception base.

Every error the project raises on purpose derives from ``LedgerError``, so a caller (the CLI,
a Prefect flow, a test) can tell "the pipeline refused this, with a message naming what failed"
from a bug. Subclasses keep their historical built-in bases (``ValueError``...) so that code
catching those still works.
"""
from __future__ import annotations


class LedgerError(Exception):
    """An error of llm-ledger: the message names the source, URL, file or field that failed."""


class ArchiveError(LedgerError):
    """The raw archive is damaged or unreadable: a body does not match its sha256, a file is
    missing or invalid, a path points outside the crawl's folder."""


class StorageError(LedgerError):
    """The machine refused a write (disk full, read-only file system, permissions)."""


_STORAGE_ERRNOS = {28: "no space left on device", 30: "read-only file system", 122: "disk quota exceeded"}
_STORAGE_TEXTS = ("No space left on device", "Read-only file system", "Disk quota exceeded")


def as_storage_error(e: BaseException, what: str) -> StorageError | None:
    """A StorageError for a write the machine refused (``what`` names the file or step), else None.

    DuckDB reports a full disk as its own IOException whose text carries the OS message, so
    both forms are recognised."""
    errno = getattr(e, "errno", None)
    reason = _STORAGE_ERRNOS.get(errno) if isinstance(errno, int) else None
    if reason is None:
        text = str(e)
        reason = next((t for t in _STORAGE_TEXTS if t in text), None)
    if reason is None:
        return None
    return StorageError(f"{what}: {reason} ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}); "
                        "nothing was half-written: the warehouse keeps its last committed state, `latest` its last complete export")
