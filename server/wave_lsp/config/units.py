"""Typed values written as short strings in user files: durations ("30m"), sizes ("100MB"), and
percentages ("80%").

Each type parses from its string form with an error that says what was expected, serialises back
to the same compact string, and publishes a JSON Schema pattern so editors validate it too.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
DURATION_PATTERN = r"^(\d+(\.\d+)?(ms|s|m|h|d))+$"


def parse_duration(value: Any) -> timedelta:
    """Parse "30m", "1h30m", "500ms", "2d" into a timedelta.

    A bare number is refused: "30" could mean seconds or minutes, so the unit must be written.
    """
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"expected a duration such as '30s', '10m' or '1h', got {value!r}")
    if isinstance(value, int | float):
        raise ValueError(
            f"a duration needs a unit: write '{value}s', '{value}m' or '{value}h', not {value!r}"
        )
    text = value.strip()
    if not text:
        raise ValueError("expected a duration such as '30s', '10m' or '1h', got an empty string")
    position = 0
    seconds = 0.0
    for match in _DURATION_PART.finditer(text):
        if match.start() != position:
            break
        seconds += float(match.group(1)) * _DURATION_UNITS[match.group(2)]
        position = match.end()
    if position != len(text) or position == 0:
        raise ValueError(
            f"{value!r} is not a duration: use a number and a unit (ms, s, m, h, d), "
            "e.g. '30s', '10m', '1h30m'"
        )
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """The shortest string that parses back to ``value`` ("1h30m", "45s", "250ms")."""
    total_ms = round(value.total_seconds() * 1000)
    if total_ms == 0:
        return "0s"
    parts: list[str] = []
    for unit, size_ms in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        count, total_ms = divmod(total_ms, size_ms)
        if count:
            parts.append(f"{count}{unit}")
    if total_ms:
        parts.append(f"{total_ms}ms")
    return "".join(parts)


_SIZE_UNITS = {
    "": 1,
    "B": 1,
    "KB": 1000,
    "MB": 1000**2,
    "GB": 1000**3,
    "TB": 1000**4,
    "KIB": 1024,
    "MIB": 1024**2,
    "GIB": 1024**3,
    "TIB": 1024**4,
}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$")
SIZE_PATTERN = r"^\s*\d+(\.\d+)?\s*([KMGT]i?B|B)?\s*$"


def parse_size(value: Any) -> int:
    """Parse "100MB", "2GB", "512KiB" or a whole number of bytes into bytes (decimal units, as
    the seed writes them; binary units with "i")."""
    if isinstance(value, bool):
        raise ValueError(f"expected a size such as '100MB' or '2GB', got {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"a size cannot be negative, got {value}")
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected a size such as '100MB' or '2GB', got {value!r}")
    match = _SIZE.match(value)
    unit = match.group(2).upper() if match else ""
    if match is None or unit not in _SIZE_UNITS:
        raise ValueError(
            f"{value!r} is not a size: use a number and a unit (B, KB, MB, GB, TB, KiB, MiB, GiB),"
            " e.g. '100MB'"
        )
    return round(float(match.group(1)) * _SIZE_UNITS[unit])


def format_size(value: int) -> str:
    for unit in ("TB", "GB", "MB", "KB"):
        size = _SIZE_UNITS[unit]
        if value >= size and value % size == 0:
            return f"{value // size}{unit}"
    return f"{value}B"


PERCENT_PATTERN = r"^\s*\d+(\.\d+)?\s*%\s*$"


def parse_percent(value: Any) -> float:
    """Parse "80%" into 80.0. A bare number is taken as a percentage too (80 → 80.0)."""
    if isinstance(value, bool):
        raise ValueError(f"expected a percentage such as '80%', got {value!r}")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str) and re.match(PERCENT_PATTERN, value):
        number = float(value.strip().rstrip("%"))
    else:
        raise ValueError(f"{value!r} is not a percentage: write a number and '%', e.g. '80%'")
    if not 0 <= number <= 100:
        raise ValueError(f"a percentage must be between 0% and 100%, got {value!r}")
    return number


def format_percent(value: float) -> str:
    return f"{value:g}%"


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": DURATION_PATTERN,
            "description": "A duration: a number and a unit (ms, s, m, h, d), e.g. '30m', '1h30m'.",
        }
    ),
]
"""A duration written as "30m"; a ``timedelta`` in Python."""

ByteSize = Annotated[
    int,
    BeforeValidator(parse_size),
    PlainSerializer(format_size, return_type=str),
    WithJsonSchema(
        {
            "oneOf": [
                {"type": "string", "pattern": SIZE_PATTERN},
                {"type": "integer", "minimum": 0},
            ],
            "description": "A size: bytes, or a number and a unit (B, KB, MB, GB, KiB, MiB, GiB).",
        }
    ),
]
"""A size written as "100MB"; a number of bytes in Python."""

Percent = Annotated[
    float,
    BeforeValidator(parse_percent),
    PlainSerializer(format_percent, return_type=str),
    WithJsonSchema(
        {
            "oneOf": [
                {"type": "string", "pattern": PERCENT_PATTERN},
                {"type": "number", "minimum": 0, "maximum": 100},
            ],
            "description": "A percentage, e.g. '80%'.",
        }
    ),
]
"""A percentage written as "80%"; a float from 0 to 100 in Python."""
