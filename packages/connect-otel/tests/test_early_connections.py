"""A connection opened before Connect started is said at start-up, not called traced."""

from __future__ import annotations

import pytest

from connect_testkit.receiver import Receiver
from connect_testkit.scripts import run_python

EARLY = """
import sqlite3
early = sqlite3.connect(":memory:") if {early} else None
import connect_otel
assert connect_otel.configure()
later = sqlite3.connect(":memory:")
connect_otel.shutdown()
"""


@pytest.mark.parametrize("early", [True, False], ids=["opened before", "opened after"])
def test_a_connection_opened_before_start_up_is_named_on_the_console(
    receiver: Receiver, export_env: dict[str, str], early: bool
) -> None:
    console = run_python(EARLY.format(early=early), env=export_env).stderr
    warning = "Connect is tracing sqlite3, but 1 connection was opened before Connect started"
    assert (warning in console) is early, console
    assert "tracing" in console and "sqlite3" in console
