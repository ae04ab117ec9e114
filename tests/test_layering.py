"""The layering of DESIGN.md, enforced: Scrapy only in spiders/, Prefect only in pipeline/flows.py,
and no source named in reconcile or the warehouse."""
from __future__ import annotations

import ast
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
    return out


def py_files(*folders: str) -> list[Path]:
    return [p for f in folders for p in sorted((REPO / f).rglob("*.py"))]


def test_scrapy_and_twisted_only_in_spiders():
    offenders = [str(p.relative_to(REPO)) for p in py_files("pipeline", "warehouse") if imports(p) & {"scrapy", "twisted"}]
    assert offenders == []


def test_prefect_only_in_flows():
    offenders = [str(p.relative_to(REPO)) for p in py_files("pipeline", "warehouse", "spiders")
                 if "prefect" in imports(p) and p != REPO / "pipeline" / "flows.py"]
    assert offenders == []


def test_spiders_runner_imports_no_scrapy_at_module_level():
    # pipeline/run.py imports spiders.runner: it must stay free of Scrapy (crawls run in subprocesses).
    assert not imports(REPO / "spiders" / "runner.py") & {"scrapy", "twisted"}


def test_no_source_named_in_reconcile_or_warehouse():
    source_ids = [s["id"] for s in yaml.safe_load((REPO / "pipeline" / "sources.yaml").read_text())["sources"]]
    files = [REPO / "pipeline" / "reconcile.py", *py_files("warehouse"), *sorted((REPO / "warehouse" / "sql").glob("*.sql"))]
    for path in files:
        text = path.read_text().lower()
        for sid in source_ids:
            assert sid not in text, f"{path.relative_to(REPO)} names source {sid!r}"


def test_every_configured_parser_and_spider_exists():
    for s in yaml.safe_load((REPO / "pipeline" / "sources.yaml").read_text())["sources"]:
        assert (REPO / "pipeline" / "parse" / f"{s['parser']}.py").exists(), s["id"]
        assert (REPO / "spiders" / f"{s['spider']}.py").exists(), s["id"]


def test_flows_yaml_deploys_the_refresh_flow_daily():
    doc = yaml.safe_load((REPO / "flows.yaml").read_text())
    (daily,) = [d for d in doc["deployments"] if d["name"] == "daily-refresh"]
    path, _, func = daily["entrypoint"].partition(":")
    tree = ast.parse((REPO / path).read_text())
    assert func in {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert daily["schedules"][0]["cron"].count(" ") == 4 and daily["schedules"][0]["timezone"] == "UTC"
    assert "/" not in str(daily.get("parameters", {}).get("data_dir") or "")  # no machine path baked in


def _modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


# The composition layer: the only pipeline modules that may start a crawl (spiders.runner).
COMPOSERS = {"run.py", "flows.py", "cli.py"}


def test_no_import_cycle_between_spiders_and_pipeline():
    """spiders/ builds on pipeline's plain modules (config, models, raw: the archive's reading side);
    the archive's writing side lives in spiders/writer.py. Only the composition modules of
    pipeline/ call into spiders/, and spiders/ never imports them back."""
    up = [f"{p.relative_to(REPO)}: {m}" for p in py_files("pipeline") if p.name not in COMPOSERS
          for m in _modules(p) if m.split(".")[0] == "spiders"]
    back = [f"{p.relative_to(REPO)}: {m}" for p in py_files("spiders") for m in _modules(p)
            if m in {f"pipeline.{c[:-3]}" for c in COMPOSERS} | {"pipeline.process", "pipeline.reconcile"}]
    assert up == [] and back == []
    assert "SourceCrawlWriter" not in (REPO / "pipeline" / "raw.py").read_text()
