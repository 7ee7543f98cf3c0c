"""The receiver itself: an HTTP server on a background thread that answers OTLP exports and
page-view beacons as an ingest endpoint would, or misbehaves on purpose (`set_fault`).

It never trusts a request: the token is checked before the body is read, bodies and their
decompressed size are bounded, and whatever it cannot decode gets a 4xx answer. No request can
take a handler thread down or hold it for longer than `request_timeout` (`guard.py`), so the next
request is always served; what a request leaves in the record is bounded (`store.py`).
"""

from __future__ import annotations

import sys
import threading
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TextIO

from connect_testkit.receiver.decoding import (
    SIGNALS,
    Signal,
    TooLarge,
    Undecodable,
    beacon_fields,
    export_records,
)
from connect_testkit.receiver.guard import RequestGuard
from connect_testkit.receiver.records import Fault, Pageview, Request
from connect_testkit.receiver.store import OnArrival, Store, kept_headers

BEACON_PATH = "/beacon"
# Far above any batch a client sends; reading more would only cost memory.
MAX_BODY_BYTES = 16 * 1024 * 1024
# sendBeacon itself refuses more than 64 KiB; a beacon is a few hundred bytes.
MAX_BEACON_BYTES = 64 * 1024
_DISCARD_CHUNK = 64 * 1024
_CORS = {"Access-Control-Allow-Origin": "*"}
# Faults that hold a handler until the fault changes or the receiver stops.
_HOLDING = ("blackhole", "trickle")
# A trickled answer ends after this many bytes, whatever its pace.
_TRICKLE_BYTES = 10_000


class Receiver(Store):
    """Serves on 127.0.0.1 in a background thread; use as a context manager.

    `request_timeout` bounds how long a client may take to send a whole request (its line,
    headers and body), and how long a kept-alive connection may stay silent.

    With `decode_when_read`, an authorized export is answered 200 as it came and decoded when
    `spans()`, `metrics()` or `logs()` first reads it; a body that does not decode then raises
    `Undecodable` or `TooLarge` there. The benchmark's receivers share the machine with the
    servers they measure, where a real ingest endpoint would decode elsewhere.
    """

    def __init__(
        self,
        token: str = "test-token",
        host: str = "127.0.0.1",
        port: int = 0,
        record_file: TextIO | None = None,
        on_arrival: OnArrival | None = None,
        request_timeout: float = 10.0,
        decode_when_read: bool = False,
    ) -> None:
        if decode_when_read and on_arrival is not None:
            raise ValueError("on_arrival needs each export decoded as it arrives")
        super().__init__(record_file=record_file, on_arrival=on_arrival)
        self.decode_when_read = decode_when_read
        self.token = token
        self.host = host
        self._request_timeout = request_timeout
        self._guard = RequestGuard(request_timeout)
        self._port = port
        self._fault: Fault | None = None
        self._delay = 5.0
        self._retry_after = 1
        self._location = ""
        self._released = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> Receiver:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        self._guard = RequestGuard(self._request_timeout)
        self._listen()

    def stop(self) -> None:
        self._released.set()
        self._close()
        self._guard.close()

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self._port}"

    @property
    def beacon_url(self) -> str:
        return self.url + BEACON_PATH

    def _listen(self) -> None:
        server = _Server((self.host, self._port), _handler_for(self))
        self._port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def _close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()

    # --- faults ----------------------------------------------------------------------------

    def set_fault(
        self, fault: Fault | None, delay: float = 5.0, retry_after: int = 1, location: str = ""
    ) -> None:
        """Plays a misbehaving endpoint until called again with None. `delay` is the slow
        answer's delay and the trickle's pause between bytes; `location` is where a 302 or 307
        points."""
        previous = self._fault
        self._delay, self._retry_after, self._location = delay, retry_after, location
        self._fault = fault
        if previous in _HOLDING:
            self._released.set()
        if fault in _HOLDING:
            self._released = threading.Event()
        if fault == "refuse" and previous != "refuse":
            self._close()
        elif previous == "refuse" and fault != "refuse":
            self._listen()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up before a slow answer is what the slow fault is for.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Refusal(Exception):
    """Ends a request with `status`; `close` when the connection cannot carry another one
    (the body was left unread, or where it ends is unknown)."""

    def __init__(self, status: int, message: bytes = b"", close: bool = False) -> None:
        super().__init__(status)
        self.status, self.message, self.close = status, message, close


