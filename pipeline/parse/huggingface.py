"""Hugging Face Hub: a model's API record, its README.md (the model card) and its config.json.

Which page it is comes from the URL path; the model is the repo the path names
(``canonical_model_id("<org>/<name>")``), so every page of one repo speaks of one model:

- ``/api/models/<org>/<name>`` (JSON): parameters_total (``safetensors.total``), license
  (``cardData.license``, else a ``license:*`` tag), gated, open_weights (weight files are
  published in the repo), name (repo name, ``-`` -> space), creator, base_model.
- ``/<org>/<name>/raw/<rev>/README.md``: license from the YAML front matter; from the card
  body (Meta's layout) the release date (``**Model Release Date:**``), the parameters label and
  knowledge cutoff from this model's row of the model information table (``1B (1.23B)``), and
  the architecture when the card describes an auto-regressive transformer.
- ``/<org>/<name>/raw/<rev>/config.json``: context_window (``max_position_embeddings``),
  experts (``num_local_experts`` / ``num_experts_per_tok``) and the architecture.

Each page yields one model (``items`` = 1) when it states anything about it.

Card quirk: Meta's information table lists every size of the family, one row each, and leaves
a cell blank where it is "the same as above" (Markdown has no merged cells). A blank cell is
read as what it literally states, nothing (status unknown): values are not copied down from
another size's row.
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
from pipeline.config import SourceConfig
from pipeline.identity import IdentityError, canonical_model_id, creator_name
from pipeline.models import Observation, PageLayoutError, ParseResult, Problem, RawPage

_API_PATH = re.compile(r"^/api/models/(?P<org>[^/]+)/(?P<name>[^/]+)/?$")
_RAW_PATH = re.compile(r"^/(?P<org>[^/]+)/(?P<name>[^/]+)/(?:raw|resolve)/[^/]+/(?P<file>README\.md|config\.json)$")

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".gguf", ".pth", ".pt", ".ckpt")
# pipeline tags of models that generate text (others are skipped as not LLMs)
TEXT_PIPELINES = {"text-generation", "image-text-to-text", "text2text-generation", "conversational"}


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

    def add(self, field: str, raw: Any, convert: Callable[[Any], str]) -> bool:
        raw_text = None if raw is None else (json.dumps(raw, default=str) if isinstance(raw, (list, dict)) else str(raw))
        try:
            if normalize.is_unknown(raw):
                obs = Observation(source_id=self.source.id, url=self.page.url, entity="model",
                                  model_id=self.model_id, field=field, raw=raw_text, status="unknown")
            else:
                obs = Observation(source_id=self.source.id, url=self.page.url, entity="model",
                                  model_id=self.model_id, field=field, raw=raw_text, value=convert(raw))
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

    _info_table(out, body, repo_name)


def _md_rows(body: str) -> list[list[list[str]]]:
    """Every Markdown table of ``body``: a list of tables, each a list of rows of cell texts."""
    tables: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in body.splitlines() + [""]:
        s = line.strip()
        if s.startswith("|"):
            cells = [c.strip() for c in s.strip("|").split("|")]
            if not all(re.fullmatch(r":?-{3,}:?", c) for c in cells if c):  # not the |---| line
                current.append(cells)
        elif current:
            tables.append(current)
            current = []
    return tables


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
        for row in table[1:]:
            cell = row[p_col] if p_col < len(row) else ""
            lm = _LABEL.match(cell)
            if lm is None or lm.group("size").replace(" ", "").upper() != size:
                continue
            label = (lm.group("exact") or lm.group("size")).strip()
            out.add("parameters_label", label, _param_label)
            if k_col is not None:
                out.add("knowledge_cutoff", row[k_col] if k_col < len(row) else "", normalize.parse_partial_date)
            return
        out.problem(f"model information table has no row for size {size}", field="parameters_label")
        return


def _param_label(raw: Any) -> str:
    return normalize.parse_parameters(str(raw)).label


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
