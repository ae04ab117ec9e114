"""Hugging Face Hub: a model's API record, its README.md (the model card) and its config.json.

Which page it is comes from the URL path; the model is the repo the path names
(``canonical_model_id("<org>/<name>")``), so every page of one repo speaks of one model:

- ``/api/models/<org>/<name>`` (JSON): parameters_total (``safetensors.total``), license
  (``cardData.license``, else a ``license:*`` tag), gated, open_weights (weight files are
  published in the repo), name (repo name, ``-`` -> space), creator, base_model, the parameters
  label when the repo name states a mixture-of-experts shape (``Mixtral-8x22B-...`` -> ``8x22B``),
  and vision / multimodal "false" for a plain text-generation repo (see the quirk below).
- ``/<org>/<name>/raw/<rev>/README.md``: license from the YAML front matter; from the card
  body (Meta's layout) the release date (``**Model Release Date:**``), the parameters label
  (unless the repo name gave one), context length and knowledge cutoff from this model's row of
  the model information table (``1B (1.23B)``, ``128k``), the architecture when the card
  describes an auto-regressive transformer, the active parameters of a mixture of experts from
  prose like "39B active parameters", and the vendor-reported benchmark scores of this model's
  column of a benchmark table (``Category | Benchmark | # Shots | Metric | Llama 3.2 1B | ...``)
  as ``benchmark`` observations (id via pipeline/benchmarks.py; unknown benchmarks are skipped
  with a reason). The card's rounded "141B total" is not read: the API record's safetensors
  count states the total exactly.
- ``/<org>/<name>/raw/<rev>/config.json``: context_window (``max_position_embeddings``),
  experts (``num_local_experts`` / ``num_experts_per_tok``) and the architecture.

Each page yields one model (``items`` = 1) when it states anything about it.

Card quirk: Meta's information table lists every size of the family, one row each, and leaves
a cell blank where it is "the same as above" (Markdown has no merged cells). A blank cell is
read as what it literally states, nothing (status unknown): values are not copied down from
another size's row.

Benchmark quirk: Meta's cards carry a table per kind of model ("Base Pretrained Models",
"Instruction Tuned Models") with one column per model of the family; only this repo's column
of the table for its kind (instruct or base, by the heading above the table) is read. These
are the vendor's own numbers; reconcile ranks independent evaluators above them.

Hub quirk: the API record says what a repo does through ``pipeline_tag``; a repo tagged
``text-generation`` with no image tag takes text only, so the record is read as stating
"no vision" and "not multimodal" (a vision model is tagged ``image-text-to-text``).
"""
from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any, Callable
from urllib.parse import unquote, urlsplit

import yaml
from pydantic import ValidationError

from pipeline import normalize
from pipeline.benchmarks import canonical_benchmark
from pipeline.config import SourceConfig
from pipeline.identity import IdentityError, canonical_model_id, creator_name
from pipeline.models import Observation, PageLayoutError, ParseResult, Problem, RawPage

_API_PATH = re.compile(r"^/api/models/(?P<org>[^/]+)/(?P<name>[^/]+)/?$")
_RAW_PATH = re.compile(r"^/(?P<org>[^/]+)/(?P<name>[^/]+)/(?:raw|resolve)/[^/]+/(?P<file>README\.md|config\.json)$")

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".gguf", ".pth", ".pt", ".ckpt")
# pipeline tags of models that generate text (others are skipped as not LLMs)
TEXT_PIPELINES = {"text-generation", "image-text-to-text", "text2text-generation", "conversational"}
# Hub tags that mean a repo takes images (or more than text): no "false" for vision then.
IMAGE_TAGS = {"image-text-to-text", "image-to-text", "visual-question-answering", "any-to-any",
              "vision", "multimodal", "image"}
_MOE_NAME = re.compile(r"(?<![a-z0-9])(\d+x\d+(?:\.\d+)?[BMT])(?![a-z0-9])", re.I)


