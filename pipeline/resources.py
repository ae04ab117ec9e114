"""Where the files the package ships are found: through ``importlib.resources``, wherever the
packages were imported from (a checkout, an editable install or an installed wheel), never
relative to a source tree.

Package data (pyproject.toml, ``[tool.setuptools.package-data]``):

- ``pipeline/sources.yaml``: the sources registry (``--sources-file`` / LLM_LEDGER_SOURCES_FILE
  replace it) and ``pipeline/comparisons.yaml``: the comparison rules and seed pairs;
- ``warehouse/curated/*.yaml``: the curated identity files and overrides;
- ``warehouse/sql/*``: migrations, views, comments (read by warehouse/connection.py);
- ``spiders/recorded/**``: the bundled recorded crawl that ``llm-ledger run`` replays.

pip installs a wheel as plain files, so every resource is a real path (the archive import and
the YAML loaders use ``Path`` operations). A package imported from a zip is refused by name.
"""
from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

from pipeline.errors import LedgerError


def package_path(package: str, *parts: str) -> Path:
    """The file or folder ``parts`` inside ``package``, as a file-system path."""
    res = files(package)
    for part in parts:
        res = res.joinpath(part)
    if not isinstance(res, Path):
        raise LedgerError(f"{package}/{'/'.join(parts)}: package data must be on the file system, "
                          f"not in {type(res).__name__} (install llm-ledger with pip, not as a zip)")
    return res


SOURCES_FILE = package_path("pipeline", "sources.yaml")
COMPARISONS_FILE = package_path("pipeline", "comparisons.yaml")
CURATED_DIR = package_path("warehouse", "curated")
SQL_DIR = package_path("warehouse", "sql")
RECORDED_DIR = package_path("spiders", "recorded")
# The folder the packages are imported from (a checkout, or site-packages): crawl subprocesses
# run `python -m spiders.crawl` with it on their path.
IMPORT_ROOT = package_path("spiders").parent


def read_yaml(text: str) -> Any:
    """YAML text as Python data, safely: libyaml's C loader where PyYAML has it (the curated files
    and registries are read on every run: ~10x faster than the pure-Python loader)."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 (a safe loader)
