"""What a person at the terminal sees (issue 12): every read command over the recorded crawl, in
tables and in --json. No exponent, no lost `[variant]`, no None, mistakes caught with the closest
spelling, --severity lists, --as-of before the first crawl refused, --out the folder of the files."""
from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from pipeline import cli, display
from pipeline.config import load_sources
from pipeline.run import run

LLAMA = "meta/llama-3.2-1b-instruct"
O3_MINI = "openai/o3-mini"
FIRST_CRAWL = "2026-04-15"
AS_OF = "2026-06-04"
# a number in scientific notation: "2E+1", "1.5E+2", "5E-7", "1e-05"
E_NOTATION = re.compile(r"\d[eE][+-]\d")


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory, recorded_dir: Path) -> Path:
    """The warehouse of the recorded crawl (no export: the commands read the warehouse)."""
    folder = tmp_path_factory.mktemp("cli-display")
    run(folder, load_sources(), do_export=False, recorded_dir=recorded_dir)
    return folder


@pytest.fixture(scope="module")
def ledger(data: Path):
    """`llm-ledger ARGS --data-dir DATA` -> (exit code, stdout, stdout + stderr), on wide consoles.
    Read commands are run once per module: several tests look at the same output."""
    seen: dict[tuple[str, ...], tuple[int, str, str]] = {}

    def go(*args: str) -> tuple[int, str, str]:
        if args not in seen:
            result = CliRunner().invoke(cli.app, [*args, "--data-dir", str(data)])
            seen[args] = (result.exit_code, result.stdout, result.output)
        return seen[args]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cli, "console", Console(width=250, color_system=None))
        patch.setattr(cli, "err", Console(width=250, color_system=None, stderr=True))
        yield go


def ok(ledger, *args: str) -> str:
    code, out, both = ledger(*args)
    assert code == 0, both
    return out


def fails(ledger, *args: str) -> str:
    code, _, both = ledger(*args)
    assert code != 0, both
    return both


def data_json(ledger, *args: str) -> dict:
    return json.loads(ok(ledger, *args, "--json"))


READ_COMMANDS = [
    ("show", LLAMA, "--as-of", AS_OF), ("show", "openai/o3", "--as-of", AS_OF),
    ("compare", LLAMA, O3_MINI, "--as-of", AS_OF), ("compare", LLAMA, "openai/o3", "--as-of", AS_OF),
    ("models", "--as-of", AS_OF), ("changes", "--since", "2026-01-01"), ("conflicts",), ("sources",), ("unmatched",),
]


