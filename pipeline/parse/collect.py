"""What every parser shares: the collector of one page's observations and problems (a value that
cannot be read becomes a Problem naming the field and the text, never an exception), exact JSON
loading, and the converters from what a source writes to the canonical text of a field.

A parser's own quirks (its column names, its units, its ids) stay in its module; anything two
parsers would write alike belongs here."""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, Callable, Literal

from pydantic import ValidationError

from pipeline import normalize
from pipeline.config import SourceConfig
from pipeline.fields import Entity
from pipeline.models import Observation, PageLayoutError, ParseResult, Problem, RawPage

Severity = Literal["error", "skip"]  # error: bad input (the source turns partial); skip: deliberately ignored
Offer = tuple[str, str | None, str]  # provider_id, provider_model_id, variant
Convert = Callable[[Any], "str | None"]  # raw -> canonical text; None states "unknown"; raises when unreadable
_READ_ERRORS = (ValueError, TypeError, ArithmeticError, ValidationError)


class Number(Decimal):
    """A JSON number read exactly, remembering how the file wrote it (kept as Observation.raw)."""

    # no instance __dict__: a catalog holds hundreds of thousands of numbers (136 bytes each, not 488)
    __slots__ = ("text",)
    text: str

    def __new__(cls, text: str) -> Number:
        obj = super().__new__(cls, text)
        obj.text = text
        return obj


def load_json(page: RawPage, what: str) -> Any:
    """The page's JSON with every number exact (floats as ``Number``); a page that is not UTF-8 JSON
    is a layout problem naming ``what`` ("price file", "catalog")."""
    return json_of(page.body(), what)


def json_of(body: bytes, what: str) -> Any:
    """``load_json`` of a body in hand (a spider deciding its next request from a stored page)."""
    try:
        return json.loads(body.decode("utf-8"), parse_float=Number)
    except UnicodeDecodeError as e:
        raise PageLayoutError(f"{what} is not UTF-8 text ({e})") from None
    except json.JSONDecodeError as e:
        raise PageLayoutError(f"{what} is not valid JSON ({e})") from None


def load_text(page: RawPage, what: str = "page") -> str:
    try:
        return page.body().decode("utf-8")
    except UnicodeDecodeError as e:
        raise PageLayoutError(f"{what} is not UTF-8 text ({e})") from None


def raw_text(raw: Any) -> str | None:
    """How the source wrote a value, as text (Observation.raw)."""
    if raw is None:
        return None
    if isinstance(raw, Number):
        return raw.text
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, (list, dict)):
        return json.dumps(raw, default=str, sort_keys=isinstance(raw, dict))
    return str(raw)


def error_text(e: Exception) -> str:
    return "; ".join(x["msg"] for x in e.errors()) if isinstance(e, ValidationError) else str(e)


class PageOut:
    """The observations and problems of one page."""

    def __init__(self, page: RawPage, source: SourceConfig) -> None:
        self.page = page
        self.source = source
        self.result = ParseResult()

    def problem(self, message: str, field: str | None = None, severity: Severity = "error",
                key: tuple[Entity | None, str | None, str | None, str | None] | None = None) -> None:
        """A problem of this page; ``key`` (entity, model, provider, variant) names the item it is about."""
        entity, model_id, provider_id, variant = key or (None, None, None, None)
        self.result.problems.append(Problem(
            source_id=self.source.id, url=self.page.url, field=field, message=message, severity=severity,
            entity=entity, model_id=model_id, provider_id=provider_id, variant=variant,
        ))

    def skip(self, message: str, field: str | None = None) -> None:
        self.problem(message, field, "skip")

    def add(self, entity: Entity, model_id: str, field: str, raw: Any, convert: Convert, *, who: str,
            offer: Offer | None = None, benchmark_id: str | None = None, shown: str | None = None) -> bool:
        """One observation of ``field``. JSON null or an unknown marker ("-", "N/A", blank) states
        "unknown" (never zero); so does ``convert`` returning None; ``convert=not_offered`` states
        that there is none (a cell "Not available"). A value ``convert`` cannot read
        becomes an error naming ``who``, the field and the text. ``shown`` overrides the raw text
        kept (when the source's value is not a scalar)."""
        provider_id, provider_model_id, variant = offer or (None, None, "")
        text = shown if shown is not None else raw_text(raw)
        try:
            unknown = not isinstance(convert, const) and (
                raw is None or (isinstance(raw, str) and normalize.is_unknown(raw)))
            value = None if unknown else convert(raw)
            status = "not_offered" if convert is not_offered else "known" if value is not None else "unknown"
            obs = Observation(
                source_id=self.source.id, url=self.page.url, entity=entity, model_id=model_id,
                provider_id=provider_id, provider_model_id=provider_model_id, variant=variant,
                benchmark_id=benchmark_id, field=field, raw=text, value=value, status=status,
            )
        except _READ_ERRORS as e:
            self.problem(f"{who}: cannot read {field} from {text!r}: {error_text(e)}",
                         field=field, key=(entity, model_id, provider_id, variant))
            return False
        self.result.observations.append(obs)
        return True

    def offer(self, model_id: str, offer: Offer, field: str, raw: Any, convert: Convert, *, who: str,
              shown: str | None = None) -> bool:
        return self.add("offer", model_id, field, raw, convert, who=who, offer=offer, shown=shown)


