"""Pacing the export thread, so that a request never waits long for the interpreter.

Scrubbing and encoding a batch of 512 spans is tens of milliseconds of Python on the export
thread. A request thread that needs the interpreter meanwhile (after every socket read or
write) waits until the export thread is forced off it, up to the switch interval (5 ms) each
time, so one request can be held up for tens of milliseconds. A batch handed on as `Paced`
sleeps for a moment every few items: a waiting thread gets in at once, and keeps the
interpreter for what is left of its work instead of meeting the export thread again at its next
socket call. The items, their order and the exported data are the same, and so is the batch
size.

A pause no other thread used is a system call and a cooling of the export thread's caches for
nothing: after one, the next pause point is passed by (`PASSED_AFTER_UNUSED`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from time import process_time, sleep, thread_time
from typing import Any, TypeVar

T = TypeVar("T")

# Items between pauses: about a fifth of a millisecond of scrubbing or encoding. The benchmark's
# "longest wait" column shows what a request sees.
EVERY = 32
# Long enough for a request let in to finish its work on the interpreter: a pause of no time at
# all handed it back and forth at every socket call, for more thread switches and a higher p99.
# With both passes over a batch paced, an export thread sends at most about 20,000 items a
# second while other threads keep using its pauses; a full queue drops new items and says so
# (`_queue_drops.py`).
PAUSE_SECONDS = 0.0005
# Pause points passed by after a pause that no other thread used: at most 64 items between
# pauses while the rest of the process is idle. Passing three by saved Flask a little more CPU
# but raised FastAPI's p99 (benchmark README, "A paced export thread").
PASSED_AFTER_UNUSED = 1
# Less CPU than this taken by the process's other threads during a pause: nobody used it.
USED_SECONDS = 0.00002


class Paced(Sequence[T]):
    """A batch whose iteration pauses every `EVERY` items to let other threads run."""

    def __init__(self, items: Sequence[T]) -> None:
        self._items = items

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: Any) -> Any:
        return self._items[index]

    def __iter__(self) -> Iterator[T]:
        to_pass = 0
        for index, item in enumerate(self._items):
            if index and index % EVERY == 0:
                if to_pass:
                    to_pass -= 1
                elif not pause_was_used():
                    to_pass = PASSED_AFTER_UNUSED
            yield item


def pause_was_used() -> bool:
    """Pauses, releasing the interpreter to whichever thread waits for it; True when another
    thread of the process ran meanwhile."""
    process, thread = process_time(), thread_time()
    sleep(PAUSE_SECONDS)
    return (process_time() - process) - (thread_time() - thread) >= USED_SECONDS
