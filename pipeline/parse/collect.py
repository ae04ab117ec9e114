"""What the HTML/markdown page parsers of first-party pages share: a collector of one page's
observations and problems (a value that cannot be read becomes a Problem naming the field and
the text, never an exception), and the converters from page text to canonical values."""
from __future__ import annotations

from typing import Any, Callable

from pydantic import ValidationError

from pipeline import normalize
from pipeline.config import SourceConfig
from pipeline.fields import Entity
from pipeline.models import Observation, ParseResult, Problem, RawPage


class PageOut:
    def __init__(self, page: RawPage, source: SourceConfig) -> None:
        self.page = page
        self.source = source
        self.result = ParseResult()

    def problem(self, message: str, field: str | None = None, severity: str = "error",
                key: tuple[Entity, str, str | None, str] | None = None) -> None:
        entity, model_id, provider_id, variant = key or (None, None, None, None)
        self.result.problems.append(Problem(
            source_id=self.source.id, url=self.page.url, field=field, message=message,
            severity=severity,  # type: ignore[arg-type]
            entity=entity, model_id=model_id, provider_id=provider_id, variant=variant,
        ))

    def add(self, entity: Entity, model_id: str, field: str, raw: str | None, convert: Callable[[Any], str], *,
            who: str, offer: tuple[str, str, str] | None = None) -> bool:
        provider_id, provider_model_id, variant = offer or (None, None, "")
        try:
            if raw is not None and normalize.is_unknown(raw):
                obs = Observation(source_id=self.source.id, url=self.page.url, entity=entity, model_id=model_id,
                                  provider_id=provider_id, provider_model_id=provider_model_id, variant=variant,
                                  field=field, raw=raw, status="unknown")
            else:
                obs = Observation(source_id=self.source.id, url=self.page.url, entity=entity, model_id=model_id,
                                  provider_id=provider_id, provider_model_id=provider_model_id, variant=variant,
                                  field=field, raw=raw, value=convert(raw))
        except (ValueError, TypeError, ValidationError) as e:
            msg = "; ".join(x["msg"] for x in e.errors()) if isinstance(e, ValidationError) else str(e)
            self.problem(f"{who}: cannot read {field} from {raw!r}: {msg}",
                         field=field, key=(entity, model_id, provider_id, variant))
            return False
        self.result.observations.append(obs)
        return True


# --- converters: page text -> the canonical text of a field -------------------------------------

def price(raw: str) -> str:
    return normalize.decimal_text(normalize.parse_price_text(raw))


def tokens(raw: str) -> str:
    return str(normalize.parse_tokens(raw))


def partial_date(raw: str) -> str:
    return normalize.parse_partial_date(raw)


def text(raw: str) -> str:
    if not raw or not raw.strip():
        raise ValueError("empty text")
    return raw.strip()


def const(value: str) -> Callable[[Any], str]:
    return lambda _raw: value
