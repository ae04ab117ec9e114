"""Family "damage": one kind of damage to the raw archive of a copy of the reference, then
`llm-ledger rebuild`. DETECTED = non-zero exit, an error naming the damaged file or crawl, and
the warehouse unchanged. Otherwise: changed data silently (exit 0, state changed), unnoticed
(exit 0, same state), or an error that is not specific (non-zero exit without naming it, or the
state changed anyway). Family "skip_damaged": `rebuild --skip-damaged` on the same copy must
exit 0 and report the damaged crawl as skipped."""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path

from bench.faults import harness as h
from bench.faults.core import Ctx, Outcome, register

NEWEST = h.NEWEST.name
OLDER = h.recorded_crawls()[-2].name
CF = "cloudflare-workers-ai"


def _src(data: Path, source: str, crawl: str = NEWEST) -> Path:
    return data / "raw" / crawl / source


def _first_body(folder: Path) -> Path:
    return folder / h.read_pages(folder)[0]["body_file"]


# Each damage edits a data dir and returns (what it did, crawl id, names an error may use).
Damage = Callable[[Path], tuple[str, str, list[str]]]


def flip_byte(d: Path):
    body = _first_body(_src(d, CF))
    b = bytearray(body.read_bytes())
    i = len(b) // 2
    b[i] ^= 0x01
    body.write_bytes(bytes(b))
    return f"flipped one bit of byte {i} of {CF}/{body.name}", NEWEST, [body.name]


def empty_body(d: Path):
    body = _first_body(_src(d, "openrouter"))
    body.write_bytes(b"")
    return f"emptied openrouter/{body.name}", NEWEST, [body.name]


def delete_body(d: Path):
    body = _first_body(_src(d, "litellm"))
    body.unlink()
    return f"deleted litellm/{body.name}", NEWEST, [body.name]


def delete_crawl_json(d: Path):
    (d / "raw" / OLDER / "crawl.json").unlink()
    return f"deleted {OLDER}/crawl.json", OLDER, [f"{OLDER}/crawl.json"]


def delete_fetch_json(d: Path):
    (_src(d, "openrouter") / "fetch.json").unlink()
    return "deleted openrouter/fetch.json", NEWEST, ["openrouter/fetch.json"]


def zero_sha(d: Path):
    folder = _src(d, CF)
    pages = h.read_pages(folder)
    pages[0]["sha256"] = "0" * 64
    h.write_pages(folder, pages)
    return f"zeroed the sha256 of {CF}'s page in pages.jsonl", NEWEST, [f"{CF}/pages.jsonl", pages[0]["body_file"].split("/")[-1]]


def invalid_json_line(d: Path):
    path = _src(d, "openrouter") / "pages.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    lines.insert(2, '{"source_id": "openrouter", "url": \n')
    path.write_text("".join(lines))
    return "an invalid JSON line (3rd) in openrouter/pages.jsonl", NEWEST, ["openrouter/pages.jsonl"]


def invalid_crawl_json(d: Path):
    (d / "raw" / NEWEST / "crawl.json").write_text('{"crawl_id": "2026')
    return f"{NEWEST}/crawl.json is not valid JSON", NEWEST, [f"{NEWEST}/crawl.json"]


def body_outside(d: Path):
    folder = _src(d, CF)
    pages = h.read_pages(folder)
    up = "../" * (len(folder.resolve().parts) - 1)
    pages[0]["body_file"] = up + "etc/passwd"
    pages[0]["sha256"] = hashlib.sha256(Path("/etc/passwd").read_bytes()).hexdigest()  # consistent: only the path is wrong
    h.write_pages(folder, pages)
    return f"{CF}'s body_file -> {up[:12]}.../etc/passwd (sha256 of /etc/passwd)", NEWEST, [f"{CF}/pages.jsonl", "etc/passwd"]


def truncated_pages(d: Path):
    path = _src(d, "openrouter") / "pages.jsonl"
    raw = path.read_bytes()
    path.write_bytes(raw[: int(len(raw) * 0.6)])
    return "openrouter/pages.jsonl cut at 60% (mid-line)", NEWEST, ["openrouter/pages.jsonl"]


def duplicate_lines(d: Path):
    path = _src(d, "openrouter") / "pages.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(line + line for line in lines))
    return "every line of openrouter/pages.jsonl twice", NEWEST, ["openrouter/pages.jsonl"]


def wrong_source_id(d: Path):
    folder = _src(d, CF)
    pages = h.read_pages(folder)
    for p in pages:
        p["source_id"] = "openrouter"
    h.write_pages(folder, pages)
    return f"source_id 'openrouter' in {CF}/pages.jsonl", NEWEST, [f"{CF}/pages.jsonl"]


def no_finished_at(d: Path):
    path = _src(d, "openrouter") / "fetch.json"
    info = json.loads(path.read_text())
    info.pop("finished_at", None)
    path.write_text(json.dumps(info, indent=2))
    return "openrouter/fetch.json without finished_at", NEWEST, ["openrouter/fetch.json"]


def delete_pages_jsonl(d: Path):
    (_src(d, "litellm") / "pages.jsonl").unlink()
    return "deleted litellm/pages.jsonl (bodies and fetch.json kept)", NEWEST, ["litellm/pages.jsonl"]


