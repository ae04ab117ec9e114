"""The reference site: static HTML rendered from one export's JSON files, never from the warehouse,
so the site itself proves that the export contract is enough to build comparison pages.

Pages (links are relative, so the folder opens from disk and can be copied anywhere)::

    index.html                    every model, and the configured comparisons
    models/<model>.html           specs, prices per provider, capabilities, benchmarks, price history,
                                  what changed, disputed facts
    compare/<a>--vs--<b>.html     one configured pair, laid out like the seed pages
    sources.html                  every source with its licence and the attribution it asks for
    style.css

Every fact links to the claim that won (its URL, observed date and rule); a disputed fact lists the
other values seen; unknown is printed as unknown. Charts are inline SVG drawn at build time: no
script, no CDN. The folder is written beside the target and swapped in whole.
"""
from __future__ import annotations

import json
import os
from importlib import resources
import shutil
import time
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, TypeVar

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup
from pydantic import BaseModel, ValidationError

from pipeline import display
from pipeline.errors import LedgerError
from pipeline.export import safe_name
from pipeline.normalize import decimal_text
from pipeline.records import (SCHEMA_VERSION, ComparisonRecord, ConflictRecord, FactSource, IndexFile,
                              ManifestRecord, ModelFile, OfferRecord, Route)
from pipeline.site_chart import price_history_svg

# Written into every site folder: a folder without it is not replaced (it is not ours).
SITE_MARKER = ".llm-ledger-site"
UNKNOWN = "Unknown"
CAPABILITIES = {  # Side.capabilities key -> label, in the seed pages' order
    "vision": "Vision", "multimodal": "Multimodal", "reasoning": "Reasoning", "function_calling": "Function calling",
    "tool_use": "Tool use", "structured_outputs": "Structured outputs", "code_execution": "Code execution",
    "ide_integration": "IDE integration", "computer_use": "Computer use", "parallel_agents": "Parallel agents",
}
ROUTE_KINDS = {"standard": "Standard", "batch": "Batch", "flex": "Flex", "priority": "Priority", "free": "Free tier",
               "commitment": "Commitment", "regional-surcharge": "Regional", "unreviewed": "Unreviewed provider"}

T = TypeVar("T", bound=BaseModel)


class SiteError(LedgerError, RuntimeError):
    pass


@dataclass(frozen=True)
class SiteResult:
    folder: Path
    as_of: date
    export_version: str
    pages: int
    seconds: float


@dataclass(frozen=True)
class Export:
    folder: Path
    manifest: ManifestRecord
    index: IndexFile
    models: dict[str, ModelFile]  # by model id
    comparisons: list[ComparisonRecord]  # comparisons.yaml order


# --- reading the export -------------------------------------------------------------------------

def _read(path: Path, record: type[T]) -> T:
    """One JSON file of the export as its record type; a clear error names the file and the field."""
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise SiteError(f"{path}: missing from the export (is it a complete export folder?)") from None
    except (OSError, ValueError) as e:
        raise SiteError(f"{path}: not readable JSON: {e}") from None
    version = data.get("schema_version") if isinstance(data, dict) else None
    if version != SCHEMA_VERSION:
        raise SiteError(f"{path}: schema_version {version!r}, this llm-ledger renders {SCHEMA_VERSION!r}: "
                        "export again with this version (`llm-ledger export`)")
    try:
        return record.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise SiteError(f"{path}: field {where}: {first['msg']}") from None


def read_export(folder: Path) -> Export:
    """Every JSON file a page needs, validated against the records of the contract."""
    folder = Path(folder)
    manifest = _read(folder / "manifest.json", ManifestRecord)
    index = _read(folder / "index.json", IndexFile)
    models = {m.model_id: _read(folder / m.path, ModelFile) for m in index.models}
    comparisons = [_read(folder / c.path, ComparisonRecord) for c in index.comparisons]
    return Export(folder, manifest, index, models, comparisons)