class _Out:
    """Observations and problems of one page, about the one model the URL names."""

    def __init__(self, page: RawPage, source: SourceConfig, model_id: str, repo: str) -> None:
        self.page = page
        self.source = source
        self.model_id = model_id
        self.repo = repo
        self.result = ParseResult()

    def problem(self, message: str, field: str | None = None, severity: str = "error") -> None:
        self.result.problems.append(Problem(
            source_id=self.source.id, url=self.page.url, field=field, message=f"{self.repo}: {message}",
            severity=severity,  # type: ignore[arg-type]
        ))

    def add(self, field: str, raw: Any, convert: Callable[[Any], str], benchmark_id: str | None = None) -> bool:
        """A model observation, or a benchmark observation when ``benchmark_id`` is given."""
        raw_text = None if raw is None else (json.dumps(raw, default=str) if isinstance(raw, (list, dict)) else str(raw))
        entity = "benchmark" if benchmark_id else "model"
        try:
            if normalize.is_unknown(raw):
                obs = Observation(source_id=self.source.id, url=self.page.url, entity=entity,
                                  model_id=self.model_id, benchmark_id=benchmark_id, field=field,
                                  raw=raw_text, status="unknown")
            else:
                obs = Observation(source_id=self.source.id, url=self.page.url, entity=entity,
                                  model_id=self.model_id, benchmark_id=benchmark_id, field=field,
                                  raw=raw_text, value=convert(raw))
        except (ValueError, TypeError, ValidationError) as e:
            msg = "; ".join(x["msg"] for x in e.errors()) if isinstance(e, ValidationError) else str(e)
            self.problem(f"cannot read {field} from {raw_text!r}: {msg}", field=field)
            return False
        self.result.observations.append(obs)
        return True

    def done(self) -> ParseResult:
        if self.result.observations:
            self.result.items = 1
        return self.result


def _const(value: str) -> Callable[[Any], str]:
    return lambda _raw: value


def _int(raw: Any) -> str:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        raise ValueError("expected a non-negative integer")
    return str(raw)


def _license(raw: Any) -> str:
    return normalize.normalize_license(str(raw))


def parse(page: RawPage, source: SourceConfig) -> ParseResult:
    path = unquote(urlsplit(page.url).path)
    m = _API_PATH.match(path)
    kind = "api" if m else None
    if m is None:
        m = _RAW_PATH.match(path)
        kind = m.group("file") if m else None
    if m is None:
        raise PageLayoutError(f"URL path {path!r} is not a Hub model API record "
                              "(/api/models/<org>/<name>) nor a repo's README.md or config.json")
    repo = f"{m.group('org')}/{m.group('name')}"
    try:
        model_id = canonical_model_id(repo)
    except IdentityError as e:
        raise PageLayoutError(str(e)) from None
    out = _Out(page, source, model_id, repo)
    if kind == "api":
        _parse_api(out, _load_json(page, "model API record"), m.group("name"))
    elif kind == "README.md":
        _parse_readme(out, page.text(), m.group("name"))
    else:
        _parse_config(out, _load_json(page, "config.json"))
    return out.done()


def _load_json(page: RawPage, what: str) -> dict[str, Any]:
    try:
        doc = json.loads(page.body().decode("utf-8"), parse_float=Decimal)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise PageLayoutError(f"{what} is not valid JSON ({e})") from None
    if not isinstance(doc, dict):
        raise PageLayoutError(f"{what} is not a JSON object")
    return doc


# --- API record ---------------------------------------------------------------------------------

