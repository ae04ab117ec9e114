"""Curated identity maps (warehouse/curated/<name>.yaml): a source's own names for models that no
identity rule can read, reviewed by people. Each file is ``entries: {name: value}`` with a comment
saying why; a source's ``options`` may add or override entries without editing the file."""
from __future__ import annotations

from functools import lru_cache

import yaml
from pydantic import BaseModel, ConfigDict

from pipeline.config import REPO_ROOT, ConfigError

CURATED_DIR = REPO_ROOT / "warehouse" / "curated"


class CuratedMap(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    entries: dict[str, str]


@lru_cache(maxsize=16)
def load_map(name: str) -> dict[str, str]:
    path = CURATED_DIR / f"{name}.yaml"
    try:
        return dict(CuratedMap.model_validate(yaml.safe_load(path.read_text()) or {}).entries)
    except FileNotFoundError:
        raise ConfigError(f"curated map not found: {path}") from None
    except Exception as e:
        raise ConfigError(f"{path}: {e}") from None
