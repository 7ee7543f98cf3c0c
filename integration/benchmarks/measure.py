"""What the benchmark and the drills read off a server under load: its process tree's CPU and
memory from /proc, latency percentiles, the waits outside its full garbage collections, and what
reached its receiver."""

from __future__ import annotations

import os
import statistics
from collections.abc import Iterator
from pathlib import Path

from connect_testkit.receiver import Receiver

TICKS = os.sysconf("SC_CLK_TCK")


def process_tree(pid: int) -> Iterator[Path]:
    """/proc directories of a process and its descendants (gunicorn's master and worker)."""
    pids = [pid]
    while pids:
        current = pids.pop()
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except FileNotFoundError:
            continue
        yield Path(f"/proc/{current}")
        pids.extend(int(child) for child in children)


def tree_cpu_seconds(pid: int) -> float:
    """utime + stime of the whole tree: every thread, so background export counts."""
    total = 0.0
    for process in process_tree(pid):
        try:
            fields = (process / "stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / TICKS
    return total


def tree_rss_mb(pid: int) -> float:
    total_kb = 0
    for process in process_tree(pid):
        try:
            status = (process / "status").read_text()
        except FileNotFoundError:
            continue
        total_kb += next(
            int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")
        )
    return total_kb / 1024


def percentiles_ms(ordered: list[float]) -> tuple[float, float]:
    """p50 and p99 in milliseconds of sorted latencies in seconds."""
    return statistics.median(ordered) * 1e3, ordered[int(len(ordered) * 0.99) - 1] * 1e3


def arrived(receiver: Receiver) -> tuple[int, int]:
    """The request spans and the app's "item N requested" log records that reached `receiver`."""
    spans = len([s for s in receiver.spans() if s.kind == "SERVER"])
    logs = len([log for log in receiver.logs() if "requested" in str(log.body)])
    return spans, logs


def full_collections(log: Path) -> list[tuple[float, float]]:
    """The server's full garbage collections (`collections_log`), each as (start, end)."""
    if not log.exists():
        return []
    pairs = (line.split() for line in log.read_text().splitlines())
    return [(float(start), float(end)) for start, end in pairs]


def outside_collections(
    sent_at: list[float], took: list[float], collections: list[tuple[float, float]]
) -> tuple[float, int]:
    """The slowest request's seconds once the full collections inside it are taken out, and
    how many collections fell among the measured requests."""
    longest = 0.0
    for sent, seconds in zip(sent_at, took, strict=True):
        inside = sum(
            max(0.0, min(end, sent + seconds) - max(start, sent)) for start, end in collections
        )
        longest = max(longest, seconds - inside)
    first, last = sent_at[0], sent_at[-1] + took[-1]
    return longest, sum(1 for start, end in collections if end > first and start < last)