def _parse_api(out: _Out, doc: dict[str, Any], repo_name: str) -> None:
    if not isinstance(doc.get("id"), str):
        raise PageLayoutError("model API record has no 'id'")
    if doc["id"].lower() != out.repo.lower():
        out.problem(f"API record is about {doc['id']!r}, not the repo in the URL")
        return
    pipeline_tag = doc.get("pipeline_tag")
    if isinstance(pipeline_tag, str) and pipeline_tag not in TEXT_PIPELINES:
        out.problem(f"pipeline_tag {pipeline_tag!r}: not a text-generation model", severity="skip")
        return
    card = doc.get("cardData") if isinstance(doc.get("cardData"), dict) else {}

    out.add("name", repo_name, lambda n: n.replace("-", " ").replace("_", " ").strip())
    creator = creator_name(out.model_id)
    if creator:
        out.add("creator", doc.get("author") or out.repo.split("/")[0], _const(creator))

    safetensors = doc.get("safetensors")
    if isinstance(safetensors, dict) and "total" in safetensors:
        out.add("parameters_total", safetensors["total"], _int)
    moe = _MOE_NAME.search(repo_name)
    if moe:  # "Mixtral-8x22B-Instruct-v0.3": the shape the model is known by
        out.add("parameters_label", moe.group(1), _param_label)

    # Quirk of this source: pipeline_tag "text-generation" and no image tag means text in,
    # text out; the record then states "no vision, not multimodal" (see the module doc).
    tags = [t.lower() for t in doc.get("tags", []) if isinstance(t, str)] if isinstance(doc.get("tags"), list) else []
    if pipeline_tag == "text-generation" and not (IMAGE_TAGS & set(tags)) and not any("vision" in t for t in tags):
        for field in ("supports_vision", "supports_multimodal"):
            out.add(field, f"pipeline_tag: {pipeline_tag}", _const("false"))

    lic = _card_license(card)
    if lic is None:
        tags = doc.get("tags") if isinstance(doc.get("tags"), list) else []
        lic = next((t.split(":", 1)[1] for t in tags if isinstance(t, str) and t.startswith("license:")), None)
    if lic is not None:
        out.add("license", lic, _license)

    if "gated" in doc:
        gated = doc["gated"]
        if gated is False or gated in ("manual", "auto") or gated is True:
            out.add("gated", str(gated).lower(), _const("false" if gated is False else "true"))
        else:
            out.problem(f"cannot read gated from {gated!r}", field="gated")

    siblings = doc.get("siblings")
    if isinstance(siblings, list):
        weights = [s.get("rfilename") for s in siblings
                   if isinstance(s, dict) and str(s.get("rfilename", "")).endswith(WEIGHT_SUFFIXES)]
        if weights and not doc.get("disabled") and not doc.get("private"):
            out.add("open_weights", weights[0], _const("true"))

    base = card.get("base_model")
    if isinstance(base, list) and len(base) == 1:
        base = base[0]
    if isinstance(base, str) and base.strip():
        out.add("base_model", base.strip(), lambda b: canonical_model_id(b))


def _card_license(card: dict[str, Any]) -> str | None:
    lic = card.get("license")
    if lic == "other" and isinstance(card.get("license_name"), str):
        return card["license_name"]
    return lic if isinstance(lic, str) and lic.strip() else None


# --- README.md (model card) ----------------------------------------------------------------------

_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\r?\n(?P<yaml>.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)
_RELEASE = re.compile(r"\*\*\s*Model Release Date\s*:?\s*\*\*\s*:?\s*(?P<date>[^\n*]+)", re.I)
_ARCH = re.compile(r"\*\*\s*Model Architecture\s*:?\s*\*\*\s*:?\s*(?P<text>[^\n]+)", re.I)
_SIZE = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?[BMT])(?![a-z])", re.I)
_LABEL = re.compile(r"^\s*(?P<size>\d+(?:\.\d+)?\s*[BMT])\s*(?:\((?P<exact>[^)]+)\))?\s*$", re.I)
# "uses only 39B active parameters", "39B active params", "39 B active"
_ACTIVE = re.compile(r"(?<![\d.])(?P<size>\d+(?:\.\d+)?\s?[BMT])\s+active\b", re.I)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(?P<text>.+?)\s*#*\s*$")


