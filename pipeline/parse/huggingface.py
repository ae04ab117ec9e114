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
another size's row. Since the quantized releases (late 2024) the table also has rows of a
"Llama 3.2 Quantized" group (its 8k context is the quantized builds'): those rows are another
variant, skipped with a reason; the group name is carried down blank first cells only to tell
which group a row belongs to.

Benchmark quirk: Meta's cards carry a table per kind of model ("Base Pretrained Models",
"Instruction Tuned Models") with one column per model of the family; only this repo's column
of the table for its kind (instruct or base, by the heading above the table) is read. These
are the vendor's own numbers; reconcile ranks independent evaluators above them. The current
layout adds quantized columns beside each size ("Llama 3.2 1B bf16 | Llama 3.2 1B Vanilla PTQ |
Llama 3.2 1B Spin Quant | Llama 3.2 1B QLoRA"): the unquantized column (the bare name, or the
name with ``bf16``/``fp16``) is this model's; the quantized columns are other builds, skipped
with one reason per table (a benchmark score has no offer variant to hold them). A card whose
tables of its kind name benchmarks this ledger tracks but yield no score of this model at all
is an error (its layout is not understood), never a page of skips.

Hub quirk: the API record says what a repo does through ``pipeline_tag``; a repo tagged
``text-generation`` with no image tag takes text only, so the record is read as stating
"no vision" and "not multimodal" (a vision model is tagged ``image-text-to-text``).
"""
from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

from pipeline import normalize
from pipeline.benchmarks import canonical_benchmark
from pipeline.config import SourceConfig
from pipeline.identity import IdentityError, canonical_model_id, creator_name
from pipeline.models import PageLayoutError, ParseResult, RawPage
from pipeline.parse import markdown
from pipeline.parse.collect import (
    Convert,
    PageOut,
    Severity,
    const,
    count,
    date,
    load_json,
    partial_date,
    percent,
    tokens,
    whole_tokens,
)

_API_PATH = re.compile(r"^/api/models/(?P<org>[^/]+)/(?P<name>[^/]+)/?$")
_RAW_PATH = re.compile(r"^/(?P<org>[^/]+)/(?P<name>[^/]+)/(?:raw|resolve)/[^/]+/(?P<file>README\.md|config\.json)$")

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".gguf", ".pth", ".pt", ".ckpt")
# pipeline tags of models that generate text (others are skipped as not LLMs)
TEXT_PIPELINES = {"text-generation", "image-text-to-text", "text2text-generation", "conversational"}
# Hub tags that mean a repo takes images (or more than text): no "false" for vision then.
IMAGE_TAGS = {"image-text-to-text", "image-to-text", "visual-question-answering", "any-to-any",
              "vision", "multimodal", "image"}
# Words a card adds to a model's name in a column or row header when it shows the model as
# released (full precision) or as a quantized build of it (Meta: "Vanilla PTQ", "Spin Quant", "QLoRA").
FULL_PRECISION_WORDS = {"bf16", "fp16", "fp32", "baseline"}
QUANTIZED_WORDS = {"quantized", "quant", "spin", "spinquant", "vanilla", "ptq", "qat", "qlora", "lora", "gptq",
                   "awq", "gguf", "int4", "int8", "fp8", "4bit", "8bit", "w4a16", "w8a8"}
_MOE_NAME = re.compile(r"(?<![a-z0-9])(\d+x\d+(?:\.\d+)?[BMT])(?![a-z0-9])", re.I)


class _RepoOut(PageOut):
    """A page of one repo: every observation is about the model the URL names, every message
    starts with the repo."""

    def __init__(self, page: RawPage, source: SourceConfig, model_id: str, repo: str, who: str) -> None:
        super().__init__(page, source)
        self.model_id = model_id
        self.repo = repo
        self.who = who  # the file ("README.md", "config.json", "API record")

    def problem(self, message: str, field: str | None = None, severity: Severity = "error",
                key: Any = None) -> None:
        super().problem(f"{self.repo}: {message}", field, severity, key)

    def fact(self, field: str, raw: Any, convert: Convert, benchmark_id: str | None = None) -> bool:
        """A model observation, or a benchmark observation when ``benchmark_id`` is given."""
        entity = "benchmark" if benchmark_id else "model"
        return self.add(entity, self.model_id, field, raw, convert, who=self.who, benchmark_id=benchmark_id)

    def done(self) -> ParseResult:
        if self.result.observations:
            self.result.items = 1
        return self.result


def _license(raw: Any) -> str:
    return normalize.normalize_license(str(raw))


def _param_label(raw: Any) -> str:
    return normalize.parse_parameters(str(raw)).label


def parse(page: RawPage, source: SourceConfig) -> ParseResult:
    path = unquote(urlsplit(page.url).path)
    m = _API_PATH.match(path)
    kind = "API record" if m else None
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
    out = _RepoOut(page, source, model_id, repo, kind)
    if kind == "API record":
        _parse_api(out, _json_object(page, "model API record"), m.group("name"))
    elif kind == "README.md":
        _parse_readme(out, page.text(), m.group("name"))
    else:
        _parse_config(out, _json_object(page, "config.json"))
    return out.done()


def _json_object(page: RawPage, what: str) -> dict[str, Any]:
    doc = load_json(page, what)
    if not isinstance(doc, dict):
        raise PageLayoutError(f"{what} is not a JSON object")
    return doc


# --- API record ---------------------------------------------------------------------------------

def _parse_api(out: _RepoOut, doc: dict[str, Any], repo_name: str) -> None:
    if not isinstance(doc.get("id"), str):
        raise PageLayoutError("model API record has no 'id'")
    if doc["id"].lower() != out.repo.lower():
        out.problem(f"API record is about {doc['id']!r}, not the repo in the URL")
        return
    pipeline_tag = doc.get("pipeline_tag")
    if isinstance(pipeline_tag, str) and pipeline_tag not in TEXT_PIPELINES:
        out.skip(f"pipeline_tag {pipeline_tag!r}: not a text-generation model")
        return
    card = doc.get("cardData") if isinstance(doc.get("cardData"), dict) else {}

    out.fact("name", repo_name, lambda n: n.replace("-", " ").replace("_", " ").strip())
    creator = creator_name(out.model_id)
    if creator:
        out.fact("creator", doc.get("author") or out.repo.split("/")[0], const(creator))

    safetensors = doc.get("safetensors")
    if isinstance(safetensors, dict) and "total" in safetensors:
        out.fact("parameters_total", safetensors["total"], count)
    moe = _MOE_NAME.search(repo_name)
    if moe:  # "Mixtral-8x22B-Instruct-v0.3": the shape the model is known by
        out.fact("parameters_label", moe.group(1), _param_label)

    # Quirk of this source: pipeline_tag "text-generation" and no image tag means text in,
    # text out; the record then states "no vision, not multimodal" (see the module doc).
    tags = [t.lower() for t in doc.get("tags", []) if isinstance(t, str)] if isinstance(doc.get("tags"), list) else []
    if pipeline_tag == "text-generation" and not (IMAGE_TAGS & set(tags)) and not any("vision" in t for t in tags):
        for field in ("supports_vision", "supports_multimodal"):
            out.fact(field, f"pipeline_tag: {pipeline_tag}", const("false"))

    lic = _card_license(card)
    if lic is None:
        lic = next((t.split(":", 1)[1] for t in tags if t.startswith("license:")), None)
    if lic is not None:
        out.fact("license", lic, _license)

    if "gated" in doc:
        gated = doc["gated"]
        if gated is False or gated in ("manual", "auto") or gated is True:
            out.fact("gated", str(gated).lower(), const("false" if gated is False else "true"))
        else:
            out.problem(f"cannot read gated from {gated!r}", field="gated")

    siblings = doc.get("siblings")
    if isinstance(siblings, list):
        weights = [s.get("rfilename") for s in siblings
                   if isinstance(s, dict) and str(s.get("rfilename", "")).endswith(WEIGHT_SUFFIXES)]
        if weights and not doc.get("disabled") and not doc.get("private"):
            out.fact("open_weights", weights[0], const("true"))

    base = card.get("base_model")
    if isinstance(base, list) and len(base) == 1:
        base = base[0]
    if isinstance(base, str) and base.strip():
        out.fact("base_model", base.strip(), lambda b: canonical_model_id(b))


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


def _parse_readme(out: _RepoOut, text: str, repo_name: str) -> None:
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
        out.fact("license", lic, _license)

    rel = _RELEASE.search(body)
    if rel:
        out.fact("release_date", rel.group("date").strip(), date)

    arch = _ARCH.search(body)
    if arch:
        sentence = arch.group("text").strip()
        low = sentence.lower()
        if ("auto-regressive" in low or "autoregressive" in low) and "transformer" in low and "mixture" not in low:
            out.fact("architecture", sentence.split(". ")[0].rstrip(".") + ".", const("decoder only"))

    active = _ACTIVE.search(body)
    if active:
        out.fact("parameters_active", active.group("size"),
                 lambda t: str(normalize.parse_parameters(t.replace(" ", "")).total))

    found = markdown.tables(body)
    _info_table(out, found, repo_name)
    _benchmark_tables(out, found, repo_name)


def _words(text: str) -> set[str]:
    """The words of a repo name or a header: "Llama-3.2-1B bf16" -> {llama, 3.2, 1b, bf16}."""
    return set(re.findall(r"[a-z0-9]+(?:\.[a-z0-9]+)*", text.lower().replace("-", " ").replace("_", " ")))


def _is_quantized(text: str) -> bool:
    return bool(_words(text) & QUANTIZED_WORDS)


def _info_table(out: _RepoOut, found: list[markdown.Table], repo_name: str) -> None:
    """Meta's model information table: header with "Params"; this model's row by its size."""
    size_m = _SIZE.search(repo_name.replace("-", " ").replace("_", " "))
    for table in found:
        header = table.keys
        if "params" not in header:
            continue
        if size_m is None:
            out.problem("model information table found, but the repo name states no size to find its row")
            return
        size = size_m.group(1).upper()
        p_col = header.index("params")
        k_col = next((i for i, h in enumerate(header) if "knowledge cutoff" in h), None)
        c_col = next((i for i, h in enumerate(header) if "context length" in h or "context window" in h), None)
        group = ""  # the first cell names a group of rows ("Llama 3.2 Quantized (text only)") until the next
        read = False
        for row in table.cleaned():
            group = row[0] if row and row[0] and p_col != 0 else group
            cell = row[p_col] if p_col < len(row) else ""
            lm = _LABEL.match(cell)
            if lm is None or lm.group("size").replace(" ", "").upper() != size:
                continue
            if _is_quantized(group):
                out.skip(f"model information table: the {size} row of {group!r} describes a quantized build, "
                         "not the model as released: not read", field="parameters_label")
                continue
            if read:
                continue  # the first row of this size is the model's
            read = True
            label = (lm.group("exact") or lm.group("size")).strip()
            if not _MOE_NAME.search(repo_name):  # the repo name's "8x22B" is the label then (API record)
                out.fact("parameters_label", label, _param_label)
            if c_col is not None:
                out.fact("context_window", row[c_col] if c_col < len(row) else "", tokens)
            if k_col is not None:
                out.fact("knowledge_cutoff", row[k_col] if k_col < len(row) else "", partial_date)
        if not read:
            out.problem(f"model information table has no row for size {size}", field="parameters_label")
        return


_SIZE_WORD = re.compile(r"^\d+(?:\.\d+)?[bmt]$|^\d+x\d+(?:\.\d+)?[bmt]$")


def _columns(header: list[str], repo_words: set[str]) -> tuple[list[int], list[int]]:
    """This model's columns and its quantized builds' columns: a header naming this model's size
    with nothing but this repo's words, plus full-precision words (``bf16``) or quantization words."""
    mine: list[int] = []
    quantized: list[int] = []
    for i, cell in enumerate(header):
        words = _words(cell)
        if not any(_SIZE_WORD.match(w) for w in words & repo_words):
            continue
        extra = words - repo_words
        if extra <= FULL_PRECISION_WORDS:
            mine.append(i)
        elif extra <= FULL_PRECISION_WORDS | QUANTIZED_WORDS:
            quantized.append(i)
    return mine, quantized


