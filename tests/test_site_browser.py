"""The static site in a real browser: Debian's Chromium driven by Playwright (executable_path).

The site is rendered from the recorded crawl's export as of each seed page's date; the test opens
the index and every seed comparison page and checks the seed facts as a person reads them, that no
page logs a console error, that every internal link resolves (anchors included), that each price
shown has a source link, and the basics of accessibility. A full-page screenshot of each seed
comparison page is written to test-output/site/ (LLM_LEDGER_TEST_OUTPUT overrides the folder).

Without Chromium or Playwright the test skips, saying how to get them: `make test` installs
Debian's chromium when it runs as root; Playwright comes with `pip install -e '.[test]'`."""
from __future__ import annotations

import os
import re
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import yaml

from pipeline.export import safe_name
from pipeline.site import build_site

REPO = Path(__file__).resolve().parent.parent
GOLDEN = yaml.safe_load((Path(__file__).parent / "golden" / "seed_pairs.yaml").read_text())["pairs"]
OUTPUT = Path(os.environ.get("LLM_LEDGER_TEST_OUTPUT", REPO / "test-output")) / "site"
# As the machine's notes say Chromium must run here: no sandbox as root, no GPU, and no
# background connections (the closed network refuses them, and they would be console noise).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
HOW_TO_GET_ONE = ("install Debian's chromium (`apt-get install chromium`; `make test` does it when run as root) "
                  "and Playwright (`pip install -e '.[test]'`), or set LLM_LEDGER_CHROMIUM to a Chromium binary")


def chromium_path() -> str | None:
    wanted = os.environ.get("LLM_LEDGER_CHROMIUM")
    if wanted:
        return wanted if Path(wanted).exists() else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser() -> Any:
    executable = chromium_path()
    if executable is None:
        pytest.skip(f"no Chromium on this machine: {HOW_TO_GET_ONE}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip(f"Playwright for Python is not installed: {HOW_TO_GET_ONE}")
    with sync_playwright() as p:
        # Playwright gives every launch a fresh, empty profile (its own --user-data-dir)
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory, recorded_exports) -> dict[str, Path]:
    """The site as of each seed date, rendered from that date's export of the recorded crawl."""
    root = tmp_path_factory.mktemp("site")
    return {as_of: build_site(recorded_exports(date.fromisoformat(as_of)), root / f"site-{as_of}").folder
            for as_of in sorted({str(p["as_of"]) for p in GOLDEN})}


def page_path(pair: dict[str, Any]) -> str:
    return f"compare/{safe_name(pair['a']['id'])}--vs--{safe_name(pair['b']['id'])}.html"


# Runs in the page: what a checker of the page needs, read from the rendered DOM.
AUDIT_JS = """() => {
  const lum = (rgb) => { const c = rgb.match(/[\\d.]+/g).slice(0, 3).map(Number).map(v => v / 255)
      .map(v => v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4));
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]; };
  const bg = (el) => { for (let e = el; e; e = e.parentElement) { const b = getComputedStyle(e).backgroundColor;
      if (b && !b.startsWith('rgba(0, 0, 0, 0)') && b !== 'transparent') return b; } return 'rgb(255, 255, 255)'; };
  const lowContrast = [];
  for (const el of document.querySelectorAll('body *')) {
    const own = Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own || el.closest('svg') || el.offsetParent === null) continue;
    const l1 = lum(getComputedStyle(el).color), l2 = lum(bg(el));
    const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    if (ratio < 4.5) lowContrast.push(el.tagName + '.' + el.className + ': ' + ratio.toFixed(2));
  }
  const prices = Array.from(document.querySelectorAll('data.price'));
  return {
    headings: Array.from(document.querySelectorAll('h1, h2, h3, h4, h5, h6')).map(h => Number(h.tagName[1])),
    thWithoutScope: document.querySelectorAll('th:not([scope])').length,
    svgsWithoutTitle: Array.from(document.querySelectorAll('svg')).filter(s => !s.querySelector(':scope > title')).length,
    imgsWithoutAlt: document.querySelectorAll('img:not([alt])').length,
    scripts: document.scripts.length,
    lang: document.documentElement.lang,
    lowContrast: lowContrast.slice(0, 10),
    links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
    prices: prices.length,
    pricesWithoutSource: prices.filter(p => { const f = p.closest('.fact');
        return !f || !f.querySelector(':scope > a.source[href]'); }).map(p => p.textContent),
  };
}"""


