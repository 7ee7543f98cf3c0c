"""Each parser accepts what its sentence says and rejects the rest with ValueError."""

from __future__ import annotations

import logging

import pytest

from connect_config import parsers as p


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("http://collector:4318/", "http://collector:4318"),
        (" https://ingest.example.com ", "https://ingest.example.com"),
        ("https://ingest.example.com/otlp/", "https://ingest.example.com/otlp"),
        ("http://127.0.0.1:65535", "http://127.0.0.1:65535"),
        ("http://[::1]:4318", "http://[::1]:4318"),
        ("http://[::1]", "http://[::1]"),
        ("http://my_host.internal", "http://my_host.internal"),
    ],
)
def test_base_urls_accepted(raw: str, expected: str) -> None:
    assert p.base_url(raw) == expected


def test_an_endpoint_url_keeps_its_path_as_written() -> None:
    assert p.endpoint_url("https://beacon.example.com/collect/") == (
        "https://beacon.example.com/collect/"
    )


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("ingest.example.com", ""),
        ("ftp://ingest.example.com", ""),
        ("http://", ""),
        ("http://host\r\nX-Injected: 1", "control characters"),
        ("http://host/\n", "control characters"),
        ("http://ho st", "spaces"),
        ("http://host:port", "port"),
        ("http://host:70000", "port"),
        ("http://host:-1", "port"),
        ("http://host/#frag", "fragment"),
        ("http://host?", "query"),
        ("http://host/?a=1", "query"),
        ("http://user:pass@host", "credentials"),
        ("http://token@host", "credentials"),
        ("http://:80", "host"),
        ("http://ho$t", "host"),
        (42, ""),
        (None, ""),
    ],
)
def test_urls_rejected(raw: object, reason: str) -> None:
    for parser in (p.base_url, p.endpoint_url):
        with pytest.raises(ValueError) as raised:
            parser(raw)
        assert reason in str(raised.value)


def test_a_rejected_url_is_shown_without_its_password() -> None:
    shown = p.base_url.show("http://user:hunter2@host/x")
    assert "hunter2" not in shown and "user" not in shown and "host/x" in shown


@pytest.mark.parametrize("raw", ["1e-9", 0, 0.99, "86401", 10**400, "nan", "inf", True, "x", None])
def test_a_range_rejects_what_lies_outside_or_is_not_a_number(raw: object) -> None:
    with pytest.raises(ValueError):
        p.ranged(1.0, 86400.0)(raw)


@pytest.mark.parametrize(("raw", "expected"), [("1", 1.0), (86400, 86400.0), ("2.5", 2.5)])
def test_a_range_accepts_its_bounds_and_between(raw: object, expected: float) -> None:
    assert p.ranged(1.0, 86400.0)(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("warning", logging.WARNING), ("15", 15), (0, 0), (100, 100), (" error ", logging.ERROR)],
)
def test_levels(raw: object, expected: int) -> None:
    assert p.log_level(raw) == expected


@pytest.mark.parametrize("raw", ["LOUD", -1, 101, True, "1e3", None])
def test_bad_levels(raw: object) -> None:
    with pytest.raises(ValueError):
        p.log_level(raw)


@pytest.mark.parametrize("raw", ["abc\ndef", "abc def", "é", "x" * 4097, 7])
def test_bad_tokens(raw: object) -> None:
    with pytest.raises(ValueError):
        p.token(raw)


def test_secret_length_and_lines() -> None:
    parse = p.secret(16)
    assert parse("") == ""
    assert parse("sixteen-chars-ok") == "sixteen-chars-ok"
    with pytest.raises(ValueError, match="it has 5"):
        parse("short")
    with pytest.raises(ValueError):
        parse("a-long-secret-with\na-newline")


@pytest.mark.parametrize("raw", ["two\nlines", "bell\x07", "tab\there", "x" * 257, 3])
def test_lines_refuse_control_characters(raw: object) -> None:
    with pytest.raises(ValueError):
        p.line(raw)


def test_booleans() -> None:
    assert p.boolean("On") is True and p.boolean(0) is False and p.boolean("") is False
    for raw in ("maybe", 2, None):
        with pytest.raises(ValueError):
            p.boolean(raw)


def test_paths() -> None:
    assert p.paths("/up, /internal/") == ("/up", "/internal/")
    assert p.paths(["/a"]) == ("/a",)
    for raw in ("health", ["/a b"], ["/x\n"], 5):
        with pytest.raises(ValueError):
            p.paths(raw)


def test_functions_are_imported_when_parsed() -> None:
    assert p.function("logging.getLogger") is logging.getLogger
    assert p.function("logging:getLogger") is logging.getLogger
    assert p.function("") is None
    with pytest.raises(ValueError, match="ModuleNotFoundError"):
        p.function("missing.module.fn")
    with pytest.raises(ValueError, match="AttributeError"):
        p.function("logging.no_such_function")
    with pytest.raises(ValueError, match="not callable"):
        p.function("logging.INFO")


def test_names_choose_all_none_or_some_of_the_known() -> None:
    parse = p.names(("a", "b", "c"), every="auto", nothing="none")
    assert parse("auto") == ("auto",) and parse(" AUTO ") == ("auto",)
    assert parse("none") == () and parse("") == ()
    assert parse("c, A") == ("a", "c") and parse(["b"]) == ("b",)
    with pytest.raises(ValueError, match="unknown: d"):
        parse("a,d")
    for raw in (3, ["auto", "a"], "auto,a"):
        with pytest.raises(ValueError):
            parse(raw)


def test_patterns_must_compile() -> None:
    assert p.patterns("iban, account_number") == ("iban", "account_number")
    assert p.patterns("") == ()
    with pytest.raises(ValueError, match="is not one"):
        p.patterns("ok,(unclosed")


def test_keys_are_compared_in_lower_case() -> None:
    assert p.keys("State, X-Request-Id") == ("state", "x-request-id")
    with pytest.raises(ValueError):
        p.keys(["ok", 3])


def test_optional_is_off_when_empty() -> None:
    parse = p.optional(p.ranged(0.001, 86400.0, "seconds"))
    assert parse("") is None and parse(None) is None and parse("2.5") == 2.5
    assert parse.accepts.startswith("empty (off) or a number")
    with pytest.raises(ValueError):
        parse("0")


def test_a_comma_inside_a_pattern_does_not_split_it() -> None:
    assert p.patterns("iban, acct_no{1,2}, [,;]sep") == ("iban", "acct_no{1,2}", "[,;]sep")


@pytest.mark.parametrize(
    "pattern", ["(a+)+$", "(a|aa)+", "(x{2,})+", "(a+){3}", "(a)\\1", ".*.*.*x", "a?b?c?"]
)
def test_patterns_that_can_backtrack_badly_are_refused(pattern: str) -> None:
    with pytest.raises(ValueError, match="could stall the app"):
        p.patterns([pattern])


def test_patterns_that_cannot_backtrack_badly_are_accepted() -> None:
    kept = ("iban", "(?:ab)+", "acct_no{1,2}", "(ab){3}", "colou?r", ".*_pin", "[(]+x", "(?i)x")
    assert p.patterns(list(kept)) == kept
