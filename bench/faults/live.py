"""Families driven by `run --live` against 127.0.0.1 on a copy of the reference data dir:
shrink, placeholder, hostile, range and http. Each serves the bundled recorded pages of the
newest crawl with one alteration and checks the new crawl's crawl_sources row, its fetch.json,
the problems table and offers_current against the reference."""
from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.faults import harness as h
from bench.faults.core import Ctx, Outcome, case
from bench.faults.server import FaultServer, Reply

CF = "cloudflare-workers-ai"
CF_PATH = "/workers-ai/platform/pricing/index.md"  # the markdown form of the pricing page
OR_LIST = "/api/v1/models"
LITELLM_PATH = "/BerriAI/litellm/main/model_prices_and_context_window.json"


@dataclass
class Live:
    proc: h.Proc
    data: Path
    server: FaultServer
    crawl: Path | None
    rows: dict[str, dict[str, Any]]
    fetch: dict[str, dict[str, Any]]

    def row(self, source: str) -> dict[str, Any]:
        return self.rows.get(source, {})

    def health(self, source: str) -> str:
        return str(self.row(source).get("health", "not loaded"))

    def errors_text(self, source: str) -> str:
        """What the run recorded about a source: fetch.json errors + crawl_sources.reason."""
        f = self.fetch.get(source, {})
        return " | ".join([*map(str, f.get("errors", [])), str(self.row(source).get("reason") or "")])


def recorded(sources: list[str]) -> dict[str, Reply]:
    return {p: Reply(s, hd, b) for p, (s, hd, b) in h.recorded_routes(sources=sources).items()}


def run_live(ctx: Ctx, sources: list[str], alter: Callable[[dict[str, Reply], str], None] | None = None,
             settings: dict[str, str] | None = None, timeout: float = 240) -> Live:
    """`run --live --sources ...` on a copy of the reference, every page served from 127.0.0.1
    (``alter(routes, base)`` changes what is served)."""
    data = ctx.copy(ctx.ref().data)
    before = h.crawl_ids(data)
    routes = recorded(sources)
    srv = FaultServer(routes)
    if alter:
        alter(srv.routes, srv.base)
    with srv:
        p = h.cli(["run", *h.live_args(srv.base, sources, settings), "--data-dir", str(data)], ctx.dir(), "live", timeout)
    crawls = h.new_crawls(data, before)
    crawl = crawls[-1] if crawls else None
    rows = h.source_rows(data, crawl.name) if crawl else {}
    return Live(p, data, srv, crawl, rows, h.fetch_infos(crawl) if crawl else {})


def _nothing_lost(ctx: Ctx, lv: Live, provider: str | None = None) -> list[str]:
    before = {k: v for k, v in ctx.ref_offers().items() if provider is None or k[1] == provider}
    try:
        after = h.offers(lv.data, provider)
    except Exception as e:  # noqa: BLE001
        return [f"warehouse unreadable: {e}"]
    retired, nulled, changed = h.offer_losses(before, after)
    out = []
    if retired:
        out.append(f"retired {len(retired)}: {h.short(retired)}")
    if nulled:
        out.append(f"prices became NULL: {h.short(nulled)}")
    if changed:
        out.append(f"prices changed: {h.short(changed)}")
    return out


def _ran(lv: Live) -> str | None:
    if lv.crawl is None:
        return f"no live crawl was stored (rc={lv.proc.rc}: {lv.proc.tail(200)})"
    return None


# ------------------------------------------------------------------------------------------
# shrink: Cloudflare's page, smaller

def _cf_body() -> bytes:
    return h.recorded_routes(sources=[CF])[CF_PATH][2]


def _llm_row_spans(body: bytes) -> list[tuple[int, int]]:
    """(start, end) of every row line (newline included) of the markdown "LLM model pricing" table
    that names a Workers AI model (``@cf/`` / ``@hf/``)."""
    m = re.search(rb"^## LLM model pricing[^\n]*\n(.*?)(?=^#|\Z)", body, re.S | re.M)
    if not m:
        return []
    return [(r.start(), r.end()) for r in re.finditer(rb"^\|[^\n]*@(?:cf|hf)/[^\n]*(?:\n|\Z)", body[:m.end()], re.M)
            if r.start() >= m.start(1)]


