"""The receiver's own contract, which other tests rely on: what it records and how it says no."""

from __future__ import annotations

import gzip
import http.client
import json
import socket

import pytest

from connect_testkit.receiver import Receiver
from connect_testkit.scripts import run_python


def post(receiver: Receiver, path: str, body: bytes, **headers: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", receiver.port, timeout=10)
    connection.request("POST", path, body=body, headers=headers)
    return connection.getresponse()


def test_a_wrong_token_is_refused_and_nothing_is_recorded() -> None:
    with Receiver(token="right") as receiver:
        response = post(receiver, "/v1/traces", b"", Authorization="Bearer wrong")
        assert response.status == 401
        (request,) = receiver.requests()
        assert (request.signal, request.authorized, request.status) == ("traces", False, 401)
        assert receiver.spans() == []


def test_gzip_bodies_are_decoded_and_flagged() -> None:
    with Receiver(token="t") as receiver:
        response = post(
            receiver,
            "/v1/logs",
            gzip.compress(b""),
            Authorization="Bearer t",
            **{"Content-Encoding": "gzip", "Content-Type": "application/x-protobuf"},
        )
        assert response.status == 200
        (request,) = receiver.requests()
        assert request.gzip and request.authorized


def test_preflights_and_beacons_are_recorded() -> None:
    with Receiver() as receiver:
        connection = http.client.HTTPConnection("127.0.0.1", receiver.port, timeout=10)
        connection.request("OPTIONS", "/beacon", headers={"Origin": "http://elsewhere"})
        assert connection.getresponse().status == 204
        fields = {"token": "pv", "url": "http://site/"}
        response = post(
            receiver, "/beacon", json.dumps(fields).encode(), **{"Content-Type": "text/plain"}
        )
        assert response.status == 204
        assert response.getheader("Access-Control-Allow-Origin") == "*"
        assert [r.method for r in receiver.requests()] == ["OPTIONS", "POST"]
        assert [p.fields for p in receiver.pageviews()] == [fields]


def test_refuse_closes_the_port_until_recovery() -> None:
    with Receiver() as receiver:
        receiver.set_fault("refuse")
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", receiver.port), timeout=5)
        receiver.set_fault(None)
        socket.create_connection(("127.0.0.1", receiver.port), timeout=5).close()


def test_blackhole_never_answers_and_429_says_when_to_retry() -> None:
    with Receiver(token="t") as receiver:
        receiver.set_fault("blackhole")
        connection = http.client.HTTPConnection("127.0.0.1", receiver.port, timeout=1)
        connection.request("POST", "/v1/traces", body=b"", headers={"Authorization": "Bearer t"})
        with pytest.raises(TimeoutError):
            connection.getresponse()
        receiver.set_fault("429", retry_after=3)
        response = post(receiver, "/v1/traces", b"", Authorization="Bearer t")
        assert (response.status, response.getheader("Retry-After")) == (429, "3")


def test_wait_for_fails_with_a_summary_of_what_arrived() -> None:
    with Receiver() as receiver, pytest.raises(AssertionError, match="0 spans"):
        receiver.wait_for(lambda r: bool(r.spans()), timeout=0.2)


def test_ctrl_c_stops_the_live_view_even_when_another_thread_takes_the_signal() -> None:
    # The kernel hands a process's SIGINT to any of its threads; the receiver's handler threads
    # are as likely to get it as the main thread that waits for it.
    result = run_python(
        """
        import signal, threading, time
        from connect_testkit.receiver import wait_for_interrupt

        def interrupt_from_here():
            time.sleep(0.3)
            signal.pthread_kill(threading.get_ident(), signal.SIGINT)

        threading.Thread(target=interrupt_from_here, daemon=True).start()
        wait_for_interrupt()
        print("returned")
        """,
        timeout=20,
    )
    assert result.stdout == "returned\n"
