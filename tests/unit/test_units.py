from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wave_lsp.config.units import (
    format_duration,
    format_percent,
    format_size,
    parse_duration,
    parse_percent,
    parse_size,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("1h", timedelta(hours=1)),
        ("10m", timedelta(minutes=10)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("500ms", timedelta(milliseconds=500)),
        ("2d", timedelta(days=2)),
        ("1.5h", timedelta(minutes=90)),
    ],
)
def test_durations_parse(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (30, "needs a unit"),
        ("30", "not a duration"),
        ("30 minutes", "not a duration"),
        ("m30", "not a duration"),
        ("", "empty"),
        (True, "expected a duration"),
        ([1], "expected a duration"),
    ],
)
def test_bad_durations_say_what_is_expected(value: object, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        parse_duration(value)


@given(st.integers(min_value=0, max_value=10**9))
def test_duration_round_trips(milliseconds: int) -> None:
    value = timedelta(milliseconds=milliseconds)
    assert parse_duration(format_duration(value)) == value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("100MB", 100_000_000),
        ("2GB", 2_000_000_000),
        ("512KiB", 524_288),
        ("10", 10),
        (1024, 1024),
        ("1.5 GB", 1_500_000_000),
    ],
)
def test_sizes_parse(text: object, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize("value", ["100XB", "MB", "-1", -5, "lots", 1.5])
def test_bad_sizes(value: object) -> None:
    with pytest.raises(ValueError, match="size"):
        parse_size(value)


@given(st.integers(min_value=0, max_value=10**15))
def test_size_round_trips(size: int) -> None:
    assert parse_size(format_size(size)) == size


def test_percentages() -> None:
    assert parse_percent("80%") == 80.0
    assert parse_percent(" 50 % ") == 50.0
    assert parse_percent(75) == 75.0
    assert format_percent(80.0) == "80%"
    with pytest.raises(ValueError, match="between 0% and 100%"):
        parse_percent("150%")
    with pytest.raises(ValueError, match="not a percentage"):
        parse_percent("eighty")
