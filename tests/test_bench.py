"""The benchmark cannot rot: its generator and its ledger half run here at a tiny size (no dlt).

The ledger half loads the synthetic history through the project's own path (warehouse.load and
the SCD2 layer, warehouse/sql/transform/50_scd2.sql), and the time travel of the warehouse must give back, for every day, exactly the
snapshot the generator made; the checks the benchmark uses to claim `exact` must be able to fail.
"""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pytest

from bench.bench_load import (
    KEYS,
    OFFER_KEY,
    Bench,
    Catalog,
    Scale,
    check_exact,
    ledger_asof,
    ledger_current,
    main,
    measure_loads,
    same_rows,
)

# small, but every kind of daily change happens: 200 offers, 10 price moves, 4 gone, 4 new a day
TINY = Scale(models=40, providers=5, days=6, as_of_day=3, change=0.05, vanish=0.02, appear=0.02, seed=7)


def keys(t: pa.Table) -> set[tuple[str, ...]]:
    return set(zip(*(t.column(c).to_pylist() for c in OFFER_KEY), strict=True))


@pytest.fixture(scope="module")
def snapshots() -> list[pa.Table]:
    return [d.offers for d in Catalog(TINY).days()]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Bench:
    b = Bench(scale=TINY, workdir=tmp_path_factory.mktemp("bench"), with_dlt=False)
    figures = measure_loads(b)
    assert figures["ledger_s_per_day"] > 0 and figures["ledger_db_mb"] > 0  # type: ignore[operator]
    return b


def test_catalog_is_deterministic_and_changes_as_configured(snapshots: list[pa.Table]) -> None:
    again = [d.offers for d in Catalog(TINY).days()]
    assert all(a.equals(b) for a, b in zip(snapshots, again, strict=True))
    assert not snapshots[0].equals(next(Catalog(replace(TINY, seed=8)).days()).offers)
    first = snapshots[0]
    assert first.num_rows == TINY.models * TINY.providers
    assert len(keys(first)) == first.num_rows  # the offer key is a key
    for before, after in zip(snapshots, snapshots[1:], strict=False):
        gone, new = keys(before) - keys(after), keys(after) - keys(before)
        assert len(gone) == round(before.num_rows * TINY.vanish)
        assert len(new) == round(TINY.models * TINY.providers * TINY.appear)
        prices = {k: r for k, r in zip(zip(*(before.column(c).to_pylist() for c in OFFER_KEY), strict=True),
                                        before.select(["input_usd_per_mtok", "output_usd_per_mtok"]).to_pylist(),
                                        strict=True)}
        moved = sum(1 for k, r in zip(zip(*(after.column(c).to_pylist() for c in OFFER_KEY), strict=True),
                                      after.select(["input_usd_per_mtok", "output_usd_per_mtok"]).to_pylist(),
                                      strict=True) if k in prices and prices[k] != r)
        assert moved == round((before.num_rows - len(gone)) * TINY.change)


def test_every_day_rebuilt_from_the_ledger_is_the_generated_day(loaded: Bench, snapshots: list[pa.Table]) -> None:
    assert loaded.ledger_db is not None
    for day, truth in enumerate(snapshots, start=1):
        assert same_rows(f"day {day}", ledger_asof(loaded.ledger_db, TINY.ts(day)), truth), day
    assert same_rows("current", ledger_current(loaded.ledger_db), snapshots[-1])
    # history was really kept: one version per initial offer plus one per daily change
    churn = sum(round(TINY.models * TINY.providers * TINY.appear) + round((s.num_rows - round(s.num_rows * TINY.vanish))
                                                                            * TINY.change) for s in snapshots[:-1])
    assert loaded.notes["ledger_versions"] == snapshots[0].num_rows + churn


def test_the_exactness_check_can_fail(loaded: Bench, snapshots: list[pa.Table]) -> None:
    assert loaded.ledger_db is not None
    day2 = ledger_asof(loaded.ledger_db, TINY.ts(2))
    assert not same_rows("day 2 as day 3", day2, snapshots[2])  # a wrong day is caught
    changed = day2.set_column(day2.schema.get_field_index("quantization"), "quantization",
                              pa.array(["other"] * day2.num_rows, day2.schema.field("quantization").type))
    assert not same_rows("one fact changed", changed, snapshots[1])  # a wrong fact, same keys
    assert check_exact(loaded) == {"exact": True}
    wrong = Bench(scale=TINY, workdir=loaded.workdir, with_dlt=False, ledger_db=loaded.ledger_db,
                  expected=snapshots[0], final=snapshots[-1])
    assert check_exact(wrong) == {"exact": False}


def test_ledger_only_run_prints_the_figures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "results.json"
    assert main(["--models", "10", "--providers", "3", "--days", "3", "--as-of-day", "2", "--ledger-only",
                 "--pairs-models", "40", "--no-e2e", "--out", str(out)]) == 0  # e2e: tests/test_bench_e2e.py
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["exact"] is True and line["asof_ms"] > 0 and line["pairs_export_s"] > 0
    assert line["asof_model_ms"] > 0 and line["asof_all_vs_current"] > 0
    assert "e2e_obs_per_s" not in line and "real_rebuild_s" not in line
    assert list(line) == [k for k in KEYS if k in line] and "dlt_s_per_day" not in line
    report = json.loads(out.read_text())
    assert report["figures"] == line and report["scale"]["days"] == 3
    assert report["notes"]["pairs"] == 40 * 39 // 2  # every pair once, counted in the parquet written