# --- converters: what a source writes -> the canonical text of a field ---------------------------
# Page text ("$1.25", "128K", "2024-09") and JSON values (exact numbers, true/false) alike.

class usd_per:
    """A converter of an exact USD price per ``unit`` ("token", "ktok", "mtok": a price list's
    "1K tokens") written as text or an exact number -> USD per 1M tokens."""

    def __init__(self, unit: normalize.PriceUnit) -> None:
        self.unit = unit

    def __call__(self, raw: Any) -> str:
        if isinstance(raw, (bool, float)) or not isinstance(raw, (str, int, Decimal)):
            raise ValueError("expected an exact number")  # never via float arithmetic
        return normalize.decimal_text(normalize.price_per_mtok(raw, self.unit))


def price(raw: Any) -> str:
    """A price per 1M tokens written as page text ("$1.25", "1.25 / 1M") or an exact number."""
    if isinstance(raw, str):
        return normalize.decimal_text(normalize.parse_price_text(raw))
    return usd_per("mtok")(raw)


# A USD price per single token (LiteLLM, OpenRouter) -> per 1M tokens, exactly.
price_per_token = usd_per("token")


def cents_per_token(raw: Any) -> str:
    """US cents per single token (DeepInfra) -> USD per 1M tokens: the decimal point moved, no rounding."""
    if isinstance(raw, (bool, float)) or not isinstance(raw, (int, str, Decimal)):
        raise ValueError("expected a number of cents per token")
    try:
        cents = Decimal(raw.strip() if isinstance(raw, str) else raw)
    except ArithmeticError:
        raise ValueError("not a number") from None
    if not cents.is_finite():
        raise ValueError("not a finite number")
    sign, digits, exp = cents.as_tuple()
    assert isinstance(exp, int)
    return normalize.decimal_text(normalize.price_per_mtok(Decimal((sign, digits, exp - 2)), "token"))


def tokens(raw: Any) -> str:
    """A token count: "128K", "131,072", 65536 (a JSON fraction is refused)."""
    if isinstance(raw, (bool, float)) or (isinstance(raw, Decimal) and raw != raw.to_integral_value()):
        raise ValueError("expected a whole number of tokens")
    return str(normalize.parse_tokens(raw if not isinstance(raw, Decimal) else int(raw)))


def whole_tokens(raw: Any) -> str:
    """A token count that must be a JSON integer (catalogs that write numbers, never text)."""
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise ValueError("expected a whole number of tokens")
    return str(normalize.parse_tokens(raw))


def flag(raw: Any) -> str:
    """JSON true/false."""
    if not isinstance(raw, bool):
        raise ValueError("expected JSON true or false")
    return "true" if raw else "false"


def yes_no(raw: Any) -> str:
    """A page's "Yes"/"No" cell."""
    key = str(raw).strip().lower()
    if key not in ("yes", "no"):
        raise ValueError(f"expected Yes or No, got {raw!r}")
    return "true" if key == "yes" else "false"


def date(raw: Any) -> str:
    if not isinstance(raw, str):
        raise ValueError("expected a date text")
    return normalize.parse_date(raw).isoformat()


