"""Family "kill": SIGKILL of the whole process tree at seeded random moments during `run`,
`rebuild` and `run --live`; afterwards the warehouse must hold the previous or the completed
state, and the next plain `run` must succeed (and, after a live crawl, retire nothing)."""
from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from bench.faults import harness as h
from bench.faults.core import Ctx, Outcome, register
from bench.faults.server import FaultServer, Reply

KILLS_FULL = 6      # per scenario (run from nothing, run of a pending crawl, rebuild, live)
KILLS_QUICK = 1
ENDPOINT_DELAY = 0.8  # s per OpenRouter endpoints page: widens the "list stored, endpoints not yet" window


def _moment(ctx: Ctx, i: int, n: int, span: float) -> float:
    """Stratified seeded moment: the i-th of n equal slices of [0.02, 1.0] x span, a random point in it."""
    lo, hi = 0.02, 1.0
    u = ctx.rng("moment").random()
    return span * (lo + (hi - lo) * (i + u) / n)


def _kill_at(r: h.Running, at: float) -> bool:
    """Sleep until ``at`` s after start and SIGKILL the tree; False if it had ended already."""
    while r.elapsed() < at:
        if r.proc.poll() is not None:
            return False
        time.sleep(0.005)
    if r.proc.poll() is not None:
        return False
    r.kill9()
    return True


def _tmp_leftovers(data: Path) -> list[str]:
    ex = data / "exports"
    return sorted(p.name for p in ex.iterdir() if p.name.startswith(".tmp-") or ".old-" in p.name) if ex.is_dir() else []


def _load_kill(ctx: Ctx, i: int, n: int, scenario: str) -> Outcome:
    """Kill `run` (from nothing / with crawl X pending) or `rebuild` (with crawl X pending)."""
    if scenario == "run_fresh":
        prev, done = h.State(missing=True), ctx.ref().state
        span = ctx.ref().seconds
        data = ctx.dir() / "data"
        cmd = "run"
    else:
        prev, done = ctx.ref().state, ctx.done_x().state
        span = ctx.done_x().seconds if scenario == "run_pending" else ctx.rebuild_x_seconds()
        data = ctx.copy(ctx.pending_x())
        cmd = "run" if scenario == "run_pending" else "rebuild"
    at = _moment(ctx, i, n, span)
    frac = at / span
    template = None if scenario == "run_fresh" else ctx.pending_x()
    for _attempt in range(4):
        r = h.Running(h.cmd(cmd, "--data-dir", str(data)), ctx.dir(), "killed")
        delivered = _kill_at(r, at)
        took = r.wait(120).seconds
        if delivered:
            break
        # this run was faster than the reference one (machine load varies): start again from the
        # same state and kill at the same share of this run's length
        span = took
        at = frac * 0.97 * took
        if template is None:
            shutil.rmtree(data, ignore_errors=True)
        else:
            data = ctx.copy(template)
    else:
        raise RuntimeError(f"`{cmd}` always ended before the kill moment (last {at:.2f}s)")
    ctx.bump("kills", "tried")
    after = h.state(data)
    which = ("previous" if after.digest() == prev.digest() else
             "completed" if after.digest() == done.digest() else None)
    rec = h.cli(["run", "--data-dir", str(data)], ctx.dir(), "recover")
    final = h.state(data)
    recovered = rec.rc == 0 and final.digest() == done.digest()
    ok = which is not None and recovered
    if ok:
        ctx.bump("kills", "survived")
    detail = (f"killed `{cmd}` at {at:.2f}s of ~{span:.1f}s: state after kill = {which or 'NEITHER'}"
              + ("" if which else f" ({after.describe()}; differs from previous in {h.short(after.diff(prev), 4)})")
              + f"; next `run` rc={rec.rc}" + (" -> completed state" if recovered else
                                               f" -> {final.describe()} ({rec.tail(200)})"))
    left = _tmp_leftovers(data)
    if left:
        detail += f"; exports/ keeps {h.short(left, 2)}"
    return ok, detail


# ------------------------------------------------------------------------------------------
# live

# every source of the newest recorded crawl, in sources.yaml order (the order a plain `run --live` crawls them)
ALL_LIVE: list[str] = [s for s in h.sources_config() if (h.NEWEST / s).is_dir()]


