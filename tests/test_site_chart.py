"""pipeline/site_chart.py: the inline SVG price-history chart of the static site."""
from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from pipeline.site_chart import DASHES, PALETTE, price_history_svg

NS = {"svg": "http://www.w3.org/2000/svg"}
AS_OF = date(2026, 6, 20)


def point(valid_from: str, valid_to: str | None, input_price: str | None, output_price: str | None = None) -> dict:
    return {"valid_from": valid_from, "valid_to": valid_to, "input_usd_per_mtok": input_price,
            "output_usd_per_mtok": output_price, "cached_input_usd_per_mtok": None, "cache_write_usd_per_mtok": None}


def series(pid: str, name: str, variant: str, *points: dict, current: bool = True) -> dict:
    return {"provider": {"id": pid, "name": name}, "variant": variant, "current": current, "points": list(points)}


def sample() -> list[dict]:
    """The two series of the brief: an open Cloudflare price and a closed Bedrock one."""
    return [
        series("cloudflare-workers-ai", "Cloudflare Workers AI", "",
               point("2026-06-04T06:00:00Z", None, "0.027", "0.201")),
        series("aws-bedrock", "AWS Bedrock", "us-east-1",
               point("2026-04-24T06:00:00Z", "2026-06-04T06:00:00Z", "0.1"), current=False),
    ]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def paths(root: ET.Element) -> list[ET.Element]:
    return root.findall(".//svg:path[@class='series-line']", NS)


def vertices(path: ET.Element) -> list[tuple[str, float, float]]:
    """(command, x, y) of a path made of absolute M/L commands."""
    return [(c, float(x), float(y)) for c, x, y in re.findall(r"([ML]) ([-\d.]+),([-\d.]+)", path.get("d", ""))]


def legend_labels(root: ET.Element) -> list[str]:
    return [e.find("svg:text", NS).text for e in root.findall(".//svg:g[@class='legend-entry']", NS)]


def y_tick_labels(root: ET.Element) -> list[str]:
    return [t.text for t in root.findall(".//svg:text[@class='y-tick']", NS)]


def money(label: str) -> Decimal:
    return Decimal(label.removeprefix("$").replace(",", ""))


def contrast_on_white(colour: str) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(int(colour[i:i + 2], 16) / 255) for i in (1, 3, 5))
    return 1.05 / (0.2126 * r + 0.7152 * g + 0.0722 * b + 0.05)


# --- structure and accessibility ---------------------------------------------------------------------

def test_svg_is_xml_with_role_title_and_desc():
    root = parse(price_history_svg(sample(), AS_OF, title="Llama 3.1 8B: input price"))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("role") == "img"
    assert root.get("width") == "100%" and root.get("viewBox", "").startswith("0 0 ")
    assert root.find("svg:title", NS).text == "Llama 3.1 8B: input price"
    desc = root.find("svg:desc", NS).text
    assert "Cloudflare Workers AI: $0.027 from 2026-06-04" in desc
    assert "AWS Bedrock (us-east-1): $0.1 from 2026-04-24 to 2026-06-04" in desc


def test_aria_labelledby_points_at_the_title_and_desc_ids():
    root = parse(price_history_svg(sample(), AS_OF, title="t"))
    ids = root.get("aria-labelledby").split()
    assert ids == [root.find("svg:title", NS).get("id"), root.find("svg:desc", NS).get("id")]
    assert all(ids) and len(set(ids)) == 2


def test_ids_differ_between_charts_of_one_page():
    def ids(title: str, field: str = "input_usd_per_mtok") -> set[str]:
        root = parse(price_history_svg(sample(), AS_OF, title=title, field=field))
        return {e.get("id") for e in root.iter() if e.get("id")}

    assert ids("Model A") & ids("Model B") == set()
    assert ids("Model A") & ids("Model A", field="output_usd_per_mtok") == set()
    assert ids("Model A") == ids("Model A")  # derived from the inputs, not a counter


def test_output_is_byte_identical_and_independent_of_input_order():
    first = price_history_svg(sample(), AS_OF, title="t")
    assert price_history_svg(sample(), AS_OF, title="t") == first
    assert price_history_svg(list(reversed(sample())), AS_OF, title="t") == first


# --- series, legend, omissions --------------------------------------------------------------------------

