"""Where trace context goes out, in a real Flask app under gunicorn calling a real HTTP server:
trace context and baggage reach only propagation targets, and an untrusted caller's baggage
reaches no one."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import pytest

from connect_testkit.ports import free_port
from connect_testkit.receiver import Receiver
from connect_testkit.scripts import clean_environ
from connect_testkit.servers import Server, gunicorn, run_server

APPS = Path(__file__).parent / "apps"
QUICK = {"OTEL_BSP_SCHEDULE_DELAY": "100", "CONNECT_EXPORT_LOGS": "false"}
CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"
CALLER = {
    "traceparent": f"00-{CALLER_TRACE}-{CALLER_SPAN}-01",
    "baggage": "client.note=from-the-internet",
}
PUBLIC_CALLER = {**CALLER, "X-Forwarded-For": "203.0.113.9"}
CLIENTS = ("requests", "httpx", "urllib")
# A recorded trace, and one this process does not export (tail sampling off, so not recorded).
RECORDED = {"CONNECT_TRACE_SAMPLE_RATE": "1.0"}
UNRECORDED = {"CONNECT_TRACE_SAMPLE_RATE": "0.0", "CONNECT_TRACE_KEEP_ERRORS": "false"}


class Called:
    """A server that stands for whichever host the app calls, and keeps the headers it got."""

    def __init__(self) -> None:
        self.headers: list[dict[str, str]] = []
        received = self.headers

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                received.append({key.lower(): value for key, value in self.headers.items()})
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/"

    def __enter__(self) -> Called:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def last(self) -> dict[str, str]:
        assert self.headers, "the app did not call"
        return self.headers[-1]


@pytest.fixture
def called() -> Iterator[Called]:
    with Called() as server:
        yield server


def sampled(traceparent: str) -> bool:
    return bool(int(traceparent.rsplit("-", 1)[1], 16) & 1)


@contextmanager
def trust_app(export_env: dict[str, str], **settings: str) -> Iterator[Server]:
    port = free_port()
    env = clean_environ(**export_env, **QUICK, **settings)
    with run_server(gunicorn("trust_app:app", port), env=env, port=port, cwd=str(APPS)) as server:
        yield server


def call(
    server: Server,
    called: Called,
    how: str = "requests",
    email: str = "",
    headers: dict[str, str] | None = None,
) -> dict[str, str]:
    query = f"/call?url={quote(called.url)}&how={how}" + (f"&email={quote(email)}" if email else "")
    status, body = server.get(query, headers=headers)
    assert status == 200, body
    return called.last()


@pytest.mark.parametrize("sampling", [RECORDED, UNRECORDED], ids=["recorded", "unrecorded"])
def test_hosts_outside_the_targets_get_no_trace_context_and_no_baggage(
    export_env: dict[str, str], called: Called, sampling: dict[str, str]
) -> None:
    # The called server is on loopback: a target list without loopback makes it a third party.
    with trust_app(
        export_env, CONNECT_TRACE_PROPAGATION_TARGETS="api.example.com,10.0.0.0/8", **sampling
    ) as server:
        for how in CLIENTS:
            got = call(server, called, how, email="alice@example.com", headers=CALLER)
            assert "traceparent" not in got, (how, got)
            assert "baggage" not in got, (how, got)


@pytest.mark.parametrize("sampling", [RECORDED, UNRECORDED], ids=["recorded", "unrecorded"])
def test_targets_get_the_trace_and_the_apps_baggage(
    export_env: dict[str, str], called: Called, sampling: dict[str, str]
) -> None:
    with trust_app(export_env, **sampling) as server:
        for how in CLIENTS:
            got = call(server, called, how, email="alice@example.com")
            assert "traceparent" in got, (how, got)
            assert sampled(got["traceparent"]) is (sampling is RECORDED), (how, got)
            assert "user.email=alice%40example.com" in got.get("baggage", ""), (how, got)


def test_an_untrusted_callers_baggage_goes_nowhere(
    receiver: Receiver, export_env: dict[str, str], called: Called
) -> None:
    with trust_app(export_env, **RECORDED) as server:
        got = call(server, called, headers=PUBLIC_CALLER)
    assert "client.note" not in got.get("baggage", ""), got
    assert CALLER_TRACE not in got["traceparent"], "a new trace, not the caller's"


def test_a_trusted_callers_trace_and_baggage_are_continued(
    export_env: dict[str, str], called: Called
) -> None:
    with trust_app(export_env, **RECORDED) as server:
        got = call(server, called, headers=CALLER)
    assert got["traceparent"].startswith(f"00-{CALLER_TRACE}-"), got
    assert "client.note=from-the-internet" in got["baggage"], got


def test_every_target_restores_sending_everywhere(
    export_env: dict[str, str], called: Called
) -> None:
    with trust_app(
        export_env, CONNECT_TRACE_PROPAGATION_TARGETS="*", CONNECT_TRACE_TRUSTED_NETWORKS="*"
    ) as server:
        got = call(server, called, headers=PUBLIC_CALLER)
    assert got["traceparent"].startswith(f"00-{CALLER_TRACE}-"), got
    assert "client.note=from-the-internet" in got["baggage"], got