def _llm_rows(body: bytes) -> int:
    return len(_llm_row_spans(body))


def _shrink(ctx: Ctx, body: bytes, what: str, expect_ok: bool = False) -> Outcome:
    """Serve ``body`` as Cloudflare's page. Not ok expected: the source is not judged ok and no
    Cloudflare offer is retired or changed. Ok expected: it is ok, and equally nothing is lost."""
    def alter(routes: dict[str, Reply], base: str) -> None:
        routes[CF_PATH].body = body
    lv = run_live(ctx, [CF], alter)
    if (why := _ran(lv)):
        return False, why
    health = lv.health(CF)
    lost = _nothing_lost(ctx, lv, CF)
    ok = (health == "ok" if expect_ok else health not in ("ok", "not loaded")) and not lost and lv.proc.rc is not None
    if health == "not loaded":
        lost.insert(0, "source not loaded at all")
    return ok, (f"{what}: rc={lv.proc.rc}, health={health} ({str(lv.row(CF).get('reason'))[:120]}); "
                f"items={lv.row(CF).get('items')}; Cloudflare offers: {'; '.join(lost) or 'all kept, same prices'}")


@case("shrink", "cloudflare_1_of_7_rows", "1 of 7 LLM rows served: source not ok, no Cloudflare offer retired", quick=True)
def shrink_one_row(ctx: Ctx) -> Outcome:
    body = _cf_body()
    rows = _llm_row_spans(body)
    assert len(rows) == 7, f"{len(rows)} LLM rows in the recorded page, expected 7"
    cut = body[:rows[1][0]] + body[rows[-1][1]:]  # rows 2..7 gone, the page otherwise whole
    assert _llm_rows(cut) == 1
    return _shrink(ctx, cut, "1 LLM row of 7")


def _cut_in_row(row: int) -> Callable[[Ctx], Outcome]:
    """The page cut inside the price cell of LLM row ``row``: in its output price after ``$`` and
    three characters (``$4.8`` of ``$4.881``), where the short row would read as a smaller price."""
    def run(ctx: Ctx) -> Outcome:
        body = _cf_body()
        rows = _llm_row_spans(body)
        assert len(rows) == 7, f"{len(rows)} LLM rows in the recorded page, expected 7"
        start, end = rows[row - 1]
        line = body[start:end]
        at = start + line.rindex(b"$", 0, line.index(b" per M output tokens")) + 4
        cut = body[:at]
        return _shrink(ctx, cut, f"cut in LLM row {row}'s price cell ({len(cut)} of {len(body)} bytes, "
                                 f"ends {cut[-12:].decode(errors='replace')!r})")
    return run


for _row in (2, 4, 7):
    case("shrink", f"cloudflare_cut_in_llm_row_{_row}",
         f"page cut inside LLM row {_row}'s price cell: source not ok, nothing retired or changed")(_cut_in_row(_row))


@case("shrink", "cloudflare_cut_after_llm_table",
      "page cut after the LLM table (in the next heading): source ok, every Cloudflare offer kept as it was")
def shrink_cut_after_llm_table(ctx: Ctx) -> Outcome:
    body = _cf_body()
    at = body.index(b"## Embeddings model pricing") + len(b"## Embed")
    rows = _llm_row_spans(body)
    assert len(rows) == 7 and rows[-1][1] < at
    cut = body[:at]
    return _shrink(ctx, cut, f"cut after the LLM table ({len(cut)} of {len(body)} bytes, {_llm_rows(cut)} of 7 LLM rows)",
                   expect_ok=True)


# ------------------------------------------------------------------------------------------
# placeholders

def _json_edit(routes: dict[str, Reply], path: str, edit: Callable[[Any], Any]) -> None:
    data = json.loads(routes[path].body)
    routes[path].body = json.dumps(edit(data), indent=2).encode()


