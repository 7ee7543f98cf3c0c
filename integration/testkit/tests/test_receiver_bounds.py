"""What clients cannot make the receiver hold: handler threads past the request deadline, or
memory for what unauthenticated requests and beacons send. Raw HTTP over real sockets."""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from connect_testkit.receiver import Receiver, store

TOKEN = "t"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
REQUEST_TIMEOUT = 1.0


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver(token=TOKEN, request_timeout=REQUEST_TIMEOUT) as running:
        yield running


def post(receiver: Receiver, path: str, body: bytes, headers: dict[str, str]) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", receiver.port, timeout=10)
    try:
        connection.request("POST", path, body, headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def connect(receiver: Receiver) -> socket.socket:
    return socket.create_connection(("127.0.0.1", receiver.port), timeout=10)


def test_idle_silent_and_trickling_connections_are_let_go_at_the_deadline(
    receiver: Receiver,
) -> None:
    assert post(receiver, "/v1/other", b"", AUTH) == 404  # the guard's thread is running
    threads = threading.active_count()
    with contextlib.ExitStack() as stack:
        idle = [stack.enter_context(connect(receiver)) for _ in range(30)]
        silent = stack.enter_context(connect(receiver))  # one request, then kept alive
        silent.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert silent.recv(1024).startswith(b"HTTP/1.1 404 ")
        headers = stack.enter_context(connect(receiver))
        headers.sendall(b"POST /v1/traces HTTP/1.1\r\n")
        body = stack.enter_context(connect(receiver))
        body.sendall(b"POST /beacon HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
        # A byte every 0.2 s satisfies any per-read timeout; three times the deadline.
        for _ in range(15):
            for trickling in (headers, body):
                with contextlib.suppress(OSError):
                    trickling.sendall(b"x")
            time.sleep(0.2)
        held = threading.active_count() - threads
        assert held <= 0, f"{held} handler threads still held, {len(idle)} idle connections"
        assert body.recv(1024).startswith(b"HTTP/1.1 408 ")
    assert post(receiver, "/v1/other", b"", AUTH) == 404


def test_unauthenticated_requests_leave_bounded_headers(receiver: Receiver) -> None:
    # http.server accepts 100 header lines of up to 64 KiB each.
    huge = {f"X-Filler-{n}": "f" * 60_000 for n in range(20)}
    for _ in range(10):
        assert post(receiver, "/v1/other", b"", huge) == 404
    kept = sum(len(k) + len(v) for r in receiver.requests() for k, v in r.headers.items())
    assert kept <= 10 * (store.MAX_HEADER_BYTES + 300)
    assert "[truncated]" in receiver.requests()[0].headers.values()


def test_a_large_beacon_is_refused_and_small_ones_are_kept(receiver: Receiver) -> None:
    big = json.dumps({"url": "http://site/", "title": "t" * (1 << 20)}).encode()
    assert post(receiver, "/beacon", big, {"Content-Type": "text/plain"}) == 413
    small = json.dumps({"url": "http://site/", "title": "fine"}).encode()
    assert post(receiver, "/beacon", small, {"Content-Type": "text/plain"}) == 204
    assert [p.fields["title"] for p in receiver.pageviews()] == ["fine"]


def test_only_the_newest_requests_and_beacons_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "MAX_KEPT", 3)
    with Receiver(token=TOKEN) as receiver:
        for n in range(5):
            beacon = json.dumps({"url": f"http://site/{n}"}).encode()
            assert post(receiver, "/beacon", beacon, {"Content-Type": "text/plain"}) == 204
        assert [p.fields["url"] for p in receiver.pageviews()] == [
            f"http://site/{n}" for n in (2, 3, 4)
        ]
        assert len(receiver.requests()) == 3
