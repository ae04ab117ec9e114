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