def _na_pricing(node: Any) -> Any:
    """Every value under a "pricing" object -> "N/A" (OpenRouter list and endpoints)."""
    if isinstance(node, dict):
        return {k: ({pk: "N/A" for pk in v} if k == "pricing" and isinstance(v, dict) else _na_pricing(v))
                for k, v in node.items()}
    if isinstance(node, list):
        return [_na_pricing(v) for v in node]
    return node


def _na_costs(node: Any) -> Any:
    """Every numeric *cost* value -> "N/A" (LiteLLM)."""
    if isinstance(node, dict):
        return {k: ("N/A" if "cost" in k and isinstance(v, (int, float)) and not isinstance(v, bool) else _na_costs(v))
                for k, v in node.items()}
    return node


def _renamed(node: dict[str, Any]) -> dict[str, Any]:
    ren = {"input_cost_per_token": "input_cost_per_tok", "output_cost_per_token": "output_cost_per_tok"}
    return {k: ({ren.get(kk, kk): vv for kk, vv in v.items()} if isinstance(v, dict) else v) for k, v in node.items()}


def _held(lv: Live, source: str) -> str | None:
    """Evidence that the change was recorded as a conflict or a held change in the new crawl:
    conflict_log rows of that crawl on a price field whose claims name the source and that are
    not in the crawl before (held: severity or rule says 'held'; else a new price conflict)."""
    assert lv.crawl is not None
    sql = ("SELECT entity, model_id, provider_id, variant, field, severity, rule FROM conflict_log "
           "WHERE crawl_id = ? AND field LIKE '%usd%' AND CAST(claims AS VARCHAR) LIKE ?")
    like = f'%"{source}"%'
    try:
        new = h.query(lv.data, sql, [lv.crawl.name, like])
        prev = h.query(lv.data, "SELECT crawl_id FROM crawls WHERE crawl_id <> ? ORDER BY started_at DESC LIMIT 1",
                       [lv.crawl.name])
        old = {r[:5] for r in h.query(lv.data, sql, [prev[0][0], like])} if prev else set()
    except Exception as e:  # noqa: BLE001
        return f"(conflict_log unreadable: {e})"
    new = [r for r in new if r[:5] not in old]  # only what this crawl added
    held = [r for r in new if "held" in f"{r[5]} {r[6]}".lower()]
    fresh = [r for r in new if r not in held]
    if not held and not fresh:
        return None
    return ", ".join(x for x in (f"{len(held)} held price change(s)" if held else "",
                                 f"{len(fresh)} new price conflict(s)" if fresh else "") if x)


def _placeholder(ctx: Ctx, source: str, alter: Callable[[dict[str, Reply], str], None], what: str) -> Outcome:
    lv = run_live(ctx, [source], alter)
    if (why := _ran(lv)):
        return False, why
    lost = _nothing_lost(ctx, lv)
    health = lv.health(source)
    held = _held(lv, source) if lv.crawl else None
    flagged = health != "ok" or held is not None
    # rc is not required: with one source crawled, a failed source is also "every source failed" (rc 2)
    ok = not [x for x in lost if not x.startswith("prices changed")] and flagged and not lv.proc.traceback
    n_problems = h.query(lv.data, "SELECT count(*) FROM problems WHERE crawl_id = ? AND source_id = ?",
                         [lv.crawl.name, source])[0][0]
    return ok, (f"{what}: rc={lv.proc.rc}, health={health} ({str(lv.row(source).get('reason'))[:100]}), "
                f"{n_problems} problem rows, conflict/held: {held or 'none'}; offers_current: "
                f"{'; '.join(lost) or 'no known price lost, none retired'}")


@case("placeholder", "openrouter_prices_na", "every OpenRouter price 'N/A': no known price NULLed/retired; source not ok or change held")
def ph_openrouter(ctx: Ctx) -> Outcome:
    def alter(routes: dict[str, Reply], base: str) -> None:
        for path in list(routes):
            if path.startswith(OR_LIST):
                _json_edit(routes, path, _na_pricing)
    return _placeholder(ctx, "openrouter", alter, "all pricing values 'N/A' (list + endpoints)")


