"""Fault drills: connect-otel's Flask app under steady load while the endpoint misbehaves.

Each fault mode — refused, blackholed, slow (5 s), 500, 429 with Retry-After — gets a server
exporting to a receiver that plays it, and a healthy twin beside it, served at the same time
while one load process sends the two small blocks of requests in turn: the machine's speed
drifts from one minute to the next, and interleaved, both see the same machine. Per mode it
reports p50/p99 latency as a ratio to its healthy twin's, resident memory after the load period
(the queues are bounded, so it must not climb), the graceful stop's duration under the fault,
and how many spans and log records never arrived. That export resumes once the endpoint
recovers is a test in `make test` (test_fault_drills.py).

    python integration/benchmarks/drills.py [--seconds 120]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from measure import arrived, percentiles_ms, tree_rss_mb
from report import RESULTS, drills_table

from connect_testkit.ports import free_port
from connect_testkit.receiver import Fault, Receiver
from connect_testkit.scripts import clean_environ
from connect_testkit.servers import Server, gunicorn, run_server

HERE = Path(__file__).parent
TOKEN = "drill-token"
FAULTS: tuple[Fault, ...] = ("refuse", "blackhole", "slow", "500", "429")
WARMUP = 50


@dataclass
class Drill:
    mode: str
    requests: int
    p50_ms: float
    p99_ms: float
    p50_ratio: float  # to the healthy twin's
    p99_ratio: float
    rss_mb: float
    stop_seconds: float
    dropped_spans: int
    dropped_logs: int


def drill(fault: Fault, seconds: float) -> tuple[Drill, Drill]:
    """The fault's drill and its healthy twin's."""
    modes = (fault, None)
    with ExitStack() as stack:
        receivers = [stack.enter_context(Receiver(token=TOKEN)) for _ in modes]
        servers = []
        for mode, receiver in zip(modes, receivers, strict=True):
            receiver.set_fault(mode, delay=5.0, retry_after=1)
            port = free_port()
            env = clean_environ(
                BENCH_SETUP="connect",
                PYTHONPATH=str(HERE),
                CONNECT_EXPORT_URL=receiver.url,
                CONNECT_EXPORT_TOKEN=TOKEN,
            )
            argv = gunicorn("flask_bench:app", port)
            serving = run_server(argv, env, port, cwd=HERE, ready_path="/items/0")
            servers.append(stack.enter_context(serving))
        took = steady_load(servers, seconds)
        rss = [tree_rss_mb(server.process.pid) for server in servers]
        stop_seconds = []
        for server in servers:  # while the endpoint still misbehaves
            started = time.monotonic()
            server.stop(timeout=60)
            stop_seconds.append(time.monotonic() - started)
    healthy_p50, healthy_p99 = percentiles_ms(sorted(took[1]))
    results = []
    for mode, receiver, times, memory, stopping in zip(
        modes, receivers, took, rss, stop_seconds, strict=True
    ):
        sent = WARMUP + len(times) + 1  # and the readiness probe
        spans, logs = arrived(receiver)
        p50, p99 = percentiles_ms(sorted(times))
        results.append(
            Drill(
                mode=mode or f"healthy, beside {fault}",
                requests=sent,
                p50_ms=p50,
                p99_ms=p99,
                p50_ratio=p50 / healthy_p50,
                p99_ratio=p99 / healthy_p99,
                rss_mb=memory,
                stop_seconds=stopping,
                dropped_spans=sent - spans,
                dropped_logs=sent - logs,
            )
        )
    return results[0], results[1]


def steady_load(servers: list[Server], seconds: float) -> list[list[float]]:
    """Steady, not saturating: a short pause between requests."""
    argv = [
        sys.executable, str(HERE / "load.py"), "--seconds", str(seconds), "--block", "20",
        "--warmup", str(WARMUP), "--pause", "0.002", *(str(server.port) for server in servers),
    ]  # fmt: skip
    result = subprocess.run(
        argv, input="\n", capture_output=True, text=True, timeout=seconds + 300, check=True
    )
    took: list[list[float]] = json.loads(result.stdout.splitlines()[-1])
    return took


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=120.0, help="of load per fault mode")
    args = parser.parse_args(argv)
    results: list[Drill] = []
    for fault in FAULTS:
        results.extend(drill(fault, args.seconds))
        print(f"drill {fault}: {results[-2]}\n  its healthy twin: {results[-1]}", flush=True)
    RESULTS.mkdir(exist_ok=True)
    data = {"seconds": args.seconds, "drills": [dataclasses.asdict(d) for d in results]}
    (RESULTS / "drills.json").write_text(json.dumps(data, indent=1) + "\n")
    print("\n" + drills_table(data))
    print(f"\nwritten: {RESULTS / 'drills.json'}; report.py --publish puts it in the README")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
