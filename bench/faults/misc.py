"""Families disk, exports, determinism, config and fuzz."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from bench.faults import harness as h
from bench.faults.core import Ctx, Outcome, Skip, X_CRAWL, case, register
from bench.faults.live import CF, CF_PATH, recorded
from bench.faults.server import FaultServer

# ------------------------------------------------------------------------------------------
# disk: a nearly full tmpfs

_MOUNTS: list[Path] = []


def _mount(ctx: Ctx, size: str = "30m") -> Path:
    mnt = ctx.dir("mnt")
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mnt)], capture_output=True, text=True)
    if p.returncode != 0:
        raise Skip(f"mount -t tmpfs not permitted here ({(p.stderr or p.stdout).strip()[:120]}): disk family skipped")
    _MOUNTS.append(mnt)
    return mnt


def _umount(mnt: Path) -> None:
    if subprocess.run(["umount", str(mnt)], capture_output=True).returncode != 0:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)
    if mnt in _MOUNTS:
        _MOUNTS.remove(mnt)


def unmount_all(ctx: Ctx) -> None:
    for mnt in list(_MOUNTS):
        _umount(mnt)


def _fill(mnt: Path, keep: int) -> Path:
    """A filler file taking all free space of ``mnt`` but ``keep`` bytes."""
    st = os.statvfs(mnt)
    free = st.f_bavail * st.f_frsize
    filler = mnt / "filler"
    size = max(0, free - keep)
    with open(filler, "wb") as f:
        if size:
            os.posix_fallocate(f.fileno(), 0, size)
    return filler


def _disk(ctx: Ctx, keep: int) -> Outcome:
    prev, done = ctx.ref().state, ctx.done_x().state
    mnt = _mount(ctx)
    try:
        data = h.copy_dir(ctx.pending_x(), mnt / "data")
        filler = _fill(mnt, keep)
        st = os.statvfs(mnt)
        free = st.f_bavail * st.f_frsize
        p = h.cli(["run", "--data-dir", str(data)], ctx.dir(), "run")
        filler.unlink()
        after = h.state(data)
        which = "previous" if after.digest() == prev.digest() else "completed" if after.digest() == done.digest() else None
        rec = h.cli(["run", "--data-dir", str(data)], ctx.dir(), "recover")
        final = h.state(data)
    finally:
        _umount(mnt)
    problems = []
    if p.rc == 0:
        if which != "completed":
            problems.append("exit 0 but the load is not complete")
        verdict = f"enough room ({free // 1024} KB free): run completed"
    else:
        verdict = f"rc={p.rc} with {free // 1024} KB free"
        if "No space left on device" not in p.text:
            problems.append("no 'No space left on device' in the message")
        if p.traceback:
            problems.append("Python traceback on stderr")
    if which is None:
        problems.append(f"warehouse neither previous nor completed: {after.describe()}")
    rec_s = "recovered" if rec.rc == 0 and final.digest() == done.digest() else f"next run rc={rec.rc}, {final.describe()}"
    return not problems, (f"{verdict}; state {which or 'NEITHER'}; " + ("; ".join(problems) or
                                                                       ("clean failure" if p.rc else "no fault hit"))
                          + f"; with space again: {rec_s}" + (f"; said: {p.tail(160)}" if p.rc else ""))


for _keep, _quick in ((0, False), (256 * 1024, True), (1024 * 1024, False), (4 * 1024 * 1024, False)):
    register("disk", f"tmpfs_free_{_keep // 1024}kb",
             "run with a pending crawl on a nearly full tmpfs: previous state kept, 'No space left on device', no traceback",
             (lambda k: lambda ctx: _disk(ctx, k))(_keep), quick=_quick)


# ------------------------------------------------------------------------------------------
# exports

@case("exports", "stale_tmp_removed", "stale exports/.tmp-* folders are removed by the next `export`", quick=True)
def stale_tmp(ctx: Ctx) -> Outcome:
    data = ctx.copy(ctx.ref().data)
    stale = [data / "exports" / ".tmp-0123456789ab", data / "exports" / ".tmp-latest-0123456789ab"]
    for s in stale:
        (s / "models").mkdir(parents=True)
        (s / "models" / "half-written.json").write_text("{")
    p = h.cli(["export", "--data-dir", str(data)], ctx.dir(), "export")
    left = [s.name for s in stale if s.exists()]
    ok = p.rc == 0 and not left
    return ok, f"rc={p.rc}; " + (f"still there: {', '.join(left)}" if left else "both removed") + (
        f"; {p.tail(160)}" if p.rc else "")


def _tree(folder: Path) -> dict[str, bytes]:
    out = {}
    for f in sorted(folder.rglob("*")):
        if f.is_file():
            b = f.read_bytes()
            if f.name == "manifest.json" and f.parent == folder:
                m = json.loads(b)
                m.pop("generated_at", None)
                m.pop("run_id", None)
                b = json.dumps(m, sort_keys=True).encode()
            out[f.relative_to(folder).as_posix()] = b
    return out


@case("exports", "run_vs_rebuild_identical",
      "export after `run` and after `rebuild` of the same archive: byte-identical (manifest minus generated_at/run_id)", quick=True)
def run_vs_rebuild(ctx: Ctx) -> Outcome:
    data = ctx.copy(ctx.ref().data)
    dated = sorted(p for p in (data / "exports").iterdir() if re.fullmatch(r"\d{4}-\d{2}-\d{2}", p.name))
    if not dated:
        return False, "no dated export after `run`"
    name = dated[-1].name
    first = _tree(dated[-1])  # read into memory: the exports folder is removed before the rebuild,
    shutil.rmtree(data / "exports")  # so that it cannot reuse what `run` wrote
    p = h.cli(["rebuild", "--data-dir", str(data)], ctx.dir(), "rebuild")
    if p.rc != 0:
        return False, f"rebuild rc={p.rc}: {p.tail(200)}"
    if not (data / "exports" / name).is_dir():
        return False, f"rebuild wrote no exports/{name}"
    second = _tree(data / "exports" / name)
    differ = sorted(k for k in set(first) | set(second) if first.get(k) != second.get(k))
    return not differ, (f"{len(first)} files compared; " + (f"differ: {h.short(differ, 5)}" if differ else "all identical"))


# ------------------------------------------------------------------------------------------
# determinism

VERSION_TABLES = ("model_versions", "offer_versions", "benchmark_versions")


@case("determinism", "same_crawl_loaded_twice", "the newest crawl again under a new id (a day later): no new versions", quick=True)
def same_twice(ctx: Ctx) -> Outcome:
    data = ctx.copy(ctx.ref().data)
    h.add_crawl(data, "20260605T060000Z", "2026-06-05T06:00:00Z")
    p = h.cli(["run", "--data-dir", str(data)], ctx.dir(), "run")
    after = h.state(data)
    ref = ctx.ref().state
    new = {t: after.count(t) - ref.count(t) for t in VERSION_TABLES}
    ok = p.rc == 0 and not any(new.values())
    differ = []
    for view in ("models_current", "offers_current", "benchmarks_current"):
        sql = f"SELECT * EXCLUDE (last_reviewed) FROM {view} ORDER BY ALL"
        a, b = h.query(ctx.ref().data, sql), h.query(data, sql)
        if h._sha_rows(a) != h._sha_rows(b):
            differ.append(view)
    cur = (f"current views differ beyond last_reviewed: {', '.join(differ)}" if differ else
           "current views identical but for last_reviewed (the new crawl's date)")
    return ok, f"rc={p.rc}; new versions: {new}; {cur}" + (f"; {p.tail(160)}" if p.rc else "")


@case("determinism", "run_twice", "a second plain `run` with nothing new: exit 0, state identical")
def run_twice(ctx: Ctx) -> Outcome:
    data = ctx.copy(ctx.ref().data)
    p = h.cli(["run", "--data-dir", str(data)], ctx.dir(), "run")
    after = h.state(data)
    same = after.digest() == ctx.ref().state.digest()
    return p.rc == 0 and same, f"rc={p.rc}; " + ("state identical" if same else f"changed: {h.short(ctx.ref().state.diff(after), 4)}")


# ------------------------------------------------------------------------------------------
# config: an empty block in warehouse/curated/aliases.yaml, in a temporary copy of the repo

IGNORE = shutil.ignore_patterns(".venv", "data", ".git", ".hypothesis", ".pytest_cache", "__pycache__", "*.egg-info")


def _repo_copy(ctx: Ctx) -> Path:
    def build() -> Path:
        repo = ctx.work / "repo_copy"
        shutil.copytree(h.CODE.root, repo, ignore=IGNORE)
        aliases = repo / "warehouse" / "curated" / "aliases.yaml"
        text = aliases.read_text()
        # the groq block keeps its header and loses its entries: "groq:" with nothing under it
        new, n = re.subn(r"(?m)^(  groq:\n)((?:    .*\n|\s*#.*\n)+)", lambda m: m.group(1) + "".join(
            "    # " + ln.strip() + "\n" for ln in m.group(2).splitlines()), text)
        assert n == 1, "groq block not found in aliases.yaml"
        aliases.write_text(new)
        env = h.cli_env({"PYTHONPATH": str(repo)})
        where = subprocess.run([str(h.VENV_PY), "-c", "import pipeline, warehouse; print(pipeline.__file__, warehouse.__file__)"],
                               cwd=repo, env=env, capture_output=True, text=True).stdout
        assert str(repo) in where and where.count(str(repo)) == 2, f"the copy is not what runs: {where}"
        return repo
    return ctx._once("repo_copy", build)


def _config_checks(p: h.Proc, data: Path, crawl: str | None) -> list[str]:
    problems = []
    if p.rc == 0:
        problems.append("exit 0")
    if "aliases.yaml" not in "".join(p.text.split()):
        problems.append("message does not name aliases.yaml")
    if p.traceback:
        problems.append("Python traceback")
    try:
        failed = h.query(data, "SELECT crawl_id, source_id FROM crawl_sources WHERE health = 'failed'"
                         + (" AND crawl_id = ?" if crawl else ""), [crawl] if crawl else [])
    except Exception as e:  # noqa: BLE001
        failed = [("?", f"unreadable: {e}")]
    if failed:
        problems.append(f"{len(failed)} source(s) marked failed: {h.short([s for _, s in failed])}")
    return problems


@case("config", "aliases_empty_block_replay",
      "aliases.yaml with an empty block, plain `run` with a pending crawl: stops naming the file, no source failed, warehouse kept",
      quick=True)
def config_replay(ctx: Ctx) -> Outcome:
    repo = _repo_copy(ctx)
    data = ctx.copy(ctx.pending_x())
    p = h.cli(["run", "--data-dir", str(data)], ctx.dir(), "run", cwd=repo,
              env=h.cli_env({"PYTHONPATH": str(repo)}), argv0=[str(h.VENV_PY), "-m", "pipeline.cli"])
    problems = _config_checks(p, data, X_CRAWL)
    after = h.state(data)
    if after.digest() != ctx.ref().state.digest():
        problems.append(f"warehouse changed: {h.short(ctx.ref().state.diff(after), 3)}")
    return not problems, f"rc={p.rc}; " + ("; ".join(problems) or "stopped cleanly") + f"; said: {p.tail(200)}"


@case("config", "aliases_empty_block_live",
      "aliases.yaml with an empty block, `run --live`: stops before fetching, names the file, no source failed")
def config_live(ctx: Ctx) -> Outcome:
    repo = _repo_copy(ctx)
    data = ctx.copy(ctx.ref().data)
    before = h.crawl_ids(data)
    with FaultServer(recorded([CF])) as srv:
        p = h.cli(["run", *h.live_args(srv.base, [CF]), "--data-dir", str(data)], ctx.dir(), "run", cwd=repo,
                  env=h.cli_env({"PYTHONPATH": str(repo)}), argv0=[str(h.VENV_PY), "-m", "pipeline.cli"])
        fetched = srv.hits(CF_PATH)
    problems = _config_checks(p, data, None)
    if fetched:
        problems.append(f"fetched {CF} before stopping ({len(fetched)} request(s))")
    new = h.new_crawls(data, before)
    return not problems, (f"rc={p.rc}; " + ("; ".join(problems) or "stopped at once") +
                          f"; new crawl folders: {len(new)}; said: {p.tail(200)}")


# ------------------------------------------------------------------------------------------
# fuzz: bench/fuzz_normalize.py (written by another engineer), when present

@case("fuzz", "normalize_fuzz", "bench/fuzz_normalize.py: 0 crashes, 0 wrong", quick=True)
def fuzz(ctx: Ctx) -> Outcome:
    script = h.CODE.root / "bench" / "fuzz_normalize.py"
    where = "" if h.CODE.root == h.ROOT else f" (from {h.CODE.label})"
    if not script.exists() and (h.ROOT / "bench" / "fuzz_normalize.py").exists():
        script = h.ROOT / "bench" / "fuzz_normalize.py"
        where = " (not in the tested revision: the working tree's script and code)"
    if not script.exists():
        raise Skip("bench/fuzz_normalize.py not present yet")
    root = script.parents[1]
    env = h.cli_env({"PYTHONPATH": str(root)})
    help_text = subprocess.run([str(h.VENV_PY), str(script), "--help"], cwd=root, capture_output=True, text=True,
                               env=env, timeout=120).stdout
    args = ["--quick"] if ctx.quick and "--quick" in help_text else []
    p = subprocess.run([str(h.VENV_PY), str(script), *args], cwd=root, capture_output=True, text=True,
                       env=env, timeout=600)
    figures = None
    for line in reversed(p.stdout.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                figures = json.loads(line)
                break
            except ValueError:
                continue
    if figures is None:
        return False, f"rc={p.returncode}, no JSON line: {(p.stderr or p.stdout)[-200:]}"
    def n(v: object) -> object:
        return len(v) if isinstance(v, (list, dict)) else v
    keep = {k: n(v) for k, v in figures.items() if not isinstance(v, dict) or k == "per_function"}
    keep.pop("per_function", None)
    ctx.metrics["fuzz"] = {**keep, "script": str(script.relative_to(root)) + where}
    ctx.metrics["fuzz_full"] = figures
    ok = n(figures.get("crashes")) == 0 and n(figures.get("wrong")) == 0
    shown = ", ".join(f"{k}={v}" for k, v in keep.items())
    return ok, f"rc={p.returncode}{where}; {shown}"