@case("placeholder", "litellm_prices_na", "every LiteLLM cost 'N/A': no known price NULLed/retired; source not ok or change held")
def ph_litellm(ctx: Ctx) -> Outcome:
    return _placeholder(ctx, "litellm", lambda r, b: _json_edit(r, LITELLM_PATH, _na_costs), "all *cost* values 'N/A'")


@case("placeholder", "litellm_keys_renamed", "LiteLLM input/output_cost_per_token renamed *_per_tok: nothing NULLed; not ok or held",
      quick=True)
def ph_litellm_renamed(ctx: Ctx) -> Outcome:
    return _placeholder(ctx, "litellm", lambda r, b: _json_edit(r, LITELLM_PATH, _renamed),
                        "input/output_cost_per_token -> *_per_tok")


# ------------------------------------------------------------------------------------------
# hostile input

@case("hostile", "links_details_file_and_other_host",
      "links.details = file:///etc/passwd / http://other host: neither fetched, nothing of /etc/passwd archived", quick=True)
def hostile_links(ctx: Ctx) -> Outcome:
    other = FaultServer({})
    passwd_first = Path("/etc/passwd").read_bytes().split(b"\n", 1)[0]

    def alter(routes: dict[str, Reply], base: str) -> None:
        def edit(d: dict) -> dict:
            for m in d["data"]:
                if m["id"] == "openai/o3-mini":
                    m["links"]["details"] = "file:///etc/passwd"
                elif m["id"] == "openai/o4-mini":
                    m["links"]["details"] = f"http://localhost:{other.port}/api/v1/models/openai/o4-mini-2025-04-16/endpoints"
            return d
        _json_edit(routes, OR_LIST, edit)
    with other:
        lv = run_live(ctx, ["openrouter"], alter)
    if (why := _ran(lv)):
        return False, why
    pages = h.read_pages(lv.crawl / "openrouter") if (lv.crawl / "openrouter" / "pages.jsonl").exists() else []
    file_pages = [p["url"] for p in pages if not p["url"].startswith(lv.server.base)]
    leaked = [p.name for p in lv.crawl.rglob("*") if p.is_file() and passwd_first in p.read_bytes()]
    problems = []
    if other.paths():
        problems.append(f"other host got {len(other.paths())} request(s): {h.short(other.paths(), 2)}")
    if file_pages:
        problems.append(f"stored pages from elsewhere: {h.short(file_pages, 2)}")
    if leaked:
        problems.append(f"/etc/passwd content in the archive: {h.short(leaked, 2)}")
    lost = _nothing_lost(ctx, lv)
    return not problems, ("; ".join(problems) if problems else "neither link followed, nothing of /etc/passwd stored") + (
        f"; rc={lv.proc.rc}, openrouter health={lv.health('openrouter')}; offers: {'; '.join(lost) or 'none lost'}")


HOSTILE_IDS = {
    "nul": "evilcorp/model\x00nul",
    "newline": "evilcorp/model\nnewline",
    "rtl": "evilcorp/model\u202egnp.exe",
    "traversal": "../../../../../../tmp/{token}/pwned",
    "dotdot_creator": "../{token}",
    "long": "evilcorp/" + "a" * 5000,
}


def _hostile_model(template: dict, new_id: str) -> dict:
    m = json.loads(json.dumps(template))
    m["id"] = new_id
    m["canonical_slug"] = new_id
    m["name"] = f"Hostile {new_id[:40]!r}"
    m["hugging_face_id"] = None
    m["links"] = {"details": "/api/v1/models/x/endpoints"}
    return m


@case("hostile", "hostile_model_ids",
      "ids with NUL, newline, RTL, ../, 5000 chars in OpenRouter + LiteLLM: refused or made safe, nothing written outside exports/",
      quick=True)
