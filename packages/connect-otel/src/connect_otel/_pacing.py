"""Pacing the export thread, so that a request never waits long for the interpreter.

Scrubbing and encoding a batch of 512 spans is tens of milliseconds of Python on the export
thread. A request thread that needs the interpreter meanwhile (after every socket read or
write) waits until the export thread is forced off it, up to the switch interval (5 ms) each
time, so one request can be held up for tens of milliseconds. A batch handed on as `Paced`
gives the interpreter away once it has held it for a millisecond, and a waiting thread gets in
at once. The items, their order and the exported data are the same; so is the batch size.

The pause is by time, not by count: each pause costs the export thread tens of microseconds of
CPU when a request thread takes its turn (the caches it comes back to are cold), so pausing
more often than a request could notice is CPU spent for nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

T = TypeVar("T")

# The longest the export thread keeps the interpreter between pauses, a fifth of the switch
# interval that would otherwise bound it. The benchmark's "longest wait" column shows what a
# request sees.
PAUSE_AFTER_SECONDS = 0.001


class Paced(Sequence[T]):
    """A batch whose iteration pauses every `PAUSE_AFTER_SECONDS` to let other threads run."""

    def __init__(self, items: Sequence[T], clock: Callable[[], float] = time.perf_counter) -> None:
        self._items = items
        self._clock = clock

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: Any) -> Any:
        return self._items[index]

    def __iter__(self) -> Iterator[T]:
        clock = self._clock
        due = clock() + PAUSE_AFTER_SECONDS
        for item in self._items:
            if clock() >= due:
                time.sleep(0)  # releases the interpreter to whichever thread is waiting
                due = clock() + PAUSE_AFTER_SECONDS
            yield item
