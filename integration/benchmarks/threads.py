"""CPU per request on the request's thread and on every other thread (the export), for each
set-up of the Flask or the FastAPI family, each in its own process.

    .venv/bin/python integration/benchmarks/threads.py [--family flask|fastapi] [--cold]
        [--rounds 3] [--requests 3000]

No server: each process calls the benchmark's app itself (Flask through WSGI, FastAPI through
ASGI on one event loop), so what is left is the app, the instrumentation and the export,
without the server's socket work. The process's CPU is read once the export queues have
drained; the request thread's is `time.thread_time()` around each request. Set-ups take turns
each round, as in `bench.py`; medians over rounds. Needs the bench dependency group (`make
bench` installs it).

With `--cold`, the request thread writes over a buffer larger than a core's caches before each
request, outside the time counted: a server's own work between requests leaves the next
request's code and data out of the caches, and a tight loop would not.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
SETUPS = {
    "bare": "bare Flask",
    "sdk": "OpenTelemetry SDK by hand",
    "floor": "SDK floor: span and log only",
    "connect": "connect-otel",
}
FASTAPI_SETUPS = {
    "bare": "bare FastAPI",
    "sdk": "OpenTelemetry SDK by hand",
    "connect": "connect-otel",
}
TOKEN = "bench-token"
WARMUP = 300
# Longer than the batch processors' 5 s schedule, so that every request's export is counted.
DRAIN_SECONDS = 6.5
# Four times a core's L2 cache on the machines the published runs come from.
COLD_BYTES = 16 * 1024 * 1024


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


def fastapi_request() -> Callable[[int], None]:
    """In a child whose BENCH_SETUP is chosen: one GET of the benchmark app's route, through
    ASGI, with the headers the load generator sends; every request on the same event loop."""
    sys.path.insert(0, str(HERE))
    from fastapi_bench import app

    loop = asyncio.new_event_loop()

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        pass

    def request(number: int) -> None:
        path = f"/items/{number}"
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"127.0.0.1:8000"), (b"accept-encoding", b"identity")],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
            "state": {},
        }
        loop.run_until_complete(app(scope, receive, send))

    return request


FAMILIES = {"flask": (SETUPS, flask_request), "fastapi": (FASTAPI_SETUPS, fastapi_request)}


def measure_in_this_process(count: int, family: str, cold: bool) -> dict[str, float]:
    """Runs in the child: the app is imported with BENCH_SETUP already chosen."""
    request = FAMILIES[family][1]()
    buffer = bytearray(COLD_BYTES)
    filler = b"\x01" * (COLD_BYTES // 64)

    def process_cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    for number in range(WARMUP):
        request(number)
    time.sleep(DRAIN_SECONDS)
    started, thread_started = process_cpu(), time.thread_time()
    request_cpu = 0.0
    for number in range(count):
        if cold:
            buffer[::64] = filler  # one write in every cache line
        request_started = time.thread_time()
        request(number)
        request_cpu += time.thread_time() - request_started
    thread_cpu = time.thread_time() - thread_started
    time.sleep(DRAIN_SECONDS)
    total = process_cpu() - started
    return {"request": request_cpu / count * 1e6, "other": (total - thread_cpu) / count * 1e6}


def measure(
    setup: str, url: str, count: int, script: str = __file__, child_args: Sequence[str] = ()
) -> dict[str, float]:
    """Runs `script --child count [child_args]` with BENCH_SETUP chosen; its last line is its
    JSON result."""
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
        [sys.executable, script, "--child", str(count), *child_args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    measured: dict[str, float] = json.loads(result.stdout.splitlines()[-1])
    return measured


def measure_rounds(
    rounds: int,
    count: int,
    script: str = __file__,
    setups: Sequence[str] = tuple(SETUPS),
    child_args: Sequence[str] = (),
) -> dict[str, list[dict[str, float]]]:
    """Every set-up measured by `script` once a round, the set-ups taking turns."""
    from connect_testkit.receiver import Receiver

    samples: dict[str, list[dict[str, float]]] = {setup: [] for setup in setups}
    # The receiver's own CPU is this process's, never the measured one's.
    with Receiver(token=TOKEN) as receiver:
        for round_number in range(rounds):
            for setup in setups:
                sample = measure(setup, receiver.url, count, script, child_args)
                samples[setup].append(sample)
                print(f"round {round_number + 1}/{rounds} {setup}: {sample}", file=sys.stderr)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--family", choices=sorted(FAMILIES), default="flask")
    parser.add_argument("--cold", action="store_true", help="caches emptied before each request")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()
    labels = FAMILIES[args.family][0]
    child_args = [args.family, *(["--cold"] if args.cold else [])]
    samples = measure_rounds(args.rounds, args.requests, __file__, tuple(labels), child_args)
    print(table(samples, labels))


def table(samples: dict[str, list[dict[str, Any]]], labels: dict[str, str] = SETUPS) -> str:
    def median(setup: str, part: str) -> float:
        return statistics.median(sample[part] for sample in samples[setup])

    bare = median("bare", "request")
    rows = [
        "| set-up | request thread µs | added on it µs | other threads µs | added in all µs |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for setup, label in labels.items():
        request_us, other_us = median(setup, "request"), median(setup, "other")
        added = request_us + other_us - bare - median("bare", "other") if setup != "bare" else 0
        rows.append(
            f"| {label} | {request_us:.0f} | {request_us - bare:.0f} | {other_us:.0f} "
            f"| {added:.0f} |"
        )
    return "\n".join(rows)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        family, cold = sys.argv[3], sys.argv[4:5] == ["--cold"]
        print(json.dumps(measure_in_this_process(int(sys.argv[2]), family, cold)))
    else:
        main()
