"""All pairs at scale: comparisons parquet for N models (10,000 models: 49,995,000 pairs), measured.

Builds the synthetic warehouse of bench_load._pairs_warehouse (each model 1-5 offers among 20
providers), then runs what `llm-ledger export` runs for the comparisons parquet (compare.prepare,
export.write_comparisons: one file up to export.PAIRS_PER_FILE pairs, else one file per block of
first models) in a child process, and prints one JSON line:

    pairs        rows written (checked against N * (N - 1) / 2)
    seconds      wall time of the child's prepare + write
    peak_rss_mb  the child's peak resident memory (getrusage RUSAGE_CHILDREN ru_maxrss)
    mb           size of the parquet files
    files        how many files

    .venv/bin/python bench/pairs_scale.py --models 10000
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT, ROOT / "bench"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))


def child(db: Path, out: Path, max_pairs: int) -> None:
    """The measured part, alone in its process so that its peak RSS is its own."""
    from pipeline import compare
    from pipeline.export import write_comparisons
    from warehouse.connection import connect

    con = connect(db)
    try:
        t0 = time.perf_counter()
        columns = compare.prepare(con, date(2026, 6, 2), compare.load_comparison_config())
        written = write_comparisons(con, columns, out, max_pairs)
        took = time.perf_counter() - t0
    finally:
        con.close()
    print(json.dumps({"seconds": round(took, 2), "files": list(written.files), "pairs": written.pairs}))


def main(argv: list[str] | None = None) -> int:
    from pipeline.export import PAIRS_PER_FILE

    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--models", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=20260601)
    ap.add_argument("--max-pairs", type=int, default=PAIRS_PER_FILE, help="pairs per parquet file")
    ap.add_argument("--keep", type=Path, help="write here and keep (default: a temp dir)")
    ap.add_argument("--child", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(args.child[0], args.child[1], args.max_pairs)
        return 0
    from bench_load import _pairs_warehouse

    with tempfile.TemporaryDirectory(prefix="pairs-scale-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        db, out = work / "pairs.duckdb", work / "export"
        out.mkdir(exist_ok=True)
        for old in out.glob("comparisons*.parquet"):
            old.unlink()
        _pairs_warehouse(db, args.models, args.seed)
        proc = subprocess.run([sys.executable, __file__, "--max-pairs", str(args.max_pairs), "--child", str(db), str(out)],
                              capture_output=True, text=True, check=False)
        if proc.returncode:
            sys.stderr.write(proc.stderr)
            return proc.returncode
        got = json.loads(proc.stdout.strip().splitlines()[-1])
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
        files = [out / f for f in got["files"]]
        import duckdb

        rows = duckdb.connect().execute("SELECT count(*) FROM read_parquet($f)", {"f": [str(f) for f in files]}).fetchone()[0]
        expected = args.models * (args.models - 1) // 2
        if rows != expected or got["pairs"] != expected:
            raise SystemExit(f"{rows} rows written, {got['pairs']} counted, expected {expected}")
        print(json.dumps({"models": args.models, "pairs": rows, "seconds": got["seconds"],
                          "peak_rss_mb": round(peak_kb / 1024, 1),
                          "mb": round(sum(f.stat().st_size for f in files) / 1_000_000, 1), "files": len(files)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