def test_one_line_and_one_legend_entry_per_priced_series_sorted_by_name_then_variant():
    data = [*sample(), series("aws-bedrock", "AWS Bedrock", "eu-west-1", point("2026-05-01T00:00:00Z", None, "0.12"))]
    root = parse(price_history_svg(data, AS_OF, title="t"))
    labels = ["AWS Bedrock (eu-west-1)", "AWS Bedrock (us-east-1)", "Cloudflare Workers AI"]
    assert len(paths(root)) == 3
    assert legend_labels(root) == labels
    assert [g.get("data-label") for g in root.findall(".//svg:g[@class='series']", NS)] == labels


def test_series_with_only_null_prices_is_left_out():
    data = [*sample(), series("groq", "Groq", "", point("2026-05-01T00:00:00Z", None, None, "0.5"))]
    svg = price_history_svg(data, AS_OF, title="t")
    root = parse(svg)
    assert len(paths(root)) == 2
    assert "Groq" not in svg
    # the same series is priced in the output field, so there it is drawn
    out = parse(price_history_svg(data, AS_OF, title="t", field="output_usd_per_mtok", label="Output price"))
    assert legend_labels(out) == ["Cloudflare Workers AI", "Groq"]
    assert "Output price" in out.find("svg:desc", NS).text


@pytest.mark.parametrize("data", [[], [series("groq", "Groq", "", point("2026-05-01T00:00:00Z", None, None))]])
def test_no_price_at_all_gives_the_no_data_paragraph(data: list[dict]):
    html = price_history_svg(data, AS_OF, title="Model <X>")
    assert html.startswith('<p class="no-data">No price history for ') and html.endswith("</p>")
    assert "<svg" not in html
    assert "Model &lt;X&gt;" in html
    ET.fromstring(html)  # well formed, title escaped


def test_hostile_provider_names_are_escaped():
    name = '<script>alert("x")</script> & Co'
    data = [series("evil", name, "a<b", point("2026-05-01T00:00:00Z", None, "1"))]
    svg = price_history_svg(data, AS_OF, title="</title><b>t</b>")
    root = parse(svg)  # still well-formed XML
    assert "&lt;script&gt;" in svg and "<script" not in svg
    assert legend_labels(root) == [f"{name} (a<b)"]
    assert root.find("svg:title", NS).text == "</title><b>t</b>"
    assert name in root.find("svg:desc", NS).text


def test_each_step_has_a_hover_title_with_price_and_dates():
    root = parse(price_history_svg(sample(), AS_OF, title="t"))
    titles = [c.find("svg:title", NS).text for c in root.findall(".//svg:circle[@class='step-marker']", NS)]
    assert titles == ["AWS Bedrock (us-east-1): $0.1 from 2026-04-24 to 2026-06-04",
                      "Cloudflare Workers AI: $0.027 from 2026-06-04"]


def test_colours_meet_aa_contrast_and_series_differ_in_colour_and_dash():
    assert len(PALETTE) == len(set(PALETTE)) >= 8
    assert all(contrast_on_white(c) >= 3.0 for c in PALETTE), [(c, contrast_on_white(c)) for c in PALETTE]
    assert len(DASHES) == len(set(DASHES)) >= len(PALETTE)
    data = [series(f"p{i}", f"Provider {i:02}", "", point("2026-05-01T00:00:00Z", None, str(i + 1))) for i in range(10)]
    root = parse(price_history_svg(data, AS_OF, title="t"))
    styles = [(p.get("stroke"), p.get("stroke-dasharray")) for p in paths(root)]
    assert len(set(styles)) == 10  # no two series look the same
    first = styles[:len(PALETTE)]
    assert len({c for c, _ in first}) == len({d for _, d in first}) == len(PALETTE)
    # the legend sample of each series is drawn in that series' colour and dash
    samples = [(e.get("stroke"), e.get("stroke-dasharray")) for e in root.findall(".//svg:g[@class='legend-entry']/svg:line", NS)]
    assert samples == styles


