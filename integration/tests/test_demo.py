"""The demo must keep working: it is the first thing a new user runs."""

from __future__ import annotations

import subprocess
import sys

from connect_integration.scripts import clean_environ


def test_demo_tour_summarises_every_signal() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "connect_integration.demo"],
        env=clean_environ(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    for route in ("GET /orders/42", "GET /checkout", "GET /nowhere"):
        assert route in out
    assert "error: /checkout raised app.CheckoutFailed: payment provider timed out" in out
    assert "http.server.request.duration" in out
    assert "demo.orders" in out
    assert "order 42 looked up" in out
    assert "OK: service 'wsgi-demo' exported" in out
