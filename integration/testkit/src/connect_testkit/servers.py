"""Runs real servers (gunicorn, uvicorn, Plain's) as child processes, and builds their command
lines: every test, the demo and the benchmarks start a server through here."""

from __future__ import annotations

import http.client
import os
import signal as signals
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

BIND_HOST = "127.0.0.1"


def gunicorn(
    app: str,
    port: int,
    *,
    workers: int = 1,
    preload: bool = False,
    python: str = sys.executable,
) -> list[str]:
    """gunicorn serving `app` ("module:callable") with sync workers.

    gunicorn's control socket defaults to one path per user, which servers running side by side
    would fight over; nothing here uses it.
    """
    return [
        python, "-m", "gunicorn", "--no-control-socket", "--workers", str(workers),
        *(["--preload"] if preload else []), "--bind", f"{BIND_HOST}:{port}", app,
    ]  # fmt: skip


def uvicorn(app: str, port: int, *, python: str = sys.executable) -> list[str]:
    """uvicorn serving the ASGI `app` ("module:attribute"), without its access log."""
    return [
        python, "-m", "uvicorn", "--host", BIND_HOST, "--port", str(port), "--no-access-log", app,
    ]  # fmt: skip


def plain_server(port: int, *, workers: int = 1, python: str = sys.executable) -> list[str]:
    """Plain's own server for the app in the working directory (Python 3.13+)."""
    return [
        python, "-m", "plain", "server", "--bind", f"{BIND_HOST}:{port}",
        "--workers", str(workers),
    ]  # fmt: skip


class Server:
    def __init__(self, process: subprocess.Popen[bytes], port: int, log: Path) -> None:
        self.process = process
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self._log = log

    def output(self) -> str:
        return self._log.read_text(errors="replace")

    def request(
        self,
        path: str,
        method: str = "GET",
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 30.0,
    ) -> tuple[int, bytes, dict[str, str]]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=dict(headers or {}))
            response = connection.getresponse()
            return response.status, response.read(), dict(response.getheaders())
        finally:
            connection.close()

    def get(self, path: str, headers: Mapping[str, str] | None = None) -> tuple[int, bytes]:
        status, body, _ = self.request(path, headers=headers)
        return status, body

    def stop(self, signal: int = signals.SIGTERM, timeout: float = 20.0) -> int:
        """Sends `signal` to the server's process group and waits; kills it after `timeout`."""
        if self.process.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signals.SIGKILL)
                self.process.wait(5)
                raise AssertionError(
                    f"server did not stop within {timeout}s of signal {signal}:\n{self.output()}"
                ) from None
        return self.process.returncode

    def _answers(self, path: str) -> bool:
        # A probe that gave up early and asked again would send a server's first two requests
        # at once, and Plain builds its template environment lazily on the first one: the
        # second could render before the tag's extension is registered.
        try:
            self.request(path, timeout=30.0)
        except OSError:
            return False
        return True


@contextmanager
def run_server(
    argv: Sequence[str],
    env: Mapping[str, str],
    port: int,
    cwd: str | Path | None = None,
    ready_path: str = "/",
    ready_timeout: float = 60.0,
) -> Iterator[Server]:
    """Starts `argv` in its own process group and yields once it answers HTTP on `port`.

    On exit a still-running server gets SIGTERM, then SIGKILL; a failure to start raises with
    the server's output.
    """
    with tempfile.NamedTemporaryFile(prefix="server-", suffix=".log", delete=False) as log:
        log_path = Path(log.name)
    with log_path.open("wb") as output:
        process = subprocess.Popen(
            list(argv),
            env=dict(env),
            cwd=cwd,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    server = Server(process, port, log_path)
    try:
        deadline = time.monotonic() + ready_timeout
        while not server._answers(ready_path):
            if process.poll() is not None:
                raise AssertionError(f"server exited with {process.returncode}:\n{server.output()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"server not ready in {ready_timeout}s:\n{server.output()}")
            time.sleep(0.1)
        yield server
    finally:
        if process.poll() is None:
            with suppress(AssertionError):
                server.stop(timeout=10.0)
        log_path.unlink(missing_ok=True)
