"""A throwaway PostgreSQL server for the Plain example app: a new cluster in a temporary
directory, on a free loopback port, run as an unprivileged user (PostgreSQL refuses root)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from connect_testkit.ports import free_port

BIN_DIRS = [Path("/usr/lib/postgresql/15/bin"), *sorted(Path("/usr/lib/postgresql").glob("*/bin"))]
SERVICE_USER = "postgres"


def find_bin(name: str) -> str:
    for directory in BIN_DIRS:
        if (directory / name).exists():
            return str(directory / name)
    found = shutil.which(name)
    if not found:
        raise RuntimeError(
            f"PostgreSQL's {name} is missing: run integration/bin/setup "
            "(it installs Debian's postgresql package)"
        )
    return found


def _as_service_user(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", SERVICE_USER, "--", *argv]


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yields a DATABASE_URL; the cluster is stopped and removed afterwards."""
    root = Path(tempfile.mkdtemp(prefix="connect-pg-"))
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, SERVICE_USER)
        shutil.chown(sockets, SERVICE_USER)
    port = free_port()
    run = _as_service_user
    subprocess.run(
        run([find_bin("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]),
        check=True,
        capture_output=True,
        timeout=120,
    )
    options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        run([find_bin("pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"),
             "-w", "start"]),
        check=True,
        capture_output=True,
        timeout=120,
    )  # fmt: skip
    try:
        subprocess.run(
            run([find_bin("createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
                 "example"]),
            check=True,
            capture_output=True,
            timeout=60,
        )  # fmt: skip
        yield f"postgres://postgres@127.0.0.1:{port}/example"
    finally:
        subprocess.run(
            run([find_bin("pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(root, ignore_errors=True)
