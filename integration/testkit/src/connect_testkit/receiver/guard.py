"""The receiver's deadline for each request: its line, headers and body must all arrive within
`timeout` of the handler starting to wait for it, or the connection is cut for reading (the
handler can still answer 408). A socket timeout
bounds only each read, so a client trickling a byte at a time, or keeping a connection open and
silent, would otherwise hold a handler thread for as long as it liked."""

from __future__ import annotations

import contextlib
import socket
import threading
import time


class RequestGuard:
    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._condition = threading.Condition()
        self._deadlines: dict[socket.socket, float] = {}
        self._cut: set[socket.socket] = set()
        self._thread: threading.Thread | None = None
        self._closed = False

    def start(self, connection: socket.socket) -> None:
        """From now, the next request on `connection` must arrive whole within the timeout."""
        with self._condition:
            self._deadlines[connection] = time.monotonic() + self.timeout
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(target=self._run, daemon=True)
                self._thread.start()
            self._condition.notify()

    def stop(self, connection: socket.socket) -> bool:
        """The request arrived, or the handler holds it on purpose; says whether it was cut."""
        with self._condition:
            self._deadlines.pop(connection, None)
            cut = connection in self._cut
            self._cut.discard(connection)
            return cut

    def close(self) -> None:
        with self._condition:
            self._closed = True
            self._condition.notify()
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        with self._condition:
            while not self._closed:
                now = time.monotonic()
                for connection, deadline in list(self._deadlines.items()):
                    if deadline <= now:
                        del self._deadlines[connection]
                        self._cut.add(connection)
                        # A blocked read returns at once, as if the client had stopped sending.
                        with contextlib.suppress(OSError):  # already closed
                            connection.shutdown(socket.SHUT_RD)
                nearest = min(self._deadlines.values(), default=None)
                self._condition.wait(None if nearest is None else nearest - now)