def _parse_readme(out: _Out, text: str, repo_name: str) -> None:
    m = _FRONT_MATTER.match(text)
    if m is None:
        raise PageLayoutError("README.md has no YAML front matter (---) : not a model card")
    try:
        meta = yaml.safe_load(m.group("yaml"))
    except yaml.YAMLError as e:
        raise PageLayoutError(f"README.md front matter is not valid YAML ({e})") from None
    if not isinstance(meta, dict):
        raise PageLayoutError("README.md front matter is not a mapping")
    body = text[m.end():]

    lic = _card_license(meta)
    if lic is not None:
        out.add("license", lic, _license)

    rel = _RELEASE.search(body)
    if rel:
        out.add("release_date", rel.group("date").strip(), lambda d: normalize.parse_date(d).isoformat())

    arch = _ARCH.search(body)
    if arch:
        sentence = arch.group("text").strip()
        low = sentence.lower()
        if ("auto-regressive" in low or "autoregressive" in low) and "transformer" in low and "mixture" not in low:
            out.add("architecture", sentence.split(". ")[0].rstrip(".") + ".", _const("decoder only"))

    active = _ACTIVE.search(body)
    if active:
        out.add("parameters_active", active.group("size"), lambda t: str(normalize.parse_parameters(t.replace(" ", "")).total))

    _info_table(out, body, repo_name)
    _benchmark_tables(out, body, repo_name)


def _md_tables(body: str) -> list[tuple[str, list[list[str]]]]:
    """Every Markdown table of ``body`` with the last heading above it: (heading, rows of cell texts)."""
    tables: list[tuple[str, list[list[str]]]] = []
    current: list[list[str]] = []
    heading = ""
    for line in body.splitlines() + [""]:
        s = line.strip()
        if s.startswith("|"):
            cells = [c.strip() for c in s.strip("|").split("|")]
            if not all(re.fullmatch(r":?-{3,}:?", c) for c in cells if c):  # not the |---| line
                current.append(cells)
            continue
        if current:
            tables.append((heading, current))
            current = []
        h = _HEADING.match(line)
        if h:
            heading = h.group("text").strip()
    return tables


def _md_rows(body: str) -> list[list[list[str]]]:
    """Every Markdown table of ``body``: a list of tables, each a list of rows of cell texts."""
    return [rows for _, rows in _md_tables(body)]


def _info_table(out: _Out, body: str, repo_name: str) -> None:
    """Meta's model information table: header with "Params"; this model's row by its size."""
    size_m = _SIZE.search(repo_name.replace("-", " ").replace("_", " "))
    for table in _md_rows(body):
        header = [c.lower() for c in table[0]]
        if "params" not in header:
            continue
        if size_m is None:
            out.problem("model information table found, but the repo name states no size to find its row")
            return
        size = size_m.group(1).upper()
        p_col = header.index("params")
        k_col = next((i for i, h in enumerate(header) if "knowledge cutoff" in h), None)
        c_col = next((i for i, h in enumerate(header) if "context length" in h or "context window" in h), None)
        for row in table[1:]:
            cell = row[p_col] if p_col < len(row) else ""
            lm = _LABEL.match(cell)
            if lm is None or lm.group("size").replace(" ", "").upper() != size:
                continue
            label = (lm.group("exact") or lm.group("size")).strip()
            if not _MOE_NAME.search(repo_name):  # the repo name's "8x22B" is the label then (API record)
                out.add("parameters_label", label, _param_label)
            if c_col is not None:
                out.add("context_window", row[c_col] if c_col < len(row) else "", _tokens)
            if k_col is not None:
                out.add("knowledge_cutoff", row[k_col] if k_col < len(row) else "", normalize.parse_partial_date)
            return
        out.problem(f"model information table has no row for size {size}", field="parameters_label")
        return


def _param_label(raw: Any) -> str:
    return normalize.parse_parameters(str(raw)).label


def _tokens(raw: Any) -> str:
    return str(normalize.parse_tokens(raw))


