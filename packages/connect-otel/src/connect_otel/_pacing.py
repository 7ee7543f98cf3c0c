"""Pacing the export thread, so that a request never waits long for the interpreter.

Scrubbing and encoding a batch of 512 spans is tens of milliseconds of Python on the export
thread. A request thread that needs the interpreter meanwhile (after every socket read or
write) waits until the export thread is forced off it, up to the switch interval (5 ms) each
time, so one request can be held up for tens of milliseconds. A batch handed on as `Paced`
sleeps for a moment every few items: a waiting thread gets in at once, and keeps the
interpreter for what is left of its work instead of meeting the export thread again at its next
socket call. The items, their order and the exported data are the same, and so is the batch
size.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from time import sleep
from typing import Any, TypeVar

T = TypeVar("T")

# Items between pauses: about a fifth of a millisecond of scrubbing or encoding. The benchmark's
# "longest wait" column shows what a request sees.
EVERY = 32
# Long enough for a request let in to finish its work on the interpreter: a pause of no time at
# all handed it back and forth at every socket call, for more thread switches and a higher p99.
# With both passes over a batch paced, an export thread sends at most about 20,000 items a
# second; a full queue drops new items and says so (`_queue_drops.py`).
PAUSE_SECONDS = 0.0005


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
                sleep(PAUSE_SECONDS)  # releases the interpreter to whichever thread waits for it
            yield item