def live_routes() -> dict[str, Reply]:
    routes = {path: Reply(s, hd, b) for path, (s, hd, b) in h.recorded_routes().items()}
    for path, reply in routes.items():
        if path.endswith("/endpoints"):
            reply.delay = ENDPOINT_DELAY
    return routes


def live_complete(ctx: Ctx) -> dict:
    """One uninterrupted `run --live` of every source served from 127.0.0.1 (control + timing)."""
    def build() -> dict:
        data = h.copy_dir(ctx.ref().data, ctx.work / "live_full" / "data")
        before = h.crawl_ids(data)
        with FaultServer(live_routes()) as srv:
            p = h.cli(["run", *h.live_args(srv.base, ALL_LIVE), "--data-dir", str(data)], ctx.work / "live_full", "run", 400)
        crawls = h.new_crawls(data, before)
        rows = h.source_rows(data, crawls[0].name) if crawls else {}
        return {"proc": p, "data": data, "rows": rows, "crawls": crawls}
    return ctx._once("live_full", build)


def live_control(ctx: Ctx) -> Outcome:
    res = live_complete(ctx)
    p, rows = res["proc"], res["rows"]
    if p.rc != 0 or not res["crawls"]:
        return False, f"rc={p.rc}: {p.tail(300)}"
    not_ok = {s: r["health"] for s, r in rows.items() if r["health"] != "ok"}
    retired, nulled, changed = h.offer_losses(ctx.ref_offers(), h.offers(res["data"]))
    added = sorted(set(h.offers(res["data"])) - set(ctx.ref_offers()))
    ok = not not_ok and len(rows) == len(ALL_LIVE) and not retired and not nulled and not changed and not added
    return ok, (f"{len(rows)}/{len(ALL_LIVE)} sources loaded in {p.seconds:.1f}s, not ok: {not_ok or 'none'}; "
                f"vs replay: retired {h.short(retired)}, nulled {h.short(nulled)}, changed {h.short(changed)}, "
                f"added {h.short(['/'.join(a) for a in added])}")


def _incomplete_sources(crawl: Path) -> dict[str, str]:
    """Sources of a killed live crawl whose fetch did not finish (fetch.json missing or without
    finished_at), with what their folder holds."""
    out = {}
    for folder in sorted(p for p in crawl.iterdir() if p.is_dir()):
        f = folder / "fetch.json"
        pages = len(h.read_pages(folder)) if (folder / "pages.jsonl").exists() else 0
        try:
            info = json.loads(f.read_text())
        except (FileNotFoundError, ValueError):
            out[folder.name] = f"no readable fetch.json, {pages} page(s)"
            continue
        if not info.get("finished_at"):
            out[folder.name] = f"fetch.json without finished_at, {pages} page(s)"
    return out


def _live_attempt(ctx: Ctx, at: float | None) -> tuple[Path, set[str], h.Running, bool, float, float]:
    """One `run --live` on a fresh copy of the reference, killed at ``at`` s (None: once
    OpenRouter's list is stored and its endpoints are not). Returns (data, crawl ids before,
    the run, delivered, the kill moment, how long the run lasted)."""
    data = ctx.copy(ctx.ref().data)
    before_ids = h.crawl_ids(data)
    with FaultServer(live_routes()) as srv:
        r = h.Running(h.cmd("run", *h.live_args(srv.base, ALL_LIVE), "--data-dir", str(data)), ctx.dir(), "killed")
        delivered, moment = False, at or 0.0
        if at is None:
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline and r.proc.poll() is None:
                crawls = h.new_crawls(data, before_ids)
                pages = crawls[0] / "openrouter" / "pages.jsonl" if crawls else None
                if pages and pages.exists() and pages.read_text().count("\n") >= 1:
                    moment = r.elapsed()
                    r.kill9()
                    delivered = True
                    break
                time.sleep(0.01)
        else:
            delivered = _kill_at(r, at)
        p = r.wait(400)
    return data, before_ids, r, delivered, moment, p.seconds


