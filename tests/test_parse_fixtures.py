"""The golden fixture cases of every parser (tests/fixtures/parse/<source>/<case>/, see
tests/parse_helpers.py): one test per expected observation, and per case one test that nothing
else was observed, one for the problems and one for the item count. A new case folder is a new
set of tests; nothing to write here."""
from __future__ import annotations

import pytest

from tests.parse_helpers import (
    case_params, check_items, check_no_extra_observations, check_observation, check_problems, observation_params,
    sources_with_fixtures,
)

SOURCES = sources_with_fixtures()


def test_every_source_with_a_parser_has_fixture_cases():
    from pipeline.config import load_sources

    configured = {s.id for s in load_sources().sources}
    assert configured - set(SOURCES) == set(), "a configured source without fixture cases"


@pytest.mark.parametrize(("case_dir", "exp"), observation_params(SOURCES))
def test_observation(case_dir, exp):
    check_observation(case_dir, exp)


@pytest.mark.parametrize("case_dir", case_params(SOURCES))
def test_no_unexpected_observations(case_dir):
    check_no_extra_observations(case_dir)


@pytest.mark.parametrize("case_dir", case_params(SOURCES))
def test_problems(case_dir):
    check_problems(case_dir)


@pytest.mark.parametrize("case_dir", case_params(SOURCES))
def test_items(case_dir):
    check_items(case_dir)
