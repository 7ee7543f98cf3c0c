"""The value parsers settings are declared with.

A parser turns what a user wrote (a keyword argument, an environment string, a framework
setting) into the value Connect runs with, or raises `ValueError`. Each carries `accepts`, the
sentence that error messages and the README's settings tables show; a `ValueError` raised with
a message adds the particular reason to it.
"""

from __future__ import annotations

import importlib
import logging
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import SplitResult, urlsplit

from connect_config import patterns as _patterns_module

T = TypeVar("T")

MASK = "********"


@dataclass(frozen=True)
class Parser(Generic[T]):
    parse: Callable[[object], T]
    accepts: str
    # How a rejected value is quoted back; a URL's password never is.
    show: Callable[[object], str] = repr

    def __call__(self, value: object) -> T:
        return self.parse(value)


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


def _boolean(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError


boolean = Parser(_boolean, "true or false (also 1/0, yes/no, on/off)")


def _has_control(text: str) -> bool:
    return any(unicodedata.category(character) == "Cc" for character in text)


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError
    try:
        number = float(value)
    except (ValueError, OverflowError):
        raise ValueError from None
    if not math.isfinite(number):
        raise ValueError
    return number


def ranged(low: float, high: float, unit: str = "") -> Parser[float]:
    """A finite number from `low` to `high`, inclusive."""
    suffix = f" {unit}" if unit else ""

    def parse(value: object) -> float:
        number = _number(value)
        if not low <= number <= high:
            raise ValueError
        return number

    return Parser(parse, f"a number from {low:g} to {high:g}{suffix}")


def _level(value: object) -> int:
    if isinstance(value, str):
        text = value.strip().upper()
        # getLevelName maps a registered name to its number (and anything else to a string).
        found = int(text) if text.isdigit() else logging.getLevelName(text)
        value = found
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 100:
        return value
    raise ValueError


log_level = Parser(
    _level, "a level name (DEBUG, INFO, WARNING, ERROR, CRITICAL) or a number from 0 to 100"
)

_TOKEN = re.compile(r"[\x21-\x7e]{0,4096}")


def _token(value: object) -> str:
    # Tokens travel in HTTP headers and HTML attributes: printable ASCII, no spaces or breaks.
    if isinstance(value, str) and _TOKEN.fullmatch(value.strip()):
        return value.strip()
    raise ValueError


token = Parser(_token, "printable ASCII without spaces or line breaks, at most 4096 characters")


def secret(min_length: int) -> Parser[str]:
    """A secret of at least `min_length` characters, or "" for off."""

    def parse(value: object) -> str:
        if not isinstance(value, str) or _has_control(value):
            raise ValueError
        if value and len(value) < min_length:
            raise ValueError(f"it has {len(value)}")
        return value

    return Parser(
        parse,
        f"empty (off) or a single line of at least {min_length} characters; keep it secret",
    )


def _line(value: object) -> str:
    if isinstance(value, str) and not _has_control(value) and len(value) <= 256:
        return value.strip()
    raise ValueError


line = Parser(_line, "a single line of text without control characters, at most 256 characters")

_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]")


def _split_url(value: object) -> tuple[str, SplitResult]:
    if not isinstance(value, str):
        raise ValueError
    text = value.strip(" ")
    if any(character <= " " or character == "\x7f" for character in text):
        raise ValueError("it contains spaces or control characters")
    if "?" in text or "#" in text:
        raise ValueError("it has a query or a fragment")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError
    if "@" in parts.netloc:
        raise ValueError("credentials in a URL are not allowed")
    host = parts.netloc.rsplit(":", 1)[0] if not parts.netloc.endswith("]") else parts.netloc
    if not _HOST.fullmatch(host):
        raise ValueError("its host is not a host name or an IP address")
    try:
        parts.port  # noqa: B018 (urlsplit checks the port only when it is read)
    except ValueError:
        raise ValueError("its port is not a number from 0 to 65535") from None
    return text, parts


def _base_url(value: object) -> str:
    text, _ = _split_url(value)
    return text.rstrip("/")


def _endpoint_url(value: object) -> str:
    text, _ = _split_url(value)
    return text


def _show_url(value: object) -> str:
    if isinstance(value, str) and "@" in value:
        scheme, separator, rest = value.partition("://")
        if separator and "@" in rest.split("/", 1)[0]:
            return repr(f"{scheme}://{MASK}@{rest.split('@', 1)[1]}")
    return repr(value)