# --- display ------------------------------------------------------------------------------------

def score(value: Decimal | None) -> str:
    """A benchmark score to at least one decimal, as the seed pages print it: 20 -> "20.0"."""
    if value is None:
        return UNKNOWN
    text = decimal_text(value)
    return text if "." in text else f"{text}.0"


def money(value: Decimal | None) -> str:
    """A money total: "$71.85", "$1,980.00"."""
    return UNKNOWN if value is None else display.usd_total(value)


def usd(value: Decimal | None) -> str:
    """An exact price, at least to the cent: "$0.027", "$1.10"."""
    return UNKNOWN if value is None else display.usd(value)


def pct(value: Decimal | None) -> str:
    """A percent rounded to a whole number, as the seed pages' verdicts: 3974.07 -> "3974%"."""
    return UNKNOWN if value is None else f"{value.quantize(Decimal(1), ROUND_HALF_UP)}%"


def tri(value: bool | str | None) -> str:
    """yes / no / unknown, never a blank."""
    return {"yes": "Yes", "no": "No"}.get(display.yes_no(value), UNKNOWN)


def tokens(count: int | None, label: str | None = None) -> str:
    if not count:
        return UNKNOWN
    return label or display.tokens(count)


def source_href(fact: FactSource, root: str) -> str:
    """A claim's address; a curated file (a path in this repository) points at the sources page."""
    if fact.url.startswith(("https://", "http://")):
        return fact.url
    return f"{root}sources.html#source-{fact.source_id}"


def model_page(model_id: str) -> str:
    return f"models/{safe_name(model_id)}.html"


def comparison_page(a: str, b: str) -> str:
    return f"compare/{safe_name(a)}--vs--{safe_name(b)}.html"


# --- what a page needs beyond the records ----------------------------------------------------------

@dataclass(frozen=True)
class Facts:
    """One model's facts as a page looks them up: provenance of the model, of each offer and
    score, and the disputes, by what they are about."""

    file: ModelFile | None

    def model_source(self, field: str) -> FactSource | None:
        return self.file.model.provenance.get(field) if self.file else None

    def offer(self, route: Route) -> OfferRecord | None:
        if not self.file:
            return None
        for o in self.file.offers:
            if o.provider_id == route.provider.id and o.variant == route.variant and (
                    route.provider_model_id is None or o.provider_model_id == route.provider_model_id):
                return o
        return None

    def offer_source(self, route: Route, field: str) -> FactSource | None:
        offer = self.offer(route)
        return offer.provenance.get(field) if offer else None

    def cheapest_source(self, routes: list[Route], price: Any, field: str) -> FactSource | None:
        """The source of a cheapest price: that field of the first standard route at it (its provider)."""
        for r in routes:
            if r.kind == "standard" and r.provider.id == price.provider.id and getattr(r, field) == price.usd_per_mtok:
                return self.offer_source(r, field)
        return None

    def score_source(self, benchmark_id: str) -> FactSource | None:
        for b in self.file.benchmarks if self.file else []:
            if b.benchmark_id == benchmark_id:
                return b.provenance.get("score")
        return None

    def dispute(self, field: str, route: Route | None = None, benchmark_id: str | None = None) -> ConflictRecord | None:
        for c in self.file.conflicts if self.file else []:
            if c.field != field:
                continue
            if route is not None:
                if c.entity == "offer" and c.provider and c.provider.id == route.provider.id \
                        and c.variant == route.variant:
                    return c
            elif benchmark_id is not None:
                if c.entity == "benchmark" and c.benchmark_id == benchmark_id:
                    return c
            elif c.entity == "model":
                return c
        return None


