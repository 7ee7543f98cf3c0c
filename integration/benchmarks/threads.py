"""CPU per Flask request on the request's thread and on every other thread (the export), for
bare Flask, the SDK by hand, the SDK's floor and connect-otel, each in its own process.

    .venv/bin/python integration/benchmarks/threads.py [--rounds 3] [--requests 3000]

No server: each process calls the benchmark's Flask app through WSGI itself, so what is left is
the app, the instrumentation and the export, without gunicorn's socket work. The process's CPU is
read once the export queues have drained; the request thread's is `time.thread_time()` around
the requests. Set-ups take turns each round, as in `bench.py`; medians over rounds. Needs the
bench dependency group (`make bench` installs it).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
SETUPS = {
    "bare": "bare Flask",
    "sdk": "OpenTelemetry SDK by hand",
    "floor": "SDK floor: span and log only",
    "connect": "connect-otel",
}
TOKEN = "bench-token"
WARMUP = 300
# Longer than the batch processors' 5 s schedule, so that every request's export is counted.
DRAIN_SECONDS = 6.5


def flask_request() -> Callable[[int], None]:
    """In a child whose BENCH_SETUP is chosen: one GET of the benchmark app's route, through
    WSGI, with its body read and closed as a server would."""
    sys.path.insert(0, str(HERE))
    from flask_bench import app

    environ = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "50000",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_USER_AGENT": "load/1",
        "HTTP_ACCEPT": "*/*",
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }

    def request(number: int) -> None:
        body = app(
            {**environ, "PATH_INFO": f"/items/{number}", "wsgi.input": io.BytesIO()},
            lambda status, headers, exc_info=None: None,
        )
        b"".join(body)
        getattr(body, "close", lambda: None)()

    return request


def measure_in_this_process(count: int) -> dict[str, float]:
    """Runs in the child: the app is imported with BENCH_SETUP already chosen."""
    request = flask_request()

    def process_cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    for number in range(WARMUP):
        request(number)
    time.sleep(DRAIN_SECONDS)
    started, thread_started = process_cpu(), time.thread_time()
    for number in range(count):
        request(number)
    thread_cpu = time.thread_time() - thread_started
    time.sleep(DRAIN_SECONDS)
    total = process_cpu() - started
    return {"request": thread_cpu / count * 1e6, "other": (total - thread_cpu) / count * 1e6}


def measure(setup: str, url: str, count: int, script: str = __file__) -> dict[str, float]:
    """Runs `script --child count` with BENCH_SETUP chosen; its last line is its JSON result."""
    env = {
        **os.environ,
        "BENCH_SETUP": setup,
        "BENCH_ENDPOINT": url,
        "BENCH_TOKEN": TOKEN,
        "CONNECT_EXPORT_URL": url,
        "CONNECT_EXPORT_TOKEN": TOKEN,
        "OTEL_EXPORTER_OTLP_ENDPOINT": url,
        "OTEL_EXPORTER_OTLP_HEADERS": f"Authorization=Bearer {TOKEN}",
    }
    result = subprocess.run(
        [sys.executable, script, "--child", str(count)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    measured: dict[str, float] = json.loads(result.stdout.splitlines()[-1])
    return measured


def measure_rounds(
    rounds: int, count: int, script: str = __file__
) -> dict[str, list[dict[str, float]]]:
    """Every set-up measured by `script` once a round, the set-ups taking turns."""
    from connect_testkit.receiver import Receiver

    samples: dict[str, list[dict[str, float]]] = {setup: [] for setup in SETUPS}
    # The receiver's own CPU is this process's, never the measured one's.
    with Receiver(token=TOKEN) as receiver:
        for round_number in range(rounds):
            for setup in SETUPS:
                sample = measure(setup, receiver.url, count, script)
                samples[setup].append(sample)
                print(f"round {round_number + 1}/{rounds} {setup}: {sample}", file=sys.stderr)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()
    print(table(measure_rounds(args.rounds, args.requests)))


def table(samples: dict[str, list[dict[str, Any]]]) -> str:
    def median(setup: str, part: str) -> float:
        return statistics.median(sample[part] for sample in samples[setup])

    bare = median("bare", "request")
    rows = [
        "| set-up | request thread µs | added on it µs | other threads µs | added in all µs |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for setup, label in SETUPS.items():
        request_us, other_us = median(setup, "request"), median(setup, "other")
        added = request_us + other_us - bare - median("bare", "other")
        rows.append(
            f"| {label} | {request_us:.0f} | {request_us - bare:.0f} | {other_us:.0f} "
            f"| {added:.0f} |"
        )
    return "\n".join(rows)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        print(json.dumps(measure_in_this_process(int(sys.argv[2]))))
    else:
        main()