def hostile_ids(ctx: Ctx) -> Outcome:
    token = f"llmledger-pwn-{uuid.uuid4().hex[:8]}"
    ids = [v.format(token=token) for v in HOSTILE_IDS.values()]

    def alter(routes: dict[str, Reply], base: str) -> None:
        def edit_or(d: dict) -> dict:
            template = next(m for m in d["data"] if m["id"] == "mistralai/mixtral-8x22b-instruct")
            d["data"].extend(_hostile_model(template, i) for i in ids)
            return d

        def edit_ll(d: dict) -> dict:
            template = d["gpt-4o-mini"]
            for i in ids:
                d[i] = dict(template, litellm_provider="openai")
            return d
        _json_edit(routes, OR_LIST, edit_or)
        _json_edit(routes, LITELLM_PATH, edit_ll)
    lv = run_live(ctx, ["openrouter", "litellm"], alter)
    if (why := _ran(lv)):
        return False, why
    problems = []
    if lv.proc.traceback:
        problems.append("Python traceback on stderr")
    if lv.proc.rc != 0 and not lv.proc.err.strip():
        problems.append(f"rc={lv.proc.rc} without a message")
    case_root = ctx.dir()
    exports = (lv.data / "exports").resolve()
    outside = _find_token(token, [case_root, Path("/tmp"), h.CODE.root, h.ROOT, Path("/")])
    outside = [p for p in outside if not str(p.resolve()).startswith(str(exports))]
    if outside:
        problems.append(f"written outside exports/: {h.short([str(p) for p in outside], 2)}")
    bad_names = []
    if exports.is_dir():
        for p in exports.rglob("*"):
            if not p.resolve().is_relative_to(exports):
                bad_names.append(f"escapes: {p}")
            elif any(len(part) > 255 or not re.fullmatch(r"[A-Za-z0-9._@+=-]+", part) for part in p.relative_to(exports).parts):
                bad_names.append(repr(p.relative_to(exports).as_posix())[:80])
    if bad_names:
        problems.append(f"unsafe export file names: {h.short(bad_names, 2)}")
    stored = []
    try:
        stored = [r[0] for r in h.query(lv.data, "SELECT model_id FROM models_current WHERE model_id ILIKE '%evilcorp%' "
                                                 "OR model_id ILIKE ? OR model_id LIKE '%..%'", [f"%{token}%"])]
    except Exception as e:  # noqa: BLE001
        problems.append(f"warehouse unreadable: {e}")
    controls = [s for s in stored if any(c in s for c in "\x00\n\r\u202e\u200f")]
    if controls:
        problems.append(f"ids kept with control/bidi characters: {h.short([repr(s)[:40] for s in controls], 3)}")
    odd = [s for s in stored if ".." in s or len(s) > 300]
    return not problems, ("; ".join(problems) or "nothing outside exports/, export names safe, no control characters kept") + (
        f"; rc={lv.proc.rc}, health openrouter={lv.health('openrouter')} litellm={lv.health('litellm')}; "
        f"{len(stored)} hostile-looking ids in models_current: {h.short([repr(s)[:34] for s in stored], 6)}"
        + (f"; kept with '..' or > 300 chars (stored, not used as paths): {len(odd)}" if odd else ""))


def _find_token(token: str, roots: list[Path], max_depth: int = 6) -> list[Path]:
    found: list[Path] = []
    seen: set[str] = set()
    for root in roots:
        depth0 = len(root.parts)
        for dirpath, dirnames, filenames in os.walk(root):
            if dirpath in seen or dirpath.startswith(("/proc", "/sys", "/dev")):
                dirnames[:] = []
                continue
            seen.add(dirpath)
            if len(Path(dirpath).parts) - depth0 >= (2 if root == Path("/") else max_depth):
                dirnames[:] = []
            dirnames[:] = [d for d in dirnames if d not in (".venv", ".git", "node_modules")]
            for n in dirnames + filenames:
                if token in n:
                    found.append(Path(dirpath) / n)
    return found


# ------------------------------------------------------------------------------------------
# out-of-range values

RANGE = {
    "price_1e13_per_token": ("meta-llama/llama-3.2-11b-vision-instruct", "prompt", "10000000000000"),
    "price_1e-16_per_token": ("openai/gpt-5.3-codex", "prompt", "0.0000000000000001"),
    "context_1e30": ("mistralai/mixtral-8x22b-instruct", "context_length", 1e30),
}