def open_page(browser: Any, url: str) -> tuple[Any, list[str]]:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
    response = page.goto(url)
    assert response is None or response.ok, f"{url}: {response.status if response else '?'}"
    return page, errors


def audit(page: Any, site: Path) -> dict[str, Any]:
    """The page's audit, with its internal links checked: each file exists, each #anchor is an id there."""
    found = page.evaluate(AUDIT_JS)
    broken = []
    for href in found["links"]:
        parts = urlsplit(href)
        if parts.scheme != "file":
            assert parts.scheme == "https" or parts.scheme == "http", href
            continue
        target = Path(unquote(parts.path))
        if not target.is_file() or not target.resolve().is_relative_to(site.resolve()):
            broken.append(href)
        elif parts.fragment and f'id="{parts.fragment}"' not in target.read_text(encoding="utf-8"):
            broken.append(href)
    found["broken"] = broken
    return found


def assert_sound(found: dict[str, Any], errors: list[str], what: str) -> None:
    assert errors == [], f"{what}: {errors}"
    assert found["broken"] == [], f"{what}: internal links that do not resolve: {found['broken']}"
    assert found["pricesWithoutSource"] == [], f"{what}: prices without a source link"
    levels = found["headings"]
    assert levels.count(1) == 1 and levels[0] == 1, f"{what}: one h1, first: {levels}"
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:])), f"{what}: a heading level is skipped: {levels}"
    assert found["thWithoutScope"] == 0 and found["imgsWithoutAlt"] == 0 and found["svgsWithoutTitle"] == 0
    assert found["scripts"] == 0, f"{what}: the pages work without script"
    assert found["lang"] == "en"
    assert found["lowContrast"] == [], f"{what}: text below 4.5:1 contrast: {found['lowContrast']}"


def test_the_index_lists_every_model_and_each_comparison(browser, sites):
    site = sites["2026-06-04"]
    page, errors = open_page(browser, (site / "index.html").as_uri())
    try:
        found = audit(page, site)
        assert_sound(found, errors, "index.html")
        rows = page.locator("table.models tbody tr")
        assert rows.count() == len(list((site / "models").glob("*.html"))) > 40
        llama = page.locator("table.models tbody tr", has=page.get_by_role("link", name="Llama 3.2 1B Instruct",
                                                                           exact=True))
        assert llama.locator("td").all_inner_texts()[:2] == ["Meta", "128K"]
        assert "$0.03/1M" in llama.inner_text() and "$0.20/1M" in llama.inner_text()
        pairs = page.locator("ul.pairs a")
        assert pairs.count() == len(list((site / "compare").glob("*.html"))) == 5  # every configured pair
        assert "Llama 3.2 1B Instruct vs o3 Mini" in pairs.all_inner_texts()
        assert found["prices"] > 40
    finally:
        page.close()


def test_the_first_seed_page_shows_the_seed_facts(browser, sites):
    """The facts of shared/seeds/000 as the page shows them (as of 2026-06-04)."""
    site = sites["2026-06-04"]
    page, errors = open_page(browser, (site / page_path(GOLDEN[0])).as_uri())
    try:
        text = page.inner_text("main")
        for shown in ("$0.03/1M", "$0.20/1M", "$71.85", "$1,980", "$1.10/1M", "$4.40/1M"):
            assert shown in text, shown
        context = page.locator("#specs ~ table tr", has_text="Context window").first.locator("td")
        assert [t.split()[0] for t in context.all_inner_texts()] == ["128K", "200K"]
        mmlu = page.locator("#benchmarks ~ table tr", has_text="MMLU-Pro").locator("td")
        assert [t.split()[0] for t in mmlu.all_inner_texts()[:2]] == ["20.0", "79.1"]
        llama_providers = page.get_by_role("list", name="Llama 3.2 1B Instruct providers").locator("li")
        assert sorted(llama_providers.all_inner_texts()) == sorted([
            "Bitdeer AI", "Cloudflare Workers AI", "DeepInfra", "Fireworks AI", "NVIDIA NIM", "OpenRouter",
            "Vercel AI Gateway"])
        # the cheapest route is marked, with its tie, and its price links to the page it came from
        cheapest = page.locator("table.routes").first.locator("tr.cheapest th")
        assert [t.split()[0:3] for t in cheapest.all_inner_texts()] == [
            ["Cloudflare", "Workers", "AI"], ["OpenRouter", "meta-llama/llama-3.2-1b-instruct"]]
        source = page.locator("#pricing ~ table td").first.locator("a.source")
        assert source.get_attribute("href") == "https://developers.cloudflare.com/workers-ai/platform/pricing/index.md"
        # unknown is printed as unknown, and a disputed fact lists the values seen with their sources
        assert page.locator("#capabilities ~ table tr", has_text="IDE integration").locator(
            ".tri").all_inner_texts() == ["Unknown", "Unknown"]
        dispute = page.locator("#specs ~ table tr", has_text="Knowledge cutoff").locator("details.disputed").first
        dispute.locator("summary").click()
        assert "2023-12-31" in dispute.inner_text() and "openrouter" in dispute.inner_text()
        assert page.locator("p.reviewed").inner_text().startswith("Last reviewed: 2026-06-04")
    finally:
        page.close()


