"""Berkeley Function Calling Leaderboard: the overall table (``data_overall.csv``).

``Rank,Overall Acc,Model,Model Link,Cost ($ Per 1k Function Calls),Latency Mean (s),...,
Organization,License``, one row per model and mode, best rank first. ``Overall Acc`` ("53.2%")
becomes one ``benchmark`` observation pair (``score`` 53.2, ``benchmark_name`` "BFCL") of benchmark
``bfcl``. An independent evaluator: reconcile ranks it above vendors' own tables.

Quirks of this source, all handled here:

- The model column is a display name with the evaluation mode appended: "Llama-3.2-1B-Instruct
  (FC)" (native function calling) or "... (Prompt)" (tools described in the prompt). The mode is
  stripped and the name goes through pipeline.identity, prefixed with the ``Organization`` column
  ("Meta" -> ``meta/Llama-3.2-1B-Instruct``) so the creator is known; dated names collapse as
  identity rules say ("o4-mini-2025-04-16" -> ``openai/o4-mini``). A name identity cannot read is
  skipped with a reason.
- One score per model: when a model has several rows (both modes, or several dated snapshots),
  the FC row is preferred (function calling is what the benchmark measures, and it is how
  providers expose the model), then the better-ranked row (first in the file); the other rows
  are skipped with a reason. Not "the best score of any mode": that would mix protocols.
- ``N/A`` or a blank accuracy is skipped with a reason (no "unknown" score is recorded); an
  accuracy that is not a percentage is a Problem naming the field.
- No ``Model`` or ``Overall Acc`` column means the layout changed: the page is unusable.

``items`` counts the models that yielded a score.
"""
from __future__ import annotations

import csv
import io
import re

from pipeline import normalize
from pipeline.benchmarks import canonical_benchmark
from pipeline.config import SourceConfig
from pipeline.identity import IdentityError, resolve
from pipeline.models import PageLayoutError, ParseResult, RawPage
from pipeline.parse.collect import PageOut, const, load_text, percent

SCORE_COLUMN = "overall acc"
MODEL_COLUMN = "model"
ORG_COLUMN = "organization"
PREFERRED_MODE = "FC"
_MODE = re.compile(r"\s*\((?P<mode>[^()]*)\)\s*$")

BENCHMARK_ID, BENCHMARK_NAME = canonical_benchmark("BFCL") or ("bfcl", "BFCL")


def parse(page: RawPage, source: SourceConfig) -> ParseResult:
    text = load_text(page, "leaderboard CSV").lstrip("\ufeff")
    # Keep each row's line in the file (blank lines skipped, quoted newlines counted) so a
    # Problem points at the line a person would open.
    reader = csv.reader(io.StringIO(text))
    numbered = [(reader.line_num, r) for r in reader if any(c.strip() for c in r)]
    rows = [r for _, r in numbered]
    if not rows:
        raise PageLayoutError("leaderboard CSV is empty")
    header = [h.strip().lower() for h in rows[0]]
    if SCORE_COLUMN not in header or MODEL_COLUMN not in header:
        raise PageLayoutError(f"leaderboard CSV has no 'Model' and 'Overall Acc' columns (header: {rows[0][:6]}...)")
    if len(rows) == 1:
        raise PageLayoutError("leaderboard CSV has a header but no rows")
    s_col, m_col = header.index(SCORE_COLUMN), header.index(MODEL_COLUMN)
    o_col = header.index(ORG_COLUMN) if ORG_COLUMN in header else None
    score_header = rows[0][s_col].strip()
    out = PageOut(page, source)

    # (model_id, preference, line, display name, score text), in file order
    candidates: list[tuple[str, tuple[bool, int], int, str, str]] = []
    for line, row in numbered[1:]:
        if len(row) != len(header):
            out.problem(f"line {line}: {len(row)} cells, the header has {len(header)}: row not read")
            continue
        display = row[m_col].strip()
        if not display:
            out.problem(f"line {line}: no model name")
            continue
        m = _MODE.search(display)
        name, mode = (display[: m.start()].strip(), m.group("mode").strip()) if m else (display, "")
        org = row[o_col].strip() if o_col is not None else ""
        try:
            model_id = resolve(f"{_slug(org)}/{name}" if _slug(org) else name).model_id
        except IdentityError as e:
            out.skip(f"{display!r}: no canonical model ({e}): not read")
            continue
        candidates.append((model_id, (mode != PREFERRED_MODE, line), line, display, row[s_col].strip()))

    chosen: dict[str, tuple[str, tuple[bool, int], int, str, str]] = {}
    for cand in candidates:
        best = chosen.get(cand[0])
        if best is None or cand[1] < best[1]:
            chosen[cand[0]] = cand
    for model_id, pref, line, display, raw in candidates:
        best = chosen[model_id]
        if best[2] != line:
            out.skip(f"{display!r} (line {line}): {model_id} is read from {best[3]!r} (line {best[2]}): "
                     f"{PREFERRED_MODE} mode preferred, then rank; not read twice", field="score")
            continue
        if normalize.is_unknown(raw):
            out.skip(f"{display!r}: no overall accuracy ({raw!r}): not read", field="score")
            continue
        if out.add("benchmark", model_id, "score", raw, percent, who=repr(display), benchmark_id=BENCHMARK_ID):
            out.add("benchmark", model_id, "benchmark_name", score_header, const(BENCHMARK_NAME), who=repr(display),
                    benchmark_id=BENCHMARK_ID)
            out.result.items += 1
    return out.result


def _slug(org: str) -> str:
    """"Meta" -> "meta", "Mistral AI" -> "mistral-ai" (the identity rules' creator prefixes)."""
    return re.sub(r"[^a-z0-9]+", "-", org.lower()).strip("-")
