"""comparisons.parquet: export.write_comparisons (positions, per-model bit strings, no sort) gives
the same columns, values and row order as the straightforward join (compare.pairs_sql over every
pair, ORDER BY a, b), in one file or in blocks of first models, and the same bytes on 1 or 2 threads.

A random warehouse with what the list figures look at: providers shared or not (names not in id
order), benchmarks shared or not, tri-state capabilities, models with non-standard routes only."""
from __future__ import annotations

import itertools
import random
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

from pipeline import compare
from pipeline.export import COMPARISONS_PARQUET, write_comparisons
from pipeline.fields import CAPABILITIES
from warehouse.connection import connect

AS_OF = date(2026, 6, 2)
MODELS = 60


def build(path: Path, seed: int = 7) -> None:
    rng = random.Random(seed)
    ts = datetime(2026, 6, 1, 6, tzinfo=UTC)
    con = connect(path)
    try:
        models: dict[str, list[object]] = {"model_id": [], "name": [], "context_window": [],
                                           **{f"supports_{c}": [] for c in CAPABILITIES}}
        offers: dict[str, list[object]] = {k: [] for k in ("model_id", "provider_id", "provider_model_id", "variant",
                                                           "input_usd_per_mtok", "output_usd_per_mtok")}
        scores: dict[str, list[object]] = {k: [] for k in ("model_id", "benchmark_id", "benchmark_name", "score")}
        for i in range(MODELS):
            mid = f"c{i % 7}/m-{rng.randint(0, 10**6):07d}-{i}"  # not generated in id order
            models["model_id"].append(mid)
            models["name"].append(f"Model {i}")
            models["context_window"].append(rng.choice([None, 8192, 131072, 131072, 200000]))
            for c in CAPABILITIES:
                models[f"supports_{c}"].append(rng.choice([True, False, None]))
            for p in rng.sample(range(12), rng.randint(1, 4)):
                offers["model_id"].append(mid)
                offers["provider_id"].append(f"p{p:02d}")
                offers["provider_model_id"].append(mid)
                offers["variant"].append(rng.choice(["", "", "", "batch", "fp8"]))
                price = Decimal(rng.choice([0, 1, 27, 150, 150, 2000])) / 1000
                offers["input_usd_per_mtok"].append(price)
                offers["output_usd_per_mtok"].append(price * rng.randint(1, 4))
            for bench in rng.sample(["mmlu", "gpqa", "swe-bench", "aime", "hle"], rng.randint(0, 3)):
                scores["model_id"].append(mid)
                scores["benchmark_id"].append(bench)
                scores["benchmark_name"].append(bench.upper())
                scores["score"].append(Decimal(rng.randint(0, 1000)) / 10)
        for table, cols in (("model_versions", models), ("offer_versions", offers), ("benchmark_versions", scores)):
            n = len(cols["model_id"])
            con.register("src", pa.table({**cols, "row_hash": ["h"] * n, "valid_from": [ts] * n, "opened_by": ["t"] * n}))
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM src")
            con.unregister("src")
        # names in another order than ids: the overlap is sorted by (id, name)
        con.execute("INSERT INTO providers (provider_id, name) SELECT 'p' || lpad(i::VARCHAR, 2, '0'), "
                    "'Provider ' || (12 - i) FROM range(12) t(i)")
    finally:
        con.close()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pairs") / "ledger.duckdb"
    build(path)
    return path


def _expected(con, columns: list[str]) -> list[tuple]:
    con.execute(compare.ALL_PAIRS_SQL)
    return con.execute(compare.pairs_sql(columns)).fetchall()


@pytest.mark.parametrize("max_pairs", [10**9, 200, 1])
def test_all_pairs_match_the_join_in_order(db: Path, tmp_path: Path, max_pairs: int) -> None:
    con = connect(db, read_only=True)
    try:
        columns = compare.prepare(con, AS_OF, compare.ComparisonConfig(cheapest_from="all"))
        expected = _expected(con, columns)
        written = write_comparisons(con, columns, tmp_path, max_pairs)
        files = [str(tmp_path / f) for f in written.files]
        got = con.execute("SELECT * FROM read_parquet($f)", {"f": files}).fetchall()
        names = [d[0] for d in con.execute("SELECT * FROM read_parquet($f) LIMIT 0", {"f": files}).description]
        assert names == [d[0] for d in con.execute(compare.pairs_sql(columns) + " LIMIT 0").description]
    finally:
        con.close()
    sides = MODELS  # every model has an offer
    assert written.pairs == len(got) == sides * (sides - 1) // 2
    if max_pairs >= written.pairs:
        assert written.files == (COMPARISONS_PARQUET,)
    else:
        assert len(written.files) > 1 and all(f.startswith("comparisons-") for f in written.files)
    assert got == expected  # same values, same order
    assert any(r[names.index("provider_overlap")] for r in got) and any(r[names.index("shared_benchmarks")] for r in got)
    assert any(r[names.index("only_a")] for r in got) and any(not r[names.index("shared_capabilities")] for r in got)


def test_same_bytes_on_one_or_two_threads(db: Path, tmp_path: Path) -> None:
    out: list[bytes] = []
    for threads in (1, 2):
        con = connect(db, read_only=True)
        try:
            con.execute(f"SET threads = {threads}")
            columns = compare.prepare(con, AS_OF, compare.ComparisonConfig())
            (tmp_path / str(threads)).mkdir()
            write_comparisons(con, columns, tmp_path / str(threads))
        finally:
            con.close()
        out.append((tmp_path / str(threads) / COMPARISONS_PARQUET).read_bytes())
    assert out[0] == out[1]


def test_no_pair_is_an_empty_file_with_the_columns(tmp_path: Path) -> None:
    path = tmp_path / "empty.duckdb"
    connect(path).close()
    con = connect(path)
    try:
        columns = compare.prepare(con, AS_OF, compare.ComparisonConfig())
        written = write_comparisons(con, columns, tmp_path)
        got = con.execute("SELECT * FROM read_parquet($f)", {"f": str(tmp_path / COMPARISONS_PARQUET)})
        assert written.pairs == 0 and got.fetchall() == []
        assert "shared_benchmarks" in [d[0] for d in got.description]
    finally:
        con.close()


def test_pair_blocks_cover_every_first_model_once() -> None:
    assert compare.pair_blocks(0, 10) == [] and compare.pair_blocks(1, 10) == []
    assert compare.pair_blocks(5, 10**6) == [(1, 4)]
    blocks = compare.pair_blocks(100, 500)
    assert blocks[0][0] == 1 and blocks[-1][1] == 99
    assert all(b[0] == a[1] + 1 for a, b in itertools.pairwise(blocks))
    assert all(sum(100 - a for a in range(f, l + 1)) <= 500 for f, l in blocks)