def partial_date(raw: Any) -> str:
    if not isinstance(raw, str):
        raise ValueError("expected a date text")
    return normalize.parse_partial_date(raw)


def text(raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise ValueError("expected non-empty text")
    return raw.strip()


def count(raw: Any) -> str:
    """A JSON whole number >= 0 that is not a token count (parameters, experts)."""
    if not isinstance(raw, int) or isinstance(raw, bool) or raw < 0:
        raise ValueError("expected a non-negative integer")
    return str(raw)


def percent(raw: Any) -> str:
    """A benchmark score in percent, 0 to 100: "53.2%", "53.2" or an exact JSON number."""
    if isinstance(raw, (bool, float)) or not isinstance(raw, (str, int, Decimal)):
        raise ValueError("expected a percentage")
    text = str(raw).strip()
    text = text[:-1].strip() if text.endswith("%") else text
    try:
        d = Decimal(text)
    except ArithmeticError:
        raise ValueError("not a percentage") from None
    if not d.is_finite() or d < 0 or d > 100:
        raise ValueError("not a percentage between 0 and 100")
    return normalize.decimal_text(d)


def fraction_percent(raw: Any) -> str:
    """A benchmark score written as a fraction of 1 (exact JSON 0.791) -> percent, exactly ("79.1")."""
    if isinstance(raw, bool) or not isinstance(raw, (int, Decimal)):
        raise ValueError("expected a number")
    d = Decimal(raw)
    if not d.is_finite() or d < 0 or d > 1:
        raise ValueError("expected a fraction between 0 and 1")
    return normalize.decimal_text(d.scaleb(2))


def not_offered(_raw: Any) -> None:
    """The converter of a cell that says the offer has no such price ("Not available"): the
    observation's status is ``not_offered``, with no value (see ``PageOut.add``)."""
    return None


class const:
    """A converter that states ``value`` whatever the source wrote, even nothing (a row that means
    "free": "0"; a closed model's license, which its page implies without a cell)."""

    def __init__(self, value: str) -> None:
        self.value = value

    def __call__(self, _raw: Any) -> str:
        return self.value


# A provider's processing tiers as its pages name them -> the offer's variant: Standard is the
# base offer; Batch, Flex and Priority are routes of their own (comparisons.yaml: non-standard).
SERVICE_TIERS = {"standard": "", "batch": "batch", "flex": "flex", "priority": "priority"}


def stated_discount(out: PageOut, who: str, raw: Any,
                    key: tuple[Entity | None, str | None, str | None, str | None] | None = None) -> None:
    """A ``discount`` beside a price list (DeepInfra's and OpenRouter's ``pricing``). Absent, null or
    0 says nothing. Any other value is an error naming it: what it is (a fraction or a percentage,
    of which prices, until when) is not stated, so it is never applied; the listed prices stand."""
    if raw is None or (isinstance(raw, (int, Decimal)) and not isinstance(raw, bool) and raw == 0):
        return
    out.problem(f"{who}: pricing states a discount of {raw_text(raw)!r}, and not what it is (a fraction or a "
                "percentage, of which prices, until when): the listed prices are recorded undiscounted", key=key)


TIER_FIELDS = {"input": "input_usd_per_mtok_above_tier", "output": "output_usd_per_mtok_above_tier"}


def price_tiers(out: PageOut, model_id: str, offer: Offer, tiers: dict[int, dict[str, Any]], convert: Convert, *,
                who: str) -> None:
    """Prices tiered by prompt size, ``{threshold: {"input": raw, "output": raw}}`` (LiteLLM's
    ``*_above_200k_tokens``, models.dev's ``cost.tiers``, OpenRouter's ``min_prompt_tokens``
    overrides) -> the tier fields of the lowest threshold, which hold one tier; every higher
    tier is a skip naming it. Never folded into the base price."""
    if not tiers:
        return
    threshold = min(tiers)
    out.offer(model_id, offer, "tier_threshold_tokens", threshold, tokens, who=who)
    for side, raw in sorted(tiers[threshold].items()):
        out.offer(model_id, offer, TIER_FIELDS[side], raw, convert, who=who)
    for other in sorted(tiers)[1:]:
        out.skip(f"{who}: a second price tier above {other} prompt tokens: only the first tier "
                 f"(above {threshold}) is recorded", field="tier_threshold_tokens")
