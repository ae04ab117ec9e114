"""The transform layers of warehouse/sql/transform/, in the order the data flows through them:

    10 claims -> 20 winners -> 30 conflicts and holds -> 40 staged versions -> 50 SCD2

then the marts (views.sql: current, as-of, changes; pipeline/compare.py's comparisons). Each file
is a Jinja2 template whose only variables are identifiers and column lists generated from
pipeline/fields.py (one template per entity layer, rendered per entity); values are never spliced
into the text but bound as $parameters when the statement runs.
"""
from __future__ import annotations

import re

import duckdb
import jinja2

from pipeline.fields import FIELDS, KEYS, Entity
from warehouse.connection import sql_text

_ENV = jinja2.Environment(
    loader=jinja2.FunctionLoader(lambda name: sql_text(f"transform/{name}")),
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
