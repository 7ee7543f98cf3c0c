"""Parsers for the scrubbing and tail-sampling settings.

The settings table imports these, so this module imports no OpenTelemetry: without a token
nothing beyond the settings is loaded.
"""

from __future__ import annotations

import re


def _items(value: object) -> list[object]:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    if isinstance(value, (list, tuple)):
        return list(value)
    return [None]


def parse_patterns(value: object) -> tuple[str, ...]:
    """Regular expressions, each matched against whole words of a key or parameter name."""
    items = _items(value)
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise ValueError("regular expressions, as a list or a comma-separated string")
        try:
            re.compile(item)
        except re.error as invalid:
            raise ValueError(
                f"regular expressions, as a list or a comma-separated string "
                f"({item!r} is not one: {invalid})"
            ) from None
    return tuple(str(item).strip() for item in items)


def parse_names(value: object) -> tuple[str, ...]:
    """Attribute keys or query parameter names, compared without regard to case."""
    items = _items(value)
    if all(isinstance(item, str) and item.strip() for item in items):
        return tuple(str(item).strip().lower() for item in items)
    raise ValueError("attribute keys or parameter names, as a list or a comma-separated string")


def parse_threshold(value: object) -> float | None:
    """Seconds, or empty for off."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        seconds = 0.0
    if isinstance(value, bool) or not 0.0 < seconds <= 86400.0:
        raise ValueError("a number of seconds greater than 0, or empty for off")
    return seconds
