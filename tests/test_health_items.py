"""The unreadable share of a crawl counts items, not problems: an offer whose input and output
prices are both unreadable is one unreadable item (LiteLLM's W&B entries state both wrong)."""
from __future__ import annotations

from datetime import UTC, datetime

from pipeline.models import ParseResult, Problem
from pipeline.process import judge_health
from pipeline.raw import FetchInfo

T = datetime(2026, 6, 4, tzinfo=UTC)
URL = "https://example.test/prices.json"


def problem(model: str, field: str, provider: str | None = "wandb") -> Problem:
    return Problem(source_id="litellm", url=URL, field=field, message=f"{model}: cannot read {field}",
                   entity="offer" if provider else None, model_id=model if provider else None,
                   provider_id=provider, variant="" if provider else None)


def judged(problems: list[Problem], items: int) -> tuple[str, str | None]:
    result = ParseResult(items=items, problems=problems)
    result.observations = [object()]  # type: ignore[list-item]  # something was read
    return judge_health(FetchInfo(source_id="litellm", started_at=T, finished_at=T, pages=1), 1, result)


def test_two_unreadable_prices_of_one_offer_are_one_item():
    # 15 offers x 2 prices over 985 read items: 1.5% of the items, under the 2% threshold
    problems = [problem(f"m{i}", f) for i in range(15) for f in ("input_usd_per_mtok", "output_usd_per_mtok")]
    health, note = judged(problems, 985)
    assert health == "ok" and note and note.startswith("15 unreadable item(s)")


def test_over_the_threshold_in_items_is_partial():
    problems = [problem(f"m{i}", f) for i in range(25) for f in ("input_usd_per_mtok", "output_usd_per_mtok")]
    health, why = judged(problems, 975)
    assert health == "partial" and why and why.startswith("25 unreadable item(s), 2.5% of the items")


def test_problems_naming_no_item_count_one_each():
    problems = [problem("x", "input_usd_per_mtok", provider=None) for _ in range(3)]
    health, note = judged(problems, 997)
    assert health == "ok" and note and note.startswith("3 unreadable item(s)")
