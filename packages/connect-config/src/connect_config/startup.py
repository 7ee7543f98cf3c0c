"""What the integrations say when an app starts: each warning once per process, however many
integrations or app instances start in it."""

from __future__ import annotations

import logging
import threading

_said: set[tuple[str, str]] = set()
_lock = threading.Lock()


def warn_once(logger: logging.Logger, message: str) -> None:
    with _lock:
        if (logger.name, message) in _said:
            return
        _said.add((logger.name, message))
    logger.warning(message)