@pytest.mark.parametrize("pair", GOLDEN, ids=[p["seed"].split("_")[0] for p in GOLDEN])
def test_each_seed_comparison_page(browser, sites, pair):
    site = sites[str(pair["as_of"])]
    rel = page_path(pair)
    page, errors = open_page(browser, (site / rel).as_uri())
    try:
        found = audit(page, site)
        assert_sound(found, errors, rel)
        a, b = pair["a"]["name"], pair["b"]["name"]
        assert page.locator("h1").inner_text() == f"{a} vs {b}"
        for side, name in (("a", a), ("b", b)):
            col = 1 if side == "a" else 2
            for fact, row in (("cheapest_input_usd_per_mtok", "Input price"),
                              ("cheapest_output_usd_per_mtok", "Output price")):
                if side in pair.get(fact, {}):
                    cell = page.locator("#pricing ~ table").first.locator("tr", has_text=row).locator("td").nth(col - 1)
                    shown = Decimal(cell.locator("data.price").get_attribute("value"))
                    assert shown == Decimal(str(pair[fact][side])), f"{name} {row}"
            if side in pair.get("providers", {}):
                listed = page.get_by_role("list", name=f"{name} providers").locator("li").all_inner_texts()
                assert set(pair["providers"][side]) <= set(listed), name
            if side in pair.get("providers_count", {}):
                listed = page.get_by_role("list", name=f"{name} providers").locator("li").all_inner_texts()
                assert len(listed) == pair["providers_count"][side], name
            label = pair.get("context_window", {}).get(side)
            if isinstance(label, str):
                cells = page.locator("#specs ~ table tr", has_text="Context window").first.locator("td")
                assert cells.nth(col - 1).inner_text().split()[0] == ("Unknown" if label == "unknown" else label)
        for bench, scores in (pair.get("benchmarks") or {}).items():
            cells = page.locator("#benchmarks ~ table tr", has=page.locator("th", has_text=bench)).locator("td")
            assert [t.split()[0] for t in cells.all_inner_texts()[:2]] == [f"{Decimal(str(scores['a'])):.1f}",
                                                                           f"{Decimal(str(scores['b'])):.1f}"], bench
        if "monthly_usd" in pair:
            monthly = page.locator("dl.monthly").inner_text()
            for side in ("a", "b"):
                assert f"${Decimal(pair['monthly_usd'][side]):,.2f}" in monthly
        assert f"Last reviewed: {pair['as_of']}" in page.locator("p.reviewed").inner_text()
        OUTPUT.mkdir(parents=True, exist_ok=True)
        shot = OUTPUT / f"{pair['seed'].split('_')[0]}-{pair['as_of']}-{Path(rel).stem}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 50_000  # a full page, not a blank one
    finally:
        page.close()


def test_model_pages_linked_from_the_seed_pages(browser, sites):
    """Every model page a seed page links to: sound, with a price history chart and its changes."""
    seen = set()
    for pair in GOLDEN:
        site = sites[str(pair["as_of"])]
        for model_id in (pair["a"]["id"], pair["b"]["id"]):
            path = site / "models" / f"{safe_name(model_id)}.html"
            if path in seen:
                continue
            seen.add(path)
            page, errors = open_page(browser, path.as_uri())
            try:
                found = audit(page, site)
                assert_sound(found, errors, str(path.relative_to(site)))
                charts = page.locator("#history ~ figure svg[role=img]")
                assert charts.count() == 2
                assert re.search(r"\$\d", charts.first.locator("desc").text_content())
                assert page.locator("#changes ~ ul.changes li").count() >= 1
            finally:
                page.close()