def _benchmark_tables(out: _RepoOut, found: list[markdown.Table], repo_name: str) -> None:
    """Vendor-reported scores: this repo's column of each benchmark table for its kind of model."""
    repo_words = _words(repo_name)
    is_instruct = "instruct" in repo_words
    seen: dict[str, str] = {}  # benchmark id -> the row name read first
    tracked = 0  # rows of this kind's tables naming a benchmark this ledger tracks
    for table in found:
        b_col = next((i for i, h in enumerate(table.keys) if h == "benchmark"), None)
        if b_col is None:
            continue
        heading = table.heading
        where = f"benchmark table under {heading or '(no heading)'!r}"
        kind = heading.lower()
        if ("instruct" in kind and not is_instruct) or (("pretrained" in kind or "base" in kind) and is_instruct):
            out.skip(f"benchmark table under {heading!r} is for {'instruction-tuned' if not is_instruct else 'base'} "
                     "models, not this repo's kind: not read")
            continue
        names = [markdown.clean(h) for h in table.header]
        rows = [(r[b_col] if b_col < len(r) else "", r) for r in table.cleaned()]
        tracked += sum(1 for name, _ in rows if canonical_benchmark(name))
        cols, quantized = _columns(names, repo_words)
        if quantized:
            out.skip(f"{where}: {', '.join(repr(names[i]) for i in quantized)} "
                     f"{'is a quantized build' if len(quantized) == 1 else 'are quantized builds'} of this model, "
                     "not the model as released: not read", field="score")
        if not cols:
            out.skip(f"{where} has no column for this model (columns: {', '.join(n for n in names if n)})",
                     field="score")
            continue
        if len(cols) > 1:
            out.problem(f"{where} has several columns for this model: {', '.join(names[i] for i in cols)}",
                        field="score")
            continue
        col = cols[0]
        for name, row in rows:
            if not name:
                continue
            canon = canonical_benchmark(name)
            if canon is None:
                out.skip(f"benchmark {name!r} is not one this ledger tracks (pipeline/benchmarks.py): "
                         "score not read", field="score")
                continue
            bid, display = canon
            if bid in seen:
                out.skip(f"benchmark {name!r} is {bid} again (first read from row {seen[bid]!r}): "
                         "not read twice", field="score")
                continue
            cell = row[col] if col < len(row) else ""
            if normalize.is_unknown(cell):
                out.skip(f"benchmark {name!r}: no score for this model in column {names[col]!r}", field="score")
                continue
            seen[bid] = name
            if out.fact("score", cell, percent, benchmark_id=bid):
                out.fact("benchmark_name", name, const(display), benchmark_id=bid)
    if tracked and not seen:
        out.problem(f"the card's benchmark tables name {tracked} score(s) of benchmarks this ledger tracks, "
                    "but none could be read for this model: the tables' layout is not understood", field="score")


