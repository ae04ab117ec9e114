"""The harness of the fault matrix: run the CLI as users do (a subprocess per command, a real
DuckDB file in a temp dir), kill process trees with SIGKILL, hash the warehouse state read-only,
and edit raw-archive folders. Imports nothing of the project: what it measures is only the CLI,
the files it leaves behind and the warehouse read through DuckDB."""
from __future__ import annotations

import ctypes
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import yaml

ROOT = Path(__file__).resolve().parents[2]
VENV_PY = ROOT / ".venv" / "bin" / "python"
CLI_BIN = ROOT / ".venv" / "bin" / "llm-ledger"


@dataclass
class Code:
    """The code under test: the working tree through the installed `llm-ledger` script (as users
    run it), or a snapshot of a git revision run as `python -m pipeline.cli` from its folder."""
    root: Path
    argv0: list[str]
    env: dict[str, str]
    label: str


CODE = Code(ROOT, [str(CLI_BIN)], {}, "working tree")


def configure(rev: str | None, work: Path) -> Code:
    """Point the harness at ``rev`` (a snapshot made with `git archive`), else the working tree."""
    global CODE, RECORDED, SOURCES_YAML, NEWEST
    if rev:
        sha = subprocess.run(["git", "rev-parse", "--short", rev], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.strip()
        dest = work / f"code-{sha}"
        dest.mkdir(parents=True)
        archive = subprocess.run(["git", "archive", "--format=tar", rev], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
        CODE = Code(dest, [str(VENV_PY), "-m", "pipeline.cli"], {"PYTHONPATH": str(dest)}, f"git {rev} ({sha})")
        where = subprocess.run([str(VENV_PY), "-c", "import pipeline, spiders, warehouse; "
                                "print(pipeline.__file__, spiders.__file__, warehouse.__file__)"],
                               cwd=dest, env=cli_env(CODE.env), capture_output=True, text=True).stdout
        if where.count(str(dest)) != 3:
            raise RuntimeError(f"the snapshot {dest} is not what Python imports: {where}")
    RECORDED = CODE.root / "spiders" / "recorded"
    SOURCES_YAML = _sources_yaml(CODE.root)
    NEWEST = recorded_crawls()[-1]
    return CODE


def cmd(*args: str) -> list[str]:
    """The command line of ``llm-ledger ARGS`` for the code under test."""
    return [*CODE.argv0, *args]


RECORDED = ROOT / "spiders" / "recorded"
def _sources_yaml(root: Path) -> Path:
    """The sources registry of a tree: pipeline/sources.yaml (package data), at the root before issue 12."""
    return next((p for p in (root / "pipeline" / "sources.yaml", root / "sources.yaml") if p.exists()),
                root / "pipeline" / "sources.yaml")


SOURCES_YAML = _sources_yaml(ROOT)
TRANSFER_HEADERS = {"content-length", "content-encoding", "transfer-encoding", "connection", "keep-alive"}
# Settings that make a crawl of 127.0.0.1 fast (no politeness delays against our own server).
FAST = ["--crawl-setting", "AUTOTHROTTLE_START_DELAY=0", "--crawl-setting", "DOWNLOAD_DELAY=0",
        "--crawl-setting", "DOWNLOAD_TIMEOUT=10"]


def recorded_crawls() -> list[Path]:
    return sorted(p for p in RECORDED.iterdir() if (p / "crawl.json").exists())


NEWEST = recorded_crawls()[-1]  # set again by configure()


# ------------------------------------------------------------------------------------------
# processes

@dataclass
class Proc:
    argv: list[str]
    rc: int | None
    out: str
    err: str
    seconds: float
    timed_out: bool = False
    killed_at: float | None = None  # seconds after start when SIGKILL was sent

    @property
    def text(self) -> str:
        return self.out + "\n" + self.err

    @property
    def traceback(self) -> bool:
        return "Traceback" in self.err or "Traceback" in self.out

    def tail(self, n: int = 300) -> str:
        """The last n characters of stderr (else stdout), on one line, for a detail column."""
        text = (self.err.strip() or self.out.strip())[-n:]
        return re.sub(r"\s+", " ", text)


def cli_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("LLM_LEDGER_") and k != "ARTIFICIAL_ANALYSIS_API_KEY"}
    env.update({"COLUMNS": "200", "TERM": "dumb", "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"})
    env.update(extra or {})
    return env


def set_subreaper() -> bool:
    """Become the reaper of orphaned descendants (crawl children of a killed CLI), so that they
    can be found and killed by pid rather than left running under init."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except Exception:
        return False


def _children_map() -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            stat = Path(f"/proc/{d}/stat").read_text()
        except OSError:
            continue
        rest = stat[stat.rindex(")") + 2:].split()
        out.setdefault(int(rest[1]), []).append(int(d))
    return out


def descendants(pid: int) -> list[int]:
    kids = _children_map()
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for c in kids.get(p, []):
            out.append(c)
            todo.append(c)
    return out


def kill_tree(pid: int) -> list[int]:
    """SIGSTOP the process and every descendant (so nothing forks meanwhile), then SIGKILL them
    all: a crash of the whole run at one moment (power loss, OOM kill of the container). Returns
    the descendants that were killed."""
    frozen: set[int] = set()
    for _ in range(10):
        new = [p for p in [pid, *descendants(pid)] if p not in frozen]
        if not new:
            break
        for p in new:
            try:
                os.kill(p, signal.SIGSTOP)
            except ProcessLookupError:
                pass
        frozen.update(new)
    for p in frozen:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return sorted(frozen - {pid})


def reap(pids: Iterable[int], timeout: float = 5.0) -> None:
    """Collect killed grandchildren that were re-parented to this process (subreaper)."""
    deadline = time.monotonic() + timeout
    left = set(pids)
    while left and time.monotonic() < deadline:
        for p in list(left):
            try:
                done, _ = os.waitpid(p, os.WNOHANG)
                if done:
                    left.discard(p)
            except ChildProcessError:  # not (yet) our child, or already reaped
                if not Path(f"/proc/{p}").exists():
                    left.discard(p)
        time.sleep(0.02)


class Running:
    """A CLI command started in the background (its own session), output to files."""

    def __init__(self, argv: list[str], logdir: Path, name: str, cwd: Path | None = None,
                 env: dict[str, str] | None = None) -> None:
        logdir.mkdir(parents=True, exist_ok=True)
        self.argv = argv
        self.out_path = logdir / f"{name}.out"
        self.err_path = logdir / f"{name}.err"
        self._out = open(self.out_path, "wb")
        self._err = open(self.err_path, "wb")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(argv, cwd=cwd or CODE.root, env=env or cli_env(CODE.env), stdin=subprocess.DEVNULL,
                                     stdout=self._out, stderr=self._err, start_new_session=True)
        self.killed_at: float | None = None
        self.killed_children: list[int] = []

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def kill9(self) -> None:
        self.killed_at = self.elapsed()
        self.killed_children = kill_tree(self.proc.pid)

    def wait(self, timeout: float | None = None) -> Proc:
        timed_out = False
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            self.kill9()
            self.proc.wait()
        except BaseException:  # Ctrl-C of the harness: leave no CLI or crawl process behind
            self.kill9()
            self.proc.wait()
            raise
        reap(self.killed_children)
        seconds = self.elapsed()
        self._out.close()
        self._err.close()
        return Proc(self.argv, self.proc.returncode, self.out_path.read_text(errors="replace"),
                    self.err_path.read_text(errors="replace"), seconds, timed_out, self.killed_at)


def cli(args: list[str], logdir: Path, name: str, timeout: float = 300, cwd: Path | None = None,
        env: dict[str, str] | None = None, argv0: list[str] | None = None) -> Proc:
    """Run ``llm-ledger ARGS`` to the end (killed after ``timeout``)."""
    return Running([*(argv0 or CODE.argv0), *args], logdir, name, cwd, env).wait(timeout)


def cli_help(command: str) -> str:
    p = subprocess.run(cmd(command, "--help"), capture_output=True, text=True, env=cli_env(CODE.env),
                       cwd=CODE.root, timeout=60)
    return p.stdout + p.stderr


# ------------------------------------------------------------------------------------------
# warehouse state (read-only)

STATE_SQL = {
    "crawls": "SELECT crawl_id, started_at, mode FROM crawls ORDER BY ALL",
    "crawl_sources": "SELECT * FROM crawl_sources ORDER BY ALL",
    "models_current": "SELECT * FROM models_current ORDER BY ALL",
    "offers_current": "SELECT * FROM offers_current ORDER BY ALL",
    "benchmarks_current": "SELECT * FROM benchmarks_current ORDER BY ALL",
    "model_versions": "SELECT * FROM model_versions ORDER BY ALL",
    "offer_versions": "SELECT * FROM offer_versions ORDER BY ALL",
    "benchmark_versions": "SELECT * FROM benchmark_versions ORDER BY ALL",
    "observations": "SELECT * FROM observations ORDER BY ALL",
    "problems": "SELECT * FROM problems ORDER BY ALL",
    "conflict_log": "SELECT * FROM conflict_log ORDER BY ALL",
    "raw_pages": "SELECT * FROM raw_pages ORDER BY ALL",
}
CURRENT = ("crawls", "models_current", "offers_current", "benchmarks_current")


@dataclass(frozen=True)
class State:
    """Row count and sha256 of each table/view; ``missing``: no warehouse file; ``error``: unreadable."""
    tables: tuple[tuple[str, int, str], ...] = ()
    missing: bool = False
    error: str | None = None

    @property
    def empty(self) -> bool:
        return self.missing or (self.error is None and all(n == 0 for _, n, _ in self.tables))

    def digest(self, names: Iterable[str] | None = None) -> str:
        if self.error:
            return f"error:{self.error}"
        if self.empty:
            return "empty"
        keep = set(names) if names is not None else None
        h = hashlib.sha256()
        for name, n, sha in self.tables:
            if keep is None or name in keep:
                h.update(f"{name}:{n}:{sha}\n".encode())
        return h.hexdigest()[:16]

    def count(self, name: str) -> int:
        return next((n for t, n, _ in self.tables if t == name), -1)

    def diff(self, other: State) -> list[str]:
        if self.error or other.error or self.empty or other.empty:
            return [] if self.digest() == other.digest() else ["<whole state>"]
        mine = {t: (n, s) for t, n, s in self.tables}
        theirs = {t: (n, s) for t, n, s in other.tables}
        return [f"{t}({mine.get(t, (None,))[0]}->{theirs.get(t, (None,))[0]})"
                for t in sorted(set(mine) | set(theirs)) if mine.get(t) != theirs.get(t)]

    def describe(self) -> str:
        if self.error:
            return f"unreadable ({self.error[:160]})"
        if self.empty:
            return "empty"
        return f"{self.digest()} (crawls={self.count('crawls')}, offers={self.count('offers_current')})"


def _canonical(v: Any) -> Any:
    """JSON text (provenance, claims, headers) with its keys sorted: the same facts hash the same
    whatever order a run wrote the keys in (raw_hashes() keeps the order-sensitive hash)."""
    if isinstance(v, str) and v[:1] in "{[":
        try:
            return json.dumps(json.loads(v), sort_keys=True)
        except ValueError:
            return v
    return v


def _sha_rows(rows: list[tuple[Any, ...]], canonical: bool = True) -> str:
    h = hashlib.sha256()
    keyed = [repr(tuple(_canonical(v) for v in r) if canonical else r) for r in rows]
    for line in sorted(keyed) if canonical else keyed:
        h.update(line.encode("utf-8", "backslashreplace"))
        h.update(b"\n")
    return h.hexdigest()


def connect_ro(db: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(db), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    return con


def state(data_dir: Path) -> State:
    db = Path(data_dir) / "ledger.duckdb"
    if not db.exists():
        return State(missing=True)
    try:
        con = connect_ro(db)
    except Exception as e:  # noqa: BLE001 - a corrupt file is a finding, not a harness error
        return State(error=f"{type(e).__name__}: {e}")
    try:
        tables = []
        for name, sql in STATE_SQL.items():
            try:
                rows = con.execute(sql).fetchall()
            except duckdb.CatalogException:  # schema not created yet (killed during migration)
                rows = []
            tables.append((name, len(rows), _sha_rows(rows)))
        return State(tuple(tables))
    except Exception as e:  # noqa: BLE001
        return State(error=f"{type(e).__name__}: {e}")
    finally:
        con.close()


def raw_hashes(data_dir: Path) -> dict[str, str]:
    """Order- and byte-sensitive hashes of the state tables (JSON text as stored)."""
    con = connect_ro(Path(data_dir) / "ledger.duckdb")
    try:
        return {name: _sha_rows(con.execute(sql).fetchall(), canonical=False) for name, sql in STATE_SQL.items()}
    finally:
        con.close()


def query(data_dir: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    con = connect_ro(Path(data_dir) / "ledger.duckdb")
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


PRICE_COLUMNS = ["input_usd_per_mtok", "output_usd_per_mtok", "cached_input_usd_per_mtok", "cache_write_usd_per_mtok",
                 "input_usd_per_mtok_above_tier", "output_usd_per_mtok_above_tier"]
OFFER_KEY = ["model_id", "provider_id", "variant"]


def offers(data_dir: Path, provider: str | None = None) -> dict[tuple[str, ...], dict[str, Any]]:
    """offers_current keyed by (model_id, provider_id, variant): price columns + context."""
    cols = [*OFFER_KEY, "provider_model_id", *PRICE_COLUMNS, "context_window"]
    sql = f"SELECT {', '.join(cols)} FROM offers_current"
    rows = query(data_dir, sql + (" WHERE provider_id = ?" if provider else ""), [provider] if provider else [])
    return {tuple(r[:3]): dict(zip(cols[3:], r[3:])) for r in rows}


def offer_losses(before: dict[tuple[str, ...], dict[str, Any]], after: dict[tuple[str, ...], dict[str, Any]]
                 ) -> tuple[list[str], list[str], list[str]]:
    """(retired offers, known prices that became NULL, prices that changed) from before to after."""
    retired = ["/".join(k) for k in before if k not in after]
    nulled, changed = [], []
    for k, b in before.items():
        a = after.get(k)
        if a is None:
            continue
        for col in PRICE_COLUMNS:
            if b[col] is not None and a[col] is None:
                nulled.append(f"{'/'.join(k)}.{col}")
            elif b[col] is not None and a[col] != b[col]:
                changed.append(f"{'/'.join(k)}.{col} {b[col]}->{a[col]}")
    return retired, nulled, changed


def short(items: list[str], n: int = 3) -> str:
    if not items:
        return "none"
    return ", ".join(items[:n]) + (f" (+{len(items) - n} more)" if len(items) > n else "")


# ------------------------------------------------------------------------------------------
# data dirs and raw-archive folders

def copy_dir(src: Path, dest: Path) -> Path:
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(src, dest, symlinks=True)
    return dest


def crawl_ids(data_dir: Path) -> set[str]:
    raw = Path(data_dir) / "raw"
    return {p.name for p in raw.iterdir() if p.is_dir() and not p.name.startswith(".")} if raw.is_dir() else set()


def read_pages(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (folder / "pages.jsonl").read_text().splitlines() if line.strip()]


def write_pages(folder: Path, pages: list[dict[str, Any]]) -> None:
    (folder / "pages.jsonl").write_text("".join(json.dumps(p, separators=(",", ":")) + "\n" for p in pages))


def reseal(folder: Path) -> None:
    """Recompute sha256 and Content-Length of every page of a source folder after an edit."""
    pages = read_pages(folder)
    for p in pages:
        body = (folder / p["body_file"]).read_bytes()
        p["sha256"] = hashlib.sha256(body).hexdigest()
        if "Content-Length" in p.get("headers", {}):
            p["headers"]["Content-Length"] = str(len(body))
    write_pages(folder, pages)


def body_path(folder: Path, url_contains: str) -> Path:
    for p in read_pages(folder):
        if url_contains in p["url"]:
            return folder / p["body_file"]
    raise KeyError(f"no page with {url_contains!r} in {folder}")


def add_crawl(data_dir: Path, crawl_id: str, started_at: str, src: Path | None = None,
              sources: list[str] | None = None) -> Path:
    """A copy of a recorded crawl under a new id and start time in DATA_DIR/raw (mode "test")."""
    src = src or NEWEST
    dest = Path(data_dir) / "raw" / crawl_id
    dest.mkdir(parents=True)
    for folder in sorted(src.iterdir()):
        if folder.is_dir() and (sources is None or folder.name in sources):
            shutil.copytree(folder, dest / folder.name)
    (dest / "crawl.json").write_text(json.dumps({"crawl_id": crawl_id, "started_at": started_at, "mode": "test"}))
    return dest


# ------------------------------------------------------------------------------------------
# live crawls against 127.0.0.1

Route = tuple[int, dict[str, str], bytes]


def sources_config() -> dict[str, dict[str, Any]]:
    return {s["id"]: s for s in yaml.safe_load(SOURCES_YAML.read_text())["sources"]}


def url_path(url: str) -> str:
    rest = url.split("://", 1)[1]
    return "/" + rest.split("/", 1)[1] if "/" in rest else "/"


def recorded_routes(crawl: Path | None = None, sources: Iterable[str] | None = None) -> dict[str, Route]:
    """URL path (with ?query) -> (status, headers, body) of every stored page of a recorded crawl."""
    crawl = crawl or NEWEST
    routes: dict[str, Route] = {}
    for folder in sorted(p for p in crawl.iterdir() if p.is_dir()):
        if sources is not None and folder.name not in sources:
            continue
        for p in read_pages(folder):
            headers = {k: v for k, v in p.get("headers", {}).items() if k.lower() not in TRANSFER_HEADERS}
            path = url_path(p["url"])
            if path in routes:
                raise RuntimeError(f"two recorded pages share the path {path}")
            routes[path] = (p["status"], headers, (folder / p["body_file"]).read_bytes())
    return routes


def live_args(base: str, source_ids: list[str], settings: dict[str, str] | None = None) -> list[str]:
    """``run --live`` arguments: these sources, every start URL pointed at ``base``, fast settings."""
    config = sources_config()
    args = ["--live", "--sources", ",".join(source_ids)]
    for sid in source_ids:
        for url in config[sid]["start_urls"]:
            args += ["--source-url", f"{sid}={base}{url_path(url)}"]
    args += FAST
    for k, v in (settings or {}).items():
        args += ["--crawl-setting", f"{k}={v}"]
    return args


def new_crawls(data_dir: Path, before: set[str]) -> list[Path]:
    return sorted(Path(data_dir) / "raw" / c for c in crawl_ids(data_dir) - before)


def fetch_infos(crawl_dir: Path) -> dict[str, dict[str, Any]]:
    out = {}
    for f in sorted(crawl_dir.glob("*/fetch.json")):
        try:
            out[f.parent.name] = json.loads(f.read_text())
        except ValueError as e:
            out[f.parent.name] = {"unreadable": str(e)}
    return out


def source_rows(data_dir: Path, crawl_id: str) -> dict[str, dict[str, Any]]:
    """crawl_sources rows of one crawl, by source id."""
    try:
        rows = query(data_dir, "SELECT source_id, fetch_status, health, reason, pages, items, observations, errors "
                               "FROM crawl_sources WHERE crawl_id = ?", [crawl_id])
    except Exception:  # noqa: BLE001
        return {}
    keys = ["fetch_status", "health", "reason", "pages", "items", "observations", "errors"]
    return {r[0]: dict(zip(keys, r[1:])) for r in rows}