# --- scales and numbers ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("prices", "expected"), [
    (["0.027"], ["$0", "$0.01", "$0.02", "$0.03"]),
    (["0.027", "0.1"], ["$0", "$0.05", "$0.10"]),
    (["1.1"], ["$0", "$0.50", "$1.00", "$1.50"]),
    (["15"], ["$0", "$5", "$10", "$15"]),
    (["0.0004"], ["$0", "$0.0001", "$0.0002", "$0.0003", "$0.0004"]),
])
def test_y_ticks_start_at_zero_and_reach_the_maximum(prices: list[str], expected: list[str]):
    data = [series(f"p{i}", f"P{i}", "", point("2026-05-01T00:00:00Z", None, p)) for i, p in enumerate(prices)]
    labels = y_tick_labels(parse(price_history_svg(data, AS_OF, title="t")))
    assert labels == expected
    assert money(labels[0]) == 0
    assert money(labels[-1]) >= max(Decimal(p) for p in prices)


def test_prices_are_printed_exactly_never_through_float():
    data = [series("a", "A", "", point("2026-05-01T00:00:00Z", "2026-05-10T00:00:00Z", "0.0000001"),
                   point("2026-05-10T00:00:00Z", None, "0.30000000000000000001"))]
    desc = parse(price_history_svg(data, AS_OF, title="t")).find("svg:desc", NS).text
    assert "$0.0000001 from 2026-05-01" in desc  # not "1e-07"
    assert "$0.30000000000000000001 from 2026-05-10" in desc


def test_step_line_changes_level_at_the_second_points_valid_from():
    data = [series("a", "A", "",
                   point("2026-05-01T00:00:00Z", "2026-05-21T12:00:00Z", "2"),
                   point("2026-05-21T12:00:00Z", None, "1"))]
    root = parse(price_history_svg(data, AS_OF, title="t"))
    (path,) = paths(root)
    pts = vertices(path)
    assert [c for c, _, _ in pts] == ["M", "L", "L", "L"]  # one continuous line
    (x0, y_high), (x_end, y_low) = pts[0][1:], pts[-1][1:]
    # the x axis runs from the first valid_from to the end of the as_of day
    start = datetime(2026, 5, 1, tzinfo=UTC)
    end = datetime.combine(AS_OF + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    change = datetime(2026, 5, 21, 12, tzinfo=UTC)
    x_change = x0 + (change - start) / (end - start) * (x_end - x0)
    risers = [(a, b) for a, b in itertools.pairwise(pts) if a[2] != b[2]]
    assert len(risers) == 1
    (_, xa, ya), (_, xb, yb) = risers[0]
    assert xa == xb == pytest.approx(x_change, abs=0.01)
    assert (ya, yb) == (y_high, y_low) and y_low > y_high  # SVG y grows downwards: the price fell
    # $2 is the top tick, $0 the bottom line: the $1 level sits halfway
    assert y_tick_labels(root)[-1] == "$2.00"
    bottom = float(root.find(".//svg:g[@class='y-axis']/svg:line", NS).get("y1"))
    assert y_low == pytest.approx((bottom + y_high) / 2, abs=0.01)


def test_a_null_price_between_two_prices_is_a_gap_not_a_zero():
    data = [series("a", "A", "",
                   point("2026-05-01T00:00:00Z", "2026-05-10T00:00:00Z", "1"),
                   point("2026-05-10T00:00:00Z", "2026-05-20T00:00:00Z", None),
                   point("2026-05-20T00:00:00Z", None, "1"))]
    pts = vertices(paths(parse(price_history_svg(data, AS_OF, title="t")))[0])
    assert [c for c, _, _ in pts] == ["M", "L", "M", "L"]
    assert len({y for _, _, y in pts}) == 1  # both runs at $1, none dropped to $0
    assert pts[1][1] < pts[2][1]  # the gap spans 05-10 .. 05-20


def test_closed_series_stops_at_valid_to_and_open_one_runs_to_as_of():
    root = parse(price_history_svg(sample(), AS_OF, title="t"))
    bedrock, cloudflare = (vertices(p) for p in paths(root))
    assert bedrock[-1][1] < cloudflare[-1][1]  # Bedrock ended on 2026-06-04, Cloudflare is still on
    assert cloudflare[0][1] == pytest.approx(bedrock[-1][1], abs=0.01)  # both at 2026-06-04T06:00Z
    x_dates = [t.text for t in root.findall(".//svg:text[@class='x-tick']", NS)]
    assert x_dates and all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", d) for d in x_dates)
    assert x_dates == sorted(x_dates) and "2026-04-24" <= x_dates[0] and x_dates[-1] <= AS_OF.isoformat()
