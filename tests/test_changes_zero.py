"""Price moves to and from $0 or unknown render everywhere (the run report's table and markdown,
`llm-ledger changes`) with a reason instead of a percent, and never crash."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from pipeline import cli
from pipeline.report import Snapshot, changes_between, changes_in_crawls, changes_table, move_text, run_report
from warehouse.connection import connect

MODEL, PROVIDER = "meta/llama-3.2-1b-instruct", "nvidia-nim"
CRAWLS = ["20260601T060000Z", "20260602T060000Z", "20260603T060000Z"]


def _ts(i: int) -> datetime:
    return datetime(2026, 6, 1 + i, 6, tzinfo=UTC)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One offer over three crawls: $0 (a free listing) -> $0.10 -> input unknown."""
    d = tmp_path_factory.mktemp("zero")
    con = connect(d / "ledger.duckdb")
    try:
        con.executemany("INSERT INTO crawls (crawl_id, started_at, mode, loaded_at, run_id) VALUES (?, ?, 'replay', ?, 'r')",
                        [[c, _ts(i), _ts(i)] for i, c in enumerate(CRAWLS)])
        con.execute("INSERT INTO providers (provider_id, name) VALUES (?, 'NVIDIA NIM')", [PROVIDER])
        prices = [("0", "0"), ("0.10", "0.20"), (None, "0.20")]
        rows = []
        for i, (inp, out) in enumerate(prices):
            last = i == len(prices) - 1
            rows.append([MODEL, PROVIDER, "meta/llama-3.2-1b-instruct", "", inp, out, f"h{i}", _ts(i),
                         None if last else _ts(i + 1), CRAWLS[i], None if last else CRAWLS[i + 1]])
        con.executemany("""INSERT INTO offer_versions (model_id, provider_id, provider_model_id, variant,
                               input_usd_per_mtok, output_usd_per_mtok, row_hash, valid_from, valid_to,
                               opened_by, closed_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", rows)
    finally:
        con.close()
    return d


def moves(data: Path):
    con = connect(data / "ledger.duckdb", read_only=True)
    try:
        return changes_in_crawls(con, CRAWLS[1:])
    finally:
        con.close()


def test_moves_from_zero_and_to_unknown_are_found(data):
    found = moves(data)
    got = [(m.crawl_id, m.field, m.old, m.new, m.percent) for m in found.price_moves]
    assert got == [
        (CRAWLS[1], "input_usd_per_mtok", Decimal("0"), Decimal("0.1"), None),
        (CRAWLS[1], "output_usd_per_mtok", Decimal("0"), Decimal("0.2"), None),
        (CRAWLS[2], "input_usd_per_mtok", Decimal("0.1"), None, None),
    ]
    assert not found.new_offers and not found.retired_offers


def test_changes_table_and_markdown_render_reasons(data):
    found = moves(data)
    rows = changes_table(found)
    details = [(r["old"], r["new"], r["percent"], r["detail"]) for r in rows if r["field"] == "input_usd_per_mtok"]
    assert details == [("0", "0.1", None, "0 -> 0.1 (from $0: no percent)"),
                       ("0.1", None, None, "0.1 -> — (now unknown)")]
    md = run_report("refresh", changes=found)
    assert "| input_usd_per_mtok | 0 | 0.1 | from $0: no percent |" in md
    assert "| input_usd_per_mtok | 0.1 | — | now unknown |" in md


def test_move_text():
    assert move_text(Decimal("0.027"), Decimal("0.030")) == "+11.11%"
    assert move_text(Decimal("0"), Decimal("0")) == "unchanged at $0"
    assert move_text(None, Decimal("1")) == "newly priced"
    assert move_text(None, None) == "—"


def test_a_changed_provider_model_id_is_not_a_new_offer():
    key_before = (MODEL, PROVIDER, "meta/llama-3.2-1b-instruct", "")
    key_after = (MODEL, PROVIDER, "", "")  # the provider's own id is no longer stated
    prices = {"input_usd_per_mtok": Decimal("0"), "output_usd_per_mtok": Decimal("0"),
              "cached_input_usd_per_mtok": None, "cache_write_usd_per_mtok": None}
    before = Snapshot(offers={key_before: prices, (MODEL, "other", "", ""): prices})
    after = Snapshot(offers={key_after: {**prices, "input_usd_per_mtok": Decimal("0.1")}}, crawl_id="X")
    found = changes_between(before, after)
    assert [(m.key, m.field, m.old, m.new) for m in found.price_moves] == \
        [(key_after, "input_usd_per_mtok", Decimal("0"), Decimal("0.1"))]
    assert not found.new_offers and [o.key[1] for o in found.retired_offers] == ["other"]
    assert "from $0: no percent" in run_report("rebuild", changes=found)


def test_changes_command_renders_moves_from_zero_and_to_unknown(data, monkeypatch):
    monkeypatch.setattr(cli, "console", Console(width=250, color_system=None))
    result = CliRunner().invoke(cli.app, ["changes", "--since", "2026-06-01", "--data-dir", str(data)])
    assert result.exit_code == 0, result.output
    assert "$0.00 -> $0.10 (from $0: no percent)" in result.output
    assert "$0.00 -> $0.20 (from $0: no percent)" in result.output
    assert "$0.10 -> unknown (now unknown)" in result.output