DAMAGES: dict[str, Damage] = {
    "body_byte_flipped": flip_byte,
    "body_emptied": empty_body,
    "body_deleted": delete_body,
    "crawl_json_deleted": delete_crawl_json,
    "fetch_json_deleted": delete_fetch_json,
    "sha256_zeroed": zero_sha,
    "pages_invalid_json_line": invalid_json_line,
    "crawl_json_invalid": invalid_crawl_json,
    "body_file_outside_crawl": body_outside,
    "pages_jsonl_truncated": truncated_pages,
    "pages_duplicate_lines": duplicate_lines,
    "pages_wrong_source_id": wrong_source_id,
    "fetch_json_no_finished_at": no_finished_at,
    "pages_jsonl_deleted": delete_pages_jsonl,
}
QUICK = {"body_byte_flipped", "crawl_json_deleted", "body_file_outside_crawl", "fetch_json_no_finished_at"}

_PROGRESS = re.compile(r"^\s*(parsed \S+:|loaded crawl \S+|fetched \S+:)")


def error_text(p: h.Proc) -> str:
    """The output minus the normal progress lines (which name sources and crawls anyway)."""
    lines = [ln for ln in p.text.splitlines() if not _PROGRESS.match(ln)]
    return "\n".join(lines)


def names_any(text: str, tokens: list[str]) -> str | None:
    flat = "".join(text.split())  # rich wraps long paths across lines
    for t in tokens:
        if t in text or t.replace(" ", "") in flat:
            return t
    return None


def _damaged(ctx: Ctx, name: str) -> tuple[Path, str, str, list[str]]:
    """A damaged copy of the reference (made once per damage, shared by both families)."""
    key = f"damaged:{name}"
    if key not in ctx._cache:
        d = h.copy_dir(ctx.ref().data, ctx.work / "damage" / name / "data")
        what, crawl, names = DAMAGES[name](d)
        ctx._cache[key] = (d, what, crawl, names)
    return ctx._cache[key]


def detect(ctx: Ctx, name: str) -> Outcome:
    d, what, crawl, names = _damaged(ctx, name)
    before = h.state(d)
    p = h.cli(["rebuild", "--data-dir", str(d)], ctx.work / "damage" / name, "rebuild")
    after = h.state(d)
    ctx._cache[f"damaged_rebuilt:{name}"] = p
    changed = after.digest() != before.digest()
    named = names_any(error_text(p), [crawl, *names])
    ctx.bump("damage", "tried")
    if p.rc != 0 and named and not changed:
        verdict, ok = "detected", True
    elif p.rc == 0 and changed:
        verdict, ok = "changed_data_silently", False
    elif p.rc == 0:
        verdict, ok = "unnoticed_no_change", False
    else:
        verdict, ok = "error_not_specific", False
    ctx.bump("damage", verdict)
    tb = " (with a Python traceback)" if p.traceback else ""
    how = (f"rc={p.rc}{tb}" if p.rc == 0 else f"rc={p.rc}{tb}, names {named!r}" if named else
           f"rc={p.rc}{tb}, names neither {crawl} nor the file")
    current = after.digest(h.CURRENT) != before.digest(h.CURRENT)
    delta = (f"warehouse changed: {h.short(before.diff(after), 4)}"
             + ("" if current else " (crawls/models/offers/benchmarks current unchanged)")) if changed else "warehouse unchanged"
    msg = p.tail(160) if p.rc != 0 else ""
    return ok, f"{what} -> {verdict}: {how}; {delta}" + (f"; said: {msg}" if msg else "")


def skip_damaged(ctx: Ctx, name: str) -> Outcome:
    ctx.bump("skip_damaged", "tried")
    if "--skip-damaged" not in ctx._once("rebuild_help", lambda: h.cli_help("rebuild")):
        return False, "`rebuild --skip-damaged` does not exist yet (not in `llm-ledger rebuild --help`)"
    d, what, crawl, names = _damaged(ctx, name)
    p = h.cli(["rebuild", "--skip-damaged", "--data-dir", str(d)], ctx.work / "damage" / name, "rebuild-skip")
    text = error_text(p)
    named = names_any(text, [crawl, *names])
    said_skip = "skip" in text.lower()
    ok = p.rc == 0 and bool(named) and said_skip and not p.traceback
    if ok:
        ctx.bump("skip_damaged", "reported")
    return ok, (f"{what}: rc={p.rc}, " + (f"reports {named!r} as skipped" if named and said_skip else
                                          f"no report naming {crawl} as skipped") + (f"; {p.tail(160)}" if p.rc else ""))


def control(ctx: Ctx) -> Outcome:
    d = ctx.copy(ctx.ref().data)
    p = h.cli(["rebuild", "--data-dir", str(d)], ctx.dir(), "rebuild")
    after = h.state(d)
    same = after.digest() == ctx.ref().state.digest()
    raw_a, raw_b = h.raw_hashes(ctx.ref().data), h.raw_hashes(d)
    order = sorted(t for t in raw_a if raw_a[t] != raw_b.get(t))
    note = (f"; byte-level, {', '.join(order)} differ (JSON key order of provenance/claims varies between runs; "
            "the state hash compares JSON with sorted keys)") if same and order else ""
    return p.rc == 0 and same, (f"rc={p.rc}; state after rebuild " +
                                ("equals the reference (the hash is stable)" if same else
                                 f"differs from the reference in {h.short(ctx.ref().state.diff(after), 5)}") + note)


def _register() -> None:
    register("damage", "control_undamaged_rebuild", "undamaged archive: rebuild exits 0, same state hash as `run`",
             control, quick=True)
    for name in DAMAGES:
        register("damage", name, "rebuild exits non-zero naming the damaged file/crawl; warehouse unchanged",
                 (lambda n: lambda ctx: detect(ctx, n))(name), quick=name in QUICK)
    for name in DAMAGES:
        register("skip_damaged", name, "`rebuild --skip-damaged` exits 0 and reports the damaged crawl as skipped",
                 (lambda n: lambda ctx: skip_damaged(ctx, n))(name), quick=name in QUICK)


_register()