def _live_kill(ctx: Ctx, i: int, n: int, targeted: bool) -> Outcome:
    span = 0.0
    if targeted:
        data, before_ids, r, delivered, at, _ = _live_attempt(ctx, None)
        if not delivered:
            raise RuntimeError("`run --live` ended and OpenRouter's list was never seen stored without its endpoints")
    else:
        span = live_complete(ctx)["proc"].seconds
        at = _moment(ctx, i, n, 0.97 * span)
        frac = at / span
        for _attempt in range(4):
            data, before_ids, r, delivered, at, took = _live_attempt(ctx, at)
            if delivered:
                break
            span = took  # a faster run than the reference one (machine load varies): same share of this one
            at = frac * 0.97 * took
        else:
            raise RuntimeError(f"`run --live` always ended before the kill moment (last {at:.2f}s)")
    ctx.bump("kills", "tried")
    crawls = h.new_crawls(data, before_ids)
    incomplete = _incomplete_sources(crawls[0]) if crawls else {}
    after = h.state(data)
    loaded_live = False
    if crawls and not after.error and not after.empty:  # killed after the commit (during the export)
        loaded_live = bool(h.query(data, "SELECT 1 FROM crawls WHERE crawl_id = ?", [crawls[0].name]))
    which = "previous" if after.digest() == ctx.ref().state.digest() else ("live crawl loaded" if loaded_live else None)
    rec = h.cli(["run", "--data-dir", str(data)], ctx.dir(), "recover")
    problems = []
    if which is None:
        problems.append(f"state after kill is neither previous nor a loaded crawl ({after.describe()})")
    if rec.rc != 0:
        problems.append(f"next `run` rc={rec.rc}: {rec.tail(200)}")
    rows = h.source_rows(data, crawls[0].name) if crawls and rec.rc == 0 else {}
    judged_ok = sorted(s for s in incomplete if rows.get(s, {}).get("health") == "ok")
    if judged_ok:
        problems.append(f"half-fetched source(s) judged ok: {', '.join(judged_ok)}")
    retired, nulled, changed = h.offer_losses(ctx.ref_offers(), h.offers(data)) if rec.rc == 0 else ([], [], [])
    if retired:
        problems.append(f"retired {len(retired)} offer(s): {h.short(retired)}")
    if nulled:
        problems.append(f"known prices became NULL: {h.short(nulled)}")
    ok = not problems
    if ok:
        ctx.bump("kills", "survived")
    head = (f"killed `run --live` and {len(r.killed_children)} child process(es) at {at:.2f}s"
            + (" (OpenRouter list stored, endpoints not)" if targeted else f" of ~{span:.1f}s"))
    inc = "; ".join(f"{s}: {v} -> {rows.get(s, {}).get('health', 'not loaded')}" for s, v in incomplete.items()) or "none"
    later = ""
    if targeted and rec.rc == 0:  # informational: does the archive left by the crash still rebuild?
        rb = h.cli(["rebuild", "--data-dir", str(data)], ctx.dir(), "rebuild")
        later = f"; a later `rebuild`: rc={rb.rc}" + (f" ({rb.tail(160)})" if rb.rc else "")
    return ok, f"{head}; unfinished fetches: {inc}; " + ("; ".join(problems) if problems else
                                                        f"state after kill: {which}; next run ok, nothing retired") + later


def _register() -> None:
    for scenario, what in (("run_fresh", "`run` from an empty data dir"),
                           ("run_pending", "`run` loading a pending crawl"),
                           ("rebuild", "`rebuild` with a pending crawl")):
        for i in range(KILLS_FULL):
            register("kill", f"{scenario}_{i + 1}",
                     f"SIGKILL during {what}: previous or completed state; next run ok",
                     (lambda s, i: lambda ctx: _load_kill(ctx, i if not ctx.quick else 0,
                                                          KILLS_FULL if not ctx.quick else KILLS_QUICK, s))(scenario, i),
                     quick=i < KILLS_QUICK)
    register("kill", "live_control_full_crawl",
             "uninterrupted `run --live` of all 13 sources from 127.0.0.1: all ok, same offers as the replay",
             live_control)
    for i in range(KILLS_FULL - 1):
        register("kill", f"live_{i + 1}",
                 "SIGKILL during `run --live`: next `run` ok, no half-fetched source judged ok, nothing retired",
                 (lambda i: lambda ctx: _live_kill(ctx, i, KILLS_FULL - 1, False))(i))
    register("kill", "live_targeted_openrouter",
             "SIGKILL once OpenRouter's list is stored but not its endpoints: o3-mini offers not retired",
             lambda ctx: _live_kill(ctx, 0, 1, True), quick=True)


_register()