# --- config.json ------------------------------------------------------------------------------------

def _parse_config(out: _RepoOut, doc: dict[str, Any]) -> None:
    archs = doc.get("architectures")
    if not isinstance(doc.get("model_type"), str) and not isinstance(archs, list):
        raise PageLayoutError("config.json has neither 'model_type' nor 'architectures': not a model config")
    text_cfg = doc.get("text_config") if isinstance(doc.get("text_config"), dict) else doc

    if "max_position_embeddings" in text_cfg:
        out.fact("context_window", text_cfg["max_position_embeddings"], whole_tokens)
    experts = text_cfg.get("num_local_experts")
    if experts is not None:
        out.fact("experts_total", experts, count)
    if text_cfg.get("num_experts_per_tok") is not None:
        out.fact("experts_active", text_cfg["num_experts_per_tok"], count)

    arch_names = [a for a in archs if isinstance(a, str)] if isinstance(archs, list) else []
    raw_arch = arch_names[0] if arch_names else doc.get("model_type")
    if isinstance(experts, int) and not isinstance(experts, bool) and experts > 1:
        out.fact("architecture", raw_arch, const("mixture of experts"))
    elif any(a.endswith("ForCausalLM") for a in arch_names):
        out.fact("architecture", raw_arch, const("decoder only"))
