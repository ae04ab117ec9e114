"""Reading the markdown form of a docs page (Anthropic's and Cloudflare's ``.md`` pages, Gemini's
``pricing.md.txt``, OpenAI's docs markdown, model cards): its headings, its pipe tables and the
prose above each table. What the cells mean is each parser's business."""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Iterable

_HEADING = re.compile(r"^(?P<marks>#{1,6})\s+(?P<text>.*?)\s*#*\s*$")
_DELIMITER = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")


def clean(cell: str) -> str:
    """A markdown cell or heading as plain text: no links, emphasis, code marks, footnote marks,
    tags or escapes. An escaped comparison (``\\<= 200k``) is a comparison, never a tag."""
    text = cell.replace("\\<", "&lt;").replace("\\>", "&gt;")
    text = re.sub(r"<sup>.*?</sup>", "", text)
    text = re.sub(r"<br\s*/?>|<hr\s*/?>", " ", text)
    # A tag starts with a letter or "/" right after "<": "<= 200k" and "< 1s" stay text.
    text = re.sub(r"</?[A-Za-z][^<>]*>", "", text)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # [text](url) -> text
    text = re.sub(r"\\([\\`*_{}\[\]()#+\-.!<>|$~])", r"\1", text)
    text = html.unescape(text).replace("**", "").replace("`", "").replace("\u00a0", " ").replace("\u200b", "")
    return " ".join(text.split())


def split_row(line: str) -> list[str]:
    """The raw cells of a pipe-table line (an escaped ``\\|`` stays inside its cell)."""
    body = line.strip()
    body = body[1:] if body.startswith("|") else body
    body = body[:-1] if body.endswith("|") and not body.endswith("\\|") else body
    return [c.strip() for c in re.split(r"(?<!\\)\|", body)]


@dataclass
class Table:
    line: int  # 1-based line of the header row (for messages)
    headings: list[str]  # the cleaned headings above it, outermost first ("Gemini 2.5 Pro", "Standard")
    before: list[str]  # the non-blank lines between the last heading or table and this table
    header: list[str]  # raw header cells
    rows: list[list[str]] = field(default_factory=list)  # raw cells

    @property
    def heading(self) -> str:
        return self.headings[-1] if self.headings else ""

    @property
    def keys(self) -> list[str]:
        """The header cells cleaned and lower-cased (for finding columns)."""
        return [clean(h).lower() for h in self.header]

    def cleaned(self) -> list[list[str]]:
        return [[clean(c) for c in row] for row in self.rows]


def tables(text: str) -> list[Table]:
    """Every pipe table of a markdown text, with its heading path and the prose just above it.
    Fenced code blocks are not read (a table shown as an example is not data)."""
    found: list[Table] = []
    levels: dict[int, str] = {}
    before: list[str] = []
    lines = text.splitlines()
    fenced = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            i += 1
            continue
        if fenced:
            i += 1
            continue
        h = _HEADING.match(line)
        if h:
            level = len(h.group("marks"))
            levels = {k: v for k, v in levels.items() if k < level}
            levels[level] = clean(h.group("text"))
            before = []
        elif "|" in line and i + 1 < len(lines) and _DELIMITER.match(lines[i + 1]) and "-" in lines[i + 1]:
            table = Table(i + 1, [levels[k] for k in sorted(levels)], before, split_row(line))
            i += 2
            while i < len(lines) and lines[i].strip() and "|" in lines[i] and not _HEADING.match(lines[i]):
                table.rows.append(split_row(lines[i]))
                i += 1
            found.append(table)
            before = []
            continue
        elif line.strip():
            before.append(line.strip())
        i += 1
    return found


def headings(text: str) -> list[tuple[int, str]]:
    """Every heading outside code blocks: (level, cleaned text)."""
    out: list[tuple[int, str]] = []
    fenced = False
    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced and (h := _HEADING.match(line)):
            out.append((len(h.group("marks")), clean(h.group("text"))))
    return out


@dataclass
class Section:
    line: int  # 1-based line of its heading (0: the text above the first heading)
    level: int  # 1-6 (0 for the text above the first heading)
    headings: list[str]  # the cleaned heading path, this section's own heading last
    lines: list[str] = field(default_factory=list)  # its non-blank prose lines, up to the next heading

    @property
    def title(self) -> str:
        return self.headings[-1] if self.headings else ""


def sections(text: str) -> list[Section]:
    """Every heading with the prose lines under it (stripped, raw markdown) up to the next heading
    of any level; table and fenced code lines are left out (``tables`` reads the tables). The text
    above the first heading is a section of level 0."""
    in_table = {i for t in tables(text) for i in range(t.line - 1, t.line + 1 + len(t.rows))}
    found = [Section(0, 0, [])]
    levels: dict[int, str] = {}
    fenced = False
    for i, line in enumerate(text.splitlines()):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif fenced or i in in_table:
            continue
        elif h := _HEADING.match(line):
            level = len(h.group("marks"))
            levels = {k: v for k, v in levels.items() if k < level}
            levels[level] = clean(h.group("text"))
            found.append(Section(i + 1, level, [levels[k] for k in sorted(levels)]))
        elif line.strip():
            found[-1].lines.append(line.strip())
    return found


def label(table: Table, names: Iterable[str]) -> str | None:
    """Which of ``names`` a table is shown under, lower-cased, when a page sets tables side by side
    as tabs ("Standard", "Batch"): the last line above the table that is only such a name (a
    rendered tab label), else the table's own heading when it is one; None when neither."""
    wanted = {n.lower() for n in names}
    for line in reversed(table.before):
        if clean(line).lower() in wanted:
            return clean(line).lower()
    return table.heading.lower() if table.heading.lower() in wanted else None


def grouped(text: str, level: int = 2) -> list[tuple[Section, list[Table]]]:
    """The tables of a text, in page order, grouped under the last heading of ``level`` or above
    before each (``##``: a model's section of a pricing page, a part of a docs page), each with
    that heading's section (its prose up to the next heading). Sections without tables are left out."""
    owners = [s for s in sections(text) if s.level <= level]  # level 0: the text above every heading
    groups: dict[int, list[Table]] = {}
    for table in tables(text):
        groups.setdefault(max(i for i, s in enumerate(owners) if s.line < table.line), []).append(table)
    return [(owners[i], ts) for i, ts in sorted(groups.items())]
