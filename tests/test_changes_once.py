"""'What changed' has one definition (warehouse/sql/transform/60_changes.sql): the `changes` view,
the run report of a crawl (report.changes_in_crawls) and a rebuild's before/after
(report.changes_between over two snapshots) must say the same thing about the same two states."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from pipeline.fields import OFFER_FIELDS
from pipeline.report import changes_between, changes_in_crawls, snapshot
from warehouse.connection import connect
from warehouse.load import insert_rows

CRAWLS = ["20260601T060000Z", "20260602T060000Z"]
T1, T2 = datetime(2026, 6, 1, 6, tzinfo=UTC), datetime(2026, 6, 2, 6, tzinfo=UTC)


def offer(provider: str, variant: str = "", **facts: object) -> dict[str, object]:
    # every row with every fact (insert_rows takes its columns from the rows' keys)
    return {"model_id": "meta/llama-3.1-8b-instruct", "provider_id": provider, "variant": variant,
            "provider_model_id": "llama-3.1-8b", "row_hash": f"h-{provider}-{facts}",
            **{f: None for f in OFFER_FIELDS if f != "provider_model_id"}, **facts}


def test_view_report_and_snapshots_agree(tmp_path: Path) -> None:
    con = connect(tmp_path / "ledger.duckdb")
    insert_rows(con, "crawls", [{"crawl_id": c, "started_at": t, "mode": "replay", "loaded_at": t, "run_id": "r"}
                                for c, t in zip(CRAWLS, (T1, T2), strict=True)])
    first = {  # crawl 1 opens four offers
        "a": offer("a", input_usd_per_mtok=Decimal("0.10"), output_usd_per_mtok=Decimal("0.20")),
        "b": offer("b", input_usd_per_mtok=Decimal("0.30"), cache_write_usd_per_mtok=Decimal("0.40")),
        "c": offer("c", input_usd_per_mtok=Decimal("0.50"), context_window=8192),
        "d": offer("d", input_usd_per_mtok=Decimal("0.70")),
    }
    second = {  # crawl 2: a's input moves, b's cache-write price moves, c's window grows, d goes, e is new
        "a": offer("a", input_usd_per_mtok=Decimal("0.12"), output_usd_per_mtok=Decimal("0.20")),
        "b": offer("b", input_usd_per_mtok=Decimal("0.30"), cache_write_usd_per_mtok=Decimal("0.45")),
        "c": offer("c", input_usd_per_mtok=Decimal("0.50"), context_window=16384),
        "e": offer("e", "batch", input_usd_per_mtok=Decimal("0.05")),
    }
    insert_rows(con, "offer_versions", [{**o, "valid_from": T1, "opened_by": CRAWLS[0]} for o in first.values()])
    before = snapshot(con)
    con.execute("UPDATE offer_versions SET valid_to = ?, closed_by = ? WHERE provider_id IN ('a', 'b', 'c', 'd')",
                [T2, CRAWLS[1]])
    insert_rows(con, "offer_versions", [{**o, "valid_from": T2, "opened_by": CRAWLS[1]}
                                        for o in second.values()])
    after = snapshot(con)

    def facts(changes: object) -> tuple[list[tuple], list[tuple], list[tuple]]:
        return ([(o.key[1], o.key[3]) for o in changes.new_offers],  # type: ignore[attr-defined]
                [o.key[1] for o in changes.retired_offers],  # type: ignore[attr-defined]
                [(m.key[1], m.field, m.old, m.new) for m in changes.price_moves])  # type: ignore[attr-defined]

    by_crawl = facts(changes_in_crawls(con, [CRAWLS[1]]))
    by_snapshots = facts(changes_between(before, after))
    expected = ([("e", "batch")], ["d"],
                [("a", "input_usd_per_mtok", Decimal("0.1"), Decimal("0.12")),
                 ("b", "cache_write_usd_per_mtok", Decimal("0.4"), Decimal("0.45"))])
    assert by_crawl == expected
    assert by_snapshots == expected

    view = con.execute("SELECT provider_id, change, changed_fields, [m.field FOR m IN price_moves] FROM changes "
                       "WHERE crawl_id = ? ORDER BY provider_id", [CRAWLS[1]]).fetchall()
    assert view == [("a", "price move", ["input_usd_per_mtok"], ["input_usd_per_mtok"]),
                    ("b", "price move", ["cache_write_usd_per_mtok"], ["cache_write_usd_per_mtok"]),
                    ("c", "changed", ["context_window"], []),
                    ("d", "retired offer", None, []),
                    ("e", "new offer", None, [])]
    con.close()
