"""A bare WSGI app; CONSOLE_LOGGING says how it configured logging: "none" (Python's last
resort prints its warnings) or "basic" (`logging.basicConfig()`, the root at WARNING)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from typing import Any

import connect_otel

if os.environ.get("CONSOLE_LOGGING") == "basic":
    logging.basicConfig(format="basic %(name)s %(levelname)s %(message)s")
connect_otel.configure()
log = logging.getLogger("console_bare")


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    log.info("request detail")  # below the root's level: printed nowhere
    log.warning("request warned")
    try:
        raise KeyError("missing")
    except KeyError:
        log.exception("request failed")
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