_URL_ACCEPTS = (
    "an http:// or https:// URL with a host, and no credentials, query or fragment, "
    "e.g. https://{example}"
)
# Paths are appended to a base URL, so its trailing "/" goes.
base_url = Parser(_base_url, _URL_ACCEPTS.format(example="ingest.example.com"), _show_url)
# An endpoint is posted to as written: a redirect from /collect to /collect/ would lose the POST.
endpoint_url = Parser(_endpoint_url, _URL_ACCEPTS.format(example="beacon.example.com"), _show_url)


def _paths(value: object) -> tuple[str, ...]:
    items: list[object]
    if isinstance(value, str):
        items = [item.strip() for item in value.split(",") if item.strip()]
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        raise ValueError
    for item in items:
        if not (isinstance(item, str) and item.startswith("/")) or _has_control(item):
            raise ValueError
        if " " in item:
            raise ValueError
    return tuple(str(item) for item in items)


paths = Parser(
    _paths,
    "paths starting with '/', as a list or a comma-separated string; "
    "a path ending in '/' covers everything below it",
)

_DOTTED = re.compile(r"[A-Za-z_][\w.]*[.:][A-Za-z_]\w*")


def _function(value: object) -> Callable[..., Any] | None:
    if callable(value):
        return value
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _DOTTED.fullmatch(value.strip()):
        raise ValueError
    module, _, name = value.strip().replace(":", ".").rpartition(".")
    try:
        found = getattr(importlib.import_module(module), name)
    except Exception as error:  # an app module's own import error is reported, not raised
        raise ValueError(f"importing it failed: {type(error).__name__}: {error}") from None
    if not callable(found):
        raise ValueError(f"{value.strip()} is not callable")
    return found  # type: ignore[no-any-return]


function = Parser(_function, "a function, or its dotted path, e.g. myapp.auth.current_user_id")


def names(known: tuple[str, ...], *, every: str, nothing: str) -> Parser[tuple[str, ...]]:
    """`every` (returned as `(every,)`), `nothing` (returned as `()`), or some of `known`,
    comma-separated or as a list, in any case, returned in `known`'s order."""

    def parse(value: object) -> tuple[str, ...]:
        items: list[object]
        if isinstance(value, str):
            items = [item.strip().lower() for item in value.split(",") if item.strip()]
        elif isinstance(value, (list, tuple)):
            items = [item.strip().lower() if isinstance(item, str) else item for item in value]
        else:
            raise ValueError
        if items == [every]:
            return (every,)
        if items in ([nothing], []):
            return ()
        unknown = [item for item in items if item not in known]
        if unknown:
            raise ValueError(f"unknown: {', '.join(map(str, unknown))}")
        return tuple(name for name in known if name in items)

    return Parser(parse, f"{every}, {nothing}, or a comma-separated list of: {', '.join(known)}")


def _items(value: object) -> list[object]:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    if isinstance(value, (list, tuple)):
        return list(value)
    raise ValueError


def _patterns(value: object) -> tuple[str, ...]:
    items: Sequence[object] = (
        _patterns_module.split(value) if isinstance(value, str) else _items(value)
    )
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise ValueError
        try:
            re.compile(item)
        except re.error as invalid:
            raise ValueError(f"{item!r} is not one: {invalid}") from None
        risk = _patterns_module.backtracking_risk(item)
        if risk is not None:
            raise ValueError(f"{item!r} could stall the app on a hostile name: {risk}")
    return tuple(str(item).strip() for item in items)


patterns = Parser(
    _patterns,
    "regular expressions, as a list or a comma-separated string (matched in any case; at "
    "most two quantifiers, none on a group that repeats or alternates, no backreferences)",
)


def _keys(value: object) -> tuple[str, ...]:
    items = _items(value)
    if all(isinstance(item, str) and item.strip() and not _has_control(item) for item in items):
        return tuple(str(item).strip().lower() for item in items)
    raise ValueError


keys = Parser(_keys, "names, as a list or a comma-separated string (compared in any case)")


def optional(parser: Parser[T]) -> Parser[T | None]:
    """`parser`'s values, or empty (None) for off."""

    def parse(value: object) -> T | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return parser(value)

    return Parser(parse, f"empty (off) or {parser.accepts}", parser.show)
