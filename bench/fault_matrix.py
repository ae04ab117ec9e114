"""Fault matrix: run llm-ledger as users run it through fault cases and report expected vs observed.

Every case drives the real CLI (`.venv/bin/llm-ledger`) in subprocesses, on real DuckDB files in a
temporary folder; live crawls fetch from an HTTP server on 127.0.0.1 that serves the bundled
recorded pages (spiders/recorded/), altered per case. Nothing touches the internet, and the repo
is never edited (the configuration case runs a temporary copy of it).

Families (bench/faults/):
  kill         SIGKILL of the whole process tree at seeded moments of `run`, `rebuild`, `run --live`
  shrink       Cloudflare's page with 1 of 7 LLM rows, cut inside LLM row 2 / 4 / 7, or after the LLM table
  placeholder  "N/A" prices in OpenRouter / LiteLLM, LiteLLM price keys renamed
  damage       14 kinds of damage to the raw archive, then `rebuild` (and `rebuild --skip-damaged`)
  hostile      links.details to file:// and another host; hostile model ids (NUL, newline, RTL, ../, long)
  range        prices of 1e13 and 1e-16 USD/token, a context of 1e30 in a catalog
  http         503 + Retry-After, 404, 500, slow (timeout), oversize body, connection dropped
  disk         a nearly full disk (tmpfs of 30 MB; skipped when mount is not permitted)
  exports      a stale .tmp-* folder; run vs rebuild exports byte-identical
  determinism  the same crawl loaded twice, the same run twice: no new versions
  config       an empty block in warehouse/curated/aliases.yaml (replay and live)
  fuzz         bench/fuzz_normalize.py, when present: its figures are folded in

Each case is a function returning (ok, detail); the detail says what was observed. Verdicts:
  kill: "survived" = right after the SIGKILL (of the CLI and every child, frozen first with
        SIGSTOP) the warehouse equals the previous or the completed reference state (row counts
        and sha256 of every state table; JSON compared with sorted keys), and the next plain
        `run` exits 0 (after a live crawl: retires no offer, judges no half-fetched source ok).
  damage: "detected" = `rebuild` exits non-zero, its error names the damaged crawl or file, and
        the warehouse is unchanged; else "changed_data_silently" (exit 0, state changed),
        "unnoticed_no_change" (exit 0, same state) or "error_not_specific".
The summary (the last stdout line, one JSON object) counts cases, passes, failures (by name),
kills tried/survived, damage verdicts, `--skip-damaged` reports, and the fuzz figures, with the
git revision, the machine's CPU count and load (runtimes depend on it: the machine may be shared).
A table comes first; the exit status is 1 when any case fails. Kill moments are stratified over
the length of an uninterrupted run and drawn from --seed; a run that ends before its moment is
repeated at the same share of its own length.

    .venv/bin/python bench/fault_matrix.py                 # all 83 cases: ~5-7 min on 2 idle cores
    .venv/bin/python bench/fault_matrix.py --quick         # 26 cases, one or more per family: ~2 min
    .venv/bin/python bench/fault_matrix.py --out bench/fault_matrix.json --seed 7
    .venv/bin/python bench/fault_matrix.py --rev HEAD      # a `git archive` snapshot instead of the working tree
    .venv/bin/python bench/fault_matrix.py --only damage/ --keep   # a subset; keep the temp dirs
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.faults import harness as h  # noqa: E402
from bench.faults.core import CASES, Ctx, Skip  # noqa: E402

FAMILY_ORDER = ["kill", "shrink", "placeholder", "damage", "skip_damaged", "hostile", "range", "http",
                "disk", "exports", "determinism", "config", "fuzz"]


def git_info() -> dict[str, object]:
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30).stdout
        except Exception:  # noqa: BLE001
            return ""
    dirty = [line[3:] for line in git("status", "--porcelain", "--untracked-files=all").splitlines()
             if line.strip() and not line[3:].startswith(("bench/fault_matrix", "bench/faults/"))]  # not the harness itself
    return {"head": git("rev-parse", "--short", "HEAD").strip(), "code_under_test": h.CODE.label,
            "uncommitted_files_in_working_tree": dirty}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--quick", action="store_true", help="one or two cases per family (< 3 min)")
    ap.add_argument("--out", type=Path, help="also write the full results as JSON here")
    ap.add_argument("--seed", type=int, default=20260604, help="seed of the kill moments (default 20260604)")
    ap.add_argument("--only", action="append", default=[], help="run only cases whose family/name contains this (repeatable)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary work dir")
    ap.add_argument("--list", action="store_true", help="list the cases and exit")
    ap.add_argument("--rev", help="test a snapshot of this git revision (git archive, run as python -m pipeline.cli) "
                                  "instead of the working tree")
    args = ap.parse_args(argv)

    started = time.monotonic()
    load_start = round(os.getloadavg()[0], 2)  # the machine is shared: runtimes depend on its load
    git_start = git_info()  # the working tree may change during a run (others commit): say so
    work = Path(tempfile.mkdtemp(prefix="llm-ledger-faults-"))
    try:
        h.configure(args.rev, work)
        from bench.faults import damage, kills, live, misc  # noqa: F401  (importing registers their cases)
    except Exception:
        shutil.rmtree(work, ignore_errors=True)
        raise

    order = {f: i for i, f in enumerate(FAMILY_ORDER)}
    cases = sorted(CASES, key=lambda c: order.get(c.family, 99))  # stable: registration order within a family
    if args.quick:
        cases = [c for c in cases if c.quick]
    if args.only:
        cases = [c for c in cases if any(o in c.id for o in args.only)]
    if args.list:
        for c in cases:
            print(f"{c.id:45} {'quick ' if c.quick else '      '}{c.expected}")
        shutil.rmtree(work, ignore_errors=True)
        return 0

    h.set_subreaper()
    ctx = Ctx(work=work, seed=args.seed, quick=args.quick)
    results = []
    print(f"fault matrix: {len(cases)} cases, seed {args.seed}{' (quick)' if args.quick else ''}, "
          f"code: {h.CODE.label}, work dir {work}",
          file=sys.stderr, flush=True)
    try:
        for n, c in enumerate(cases, 1):
            ctx.current = c.id
            t = time.monotonic()
            try:
                ok, detail = c.fn(ctx)
                status = "PASS" if ok else "FAIL"
            except Skip as e:
                ok, detail, status = False, str(e), "SKIP"
            except Exception as e:  # noqa: BLE001 - a harness error is a failed case, with its reason
                ok, status = False, "FAIL"
                detail = f"harness error: {type(e).__name__}: {e} | {traceback.format_exc(limit=3)[-400:]}"
            secs = time.monotonic() - t
            results.append({"id": c.id, "family": c.family, "name": c.name, "expected": c.expected,
                            "status": status, "ok": ok, "seconds": round(secs, 1), "detail": detail})
            print(f"[{n:3}/{len(cases)}] {status} {c.id} ({secs:.1f}s): {detail[:220]}", file=sys.stderr, flush=True)
            if not args.keep:
                ctx.cleanup_case()
    finally:
        from bench.faults import misc
        misc.unmount_all(ctx)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    counted = [r for r in results if r["status"] != "SKIP"]
    failed = [r["id"] for r in counted if not r["ok"]]
    families: dict[str, str] = {}
    for f in dict.fromkeys(r["family"] for r in counted):
        rs = [r for r in counted if r["family"] == f]
        families[f] = f"{sum(r['ok'] for r in rs)}/{len(rs)}"
    kills_m = ctx.metrics.get("kills", {})
    dmg = ctx.metrics.get("damage", {})
    summary = {
        "cases": len(counted),
        "passed": len(counted) - len(failed),
        "failed": failed,
        "skipped": {r["id"]: r["detail"] for r in results if r["status"] == "SKIP"},
        "kills": {"tried": kills_m.get("tried", 0), "survived": kills_m.get("survived", 0)},
        "damage": {"tried": dmg.get("tried", 0), "detected": dmg.get("detected", 0),
                   "changed_data_silently": dmg.get("changed_data_silently", 0),
                   "unnoticed_no_change": dmg.get("unnoticed_no_change", 0),
                   "error_not_specific": dmg.get("error_not_specific", 0),
                   "skip_damaged": ctx.metrics.get("skip_damaged", {})},
        "fuzz": ctx.metrics.get("fuzz"),
        "families": families,
        "seed": args.seed,
        "quick": args.quick,
        "runtime_s": round(time.monotonic() - started, 1),
        "cpus": os.cpu_count(),
        "loadavg_1m": {"start": load_start, "end": round(os.getloadavg()[0], 2)},
        "git": {k: (len(v) if isinstance(v, list) else v) for k, v in git_start.items()},
    }
    git_end = git_info()
    if git_end != git_start:
        summary["git"]["changed_during_run"] = {"head_at_end": git_end["head"],
                                               "uncommitted_at_end": len(git_end["uncommitted_files_in_working_tree"])}

    print_table(results)
    for note in ctx.notes:
        print(f"note: {note}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"summary": summary, "git": {"start": git_start, "end": git_end}, "setup_seconds": ctx.setup, "notes": ctx.notes,
                                        "fuzz_full": ctx.metrics.get("fuzz_full"),
                                        "results": results}, indent=2, default=str) + "\n")
    print(json.dumps(summary, separators=(",", ":"), default=str), flush=True)
    return 1 if failed else 0


def print_table(results: list[dict]) -> None:
    width = shutil.get_terminal_size((160, 40)).columns
    idw = max([len(r["id"]) for r in results] + [4])
    detail_w = max(40, width - idw - 16)
    print(f"{'case':{idw}}  {'result':6} {'secs':>5}  expected / observed")
    print("-" * min(width, idw + 16 + detail_w))
    for r in results:
        print(f"{r['id']:{idw}}  {r['status']:6} {r['seconds']:5.1f}  expect: {r['expected']}")
        for i, line in enumerate(textwrap.wrap(r["detail"], detail_w - 8) or [""]):
            print(f"{'':{idw}}  {'':6} {'':5}  {'saw:   ' if i == 0 else '       '}{line}")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