@pytest.mark.parametrize("args", READ_COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_no_exponent_and_no_none_in_any_table(ledger, args):
    out = ok(ledger, *args)
    assert not E_NOTATION.search(out), E_NOTATION.search(out)
    assert "None" not in out and "True" not in out and "False" not in out


def test_variants_are_printed_not_read_as_markup(ledger):
    out = ok(ledger, "show", "openai/o3", "--as-of", AS_OF)
    rows = [line for line in out.splitlines() if line.lstrip().startswith("OpenAI API ")]
    assert len(rows) == len(set(rows)) == 3, rows  # standard, flex, priority: three distinct rows
    assert any("flex" in r and "$1.00" in r for r in rows) and any("priority" in r and "$3.50" in r for r in rows)
    changes = ok(ledger, "changes", "--since", "2026-01-01")
    assert any("aws-bedrock" in line and "us-east-1" in line for line in changes.splitlines())
    compared = ok(ledger, "compare", LLAMA, "openai/o3", "--as-of", AS_OF)
    assert "flex: $1.00 / $4.00 at OpenAI API [flex]" in compared
    console = Console(width=80, color_system=None, record=True)
    console.print(display.cell("o3 [priority]"))
    assert "[priority]" in console.export_text()


def test_formatter():
    assert display.number(Decimal("2E+1")) == "20" and display.number(1e-05) == "0.00001"
    assert display.usd(Decimal("1.5E+2")) == "$150.00" and display.usd(Decimal("0.027000000")) == "$0.027"
    assert display.usd(Decimal("1.250")) == "$1.25" and display.usd(None) == "unknown"
    assert display.usd_total(Decimal("1908.145")) == "$1,908.15" and display.usd_total(1980) == "$1,980.00"
    assert display.number(131072) == "131,072" and display.tokens(131072, "128K") == "128K (131,072)"
    assert [display.yes_no(v) for v in (True, False, None, "yes", "unknown")] == ["yes", "no", "unknown", "yes", "unknown"]
    assert display.percent(Decimal("3974.07")) == "3974.07%"
    assert display.multiplier(Decimal("3974.07"), Decimal("40.74")) == "40.7×"
    assert display.multiplier(Decimal("50"), Decimal("1.5")) is None
    assert display.move(Decimal("0.1"), Decimal("1.1")) == "$0.10 -> $1.10 (+1000.00%, 11× the old price)"
    assert display.move(Decimal("0"), Decimal("0.1")) == "$0.00 -> $0.10 (from $0: no percent)"


def test_compare_is_laid_out_in_sections_with_a_row_per_provider(ledger):
    out = ok(ledger, "compare", LLAMA, O3_MINI, "--as-of", AS_OF)
    for section in ("Scorecard", "Specs", "Pricing", "Prices per provider", "Capabilities", "Benchmarks",
                    "Cost at traffic"):
        assert re.search(rf"^{section}", out, re.M), section
    assert "is 3974.07% cheaper on input (40.7× cheaper); monthly gap $1,908.15" in out
    assert "$71.85" in out and "$1,980.00" in out  # money totals in one format
    assert any("Bitdeer AI" in line and "$0.03" in line and "standard" in line for line in out.splitlines())
    assert re.search(r"^ open weights +yes +no", out, re.M)


def test_unknown_source_ids_are_refused_with_the_closest(ledger, data):
    before = sorted(p.name for p in (data / "raw").iterdir())
    for command in (("run",), ("run", "--live"), ("crawl",)):
        out = fails(ledger, *command, "--sources", "openroutr")
        assert "unknown source 'openroutr'; did you mean 'openrouter'?" in out
    assert sorted(p.name for p in (data / "raw").iterdir()) == before  # nothing fetched, nothing replayed
    assert "add --live" in fails(ledger, "run", "--sources", "openrouter")  # a replay is never a subset


def test_unknown_model_ids_get_did_you_mean(ledger):
    assert f"no model 'llama-3.2-1b-instruct' as of {AS_OF}; did you mean '{LLAMA}'?" in \
        fails(ledger, "show", "llama-3.2-1b-instruct", "--as-of", AS_OF)
    out = fails(ledger, "compare", LLAMA, "openai/o3mini", "--as-of", AS_OF)
    assert "no model 'openai/o3mini'" in out and "did you mean 'openai/o3-mini'" in out
    assert "both need at least one offer" not in out


def test_severity_takes_a_list(ledger):
    every = data_json(ledger, "conflicts")["conflicts"]
    listed = data_json(ledger, "conflicts", "--severity", "held,major,minor")["conflicts"]
    assert listed == every and {c["severity"] for c in every} >= {"major", "minor"}
    major = data_json(ledger, "conflicts", "--severity", "major")["conflicts"]
    assert major and {c["severity"] for c in major} == {"major"}
    assert "held, major or minor" in fails(ledger, "conflicts", "--severity", "major,huge")


def test_as_of_before_the_first_crawl_is_an_error(ledger, data, tmp_path):
    for args in (("show", LLAMA), ("compare", LLAMA, O3_MINI), ("models",), ("export",),
                 ("export", "--out", str(tmp_path / "early"))):
        out = fails(ledger, *args, "--as-of", "2026-01-01")
        assert f"before the first crawl ({FIRST_CRAWL})" in out, args
    assert not (data / "exports").exists() and not (tmp_path / "early").exists()


def test_json_carries_the_facts(ledger):
    record = data_json(ledger, "compare", LLAMA, O3_MINI, "--as-of", AS_OF)
    cheapest = record["a"]["cheapest_input"]
    assert cheapest["usd_per_mtok"] == "0.027" and "Cloudflare Workers AI" in [p["name"] for p in cheapest["providers"]]
    (llama,) = data_json(ledger, "models", "--search", "Llama 3.2 1B Instruct", "--as-of", AS_OF)["models"]
    assert llama["model_id"] == LLAMA and llama["cheapest_input_usd_per_mtok"] == "0.027"
    assert "cloudflare-workers-ai" in [p["id"] for p in llama["cheapest_input_providers"]]
    assert llama["context_window"] == 131072 and llama["providers_count"] >= 2
    shown = data_json(ledger, "show", "openai/o3", "--as-of", AS_OF)
    assert {o["variant"] for o in shown["offers"]} >= {"", "flex", "priority"}
    assert all(isinstance(o["input_usd_per_mtok"], str) for o in shown["offers"] if o["input_usd_per_mtok"])
    assert data_json(ledger, "changes", "--since", "2026-01-01")["changes"]
    assert {s["id"] for s in data_json(ledger, "sources")["sources"]} == {s.id for s in load_sources().sources}
    assert all("candidates" in u for u in data_json(ledger, "unmatched")["unmatched"])


def test_out_is_the_folder_that_receives_the_files(ledger, tmp_path):
    out = tmp_path / "site-data"
    assert str(out) in ok(ledger, "export", "--out", str(out), "--as-of", AS_OF)
    assert json.loads((out / "manifest.json").read_text())["as_of"] == AS_OF
    assert (out / "models.parquet").is_file() and not (out / "versions").exists()
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    assert "neither empty nor an earlier export" in fails(ledger, "export", "--out", str(tmp_path / "other"))
    assert (tmp_path / "other" / "notes.txt").read_text() == "mine"


def test_version():
    result = CliRunner().invoke(cli.app, ["--version"])
    assert result.exit_code == 0 and re.match(r"llm-ledger \d+\.\d+", result.stdout)
