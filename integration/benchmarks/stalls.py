"""How long a Flask request is held up behind the export thread, and behind a full garbage
collection, for bare Flask, the SDK by hand, the SDK's floor and connect-otel, each in its own
process.

    .venv/bin/python integration/benchmarks/stalls.py [--rounds 3] [--requests 4000]

The benchmark's "longest wait" (the slowest request less the median one, under a real server
and a load generator) cannot say why a request waited: bare Flask shows waits as long as any
set-up's. Here each process calls the app through WSGI itself (`threads.py`), pausing 0.3 ms
before each request as a worker does on its socket, so that the export threads run in the
gaps and a request needs the interpreter back from them, as under a server. The time the
garbage collector ran inside each request is measured and taken out: what is left is the wait
behind other threads (the export) and the machine. Set-ups take turns each round; medians over
rounds. Needs the bench dependency group (`make bench` installs it).
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from typing import Any

from threads import SETUPS, WARMUP, flask_request, measure_rounds

# A worker between two requests: long enough for a waiting export thread to take the
# interpreter, short enough that a run crosses several export batches.
BETWEEN_REQUESTS_SECONDS = 0.0003


class CollectorClock:
    """The garbage collector's time, in all and in full collections, from its callbacks."""

    def __init__(self) -> None:
        self.spent = 0.0
        self.full_collections = 0
        self.longest_full = 0.0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        took = time.perf_counter() - self._started
        self.spent += took
        if info["generation"] == 2:
            self.full_collections += 1
            self.longest_full = max(self.longest_full, took)


def measure_in_this_process(count: int) -> dict[str, float]:
    """Runs in the child: the app is imported with BENCH_SETUP already chosen."""
    request = flask_request()
    for number in range(WARMUP):
        request(number)
    time.sleep(1)  # the first exports, and their connections, happen before measuring
    clock = CollectorClock()
    gc.callbacks.append(clock)
    took: list[float] = []
    without_collector: list[float] = []
    for number in range(count):
        started, collected = time.perf_counter(), clock.spent
        time.sleep(BETWEEN_REQUESTS_SECONDS)
        request(number)
        took.append(time.perf_counter() - started)
        without_collector.append(took[-1] - (clock.spent - collected))
    gc.callbacks.remove(clock)
    median = statistics.median(took)
    return {
        "median_ms": median * 1e3,
        "longest_wait_ms": (max(took) - median) * 1e3,
        "longest_wait_without_collector_ms": (max(without_collector) - median) * 1e3,
        "full_collections": clock.full_collections,
        "longest_full_collection_ms": clock.longest_full * 1e3,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=4000)
    args = parser.parse_args()
    print(table(measure_rounds(args.rounds, args.requests, __file__), args.requests))


def table(samples: dict[str, list[dict[str, float]]], requests: int) -> str:
    def median(setup: str, part: str) -> float:
        return statistics.median(sample[part] for sample in samples[setup])

    rows = [
        "| set-up | longest wait ms | without the collector ms | full collections "
        f"in {requests:,} requests | longest full collection ms |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for setup, label in SETUPS.items():
        rows.append(
            f"| {label} | {median(setup, 'longest_wait_ms'):.1f} "
            f"| {median(setup, 'longest_wait_without_collector_ms'):.1f} "
            f"| {median(setup, 'full_collections'):.0f} "
            f"| {median(setup, 'longest_full_collection_ms'):.1f} |"
        )
    return "\n".join(rows)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        print(json.dumps(measure_in_this_process(int(sys.argv[2]))))
    else:
        main()
