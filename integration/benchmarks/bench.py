"""What Connect costs a request, beside the alternatives, measured in one run on one machine.

Each set-up of a family serves the same app (Flask under gunicorn with one sync worker, FastAPI
under uvicorn, Plain under its own server) exporting to its own local receiver. All set-ups of
a family run at once, and a separate load process sends each a warm-up, then its requests in
turn, a small block at a time, each on a fresh connection: the machine's speed drifts from one
minute to the next, and interleaving this finely makes every set-up see the same machine.
Server CPU is read from /proc for the whole process tree (all threads, so background export
counts) once the export queues have drained. The receivers decode what arrived after the round:
a real ingest endpoint decodes on another machine, not beside the servers being measured. Each
round starts fresh servers. Every sample goes to results/results.json; report.py turns that
file into the tables, the verdicts against the targets and the chart.

    python integration/benchmarks/bench.py [--rounds 5] [--requests 2000] [--block 50] [--publish]
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from measure import (
    arrived,
    full_collections,
    outside_collections,
    percentiles_ms,
    tree_cpu_seconds,
)
from report import RESULTS, Sample, publish, write_report

from connect_integration.python313 import ENVIRONMENT_PYTHON as PLAIN_PYTHON
from connect_testkit.ports import free_port
from connect_testkit.receiver import Receiver
from connect_testkit.scripts import clean_environ
from connect_testkit.servers import Server, gunicorn, plain_server, run_server, uvicorn

HERE = Path(__file__).parent
# plain.connect 0.5.0, the reference, installed aside by integration/bin/bench.
REFERENCE = HERE.parents[1] / ".runtime" / "plain-connect-0.5.0"
# The reference's apps import it, and `collections_log` from HERE.
REFERENCE_PYTHONPATH = os.pathsep.join([str(REFERENCE), str(HERE)])
FAMILIES = ("flask", "fastapi", "plain", "batch")
# The export batch sizes the "batch" family compares, connect-otel on Flask.
BATCH_SIZES = (512, 128, 64, 32)


@dataclass(frozen=True)
class Setup:
    key: str
    label: str
    family: str  # the family's first set-up is its bare baseline
    # The app's set-up (BENCH_SETUP), when it is another set-up's with settings.
    base: str = ""
    settings: tuple[tuple[str, str], ...] = ()

    @property
    def mode(self) -> str:
        """The app's BENCH_SETUP."""
        return self.base or self.key.removeprefix(f"{self.family}-")

    def argv(self, port: int) -> list[str]:
        if self.family == "plain":
            return plain_server(port, python=str(PLAIN_PYTHON))
        if self.family == "fastapi":
            return uvicorn("fastapi_bench:app", port)
        return gunicorn("flask_bench:app", port)

    @property
    def cwd(self) -> Path:
        return HERE / "plain_bench" if self.family == "plain" else HERE

    def environ(self, receiver: Receiver) -> dict[str, str]:
        env = clean_environ(
            BENCH_SETUP=self.mode,
            BENCH_ENDPOINT=receiver.url,
            BENCH_TOKEN=TOKEN,
            PYTHONPATH=REFERENCE_PYTHONPATH if self.mode == "reference" else str(HERE),
            OTEL_EXPORTER_OTLP_ENDPOINT=receiver.url,
            OTEL_EXPORTER_OTLP_HEADERS=f"Authorization=Bearer {TOKEN}",
        )
        if self.mode in ("connect", "reference"):
            env.update(PLAIN_CONNECT_EXPORT_URL=receiver.url, PLAIN_CONNECT_EXPORT_TOKEN=TOKEN)
        env.update(self.settings)
        return env


def _batch_setup(size: int) -> Setup:
    return Setup(
        f"batch-{size}",
        f"connect-otel, batches of {size}",
        "batch",
        base="connect",
        settings=(
            ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", str(size)),
            ("OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", str(size)),
        ),
    )


SETUPS = (
    Setup("bare", "bare Flask", "flask"),
    Setup("sdk", "OpenTelemetry SDK by hand", "flask"),
    Setup("logfire", "Logfire", "flask"),
    Setup("connect", "connect-otel", "flask"),
    Setup(
        "connect-unscrubbed",
        "connect-otel, no scrubbing",
        "flask",
        base="connect",
        settings=(("CONNECT_SCRUB", "false"),),
    ),
    Setup(
        "connect-no-libraries",
        "connect-otel, no library instrumented",
        "flask",
        base="connect",
        settings=(("CONNECT_INSTRUMENT", "none"),),
    ),
    Setup("floor", "SDK floor: span and log only", "flask"),
    Setup("fastapi-bare", "bare FastAPI", "fastapi"),
    Setup("fastapi-sdk", "OpenTelemetry SDK by hand", "fastapi"),
    Setup("fastapi-logfire", "Logfire", "fastapi"),
    Setup("fastapi-connect", "connect-otel", "fastapi"),
    Setup("plain-bare", "bare Plain", "plain"),
    Setup("plain-reference", "plain.connect 0.5.0", "plain"),
    Setup("plain-connect", "connect_otel.plain", "plain"),
    Setup("batch-bare", "bare Flask", "batch", base="bare"),
    *(_batch_setup(size) for size in BATCH_SIZES),
)
TOKEN = "bench-token"
# Long enough for every batch processor (5 s schedule by default) to have exported.
DRAIN_SECONDS = 6.5


