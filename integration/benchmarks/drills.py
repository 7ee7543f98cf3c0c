"""Fault drills: connect-otel's Flask app under steady load while the endpoint misbehaves.

Per mode — healthy, refused, blackholed, slow (5 s), 500, 429 with Retry-After — it reports
p50/p99 latency as a ratio to the healthy run, resident memory after the load period (the
queues are bounded, so it must not climb), the graceful stop's duration under the fault, and
how many spans and log records never arrived. That export resumes once the endpoint recovers is
a test in `make test` (test_fault_drills.py).

    python integration/benchmarks/drills.py [--seconds 120]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

from connect_integration.receiver import Fault, Receiver
from connect_integration.scripts import clean_environ
from connect_integration.servers import Server, free_port, run_server

HERE = Path(__file__).parent
TOKEN = "drill-token"
MODES: tuple[Fault | None, ...] = (None, "refuse", "blackhole", "slow", "500", "429")

STEADY_LOAD = """
import http.client, json, sys, time
port, seconds = int(sys.argv[1]), float(sys.argv[2])
took, deadline, i = [], time.monotonic() + seconds, 0
while time.monotonic() < deadline:
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", f"/items/{i}")
    response = connection.getresponse(); response.read(); connection.close()
    assert response.status == 200, response.status
    took.append(time.perf_counter() - started); i += 1
    time.sleep(0.002)  # steady, not saturating
print(json.dumps(took))
"""


@dataclass
class Drill:
    mode: str
    requests: int
    p50_ms: float
    p99_ms: float
    rss_mb: float
    stop_seconds: float
    dropped_spans: int
    dropped_logs: int


def tree_rss_mb(pid: int) -> float:
    total, pids = 0, [pid]
    while pids:
        current = pids.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except FileNotFoundError:
            continue
        total += next(
            int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")
        )
        pids.extend(int(child) for child in children)
    return total / 1024


def drill(mode: Fault | None, seconds: float) -> Drill:
    with Receiver(token=TOKEN) as receiver:
        receiver.set_fault(mode, delay=5.0, retry_after=1)
        port = free_port()
        argv = [
            sys.executable, "-m", "gunicorn", "--workers", "1", "--no-control-socket",
            "--bind", f"127.0.0.1:{port}", "flask_bench:app",
        ]  # fmt: skip
        env = clean_environ(
            BENCH_SETUP="connect",
            PYTHONPATH=str(HERE),
            CONNECT_EXPORT_URL=receiver.url,
            CONNECT_EXPORT_TOKEN=TOKEN,
        )
        with run_server(argv, env, port, cwd=HERE, ready_path="/items/0") as server:
            took = steady_load(server, seconds)
            rss = tree_rss_mb(server.process.pid)
            started = time.monotonic()
            server.stop(timeout=60)  # while the endpoint still misbehaves
            stop_seconds = time.monotonic() - started
        sent = len(took) + 1
        spans = len([s for s in receiver.spans() if s.kind == "SERVER"])
        logs = len([log for log in receiver.logs() if "requested" in str(log.body)])
    took.sort()
    return Drill(
        mode=mode or "healthy",
        requests=sent,
        p50_ms=statistics.median(took) * 1e3,
        p99_ms=took[int(len(took) * 0.99) - 1] * 1e3,
        rss_mb=rss,
        stop_seconds=stop_seconds,
        dropped_spans=sent - spans,
        dropped_logs=sent - logs,
    )


def steady_load(server: Server, seconds: float) -> list[float]:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(STEADY_LOAD), str(server.port), str(seconds)],
        capture_output=True,
        text=True,
        timeout=seconds + 120,
        check=True,
    )
    took: list[float] = json.loads(result.stdout)
    return took


def report(drills: list[Drill]) -> str:
    healthy = drills[0]
    rows = [
        "| endpoint | requests | p50 ratio | p99 ratio | RSS MB | SIGTERM s | spans dropped "
        "| logs dropped |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for d in drills:
        rows.append(
            f"| {d.mode} | {d.requests} | {d.p50_ms / healthy.p50_ms:.2f} "
            f"| {d.p99_ms / healthy.p99_ms:.2f} | {d.rss_mb:.0f} | {d.stop_seconds:.1f} "
            f"| {d.dropped_spans} | {d.dropped_logs} |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=120.0, help="load per fault mode")
    args = parser.parse_args(argv)
    drills = []
    for mode in MODES:
        drills.append(drill(mode, args.seconds))
        print(f"drill {drills[-1].mode}: {drills[-1]}", flush=True)
    text = report(drills)
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "drills.md").write_text(text + "\n")
    print("\n" + text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
