"""A wall-clock deadline for one export, retries included.

The HTTP client applies a timeout to each socket operation, so an endpoint that trickles a byte
at a time can hold an export for as long as it likes. Inside `deadline()`, every connection a
`session()` uses on that thread is noted; one watchdog thread per process shuts those sockets
down when the deadline passes, which ends a blocked read or write at once, and refuses new
connections from then on. DNS resolution is the one step it cannot cut short.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import requests
import urllib3.connection
import urllib3.connectionpool
import urllib3.poolmanager
import urllib3.response
from requests.adapters import HTTPAdapter


class DeadlinePassed(TimeoutError):
    pass


class _Export:
    __slots__ = ("deadline", "expired", "sockets")

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.expired = False
        self.sockets: list[socket.socket] = []


class _Watchdog:
    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._exports: set[_Export] = set()
        self._thread: threading.Thread | None = None

    def watch(self, export: _Export) -> None:
        with self._condition:
            self._exports.add(export)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="connect-otel-deadline", daemon=True
                )
                self._thread.start()
            self._condition.notify()

    def release(self, export: _Export) -> None:
        with self._condition:
            self._exports.discard(export)

    def note(self, export: _Export, sock: socket.socket) -> None:
        with self._condition:
            if export.expired:
                _cut(sock)
            elif sock not in export.sockets:
                export.sockets.append(sock)

    def _run(self) -> None:
        with self._condition:
            while True:
                now = time.monotonic()
                for export in [e for e in self._exports if e.deadline <= now]:
                    export.expired = True
                    self._exports.discard(export)
                    for sock in export.sockets:
                        _cut(sock)
                nearest = min((e.deadline for e in self._exports), default=None)
                self._condition.wait(None if nearest is None else nearest - now)


def _cut(sock: socket.socket) -> None:
    # The plain socket's shutdown, also for TLS: it ends a read blocked on the descriptor
    # without touching the TLS object the reading thread is using.
    with contextlib.suppress(OSError):  # already closed
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


_watchdog = _Watchdog()
_current = threading.local()


def _after_fork() -> None:
    # The watchdog thread does not survive a fork, and its lock may have been held by another.
    global _watchdog
    _watchdog = _Watchdog()


os.register_at_fork(after_in_child=_after_fork)


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Bounds the requests a `session()` makes on this thread inside the block."""
    export = _Export(time.monotonic() + seconds)
    watchdog = _watchdog
    watchdog.watch(export)
    _current.export = export
    try:
        yield
    finally:
        _current.export = None
        watchdog.release(export)


def _note(sock: socket.socket | None) -> None:
    export: _Export | None = getattr(_current, "export", None)
    if export is not None and sock is not None:
        _watchdog.note(export, sock)


def _refuse_if_expired() -> None:
    export: _Export | None = getattr(_current, "export", None)
    if export is not None and (export.expired or export.deadline <= time.monotonic()):
        raise DeadlinePassed("the export's deadline has passed")


def _unless_cut(response: urllib3.response.HTTPResponse) -> urllib3.response.HTTPResponse:
    # A cut in the middle of the headers reads as their end: what was parsed is no answer.
    export: _Export | None = getattr(_current, "export", None)
    if export is not None and export.expired:
        response.close()
        raise DeadlinePassed("the export's deadline passed while the answer was arriving")
    return response


class _WatchedHTTPConnection(urllib3.connection.HTTPConnection):
    def connect(self) -> None:
        _refuse_if_expired()
        super().connect()
        _note(self.sock)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _note(self.sock)  # a kept-alive connection; a new one is noted when it connects
        super().request(*args, **kwargs)

    def getresponse(self) -> urllib3.response.HTTPResponse:  # type: ignore[override]
        return _unless_cut(super().getresponse())


class _WatchedHTTPSConnection(urllib3.connection.HTTPSConnection):
    def connect(self) -> None:
        _refuse_if_expired()
        super().connect()
        _note(self.sock)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _note(self.sock)
        super().request(*args, **kwargs)

    def getresponse(self) -> urllib3.response.HTTPResponse:  # type: ignore[override]
        return _unless_cut(super().getresponse())


class _WatchedHTTPPool(urllib3.connectionpool.HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(urllib3.connectionpool.HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_WATCHED_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


def _watch(manager: urllib3.poolmanager.PoolManager) -> urllib3.poolmanager.PoolManager:
    # Direct and HTTP(S)-proxied connections; a SOCKS proxy keeps its own pools, unwatched.
    if manager.pool_classes_by_scheme == urllib3.poolmanager.pool_classes_by_scheme:
        manager.pool_classes_by_scheme = _WATCHED_POOLS
    return manager


class _WatchedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        _watch(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        return _watch(super().proxy_manager_for(proxy, **proxy_kwargs))


def session() -> requests.Session:
    """A requests session whose connections `deadline()` can cut."""
    watched = requests.Session()
    adapter = _WatchedAdapter()
    watched.mount("http://", adapter)
    watched.mount("https://", adapter)
    return watched