def verdict(c: ComparisonRecord) -> str:
    """The seed pages' title line: who is cheaper and by how much, and who leads where."""
    parts = []
    if c.cheaper in ("a", "b") and c.cheaper_pct is not None:
        cheap, dear = (c.a, c.b) if c.cheaper == "a" else (c.b, c.a)
        assert cheap.cheapest_input and dear.cheapest_input
        parts.append(f"{cheap.name} is ~{pct(c.cheaper_pct)} cheaper on input at {cheap.cheapest_input.label}/1M "
                     f"({dear.name}: {dear.cheapest_input.label}/1M).")
    elif c.cheaper == "tie":
        parts.append("Both cost the same per input token on their cheapest tracked routes.")
    else:
        parts.append(f"Which is cheaper is unknown: {c.null_reasons.get('cheaper', 'no standard input price')}.")
    if c.largest_benchmark_gap:
        b = next(x for x in c.benchmarks if x.id == c.largest_benchmark_gap.id)
        if b.leader in ("a", "b"):
            leader = c.a if b.leader == "a" else c.b
            parts.append(f"On {b.name}, {leader.name} leads by {score(b.gap)} points.")
    return " ".join(parts)


def faq(c: ComparisonRecord) -> list[tuple[str, str]]:
    """Questions the seed pages answer, answered from the record alone (unknown said as unknown)."""
    a, b = c.a, c.b
    out = []
    ctx = {a.name: a.context_window, b.name: b.context_window}
    if c.context_leader in ("a", "b"):
        big, small = (a, b) if c.context_leader == "a" else (b, a)
        answer = (f"{big.name} supports {big.context_window.label} tokens, while {small.name} supports "
                  f"{small.context_window.label} tokens.")
    elif c.context_leader == "tie":
        answer = f"Both support {a.context_window.label} tokens."
    else:
        unknown = [n for n, t in ctx.items() if t.status == "unknown"]
        answer = f"Unknown: no source states the context window of {' or '.join(unknown)}."
    out.append((f"Which has a larger context window, {a.name} or {b.name}?", answer))

    def prices(s: Any) -> str:
        if not s.cheapest_input or not s.cheapest_output:
            return f"{s.name} has no standard input and output price tracked"
        return (f"{s.name} costs {s.cheapest_input.label}/1M input and {s.cheapest_output.label}/1M output "
                f"tokens at {s.cheapest_input.provider.name}")
    if c.cheaper in ("a", "b"):
        cheap = a if c.cheaper == "a" else b
        answer = f"{cheap.name} is cheaper on tracked token pricing. {prices(a)}; {prices(b)}."
    elif c.cheaper == "tie":
        answer = f"They cost the same per input token. {prices(a)}; {prices(b)}."
    else:
        answer = f"Unknown: {c.null_reasons.get('cheaper', 'no standard price')}."
    out.append((f"Which is cheaper, {a.name} or {b.name}?", answer))

    def openness(s: Any) -> str:
        weights = {True: "has open weights", False: "has no open weights"}.get(s.open_weights,
                                                                                "has unknown weight availability")
        return f"{s.name} {weights} (licence: {s.license or UNKNOWN.lower()})"
    out.append((f"Is {a.name} or {b.name} open weights?", f"{openness(a)}. {openness(b)}."))
    if c.largest_benchmark_gap:
        bench = next(x for x in c.benchmarks if x.id == c.largest_benchmark_gap.id)
        leader = {"a": a.name, "b": b.name}.get(bench.leader, "Neither")
        out.append(("Which scores higher on shared benchmarks?",
                    f"The largest gap is on {bench.name}: {a.name} {score(bench.a)}, {b.name} {score(bench.b)}; "
                    f"{leader} leads by {score(bench.gap)} points."))

    def where(s: Any) -> str:
        names = ", ".join(p.name for p in s.providers)
        return f"{s.name} is available on {names}" if names else f"{s.name} has no tracked provider"
    overlap = ", ".join(p.name for p in c.provider_overlap)
    out.append((f"Where can I run {a.name} and {b.name}?",
                f"{where(a)}. {where(b)}. " + (f"Both are on {overlap}." if overlap else "No provider offers both.")))
    return out