def measure_round(setups: list[Setup], warmup: int, count: int, block: int) -> dict[str, Sample]:
    """Serves every set-up at once and sends each its requests in turn, `block` at a time.

    The host's speed drifts from one minute to the next; with the set-ups' requests
    interleaved at a fraction of a second, each set-up sees the same machine.
    """
    with ExitStack() as stack:
        logs_dir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        receivers = [
            stack.enter_context(Receiver(token=TOKEN, decode_when_read=True)) for _ in setups
        ]
        servers = []
        for setup, receiver in zip(setups, receivers, strict=True):
            port = free_port()
            argv, environ = setup.argv(port), setup.environ(receiver)
            environ["BENCH_COLLECTIONS_LOG"] = str(logs_dir / f"{setup.key}.log")
            serving = run_server(argv, environ, port, cwd=setup.cwd, ready_path="/items/0")
            servers.append(stack.enter_context(serving))
        took, sent_at, cpu = load(servers, warmup, count, block)
        for server in servers:
            server.stop()
        collections = [full_collections(logs_dir / f"{setup.key}.log") for setup in setups]
    samples = {}
    for setup, receiver, times, stamps, seconds, collected in zip(
        setups, receivers, took, sent_at, cpu, collections, strict=True
    ):
        ordered = sorted(times)
        p50, p99 = percentiles_ms(ordered)
        spans, logs = arrived(receiver)
        longest_outside, inside_rounds = outside_collections(stamps, times, collected)
        samples[setup.key] = Sample(
            cpu_us=seconds / count * 1e6,
            median_ms=p50,
            p99_ms=p99,
            max_ms=ordered[-1] * 1e3,
            requests=warmup + count + 1,  # and the readiness probe
            spans=spans,
            logs=logs,
            max_outside_collections_ms=longest_outside * 1e3,
            full_collections=inside_rounds,
        )
    return samples


def load(
    servers: list[Server], warmup: int, count: int, block: int
) -> tuple[list[list[float]], list[list[float]], list[float]]:
    """Each server's request times and send stamps (`load.py`), and its CPU seconds."""
    argv = [
        sys.executable, str(HERE / "load.py"), "--count", str(count), "--block", str(block),
        "--warmup", str(warmup), "--stamps", *(str(server.port) for server in servers),
    ]  # fmt: skip
    client = subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert client.stdin is not None and client.stdout is not None
    assert client.stdout.readline().strip() == "WARM"
    time.sleep(DRAIN_SECONDS)  # the warm-up's exports are not part of the measurement
    before = [tree_cpu_seconds(server.process.pid) for server in servers]
    client.stdin.write("\n")
    client.stdin.flush()
    took: list[list[float]] = json.loads(client.stdout.readline())
    sent_at: list[list[float]] = json.loads(client.stdout.readline())
    client.wait(30)
    time.sleep(DRAIN_SECONDS)  # the measured requests' exports are
    after = [tree_cpu_seconds(server.process.pid) for server in servers]
    return took, sent_at, [end - start for start, end in zip(before, after, strict=True)]


def bundle_size() -> dict[str, int]:
    bundle = (
        HERE.parents[1]
        / "packages/connect-pageviews/src/connect_pageviews/static/connect_pageviews/pageviews.js"
    ).read_bytes()
    return {"raw": len(bundle), "gzip": len(gzip.compress(bundle, 9))}


def tag_render_us(rounds: int) -> dict[str, float]:
    """Both tags through Plain's Jinja environment with a signed-in user, interleaved."""
    took: dict[str, list[float]] = {"pageviews": [], "reference": []}
    for _ in range(rounds):
        for key in took:
            # HERE gives the app `collections_log`.
            environ = clean_environ(BENCH_SETUP=key, PYTHONPATH=str(HERE))
            if key == "reference":
                environ["PYTHONPATH"] = REFERENCE_PYTHONPATH
            out = subprocess.run(
                [str(PLAIN_PYTHON), "tag_render.py", "5000"],
                cwd=HERE / "plain_bench", env=environ, check=True, capture_output=True, text=True,
            )  # fmt: skip
            took[key].append(float(out.stdout))
    return {key: statistics.median(values) for key, values in took.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--block", type=int, default=50, help="requests per set-up in turn")
    parser.add_argument("--family", action="append", choices=FAMILIES, help="only these")
    parser.add_argument(
        "--publish", action="store_true", help="then regenerate the READMEs' tables (report.py)"
    )
    args = parser.parse_args(argv)
    families = args.family or list(FAMILIES)
    measured = [s for s in SETUPS if s.family in families]
    samples: dict[str, list[Sample]] = {s.key: [] for s in measured}
    for round_number in range(1, args.rounds + 1):
        for family in families:
            setups = [s for s in measured if s.family == family]
            for setup, sample in measure_round(
                setups, args.warmup, args.requests, args.block
            ).items():
                samples[setup].append(sample)
                print(f"round {round_number}/{args.rounds} {setup:<24} {sample}", flush=True)
    results = {
        "rounds": args.rounds,
        "requests": args.requests,
        "setups": [
            {"key": s.key, "label": s.label, "family": s.family, "settings": dict(s.settings)}
            for s in measured
        ],
        "samples": {
            key: [dataclasses.asdict(s) for s in values] for key, values in samples.items()
        },
        "bundle_bytes": bundle_size(),
        "tag_render_us": tag_render_us(args.rounds),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    print(write_report(RESULTS / "results.json"))
    if args.publish:
        print(publish())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
