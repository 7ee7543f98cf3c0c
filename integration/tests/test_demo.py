"""The demo must keep working: it is the first thing a new user runs."""

from __future__ import annotations

import subprocess
import sys

from connect_integration.demo import view_line
from connect_testkit.receiver import Pageview
from connect_testkit.scripts import clean_environ


def demo(app: str) -> str:
    """What `make demo ARGS="--app APP"` prints; it must succeed."""
    result = subprocess.run(
        [sys.executable, "-m", "connect_integration.demo", "--app", app],
        env=clean_environ(),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_demo_tour_summarises_every_signal_and_the_page_views() -> None:
    out = demo("flask")
    assert "flask: service 'flask_example'" in out
    for route in ("GET /items/<int:item_id>", "GET /boom", "POST /login"):
        assert route in out
    assert "error: /boom raised RuntimeError: the example route that always fails" in out
    assert "http.server.request.duration" in out and "db.client.operation.duration" in out
    assert "an informative line from inside a request" in out
    assert "'App inbox'    anonymous  in-app navigation" in out
    assert "user 7301  server trace" in out, "a signed-in view, decrypted, joined to its trace"
    assert "GET /health" not in out, "excluded paths make no spans"
    assert "OK: flask exported every signal" in out


def test_serve_mode_shows_arrivals_live_until_interrupted() -> None:
    import re
    import signal
    import urllib.request

    process = subprocess.Popen(
        [sys.executable, "-m", "connect_integration.demo", "--serve", "--app", "flask"],
        env=clean_environ(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    try:
        url = None
        for line in process.stdout:
            if found := re.search(r"open (http://127\.0\.0\.1:\d+)/", line):
                url = found.group(1)
                break
        assert url, "the demo prints the URL to open"
        with urllib.request.urlopen(url + "/items/5", timeout=30) as response:
            assert response.status == 200
        for line in process.stdout:
            if line.startswith("span") and "GET /items/<int:item_id>" in line:
                break
    finally:
        process.send_signal(signal.SIGINT)
        try:
            rest, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            rest, _ = process.communicate()
            raise AssertionError(f"the demo ignored Ctrl-C for 30 s; it printed:\n{rest}") from None
    assert process.returncode == 0, rest
    assert "stopping" in rest


def test_whole_app_tour_prints_one_trace_across_three_services() -> None:
    out = demo("services")
    assert "services: one trace, 8 spans across 3 services" in out, out
    for span in ("GET /checkout (server)", "GET /hello (server)", "SET (client)",
                 "apply_async/tasks.add (producer)", "run/tasks.add (consumer)"):  # fmt: skip
        assert span in out
    assert "OK: services traced end to end" in out


def test_a_page_view_missing_any_field_still_gets_its_line() -> None:
    # The receiver records any beacon whose fields are strings, however few.
    for fields in ({}, {"token": "pv"}, {"url": "http://site/a", "identity": "not a token"}):
        line = view_line(Pageview(fields, "text/plain", "", {}), {})
        assert "anonymous" in line and "in-app navigation" in line