# --- rendering ----------------------------------------------------------------------------------

def _environment() -> Environment:
    env = Environment(loader=PackageLoader("pipeline", "site_templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(score=score, money=money, usd=usd, pct=pct, tri=tri, tokens=tokens, number=display.number,
                       times=display.times, source_href=source_href, model_page=model_page)
    env.globals.update(CAPABILITIES=CAPABILITIES, ROUTE_KINDS=ROUTE_KINDS, UNKNOWN=UNKNOWN,
                       comparison_page=comparison_page, chart=_chart)
    return env


def _chart(series: list[Any], as_of: date, title: str, field: str, label: str) -> Markup:
    data = [s.model_dump(mode="json") for s in series]
    return Markup(price_history_svg(data, as_of, title=title, field=field, label=label))  # noqa: S704 (our SVG, escaped)


def _write(folder: Path, rel: str, text: str) -> None:
    path = folder / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def render(export: Export, folder: Path) -> int:
    """Write every page of the site into ``folder`` (which must exist); returns the page count."""
    env = _environment()
    as_of = export.manifest.as_of
    facts = {mid: Facts(m) for mid, m in export.models.items()}
    common = {"as_of": as_of, "manifest": export.manifest}
    sources = {s.id: s for s in export.manifest.sources}
    _write(folder, "index.html", env.get_template("index.html.j2").render(
        root="", models=sorted(export.models.values(), key=lambda m: ((m.model.name or m.model.model_id).lower(),
                                                                     m.model.model_id)),
        comparisons=export.comparisons, facts=facts, **common))
    _write(folder, "sources.html", env.get_template("sources.html.j2").render(root="", sources=sources, **common))
    model_template = env.get_template("model.html.j2")
    for mid, m in export.models.items():
        _write(folder, model_page(mid), model_template.render(root="../", m=m, f=facts[mid], **common))
    comparison_template = env.get_template("comparison.html.j2")
    for c in export.comparisons:
        _write(folder, comparison_page(c.a.model_id, c.b.model_id), comparison_template.render(
            root="../", c=c, fa=facts.get(c.a.model_id, Facts(None)), fb=facts.get(c.b.model_id, Facts(None)),
            verdict=verdict(c), faq=faq(c), **common))
    style = resources.files("pipeline").joinpath("site_templates", "style.css").read_text(encoding="utf-8")
    _write(folder, "style.css", style)
    _write(folder, SITE_MARKER, f"{export.manifest.version}\n")
    return 2 + len(export.models) + len(export.comparisons)  # index, sources, a page per model and pair


def default_out(data_dir: Path, as_of: date) -> Path:
    """Where `llm-ledger site` writes by default: DATA_DIR/site/<as_of>/."""
    return Path(data_dir) / "site" / as_of.isoformat()


def export_folder_for(data_dir: Path, as_of: date | None) -> Path | None:
    """The export a site of that date renders: DATA_DIR/exports/<as_of> (or latest); None if absent."""
    link = Path(data_dir) / "exports" / (as_of.isoformat() if as_of else "latest")
    return link if (link / "manifest.json").exists() else None


def build_site(export_folder: Path, out: Path) -> SiteResult:
    """Render the export in ``export_folder`` into ``out``, replacing an earlier site there whole.
    A folder that holds anything but a site this command built is refused, untouched."""
    started = time.monotonic()
    export = read_export(export_folder)
    out = Path(out)
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / SITE_MARKER).exists())):
        raise SiteError(f"refusing to replace {out}: it is not a site llm-ledger built (no {SITE_MARKER}); "
                        "choose another --out")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".tmp-site-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        pages = render(export, tmp)
        if out.exists():
            trash = out.parent / f".tmp-old-{uuid.uuid4().hex[:8]}"
            os.rename(out, trash)
            os.rename(tmp, out)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return SiteResult(out, export.manifest.as_of, export.manifest.version, pages, time.monotonic() - started)
