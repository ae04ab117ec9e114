"""Pydantic models at the stage boundaries: raw pages, observations, parse results."""
from __future__ import annotations

import functools
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pipeline import bounds
from pipeline.fields import Entity, FieldType, field_type
from pipeline.errors import LedgerError

Status = Literal["known", "unknown", "not_offered"]
SourceHealth = Literal["ok", "partial", "failed"]


class RawPage(BaseModel):
    """One stored response, exactly as fetched. ``body_path`` is absolute once loaded."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source_id: str
    url: str
    status: int
    headers: dict[str, str] = Field(default_factory=dict)
    fetched_at: datetime
    sha256: str
    body_file: str  # relative to the source's crawl folder
    base_dir: Path | None = Field(default=None, exclude=True)

    def body(self) -> bytes:
        if self.base_dir is None:
            raise ValueError(f"raw page {self.url} is not attached to an archive folder")
        return (self.base_dir / self.body_file).read_bytes()

    def text(self) -> str:
        return self.body().decode("utf-8", errors="replace")


_PARTIAL_DATE = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?$")
# Plain ASCII decimals only: Decimal() alone also takes "1_0", "Infinity" and non-ASCII digits,
# which the warehouse's CAST would then refuse (or read differently) at load time.
_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]{1,4})?", re.ASCII)
_INT = re.compile(r"[0-9]{1,30}", re.ASCII)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


def check_value(ftype: FieldType, value: str, field: str | None = None) -> None:
    """Raise ValueError unless ``value`` is the canonical text of a ``ftype`` and, when ``field`` is
    given, within that field's plausible range (pipeline.bounds); without a field, within what the
    warehouse stores (DECIMAL(18,9), BIGINT). The last line behind the normalizers: a parser that
    builds a value itself still cannot emit one that overflows, or reads as free, at load time."""
    name = field or str(ftype)
    if not isinstance(value, str):
        raise ValueError(f"{name}: value {value!r} is not text")
    why: str | None = None
    if ftype is FieldType.DECIMAL:
        if not _DECIMAL.fullmatch(value):
            raise ValueError(f"{name}: {value!r} is not a non-negative plain decimal")
        try:
            d = Decimal(value)
        except InvalidOperation:
            raise ValueError(f"{name}: {value!r} is not a decimal") from None
        why = bounds.violation(name, d)
    elif ftype is FieldType.INT:
        if not _INT.fullmatch(value):
            raise ValueError(f"{name}: {value!r} is not a non-negative integer")
        why = bounds.violation(name, int(value))
    elif ftype is FieldType.DATE:
        if not _DATE.fullmatch(value):  # fromisoformat() alone also takes "2024-W01-1", "20240925"
            raise ValueError(f"{name}: {value!r} is not an ISO date")
        why = bounds.violation(name, date.fromisoformat(value))
    elif ftype is FieldType.PARTIAL_DATE:
        if not _PARTIAL_DATE.match(value):
            raise ValueError(f"{name}: {value!r} is not YYYY-MM or YYYY-MM-DD")
        why = bounds.violation(name, value)
    elif ftype is FieldType.BOOL:
        if value not in ("true", "false"):
            raise ValueError(f"{value!r} is not 'true' or 'false'")
    elif not value.strip():
        raise ValueError("empty text")
    if why is not None:
        raise ValueError(why)


@functools.lru_cache(maxsize=1 << 16)
def _check_value_cached(ftype: FieldType, value: str, field: str) -> None:
    """check_value of a value whose verdict depends on nothing else (not a date): a catalog states
    the same limits, flags and prices many times over, and every observation is checked."""
    check_value(ftype, value, field)


class Observation(BaseModel):
    """What one source said about one field of one entity: raw text, normalized value, status."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source_id: str
    url: str
    entity: Entity
    model_id: str  # canonical creator/slug
    provider_id: str | None = None  # offers only
    # offers only: the provider's own id for the model, when the source states it (OpenRouter's
    # report of an upstream route does not: it names the route by OpenRouter's id). Not part of
    # the offer's key: reconcile turns it into the claimed field ``provider_model_id``.
    provider_model_id: str | None = None
    variant: str = ""  # offers only: e.g. a region, a free tier, a quantization
    benchmark_id: str | None = None  # benchmarks only: canonical id ("mmlu-pro", "gpqa")
    field: str
    raw: str | None = None  # the text as the source wrote it
    value: str | None = None  # canonical text (see pipeline.fields); None unless status is known
    status: Status = "known"

    @model_validator(mode="after")
    def _consistent(self) -> Observation:
        ftype = field_type(self.entity, self.field)
        if self.status == "known":
            if self.value is None:
                raise ValueError(f"{self.field}: a known observation needs a value")
            if ftype is FieldType.DATE or ftype is FieldType.PARTIAL_DATE:
                check_value(ftype, self.value, self.field)  # the range ends at today: not cached
            else:
                _check_value_cached(ftype, self.value, self.field)
        elif self.value is not None:
            raise ValueError(f"{self.field}: an {self.status} observation carries no value")
        for what, text in (("model id", self.model_id), ("provider id", self.provider_id),
                           ("provider model id", self.provider_model_id), ("variant", self.variant),
                           ("benchmark id", self.benchmark_id)):
            why = bounds.id_violation(what, text) if text else None
            if why:  # NUL, newline or a bidi override in a key: refused, never stored
                raise ValueError(why)
        if "/" not in self.model_id:
            raise ValueError(f"model id {self.model_id!r} is not creator/slug")
        if self.entity == "offer" and not self.provider_id:
            raise ValueError("an offer observation needs provider_id")
        if self.field == "provider_model_id":
            raise ValueError("provider_model_id is stated through the observation's provider_model_id")
        if self.entity != "offer" and (self.provider_id or self.provider_model_id or self.variant):
            raise ValueError(f"a {self.entity} observation has no provider, provider model id or variant")
        if (self.entity == "benchmark") != bool(self.benchmark_id):
            raise ValueError("benchmark_id is set on benchmark observations, and only there")
        return self


class Problem(BaseModel):
    """Something a parser could not use, named precisely enough to go and look."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source_id: str
    url: str
    field: str | None = None
    message: str
    severity: Literal["error", "skip"] = "error"  # error: bad input; skip: deliberately ignored
    # The entity an unreadable value belongs to, when the parser knows it: the source's last
    # readable claim of that field then stands (pipeline.reconcile), instead of the value vanishing.
    entity: Entity | None = None
    model_id: str | None = None
    provider_id: str | None = None
    variant: str | None = None

    def __str__(self) -> str:
        where = f" field {self.field}" if self.field else ""
        return f"[{self.source_id}] {self.url}{where}: {self.message}"


class ParseResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    observations: list[Observation] = Field(default_factory=list)
    problems: list[Problem] = Field(default_factory=list)
    items: int = 0  # entities (models or offers) the page yielded
    # Providers the page names, canonical id -> the display name the source gives (pipeline.providers).
    providers: dict[str, str] = Field(default_factory=dict)
    # Pages that could not be used at all (HTTP error, changed layout): what they said last time
    # they parsed stands until they parse again (pipeline.reconcile).
    failed_pages: list[str] = Field(default_factory=list)

    def extend(self, other: ParseResult) -> None:
        self.observations.extend(other.observations)
        self.problems.extend(other.problems)
        self.items += other.items
        self.failed_pages.extend(other.failed_pages)
        for pid, name in other.providers.items():
            self.providers.setdefault(pid, name)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


class PageLayoutError(LedgerError):
    """The page is not what the parser expects (changed layout, broken JSON): the page is unusable."""
