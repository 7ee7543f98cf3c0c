"""`connect-otel check` against a good endpoint, a bad token, an unreachable host, one that
trickles its answer and one that redirects elsewhere."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from connect_testkit.ports import free_port
from connect_testkit.receiver import Fault, Receiver
from connect_testkit.scripts import clean_environ


def check(url: str, token: str, **environ: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "connect_otel.cli", "check"],
        env=clean_environ(CONNECT_EXPORT_URL=url, CONNECT_EXPORT_TOKEN=token, **environ),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_accepted_by_a_good_endpoint(receiver: Receiver) -> None:
    result = check(receiver.url, "test-token")
    assert result.returncode == 0, result.stdout + result.stderr
    for signal in ("traces", "metrics", "logs"):
        assert f"{signal:<8} ok   accepted (HTTP 200)" in result.stdout
    assert [s.name for s in receiver.spans()] == ["connect-otel check"]
    assert [m.name for m in receiver.metrics()] == ["connect.check"]
    assert [log.body for log in receiver.logs()] == ["connect-otel check"]
    assert "test-token" not in result.stdout
    # What would be traced here: the test environment has requests, httpx and the rest.
    assert "Libraries: tracing requests, httpx, urllib3, urllib" in result.stdout


def test_bad_token_is_named(receiver: Receiver) -> None:
    result = check(receiver.url, "wrong-token")
    assert result.returncode == 1
    assert result.stdout.count("rejected: bad token (HTTP 401)") == 3
    assert receiver.spans() == []


def test_unreachable_endpoint_is_named() -> None:
    result = check(f"http://127.0.0.1:{free_port()}", "test-token")
    assert result.returncode == 1
    assert result.stdout.count("unreachable:") == 3
    assert "Connection refused" in result.stdout


def test_missing_token_says_so() -> None:
    result = check("http://127.0.0.1:9", "")
    assert result.returncode == 2
    assert "CONNECT_EXPORT_TOKEN is not set" in result.stdout


def test_bad_setting_is_named() -> None:
    result = check("not-a-url", "t")
    assert result.returncode == 2
    assert "CONNECT_EXPORT_URL" in result.stderr


def test_a_rejected_token_is_not_printed() -> None:
    result = check("http://127.0.0.1:9", "my real secret")
    assert result.returncode == 2
    assert "CONNECT_EXPORT_TOKEN" in result.stderr and "my real secret" not in result.stderr


def test_a_trickling_endpoint_fails_each_request_at_its_deadline(receiver: Receiver) -> None:
    # One byte every 0.2 s satisfies any per-read timeout; the deadline is for the request.
    receiver.set_fault("trickle", delay=0.2)
    started = time.monotonic()
    result = check(receiver.url, "test-token", CONNECT_EXPORT_TIMEOUT="1")
    took = time.monotonic() - started
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.count("unreachable: no answer within 1.0s") == 3
    # Three requests of 1 s each, and the interpreter's start.
    assert took < 3 + 2.5, f"took {took:.1f}s"


@pytest.mark.parametrize("status", ["302", "307"])
def test_a_redirect_fails_names_where_it_points_and_keeps_the_token(
    receiver: Receiver, status: Fault
) -> None:
    with Receiver(token="test-token") as other_host:
        elsewhere = f"{other_host.url}/collect"
        receiver.set_fault(status, location=elsewhere)
        result = check(receiver.url, "test-token")
        assert result.returncode == 1, result.stdout
        assert result.stdout.count(f"FAIL redirected to {elsewhere} (HTTP {status})") == 3
        assert "accepted" not in result.stdout
        assert other_host.requests() == []
        assert [r.status for r in receiver.requests()] == [int(status)] * 3