def _handler_for(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def handle_one_request(self) -> None:
            receiver._guard.start(self.connection)
            try:
                super().handle_one_request()
            finally:
                receiver._guard.stop(self.connection)

        def _arrived(self) -> bool:
            """The request is read, or held here on purpose: no more deadline. Says whether
            the deadline had cut it short."""
            return receiver._guard.stop(self.connection)

        def _path(self) -> str:
            return self.path.split("?", 1)[0]

        def _note(self, signal: str, status: int, authorized: bool = False) -> None:
            receiver.note(
                Request(
                    method=self.command,
                    path=self._path(),
                    signal=signal,
                    authorized=authorized,
                    gzip=self.headers.get("Content-Encoding", "") == "gzip",
                    content_type=self.headers.get("Content-Type", ""),
                    status=status,
                    headers=kept_headers(self.headers.items()),
                )
            )

        def _answer(
            self,
            status: int,
            body: bytes = b"",
            headers: dict[str, str] | None = None,
            close: bool = False,
        ) -> None:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            if close:
                self.send_header("Connection", "close")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        # --- the body, read only once the request may have it ------------------------------

        def _content_length(self) -> int:
            if "Transfer-Encoding" in self.headers:
                raise _Refusal(411, b"send a Content-Length, not chunks", close=True)
            values = self.headers.get_all("Content-Length") or []
            if not values:
                raise _Refusal(411, b"Content-Length required", close=True)
            # Digits only: int() would also take "-1", "+5" and "1_0".
            if len(set(values)) != 1 or not (values[0].isascii() and values[0].isdigit()):
                raise _Refusal(400, b"bad Content-Length", close=True)
            return int(values[0])

        def _read(self, length: int, limit: int = MAX_BODY_BYTES) -> bytes:
            if length > limit:
                # Read and dropped when it is not huge: a connection closed on a body still
                # arriving is reset, and the sender may never see the answer.
                self._discard(length)
                raise _Refusal(413, b"body too large", close=self.close_connection)
            # A client that announces more than it sends is cut at the request's deadline.
            try:
                body = self.rfile.read(length)
            finally:
                cut = self._arrived()
            if cut:
                raise _Refusal(408, b"request not sent in time", close=True)
            if len(body) < length:
                raise _Refusal(400, b"body shorter than its Content-Length", close=True)
            return body

        def _discard(self, length: int) -> None:
            """Reads a body the answer does not need, so the connection can carry another
            request; one too large to read is left unread and the connection closed after."""
            if length > MAX_BODY_BYTES:
                self.close_connection = True
                return
            try:
                while length > 0:
                    chunk = self.rfile.read(min(length, _DISCARD_CHUNK))
                    if not chunk:
                        self.close_connection = True
                        return
                    length -= len(chunk)
            finally:
                self._arrived()

        # --- methods -----------------------------------------------------------------------

        def do_OPTIONS(self) -> None:
            self._arrived()
            self._note("beacon" if self._path() == BEACON_PATH else "other", 204)
            self._answer(
                204,
                headers={
                    **_CORS,
                    "Access-Control-Allow-Methods": "POST",
                    "Access-Control-Allow-Headers": "Content-Type",
                },
            )

        def do_GET(self) -> None:
            self._arrived()
            self._note("other", 404)
            self._answer(404)

        def do_POST(self) -> None:
            path = self._path()
            signal = SIGNALS.get(path)
            name = "beacon" if path == BEACON_PATH else signal.name if signal else "other"
            self._authorized = False
            try:
                if path == BEACON_PATH:
                    self._beacon()
                elif signal is None:
                    self._discard(self._content_length())
                    raise _Refusal(404)
                else:
                    self._export(signal)
            except _Refusal as refusal:
                self._note(name, refusal.status, self._authorized)
                headers = _CORS if path == BEACON_PATH else {}
                self._answer(refusal.status, refusal.message, headers, refusal.close)

        def _export(self, signal: Signal) -> None:
            length = self._content_length()
            if self._misbehave(signal.name, length):
                return
            if self.headers.get("Authorization", "") != f"Bearer {receiver.token}":
                self._discard(length)
                raise _Refusal(401, b"bad token")
            self._authorized = True
            body = self._read(length)
            encoding = self.headers.get("Content-Encoding", "identity").strip().lower()
            if encoding not in ("gzip", "identity"):
                raise _Refusal(415, b"unsupported Content-Encoding")
            gzipped = encoding == "gzip"
            if receiver.decode_when_read:
                receiver.keep_undecoded(signal.kind, partial(export_records, signal, body, gzipped))
            else:
                try:
                    records = export_records(signal, body, gzipped)
                except Undecodable:
                    raise _Refusal(400, b"undecodable") from None
                except TooLarge:
                    raise _Refusal(413, b"decompresses to too much") from None
                receiver.record(signal.kind, records)
            self._note(signal.name, 200, authorized=True)
            self._answer(200, signal.response, {"Content-Type": "application/x-protobuf"})

        def _misbehave(self, signal: str, length: int) -> bool:
            fault = receiver._fault
            if fault is None:
                return False
            if fault == "blackhole":
                self._arrived()
                self._note(signal, 0)
                receiver._released.wait()
                self.close_connection = True
                return True
            if fault == "slow":
                receiver._guard.stop(self.connection)
                receiver._released.wait(receiver._delay)
                receiver._guard.start(self.connection)  # for the body, read after the pause
                return False
            self._discard(length)
            if fault == "trickle":
                self._note(signal, 0)
                self._trickle()
                return True
            status = int(fault)
            self._note(signal, status)
            headers = {"Retry-After": str(receiver._retry_after)} if status == 429 else {}
            if status in (302, 307):
                headers = {"Location": receiver._location}
            self._answer(status, b"simulated fault", headers)
            return True

        def _trickle(self) -> None:
            """A status line, then one header byte per `delay` seconds: each read the client
            makes succeeds, but the answer never ends."""
            self.close_connection = True
            released = receiver._released
            self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Trickle: ")
            for _ in range(_TRICKLE_BYTES):
                if released.wait(receiver._delay):
                    return
                self.wfile.write(b"a")
                self.wfile.flush()

        def _beacon(self) -> None:
            body = self._read(self._content_length(), MAX_BEACON_BYTES)
            try:
                fields = beacon_fields(body)
            except Undecodable:
                raise _Refusal(400) from None
            receiver.record(
                "pageviews",
                [
                    Pageview(
                        fields=fields,
                        content_type=self.headers.get("Content-Type", ""),
                        origin=self.headers.get("Origin", ""),
                        headers=kept_headers(self.headers.items()),
                    )
                ],
            )
            self._note("beacon", 204)
            self._answer(204, headers=_CORS)

    return Handler
