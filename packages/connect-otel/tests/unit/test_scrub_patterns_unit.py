"""CONNECT_SCRUB_EXTRA_PATTERNS: matched in any case, never split at a comma, never a stall."""

from __future__ import annotations

import time

import pytest

from connect_otel import ConfigurationError
from connect_otel._scrubbing import REDACTED, Scrubber
from connect_otel.settings import resolve


def scrubber_from(environ_value: str) -> Scrubber:
    settings = resolve(environ={"CONNECT_SCRUB_EXTRA_PATTERNS": environ_value})
    return Scrubber(settings.scrub_extra_patterns, settings.scrub_keep)


def test_patterns_match_in_any_case() -> None:
    scrubber = scrubber_from("IBAN, Account_Number")
    assert scrubber.key_is_secret("customer.iban")
    assert scrubber.key_is_secret("accountNumber")
    assert scrubber.query("IBAN=NL91&page=2") == f"IBAN={REDACTED}&page=2"


def test_a_pattern_with_a_comma_stays_one_pattern() -> None:
    scrubber = scrubber_from("acct_no{1,2}")
    assert scrubber.key_is_secret("acct_noo")
    assert not scrubber.key_is_secret("acct_nooo")


def test_a_pattern_that_backtracks_catastrophically_fails_start_up() -> None:
    with pytest.raises(ConfigurationError, match=r"CONNECT_SCRUB_EXTRA_PATTERNS.*could stall"):
        resolve(environ={"CONNECT_SCRUB_EXTRA_PATTERNS": "iban,(a+)+$"})


@pytest.mark.parametrize("pattern", [".*.*x", "[a-z]*[a-z]*x", "\\w+\\w+x", "(?:ab)+c*x"])
def test_the_worst_accepted_patterns_on_hostile_names_stay_fast(pattern: str) -> None:
    scrubber = scrubber_from(pattern)
    started = time.perf_counter()
    for length in (25, 256, 100_000):
        assert not scrubber.parameter_is_secret("a" * length + "!")
    assert time.perf_counter() - started < 0.05


def test_patterns_see_digits() -> None:
    scrubber = scrubber_from("acct_\\d+")
    assert scrubber.key_is_secret("customer.acct_42")
    assert scrubber.query("acct-42=1&acct=2") == f"acct-42={REDACTED}&acct=2"