def _range_case(name: str) -> Callable[[Ctx], Outcome]:
    model_id, field, value = RANGE[name]

    def run(ctx: Ctx) -> Outcome:
        def alter(routes: dict[str, Reply], base: str) -> None:
            def edit(d: dict) -> dict:
                m = next(m for m in d["data"] if m["id"] == model_id)
                if field == "context_length":
                    m["context_length"] = value
                    m["top_provider"]["context_length"] = value
                else:
                    m["pricing"][field] = value
                return d
            _json_edit(routes, OR_LIST, edit)
        lv = run_live(ctx, ["openrouter"], alter)
        if (why := _ran(lv)):
            return False, why
        problems = []
        if lv.proc.rc != 0:
            problems.append(f"rc={lv.proc.rc}: {lv.proc.tail(200)}")
        if lv.proc.traceback:
            problems.append("Python traceback")
        slug = model_id.split("/", 1)[1]
        rows = []
        try:
            rows = h.query(lv.data, "SELECT url, field, severity, message FROM problems WHERE crawl_id = ? AND source_id = 'openrouter' "
                                    "AND (message ILIKE ? OR coalesce(model_id, '') ILIKE ?)",
                           [lv.crawl.name, f"%{slug}%", f"%{slug}%"])
        except Exception as e:  # noqa: BLE001
            problems.append(f"warehouse unreadable: {e}")
        named = [r for r in rows if r[0] and r[1]]
        if not named:
            problems.append("no problem row naming the item with url and field" + (f" (rows without field: {len(rows)})" if rows else ""))
        obs = lv.row("openrouter").get("observations") or 0
        if not obs:
            problems.append(f"the rest did not load (health={lv.health('openrouter')})")
        # the value must not land in the current tables
        try:
            big_price = h.query(lv.data, "SELECT count(*) FROM offers_current WHERE input_usd_per_mtok >= 1000000 "
                                         "OR output_usd_per_mtok >= 1000000")[0][0]
            big_ctx = h.query(lv.data, "SELECT (SELECT count(*) FROM offers_current WHERE context_window >= 1e12) + "
                                       "(SELECT count(*) FROM models_current WHERE context_window >= 1e12)")[0][0]
            if big_price or big_ctx:
                problems.append(f"absurd value stored ({big_price} price(s) >= $1M/Mtok, {big_ctx} context(s) >= 1e12)")
        except Exception as e:  # noqa: BLE001
            problems.append(f"query failed: {e}")
        lost = _nothing_lost(ctx, lv, "openrouter")
        if lost:
            problems.append("openrouter offers: " + "; ".join(lost))
        first = f"problem: {named[0][1]} @ {named[0][0][-40:]}: {named[0][3][:80]}" if named else ""
        held = _held(lv, "openrouter")
        return not problems, ("; ".join(problems) or f"rc=0, item is a problem, rest loaded ({obs} obs)") + (
            f"; {first}" if first else "") + f"; health={lv.health('openrouter')}" + (f"; conflict_log: {held}" if held else "")
    return run


for _name in RANGE:
    case("range", _name, f"{_name.replace('_', ' ')} in OpenRouter: rc 0, a problem naming source/url/field, rest loads, "
         "no traceback", quick=_name == "price_1e13_per_token")(_range_case(_name))


# ------------------------------------------------------------------------------------------
# HTTP faults (Cloudflare's one page)

