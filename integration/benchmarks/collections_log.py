"""Each full garbage collection in a benchmark server, written down for `bench.py`.

A request's longest wait is most often a full collection of the heap, which any set-up pays
whenever it falls in a measured round, and not the export it is meant to show. With
BENCH_COLLECTIONS_LOG set, the server appends a line `start end` for every collection of the
oldest generation, in seconds of `time.monotonic()`: the clock `load.py` stamps each request
with, the same in every process of the machine. `bench.py` takes those collections out of each
request's time for the column of waits outside them.
"""

from __future__ import annotations

import gc
import os
import time
from typing import Any

OLDEST = 2


def install() -> None:
    path = os.environ.get("BENCH_COLLECTIONS_LOG")
    if not path:
        return
    log = open(path, "a", buffering=1)  # noqa: SIM115 - open for the process's life
    started = 0.0

    def note(phase: str, info: dict[str, Any]) -> None:
        nonlocal started
        if info["generation"] != OLDEST:
            return
        if phase == "start":
            started = time.monotonic()
        else:
            log.write(f"{started} {time.monotonic()}\n")

    gc.callbacks.append(note)
