"""A bare WSGI app; CONSOLE_LOGGING says how it configured logging: "none" (Python's last
resort prints its warnings), "basic" (`logging.basicConfig()`, the root at WARNING) or
"basic-after" (the same, once Connect is on)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from typing import Any

import connect_otel

FORMAT = "basic %(name)s %(levelname)s %(message)s"
if os.environ.get("CONSOLE_LOGGING") == "basic":
    logging.basicConfig(format=FORMAT)
connect_otel.configure()
if os.environ.get("CONSOLE_LOGGING") == "basic-after":
    logging.basicConfig(format=FORMAT)
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
