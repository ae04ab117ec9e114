"""The transform layers of warehouse/sql/transform/, in the order the data flows through them:

    10 claims -> 20 winners -> 30 holds -> 35 conflicts -> 40 staged versions -> 50 SCD2

then the marts: 60 changes (what changed, defined once: the `changes` view, the run reports and
the before/after of a rebuild), views.sql (current, as-of), pipeline/compare.py (comparisons). Each file
is a Jinja2 template whose only variables are identifiers and column lists generated from
pipeline/fields.py (one template per entity layer, rendered per entity); values are never spliced
into the text but bound as $parameters when the statement runs.
"""
from __future__ import annotations

import re
from functools import cache
from importlib import resources

import duckdb
import jinja2

from pipeline.fields import FIELDS, KEYS, Entity, FieldType


def _template_text(name: str) -> str:
    return resources.files("warehouse").joinpath("sql", "transform", name).read_text()


_ENV = jinja2.Environment(
    loader=jinja2.FunctionLoader(_template_text),
    undefined=jinja2.StrictUndefined,  # a misspelt variable is an error, not an empty string
    autoescape=False, keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
)


def stage_table(entity: Entity) -> str:
    return f"stage_{entity}s"


def versions_table(entity: Entity) -> str:
    return f"{entity}_versions"


def entity_context(entity: Entity) -> dict[str, object]:
    """What an entity template knows of its entity: names, key and fact columns (pipeline/fields.py)."""
    return {"entity": entity, "stage": stage_table(entity), "versions": versions_table(entity),
            "key": list(KEYS[entity]), "fields": list(FIELDS[entity]),
            "typed_fields": [(f, str(t)) for f, t in FIELDS[entity].items()]}


def render(name: str, **context: object) -> str:
    return _ENV.get_template(name).render(**context)


_COMMENT = re.compile(r"--[^\n]*")
_STATEMENTS: dict[str, tuple[str, ...]] = {}


def statements(name: str, **context: object) -> tuple[str, ...]:
    """The statements of one layer file rendered with ``context`` (rendered once per context)."""
    cache_key = f"{name}:{context!r}"
    if cache_key not in _STATEMENTS:
        # DuckDB's own parser splits them: a ';' inside a string literal stays where it is
        _STATEMENTS[cache_key] = tuple(st.query.strip() for st in duckdb.extract_statements(render(name, **context)))
    return _STATEMENTS[cache_key]


def run(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, object] | None = None,
        **context: object) -> None:
    """Run a layer file's statements, binding each the parameters it names."""
    for statement in statements(name, **context):
        code = _COMMENT.sub("", statement)  # a $name in a comment is not a parameter
        used = {k: v for k, v in (params or {}).items() if re.search(rf"\${k}\b", code)}
        con.execute(statement, used or None)


def _changes_context() -> dict[str, object]:
    offer = FIELDS["offer"]
    return {"key": list(KEYS["offer"]), "fields": list(offer),
            "prices": [f for f, t in offer.items() if t is FieldType.DECIMAL]}


def changes_view_sql() -> str:
    """The `changes` view (60_changes.sql), created with the other views on every open."""
    return render("60_changes.sql", **_changes_context())


def changes_sql(old: str, new: str) -> str:
    """What changed between two relations of offers (each with a crawl_id column), by the one
    definition of 60_changes.sql. ``old``/``new`` are table names or queries of the caller's."""
    source = "{% from '60_changes.sql' import offer_changes with context %}{{ offer_changes(old, new) }}"
    return _ENV.from_string(source).render(old=old, new=new, **_changes_context())


def history_changes_sql(where_closed: str, where_opened: str) -> str:
    """The `changes` of the stored history, restricted by the caller's conditions on the closed
    and the opened versions (e.g. bound crawl ids), without scanning every crawl's changes."""
    source = "{% from '60_changes.sql' import history with context %}{{ history(where_closed, where_opened) }}"
    return _ENV.from_string(source).render(where_closed=where_closed, where_opened=where_opened,
                                           **_changes_context())


@cache
def mart(name: str) -> str:
    """A named read query of the marts layer (warehouse/sql/marts/<name>.sql): $parameters are bound
    by the caller."""
    return resources.files("warehouse").joinpath("sql", "marts", f"{name}.sql").read_text()
