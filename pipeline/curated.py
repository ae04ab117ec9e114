"""Curated identity maps (warehouse/curated/<name>.yaml): a source's own names for models that no
identity rule can read, reviewed by people. Each file is ``entries: {name: value}`` with a comment
saying why; a source's ``options`` may add or override entries without editing the file."""
from __future__ import annotations

from functools import lru_cache

from pydantic import BaseModel, ConfigDict

from pipeline.config import ConfigError
from pipeline.resources import CURATED_DIR, read_yaml  # package data: warehouse/curated/*.yaml


class CuratedMap(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    entries: dict[str, str]


@lru_cache(maxsize=16)
def load_map(name: str) -> dict[str, str]:
    path = CURATED_DIR / f"{name}.yaml"
    try:
        return dict(CuratedMap.model_validate(read_yaml(path.read_text()) or {}).entries)
    except FileNotFoundError:
        raise ConfigError(f"curated map not found: {path}") from None
    except Exception as e:
        raise ConfigError(f"{path}: {e}") from None


def preload() -> None:
    """Load every curated file now, before any page is parsed: a broken file (an empty block, a
    typo) stops the run at once with a ConfigError naming it, instead of surfacing inside each
    parser as "parser ... crashed" and marking every source failed."""
    from pipeline.identity import ALIASES_FILE, load_aliases
    from pipeline.overrides import OVERRIDES_FILE, load_overrides
    from pipeline.providers import PROVIDERS_FILE, load_providers

    loaders = [(ALIASES_FILE, load_aliases), (PROVIDERS_FILE, load_providers), (OVERRIDES_FILE, load_overrides)]
    for path, load in loaders:
        try:
            load(path)
        except ConfigError:
            raise
        except Exception as e:  # pydantic, YAML, OS errors: all mean "this file cannot be used"
            raise ConfigError(f"{path}: cannot be used: {_first_line(e)}") from None
    known = {p.name for p, _ in loaders}
    for path in sorted(CURATED_DIR.glob("*.yaml")):
        if path.name not in known:
            load_map(path.stem)


def _first_line(e: Exception) -> str:
    text = str(e).strip()
    return text.replace("\n", " ") if len(text) < 400 else text.splitlines()[0] + " ..."
