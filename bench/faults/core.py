"""The case registry and the shared context (work dir, seed, reference data dirs built once)."""
from __future__ import annotations

import random
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.faults import harness as h

Outcome = tuple[bool, str]


class Skip(Exception):
    """The case cannot run here (e.g. mount not permitted): reported, not counted."""


@dataclass
class Case:
    family: str
    name: str
    expected: str
    fn: Callable[[Ctx], Outcome]
    quick: bool = False

    @property
    def id(self) -> str:
        return f"{self.family}/{self.name}"


CASES: list[Case] = []


def register(family: str, name: str, expected: str, fn: Callable[[Ctx], Outcome], quick: bool = False) -> None:
    CASES.append(Case(family, name, expected, fn, quick))


def case(family: str, name: str, expected: str, quick: bool = False) -> Callable[[Callable[[Ctx], Outcome]], Callable[[Ctx], Outcome]]:
    def deco(fn: Callable[[Ctx], Outcome]) -> Callable[[Ctx], Outcome]:
        register(family, name, expected, fn, quick)
        return fn
    return deco


# The extra crawl "X" laid on top of the reference: the newest recorded crawl six days later, with
# Cloudflare's 1B input price moved and one of its rows gone (a change to version and retire).
X_CRAWL = "20260610T060000Z"
X_STARTED = "2026-06-10T06:00:00Z"


@dataclass
class _Failed:
    error: Exception


@dataclass
class Ref:
    data: Path
    state: h.State
    seconds: float


@dataclass
class Ctx:
    work: Path
    seed: int
    quick: bool
    metrics: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    setup: dict[str, float] = field(default_factory=dict)
    current: str = ""
    _cache: dict[str, Any] = field(default_factory=dict)

    # -- per case -----------------------------------------------------------------------------
    def dir(self, *parts: str) -> Path:
        name = re.sub(r"[^A-Za-z0-9._-]+", "_", self.current or "x")
        d = self.work / "cases" / name
        for p in parts:
            d = d / p
        d.mkdir(parents=True, exist_ok=True)
        return d

    def rng(self, salt: str = "") -> random.Random:
        return random.Random(f"{self.seed}:{self.current}:{salt}")

    def bump(self, group: str, key: str, n: int = 1) -> None:
        g = self.metrics.setdefault(group, {})
        g[key] = g.get(key, 0) + n

    def copy(self, src: Path, name: str = "data") -> Path:
        return h.copy_dir(src, self.dir() / name)

    # -- references, built once ---------------------------------------------------------------
    def _once(self, key: str, build: Callable[[], Any]) -> Any:
        """Build a shared reference once; a failed build fails every later use at once, same reason."""
        if key not in self._cache:
            t = time.monotonic()
            try:
                self._cache[key] = build()
            except Exception as e:  # noqa: BLE001
                self._cache[key] = _Failed(e)
            self.setup[key] = round(time.monotonic() - t, 2)
        value = self._cache[key]
        if isinstance(value, _Failed):
            raise RuntimeError(f"{key}: {value.error}")
        return value

    def ref(self) -> Ref:
        """A data dir after a plain `run` (the bundled recorded crawls) from nothing."""
        def build() -> Ref:
            d = self.work / "ref" / "data"
            p = h.cli(["run", "--data-dir", str(d)], self.work / "ref", "run")
            if p.rc != 0:
                raise RuntimeError(f"reference `run` failed (rc={p.rc}): {p.tail(600)}")
            return Ref(d, h.state(d), p.seconds)
        return self._once("ref", build)

    def ref_offers(self) -> dict[tuple[str, ...], dict[str, Any]]:
        return self._once("ref_offers", lambda: h.offers(self.ref().data))

    def pending_x(self) -> Path:
        """The reference plus crawl X in the raw archive, not loaded yet (a template: copy it)."""
        def build() -> Path:
            d = h.copy_dir(self.ref().data, self.work / "pending_x" / "data")
            crawl = h.add_crawl(d, X_CRAWL, X_STARTED)
            cf = crawl / "cloudflare-workers-ai"
            body = h.body_path(cf, "pricing")
            text = body.read_text()
            text = text.replace("$0.027 per M input tokens", "$0.031 per M input tokens")
            # the DeepSeek row of the markdown LLM table: its whole line
            text, n = re.subn(r"^\|[^\n]*@cf/deepseek-ai/deepseek-r1-distill-qwen-32b\b[^\n]*\n", "", text, flags=re.M)
            if n != 1:
                raise RuntimeError(f"crawl X: {n} DeepSeek rows removed from Cloudflare's page, expected 1")
            body.write_text(text)
            h.reseal(cf)
            return d
        return self._once("pending_x", build)

    def done_x(self) -> Ref:
        """The state after loading crawl X with a plain `run` (the 'completed' state)."""
        def build() -> Ref:
            d = h.copy_dir(self.pending_x(), self.work / "done_x" / "data")
            p = h.cli(["run", "--data-dir", str(d)], self.work / "done_x", "run")
            if p.rc != 0:
                raise RuntimeError(f"`run` of crawl X failed (rc={p.rc}): {p.tail(600)}")
            return Ref(d, h.state(d), p.seconds)
        return self._once("done_x", build)

    def rebuild_x_seconds(self) -> float:
        """How long `rebuild` of reference + X takes (for the kill moments)."""
        def build() -> float:
            d = h.copy_dir(self.pending_x(), self.work / "rebuild_x" / "data")
            p = h.cli(["rebuild", "--data-dir", str(d)], self.work / "rebuild_x", "rebuild")
            self._cache["rebuild_x_state"] = h.state(d) if p.rc == 0 else None
            return p.seconds
        return self._once("rebuild_x", build)

    def cleanup_case(self) -> None:
        d = self.work / "cases" / re.sub(r"[^A-Za-z0-9._-]+", "_", self.current or "x")
        shutil.rmtree(d, ignore_errors=True)
