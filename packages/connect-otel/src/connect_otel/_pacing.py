"""Pacing the export thread, so that a request never waits long for the interpreter.

Scrubbing and encoding a batch of 512 spans is tens of milliseconds of Python on the export
thread. A request thread that needs the interpreter meanwhile (after every socket read or
write) waits until the export thread is forced off it, up to the switch interval (5 ms) each
time, so one request can be held up for tens of milliseconds. A batch handed on as `Paced`
gives the interpreter away every few items, and a waiting thread gets in at once. The items,
their order and the exported data are the same; the batch size and its CPU cost are too.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

T = TypeVar("T")

# Items between pauses: about half a millisecond of encoding. The benchmark's "longest wait"
# column shows what a request sees.
EVERY = 16


class Paced(Sequence[T]):
    """A batch whose iteration pauses every `EVERY` items to let other threads run."""

    def __init__(self, items: Sequence[T]) -> None:
        self._items = items

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: Any) -> Any:
        return self._items[index]

    def __iter__(self) -> Iterator[T]:
        for index, item in enumerate(self._items):
            if index and index % EVERY == 0:
                time.sleep(0)  # releases the interpreter to whichever thread is waiting
            yield item