def _tokens_of(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+(?:\.[a-z0-9]+)*", text.lower().replace("-", " ").replace("_", " ")))


_SIZE_TOKEN = re.compile(r"^\d+(?:\.\d+)?[bmt]$|^\d+x\d+(?:\.\d+)?[bmt]$")


def _score(raw: Any) -> str:
    text = str(raw).strip().rstrip("%").strip()
    try:
        d = Decimal(text)
    except ArithmeticError:
        raise ValueError("not a number") from None
    if not d.is_finite() or d < 0 or d > 100:
        raise ValueError("not a score between 0 and 100")
    return normalize.decimal_text(d)


def _benchmark_tables(out: _Out, body: str, repo_name: str) -> None:
    """Vendor-reported scores: this repo's column of each benchmark table for its kind of model."""
    repo_tokens = _tokens_of(repo_name)
    is_instruct = "instruct" in repo_tokens
    seen: dict[str, str] = {}  # benchmark id -> the row name read first
    for heading, table in _md_tables(body):
        header = [c.lower() for c in table[0]]
        b_col = next((i for i, h in enumerate(header) if h == "benchmark"), None)
        if b_col is None:
            continue
        kind = heading.lower()
        if ("instruct" in kind and not is_instruct) or (("pretrained" in kind or "base" in kind) and is_instruct):
            out.problem(f"benchmark table under {heading!r} is for {'instruction-tuned' if not is_instruct else 'base'} "
                        "models, not this repo's kind: not read", severity="skip")
            continue
        cols = [i for i, h in enumerate(table[0])
                if i != b_col and (t := _tokens_of(h)) and t <= repo_tokens and any(_SIZE_TOKEN.match(x) for x in t)]
        if not cols:
            out.problem(f"benchmark table under {heading or '(no heading)'!r} has no column for this model "
                        f"(columns: {', '.join(c for c in table[0] if c)})", field="score", severity="skip")
            continue
        if len(cols) > 1:
            out.problem(f"benchmark table under {heading or '(no heading)'!r} has several columns for this model: "
                        f"{', '.join(table[0][i] for i in cols)}", field="score")
            continue
        col = cols[0]
        for row in table[1:]:
            name = row[b_col].strip() if b_col < len(row) else ""
            if not name:
                continue
            canon = canonical_benchmark(name)
            if canon is None:
                out.problem(f"benchmark {name!r} is not one this ledger tracks (pipeline/benchmarks.py): "
                            "score not read", field="score", severity="skip")
                continue
            bid, display = canon
            if bid in seen:
                out.problem(f"benchmark {name!r} is {bid} again (first read from row {seen[bid]!r}): "
                            "not read twice", field="score", severity="skip")
                continue
            cell = row[col].strip() if col < len(row) else ""
            if normalize.is_unknown(cell):
                out.problem(f"benchmark {name!r}: no score for this model in column {table[0][col]!r}",
                            field="score", severity="skip")
                continue
            seen[bid] = name
            if out.add("score", cell, _score, benchmark_id=bid):
                out.add("benchmark_name", name, _const(display), benchmark_id=bid)


# --- config.json ------------------------------------------------------------------------------------

def _parse_config(out: _Out, doc: dict[str, Any]) -> None:
    archs = doc.get("architectures")
    if not isinstance(doc.get("model_type"), str) and not isinstance(archs, list):
        raise PageLayoutError("config.json has neither 'model_type' nor 'architectures': not a model config")
    text_cfg = doc.get("text_config") if isinstance(doc.get("text_config"), dict) else doc

    if "max_position_embeddings" in text_cfg:
        out.add("context_window", text_cfg["max_position_embeddings"], _positive_int)
    experts = text_cfg.get("num_local_experts")
    if experts is not None:
        out.add("experts_total", experts, _int)
    if text_cfg.get("num_experts_per_tok") is not None:
        out.add("experts_active", text_cfg["num_experts_per_tok"], _int)

    arch_names = [a for a in archs if isinstance(a, str)] if isinstance(archs, list) else []
    raw_arch = arch_names[0] if arch_names else doc.get("model_type")
    if isinstance(experts, int) and not isinstance(experts, bool) and experts > 1:
        out.add("architecture", raw_arch, _const("mixture of experts"))
    elif any(a.endswith("ForCausalLM") for a in arch_names):
        out.add("architecture", raw_arch, _const("decoder only"))


def _positive_int(raw: Any) -> str:
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise ValueError("expected an integer")
    return str(normalize.parse_tokens(raw))
