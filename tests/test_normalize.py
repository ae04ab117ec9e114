"""Tests for pipeline.normalize: table-driven examples, error cases and hypothesis properties."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.normalize import (
    NormalizeError,
    Parameters,
    decimal_text,
    is_unknown,
    normalize_license,
    parameters_label,
    parse_date,
    parse_parameters,
    parse_partial_date,
    parse_price_text,
    parse_tokens,
    price_label,
    price_per_mtok,
    token_label,
)


def assert_exact(got: Decimal, want: str) -> None:
    """Equal value AND the canonical text (so 1.10 vs 1.1 representation differences are caught)."""
    assert isinstance(got, Decimal)
    assert got == Decimal(want)
    assert decimal_text(got) == want


def raises_with_text(fn, arg, *rest):
    with pytest.raises(NormalizeError) as info:
        fn(arg, *rest)
    assert str(arg) in str(info.value)
    return info.value


# --------------------------------------------------------------------------------------- is_unknown

@pytest.mark.parametrize("text", [
    None, "", "   ", "\t\n", "-", "—", "–", " - ", "not-yet-sourced", "Not-Yet-Sourced", "not yet sourced",
    "Not  Yet  Sourced", "n/a", "N/A", "na", "NA", "unknown", "Unknown", " UNKNOWN ", "tbd", "TBD", "?", " ? ",
    "\u00a0n/a\u00a0",
])
def test_is_unknown_markers(text):
    assert is_unknown(text) is True


@pytest.mark.parametrize("value", [
    0, 1, Decimal("0"), Decimal("-1"), "0", "1", "$0.50", "128K", "none yet", "--", "n", "unknowns", "nan", False, [],
])
def test_is_unknown_values(value):
    assert is_unknown(value) is False


# --------------------------------------------------------------------------------------- price_per_mtok

@pytest.mark.parametrize("value, unit, want", [
    ("0.000000027", "token", "0.027"),
    ("0.0000011", "token", "1.1"),
    ("0.000002", "token", "2"),
    ("0.00000125", "token", "1.25"),
    ("1e-6", "token", "1"),
    ("2.7E-8", "token", "0.027"),
    (Decimal("0.000000027"), "token", "0.027"),
    (Decimal("2.7E-8"), "token", "0.027"),
    (0, "token", "0"),
    ("0", "token", "0"),
    ("0.000", "mtok", "0"),
    ("0.1", "token", "100000"),  # the top of the plausible range (pipeline.bounds.PRICE), inclusive
    ("0.027", "mtok", "0.027"),
    ("1.10", "mtok", "1.1"),
    (Decimal("1.10"), "mtok", "1.1"),
    (Decimal("1E+2"), "mtok", "100"),
    (14, "mtok", "14"),
    ("0.0011", "ktok", "1.1"),
    ("0.001", "ktok", "1"),
    ("0.03", "ktok", "30"),
    (2, "ktok", "2000"),
    (" 0.5 ", "mtok", "0.5"),
    # the extremes the warehouse stores exactly (DECIMAL(18,9)): 9 decimals, below the 100,000 cap
    ("99999.999999999", "mtok", "99999.999999999"),
    ("0.000000000000001", "token", "0.000000001"),
    ("0.000000000000001000", "token", "0.000000001"),
])
def test_price_per_mtok(value, unit, want):
    assert_exact(price_per_mtok(value, unit), want)


def test_price_per_mtok_equal_prices_have_equal_text():
    a = price_per_mtok(Decimal("1.10"), "mtok")
    b = price_per_mtok(Decimal("1.1"), "mtok")
    c = price_per_mtok("0.0000011", "token")
    assert decimal_text(a) == decimal_text(b) == decimal_text(c) == "1.1"
    assert a.as_tuple() == b.as_tuple() == c.as_tuple()
    assert str(price_per_mtok("100.00", "mtok")) == "100"


@pytest.mark.parametrize("value", ["-1", "-0.000001", " -1 ", "-0", "NaN", "nan", "sNaN", "inf", "Infinity", "-inf",
                                   "", "   ", "abc", "1.2.3", "$1", "1,5", "1e999999999", "1e-40", "1E+13"])
def test_price_per_mtok_rejects(value):
    raises_with_text(price_per_mtok, value, "token")


@pytest.mark.parametrize("value", [-1, Decimal("-1"), Decimal("NaN"), Decimal("Infinity")])
def test_price_per_mtok_rejects_non_strings(value):
    raises_with_text(price_per_mtok, value, "mtok")


@pytest.mark.parametrize("value", [1.5, 0.1, True, None])
def test_price_per_mtok_refuses_floats_and_other_types(value):
    raises_with_text(price_per_mtok, value, "mtok")


def test_price_per_mtok_rejects_unknown_unit():
    with pytest.raises(NormalizeError, match="gtok"):
        price_per_mtok("1", "gtok")


def test_price_per_mtok_negative_message_mentions_negative():
    err = raises_with_text(price_per_mtok, "-1", "token")
    assert "negative" in str(err)


# --------------------------------------------------------------------------------------- parse_price_text

@pytest.mark.parametrize("text, want", [
    ("$0.027 per M input tokens", "0.027"),
    ("$0.15 per M output tokens", "0.15"),
    ("$0.05 / MTok", "0.05"),
    ("$3 / MTok", "3"),
    ("$1.10 / 1M tokens", "1.1"),
    ("$1.10/1M tokens", "1.1"),
    ("$2.50 per 1M tokens", "2.5"),
    ("$0.40 per million tokens", "0.4"),
    ("$0.0011 per 1K tokens", "1.1"),
    ("$0.0005 per K tokens", "0.5"),
    ("0.50", "0.5"),
    ("$2", "2"),
    ("$ 2", "2"),
    ("  $0.50  ", "0.5"),
    ("\u00a0$0.50\u00a0/\u00a0MTok", "0.5"),
    ("$0.50\u00a0per M input tokens", "0.5"),
    ("USD 0.50", "0.5"),
    ("$0.50 USD", "0.5"),
    ("0.50 USD per 1M tokens", "0.5"),
    ("$1,980.00", "1980"),
    ("$1,980.00 / 1M tokens", "1980"),
    ("$0.075 PER M INPUT TOKENS", "0.075"),
    ("$.50", "0.5"),
    ("$0", "0"),
    ("$0.00 / MTok", "0"),
    ("$1,5", "1.5"),  # a decimal comma: no thousands group has one digit (pipeline.normalize doc)
])
def test_parse_price_text(text, want):
    assert_exact(parse_price_text(text), want)


@pytest.mark.parametrize("text", [
    "€0.50", "€0.50 per M tokens", "£1 / MTok", "0.50 EUR", "¥10", "GBP 1.00",
    "$0.04 per image", "$0.002 per step", "$0.0001 per second", "$0.011 per neuron", "$0.01 per request",
    "$1 - $2", "$1-$2", "$1–2", "$0.50 to $1.00",
    "", "   ", "$", "per M tokens", "free", "contact sales", "$abc",
    "-1", "-$1", "$-1", "−$0.50",
    "$1.5 per token", "$1 2",
])
def test_parse_price_text_rejects(text):
    raises_with_text(parse_price_text, text)


@pytest.mark.parametrize("text", ["-1", "-$1", "$-1"])
def test_parse_price_text_negative_message(text):
    assert "negative" in str(raises_with_text(parse_price_text, text))


@pytest.mark.parametrize("text", ["€0.50", "£1 / MTok"])
def test_parse_price_text_currency_message(text):
    assert "USD" in str(raises_with_text(parse_price_text, text))


# --------------------------------------------------------------------------------------- parse_tokens

@pytest.mark.parametrize("text, want", [
    ("128K", 128_000),
    ("128k", 128_000),
    ("131,072", 131_072),
    ("1M", 1_000_000),
    ("1m", 1_000_000),
    ("1,047,576", 1_047_576),
    ("1.5M", 1_500_000),
    ("2M", 2_000_000),
    ("1.5K", 1_500),
    (65536, 65_536),
    ("65536", 65_536),
    ("200k tokens", 200_000),
    ("200K tokens", 200_000),
    ("1 token", 1),
    ("8192 tokens", 8_192),
    ("1_048_576", 1_048_576),
    ("1 048 576", 1_048_576),
    ("  32k  ", 32_000),
    ("128 K", 128_000),
    ("1.2345M", 1_234_500),
    ("\u00a0128K\u00a0", 128_000),
])
def test_parse_tokens(text, want):
    got = parse_tokens(text)
    assert type(got) is int
    assert got == want


@pytest.mark.parametrize("text", [
    "-1", "-128K", "0", "0K", "0.0M", "1.2345K", "0.5", "1.0001K", "", "   ", "K", "M", "abc", "128KB", "128G",
    "1,5M", "12,34", "1,0000", "128K context", "1e6", "1..5M", "tokens", "two hundred thousand",
])
def test_parse_tokens_rejects(text):
    raises_with_text(parse_tokens, text)


@pytest.mark.parametrize("value", [0, -1, -65536, True, 1.5, None])
def test_parse_tokens_rejects_non_strings(value):
    raises_with_text(parse_tokens, value)


# --------------------------------------------------------------------------------------- token_label

@pytest.mark.parametrize("tokens, want", [
    (1_047_576, "1M"),
    (1_048_576, "1M"),
    (1_000_000, "1M"),
    (2_000_000, "2M"),
    (2_097_152, "2M"),
    (1_500_000, "1.5M"),
    (1_900_000, "1.9M"),  # "2M" would be 5.3% off
    (1_950_000, "2M"),
    (1_200_000, "1.2M"),
    (10_400_000, "10M"),
    (131_072, "128K"),
    (128_000, "128K"),
    (65_536, "64K"),
    (32_768, "32K"),
    (8_192, "8K"),
    (4_096, "4K"),
    (60_000, "60K"),
    (200_000, "200K"),
    (200_500, "201K"),
    (200_499, "200K"),
    (163_840, "160K"),
    (1_500, "1.5K"),
    (1_000, "1K"),
    (999_999, "1M"),
    (512, "512"),
    (1, "1"),
])
def test_token_label(tokens, want):
    assert token_label(tokens) == want


@pytest.mark.parametrize("value", [0, -1, True, "128000", 1.5])
def test_token_label_rejects(value):
    raises_with_text(token_label, value)


# --------------------------------------------------------------------------------------- parameters

@pytest.mark.parametrize("text, want", [
    ("1.23B", Parameters(total=1_230_000_000, label="1.23B")),
    ("1.23b", Parameters(total=1_230_000_000, label="1.23B")),
    (1_235_814_400, Parameters(total=1_235_814_400, label="1.23B")),
    ("1235814400", Parameters(total=1_235_814_400, label="1.23B")),
    ("1,235,814,400", Parameters(total=1_235_814_400, label="1.23B")),
    ("8x22B", Parameters(total=None, experts=8, expert_size=22_000_000_000, label="8x22B")),
    ("8x7b", Parameters(total=None, experts=8, expert_size=7_000_000_000, label="8x7B")),
    ("8 x 7B", Parameters(total=None, experts=8, expert_size=7_000_000_000, label="8x7B")),
    ("405B", Parameters(total=405_000_000_000, label="405B")),
    ("70M", Parameters(total=70_000_000, label="70M")),
    ("1.5T", Parameters(total=1_500_000_000_000, label="1.5T")),
    ("7b", Parameters(total=7_000_000_000, label="7B")),
    ("7 B", Parameters(total=7_000_000_000, label="7B")),
    ("125k", Parameters(total=125_000, label="125K")),
    ("494032768", Parameters(total=494_032_768, label="494M")),
])
def test_parse_parameters(text, want):
    got = parse_parameters(text)
    assert got == want
    assert got.total is None or type(got.total) is int


@pytest.mark.parametrize("text", [
    "", "   ", "B", "abc", "-7B", "0B", "0", "7G", "7 billion-ish", "1.2345678901B", "8x", "x7B", "0x7B", "8x0B",
    "1.5", "7B parameters", "~7B", "7B-8B",
])
def test_parse_parameters_rejects(text):
    raises_with_text(parse_parameters, text)


@pytest.mark.parametrize("value", [0, -1, True, 1.5, None])
def test_parse_parameters_rejects_non_strings(value):
    raises_with_text(parse_parameters, value)


@pytest.mark.parametrize("total, want", [
    (1_235_814_400, "1.23B"),
    (3_212_749_824, "3.21B"),
    (70_553_706_496, "70.5B"),
    (141_000_000_000, "141B"),
    (494_032_768, "494M"),
    (1_000_000_000, "1B"),
    (1_500_000_000_000, "1.5T"),
    (1_999_999_999, "1.99B"),  # truncated, never rounded up
    (8_030_261_248, "8.03B"),
    (405_000_000_000, "405B"),
    (1_010_000_000, "1.01B"),
    (1_100_000_000, "1.1B"),
    (999_999_999, "999M"),
    (2_000_000_000_000_000, "2000T"),
    (125_000, "125K"),
    (1_000, "1K"),
    (999, "999"),
    (7, "7"),
])
def test_parameters_label(total, want):
    assert parameters_label(total) == want


@pytest.mark.parametrize("value", [0, -1, True, "1000", 1.5])
def test_parameters_label_rejects(value):
    raises_with_text(parameters_label, value)


# --------------------------------------------------------------------------------------- dates

@pytest.mark.parametrize("text, want", [
    ("2024-09-25", date(2024, 9, 25)),
    ("2024-09-25T00:00:00Z", date(2024, 9, 25)),
    ("2024-09-25T23:59:59Z", date(2024, 9, 25)),
    ("2024-09-25T12:00:00+00:00", date(2024, 9, 25)),
    ("2024-09-25T23:30:00-05:00", date(2024, 9, 26)),  # aware times are converted to UTC
    ("September 25, 2024", date(2024, 9, 25)),
    ("Sep 25, 2024", date(2024, 9, 25)),
    ("Sept 25, 2024", date(2024, 9, 25)),
    ("sept 25 2024", date(2024, 9, 25)),
    ("Sep. 25, 2024", date(2024, 9, 25)),
    ("25 September 2024", date(2024, 9, 25)),
    ("25 Sep 2024", date(2024, 9, 25)),
    ("  December 6, 2024 ", date(2024, 12, 6)),
    ("2024/09/25", date(2024, 9, 25)),
    (1727222400, date(2024, 9, 25)),
    ("1727222400", date(2024, 9, 25)),
    (1727308799, date(2024, 9, 25)),  # last second of the UTC day
    (1727308800, date(2024, 9, 26)),
    (1420070400, date(2015, 1, 1)),  # the start of the plausible range (pipeline.bounds.DATES)
])
def test_parse_date(text, want):
    assert parse_date(text) == want


@pytest.mark.parametrize("text", [
    "", "   ", "yesterday", "2024-13-01", "2024-02-30", "2023-02-29", "September 31, 2024", "Septembre 25, 2024",
    "25/09/2024", "09/25/2024", "2024-09", "September 2024", "2024", "2024-09-25T25:00:00Z", "-1",
    "99999999999999999999", "20240925", "946684799", "946684800", "1420070399", "1727222400000",
])
def test_parse_date_rejects(text):
    raises_with_text(parse_date, text)


@pytest.mark.parametrize("value", [-1, 0, 2024, 20240925, True, 1.5, None, 10**20])
def test_parse_date_rejects_non_strings(value):
    raises_with_text(parse_date, value)


def test_parse_date_leap_day():
    assert parse_date("2024-02-29") == date(2024, 2, 29)


@pytest.mark.parametrize("text, want", [
    ("2023-12", "2023-12"),
    ("December 2023", "2023-12"),
    ("Dec 2023", "2023-12"),
    ("dec 2023", "2023-12"),
    ("Sept 2023", "2023-09"),
    ("2024-05-31", "2024-05-31"),
    ("2023/12", "2023-12"),
    ("2023-1", "2023-01"),
    ("2023/12/01", "2023-12-01"),
    ("December 31, 2023", "2023-12-31"),
    (" 2023-12 ", "2023-12"),
])
def test_parse_partial_date(text, want):
    assert parse_partial_date(text) == want


@pytest.mark.parametrize("text", [
    "", "2023", "2023-13", "2023-00", "2023/0", "Decembre 2023", "2024-05-32", "2023-02-29", "2024-04-31",
    "12/2023", "late 2023", "Q4 2023", "1727222400",
])
def test_parse_partial_date_rejects(text):
    raises_with_text(parse_partial_date, text)


# --------------------------------------------------------------------------------------- licenses

@pytest.mark.parametrize("text, want", [
    ("llama3.2", "Llama 3.2 Community License"),
    ("llama 3.2 community license", "Llama 3.2 Community License"),
    ("Llama 3.2 Community License", "Llama 3.2 Community License"),
    ("LLAMA-3.2", "Llama 3.2 Community License"),
    ("llama3.1", "Llama 3.1 Community License"),
    ("llama3", "Llama 3 Community License"),
    ("llama3.3", "Llama 3.3 Community License"),
    ("llama2", "Llama 2 Community License"),
    ("gemma", "Gemma Terms of Use"),
    ("Gemma", "Gemma Terms of Use"),
    ("apache-2.0", "Apache 2.0"),
    ("apache 2.0", "Apache 2.0"),
    ("Apache License 2.0", "Apache 2.0"),
    ("apache license 2.0", "Apache 2.0"),
    ("mit", "MIT"),
    ("MIT", "MIT"),
    ("mit license", "MIT"),
    ("cc-by-4.0", "CC BY 4.0"),
    ("CC BY 4.0", "CC BY 4.0"),
    ("cc-by-nc-4.0", "CC BY-NC 4.0"),
    ("proprietary", "Proprietary"),
    (" Proprietary ", "Proprietary"),
    ("openrail", "openrail"),
    ("  bigscience-openrail-m  ", "bigscience-openrail-m"),
    ("Some Custom License", "Some Custom License"),
])
def test_normalize_license(text, want):
    assert normalize_license(text) == want


def test_normalize_license_distinguishes_llama_versions():
    assert normalize_license("llama3") != normalize_license("llama3.3")
    assert normalize_license("llama3.1") != normalize_license("llama3.2")


@pytest.mark.parametrize("value", ["", "   ", None, 3])
def test_normalize_license_rejects(value):
    raises_with_text(normalize_license, value)


# --------------------------------------------------------------------------------------- price_label

@pytest.mark.parametrize("value, want", [
    ("0.027", "$0.03"),
    ("0.201", "$0.20"),
    ("1.1", "$1.10"),
    ("14", "$14.00"),
    ("0.01", "$0.01"),
    ("0.015", "$0.02"),  # half up, not half even
    ("0.025", "$0.03"),
    ("0.0149", "$0.01"),
    ("0.004", "$0.004"),
    ("0.005", "$0.005"),
    ("0.0045678", "$0.00456"),  # three significant digits, truncated
    ("0.0099999", "$0.00999"),  # never rounded into cents
    ("0.000015", "$0.000015"),
    ("0", "$0.00"),
    ("0.000", "$0.00"),
    ("1980", "$1,980.00"),
    ("1234567.891", "$1,234,567.89"),
    ("999.995", "$1,000.00"),
    ("2.7E-8", "$0.000000027"),
    ("1E+2", "$100.00"),
])
def test_price_label(value, want):
    assert price_label(Decimal(value)) == want


def test_price_label_accepts_int():
    assert price_label(14) == "$14.00"


@pytest.mark.parametrize("value", [Decimal("-1"), Decimal("-0.001"), Decimal("NaN"), Decimal("Infinity"), 0.5])
def test_price_label_rejects(value):
    raises_with_text(price_label, value)


# --------------------------------------------------------------------------------------- decimal_text

@pytest.mark.parametrize("value, want", [
    ("1.10", "1.1"),
    ("2.7E-8", "0.000000027"),
    ("100", "100"),
    ("1E+2", "100"),
    ("100.000", "100"),
    ("0", "0"),
    ("0.000", "0"),
    ("0E-10", "0"),
    ("0E+5", "0"),
    ("-0", "0"),
    ("-0.50", "-0.5"),
    ("0.027", "0.027"),
    ("1E-30", "0.000000000000000000000000000001"),
    ("1.5E+30", "1500000000000000000000000000000"),
    ("12345678901234567890123456789012345.5000", "12345678901234567890123456789012345.5"),
])
def test_decimal_text(value, want):
    assert decimal_text(Decimal(value)) == want


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity"), 1.5, "1.5"])
def test_decimal_text_rejects(value):
    raises_with_text(decimal_text, value)


# --------------------------------------------------------------------------------------- properties

@given(st.decimals(min_value=0, max_value=10**5, places=9, allow_nan=False, allow_infinity=False))
def test_property_per_token_round_trip(p):
    per_token = decimal_text(p / 1_000_000)
    assert "E" not in per_token.upper()
    got = price_per_mtok(per_token, "token")
    assert got == p
    assert decimal_text(got) == decimal_text(p)


@given(st.integers(min_value=1, max_value=10**8))
def test_property_parse_tokens_thousands_separated(n):
    assert parse_tokens(f"{n:,}") == n


@given(st.integers(min_value=1000, max_value=10**8))  # parse_tokens reads up to 100M (pipeline.bounds)
def test_property_token_label_within_five_percent(n):
    parsed = parse_tokens(token_label(n))
    assert abs(parsed - n) * 100 <= 5 * n


@given(st.decimals(allow_nan=False, allow_infinity=False).filter(lambda d: abs(d.adjusted()) < 2000))
def test_property_decimal_text_round_trip(d):
    text = decimal_text(d)
    assert "E" not in text.upper()
    assert Decimal(text) == d
    if "." in text:
        assert not text.endswith("0")
        assert not text.endswith(".")


@given(st.integers(min_value=1_000, max_value=10**14))  # the plausible range (pipeline.bounds.PARAMETERS)
def test_property_parse_parameters_plain_int(n):
    got = parse_parameters(str(n))
    assert got.total == n
    assert got.experts is None and got.expert_size is None
    assert got.label == parameters_label(n)
