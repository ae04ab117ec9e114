"""The package installed as a wheel (issue 12, packaging): every file it reads at run time is
package data found through importlib.resources, so `llm-ledger run` works from an empty folder.

Offline and fast: the wheel is built with this venv's setuptools (`pip wheel --no-build-isolation
--no-index`, from a copy of the tree so that setuptools' build/ and egg-info never land in the
checkout) and installed with `--no-deps` into a fresh venv made without pip. The dependencies come
from this venv's site-packages through a plain path line in a .pth file: a path line only appends
the folder, the .pth files inside it (the editable install's finder) are not run, so the project
itself is imported from the new venv, which the test checks.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # `make test-slow` (CI runs make test, then make test-slow)

REPO = Path(__file__).resolve().parents[1]
RECORDED = REPO / "spiders" / "recorded"
IGNORE = shutil.ignore_patterns(".venv", "data", ".git", "build", "dist", "*.egg-info", "__pycache__", ".hypothesis",
                                ".pytest_cache", ".ruff_cache", "tests", "bench")


def _sh(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False, **kw)
    assert proc.returncode == 0, f"{' '.join(map(str, cmd))} -> {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in {"PYTHONPATH", "PYTHONHOME", "LLM_LEDGER_SOURCES_FILE", "LLM_LEDGER_DATA_DIR", "VIRTUAL_ENV"}}
    env["PYTHONNOUSERSITE"] = "1"
    return env


def _pip(*args: str) -> None:
    _sh([sys.executable, "-m", "pip", "--disable-pip-version-check", *args], env=_env())


@pytest.fixture(scope="module")
def source_copy(tmp_path_factory) -> Path:
    import setuptools

    major, minor = (int(x) for x in setuptools.__version__.split(".")[:2])
    assert (major, minor) >= (70, 1), (f"setuptools {setuptools.__version__} in {sys.prefix} cannot build the wheel "
                                      "offline (needs >=70.1, the test extras: `make setup`)")
    src = tmp_path_factory.mktemp("src") / "llm-ledger"
    shutil.copytree(REPO, src, ignore=IGNORE)
    return src


@pytest.fixture(scope="module")
def wheel(source_copy, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    _pip("wheel", str(source_copy), "--no-deps", "--no-build-isolation", "--no-index", "-q", "-w", str(out))
    (whl,) = out.glob("llm_ledger-*.whl")
    return whl


def _venv(path: Path) -> Path:
    """A fresh venv without pip; the dependencies importable from this venv's site-packages."""
    _sh([sys.executable, "-m", "venv", "--without-pip", str(path)])
    py = path / "bin" / "python"
    site = Path(_sh([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    deps = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (site / "_llm_ledger_test_deps.pth").write_text("".join(f"{d}\n" for d in deps))
    return py


def _where(py: Path, venv: Path) -> dict:
    """Where the installed packages and their data are, asked of the new venv's Python."""
    code = ("import json, pipeline, spiders, warehouse, pipeline.resources as r\n"
            "print(json.dumps({'modules': [pipeline.__file__, spiders.__file__, warehouse.__file__],\n"
            "  'data': [str(p) for p in (r.SOURCES_FILE, r.COMPARISONS_FILE, r.CURATED_DIR, r.SQL_DIR, r.RECORDED_DIR)],\n"
            "  'recorded': sorted(str(p.relative_to(r.RECORDED_DIR)) for p in r.RECORDED_DIR.rglob('*') if p.is_file())}))")
    got = json.loads(_sh([str(py), "-c", code], cwd=venv, env=_env()).stdout)
    for path in got["modules"] + got["data"]:
        assert path.startswith(str(venv)), f"{path} is not inside the new venv {venv}: the checkout leaked in"
        assert Path(path).exists(), path
    repo_recorded = sorted(str(p.relative_to(RECORDED)) for p in RECORDED.rglob("*") if p.is_file())
    assert got["recorded"] == repo_recorded  # nested folders and bodies without extensions included
    return got


def test_wheel_runs_from_an_empty_folder(wheel, tmp_path):
    venv = tmp_path / "venv"
    py = _venv(venv)
    _pip("--python", str(py), "install", "--no-deps", "--no-index", "-q", str(wheel))
    _where(py, venv)

    empty = tmp_path / "empty"
    empty.mkdir()
    proc = subprocess.run([str(venv / "bin" / "llm-ledger"), "run", "--site"], cwd=empty, env=_env(),
                          capture_output=True, text=True, timeout=180, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert sorted(p.name for p in empty.iterdir()) == ["data"]  # the default ./data, nothing else
    assert (empty / "data" / "ledger.duckdb").exists()
    latest = (empty / "data" / "exports" / "latest").resolve()
    assert (latest / "manifest.json").exists()
    # --site: the templates and stylesheet travel in the wheel
    site = empty / "data" / "site" / "2026-06-04"
    assert "Llama 3.2 1B Instruct" in (site / "index.html").read_text()
    assert (site / "style.css").read_text() == (REPO / "pipeline" / "site_templates" / "style.css").read_text()

    # a seed fact: Llama 3.2 1B Instruct is cheapest on input at Cloudflare Workers AI, $0.027 / 1M
    (pair,) = [p for p in (latest / "comparisons").glob("*.json")
               if "meta__llama-3.2-1b-instruct" in p.name and "o3-mini" in p.name]
    record = json.loads(pair.read_text())
    (llama,) = [s for s in (record["a"], record["b"]) if s["model_id"] == "meta/llama-3.2-1b-instruct"]
    cheapest = llama["cheapest_input"]
    assert cheapest["usd_per_mtok"] == "0.027"
    assert "cloudflare-workers-ai" in {p["id"] for p in cheapest["providers"]}


def test_pip_install_dot_is_not_editable(source_copy, tmp_path):
    venv = tmp_path / "venv"
    py = _venv(venv)
    _pip("--python", str(py), "install", "--no-deps", "--no-build-isolation", "--no-index", "-q", str(source_copy))
    _where(py, venv)
    version = _sh([str(venv / "bin" / "llm-ledger"), "--version"], cwd=tmp_path, env=_env()).stdout
    assert "0." in version