def _http(ctx: Ctx, replies: Reply | list[Reply], what: str, expect_ok: bool, tokens: list[str],
          settings: dict[str, str] | None = None, min_gap: float | None = None) -> Outcome:
    def alter(routes: dict[str, Reply], base: str) -> None:
        routes[CF_PATH] = replies
    lv = run_live(ctx, [CF], alter, settings)
    if (why := _ran(lv)):
        return False, why
    problems = []
    health = lv.health(CF)
    if expect_ok and health != "ok":
        problems.append(f"health={health}, expected ok")
    if not expect_ok and health not in ("failed", "partial"):
        problems.append(f"health={health}, expected failed/partial")
    text = lv.errors_text(CF)
    url = lv.server.base + CF_PATH
    if not expect_ok:
        if url not in text and CF_PATH not in text:
            problems.append("error does not name the URL")
        if tokens and not any(t.lower() in text.lower() for t in tokens):
            problems.append(f"error does not say {' / '.join(tokens)}")
    hits = lv.server.hits(CF_PATH)
    gaps = [b - a for a, b in zip(hits, hits[1:])]
    if min_gap is not None and (not gaps or min(gaps) < min_gap - 0.05):
        problems.append(f"retry did not wait {min_gap:g}s (gaps {', '.join(f'{g:.2f}' for g in gaps) or 'no retry'})")
    if lv.proc.traceback:
        problems.append("Python traceback")
    lost = _nothing_lost(ctx, lv, CF)
    if lost:
        problems.append("; ".join(lost))
    seen = f"{what}: {len(hits)} request(s)" + (f", gaps {', '.join(f'{g:.2f}s' for g in gaps)}" if gaps else "")
    return not problems, f"{seen}; health={health}; rc={lv.proc.rc}; " + ("; ".join(problems) or "as expected") + (
        f"; recorded: {text[:160]}" if text.strip(" |") else "")


def _page() -> Reply:
    s, hd, b = h.recorded_routes(sources=[CF])[CF_PATH]
    return Reply(s, hd, b)


@case("http", "503_retry_after_2", "503 + Retry-After: 2 every time: retries wait >= 2 s; failed naming URL and 503; nothing retired",
      quick=True)
def http_503(ctx: Ctx) -> Outcome:
    r = Reply(503, {"Retry-After": "2", "Content-Type": "text/plain"}, b"busy\n")
    return _http(ctx, r, "503 Retry-After: 2", False, ["503"], min_gap=2.0)


@case("http", "503_then_200", "503 + Retry-After: 2, then the page: the retry waits >= 2 s and the source is ok")
def http_503_then_ok(ctx: Ctx) -> Outcome:
    return _http(ctx, [Reply(503, {"Retry-After": "2", "Content-Type": "text/plain"}, b"busy\n"), _page()],
                 "503 then 200", True, [], min_gap=2.0)


@case("http", "404", "404: failed/partial, error naming URL and 404, nothing retired", quick=True)
def http_404(ctx: Ctx) -> Outcome:
    return _http(ctx, Reply(404, {"Content-Type": "text/html"}, b"<h1>Not found</h1>"), "404", False, ["404"])


@case("http", "500", "500 on every attempt: failed/partial, error naming URL and 500, nothing retired")
def http_500(ctx: Ctx) -> Outcome:
    return _http(ctx, Reply(500, {"Content-Type": "text/html"}, b"<h1>Internal error</h1>"), "500", False, ["500"])


@case("http", "slow_timeout", "server silent 30 s, DOWNLOAD_TIMEOUT=2: failed naming URL and the timeout, nothing retired")
def http_timeout(ctx: Ctx) -> Outcome:
    r = _page()
    r.delay = 30
    return _http(ctx, r, "30 s delay, timeout 2 s", False, ["timed out", "timeout"],
                 settings={"DOWNLOAD_TIMEOUT": "2", "RETRY_TIMES": "1"})


@case("http", "oversize_body", "300 KB page, DOWNLOAD_MAXSIZE=100000: failed naming URL and the size limit, nothing retired")
def http_oversize(ctx: Ctx) -> Outcome:
    r = _page()
    r.body = r.body + b"\n<!-- " + b"x" * 300_000 + b" -->\n"  # the markdown page, padded past the limit
    return _http(ctx, r, f"{len(r.body)} bytes, limit 100000", False, ["MAXSIZE", "max size", "too large", "exceeds"],
                 settings={"DOWNLOAD_MAXSIZE": "100000", "DOWNLOAD_WARNSIZE": "50000"})


@case("http", "connection_dropped", "connection reset after 3000 bytes of the ~7 KB page: failed/partial naming URL, nothing retired")
def http_drop(ctx: Ctx) -> Outcome:
    r = _page()
    r.drop_after = 3000
    return _http(ctx, r, "reset after 3000 bytes", False, ["connection", "lost", "reset", "ResponseFailed", "dropped", "incomplete", "DataLoss"])
