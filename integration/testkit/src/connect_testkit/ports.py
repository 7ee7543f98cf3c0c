"""Local TCP ports: one to listen on, and whether one is taken."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port nothing listens on now; the kernel picks it, so parallel runs do not collide."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as probe:
        return probe.connect_ex((host, port)) != 0
