"""What Connect costs a request, beside the alternatives, measured in one run on one machine.

Each set-up serves the same Flask app under gunicorn (one sync worker) exporting to its own
local receiver. All set-ups of a family run at once, and a separate load process sends each a
warm-up, then its requests in turn, a small block at a time, each on a fresh connection
(gunicorn's sync worker does not keep connections alive): the machine's speed drifts from one
minute to the next, and interleaving this finely makes every set-up see the same machine.
Server CPU is read from /proc for the whole process tree (all threads, so background export
counts) once the export queues have drained. Each round starts fresh servers; the report gives
medians over rounds and each round's ratio of added CPU.

    python integration/benchmarks/bench.py [--rounds 3] [--requests 2000] [--block 50]
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from measure import arrived, flask_server_argv, percentiles_ms, tree_cpu_seconds

from connect_integration.python313 import ENVIRONMENT_PYTHON as PLAIN_PYTHON
from connect_testkit.ports import free_port
from connect_testkit.receiver import Receiver
from connect_testkit.scripts import clean_environ
from connect_testkit.servers import Server, plain_server, run_server

HERE = Path(__file__).parent
RESULTS = HERE / "results"
# plain.connect 0.5.0, the reference, installed aside by integration/bin/bench.
REFERENCE = HERE.parents[1] / ".runtime" / "plain-connect-0.5.0"


@dataclass(frozen=True)
class Setup:
    key: str
    label: str
    family: str  # the bare set-up of the same family is its baseline
    # The app's set-up (flask_bench.py / plain_bench), when it is another set-up's with settings.
    base: str = ""
    settings: tuple[tuple[str, str], ...] = ()

    def argv(self, port: int) -> list[str]:
        if self.family == "plain":
            return plain_server(port, python=str(PLAIN_PYTHON))
        return flask_server_argv(port)

    @property
    def cwd(self) -> Path:
        return HERE / "plain_bench" if self.family == "plain" else HERE

    def environ(self, receiver: Receiver) -> dict[str, str]:
        mode = (self.base or self.key).removeprefix("plain-")
        env = clean_environ(
            BENCH_SETUP=mode,
            BENCH_ENDPOINT=receiver.url,
            BENCH_TOKEN=TOKEN,
            PYTHONPATH=str(REFERENCE if mode == "reference" else HERE),
            OTEL_EXPORTER_OTLP_ENDPOINT=receiver.url,
            OTEL_EXPORTER_OTLP_HEADERS=f"Authorization=Bearer {TOKEN}",
        )
        if mode in ("connect", "reference"):
            env.update(PLAIN_CONNECT_EXPORT_URL=receiver.url, PLAIN_CONNECT_EXPORT_TOKEN=TOKEN)
        env.update(self.settings)
        return env


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
    Setup("plain-bare", "bare Plain", "plain"),
    Setup("plain-reference", "plain.connect 0.5.0", "plain"),
    Setup("plain-connect", "connect_otel.plain", "plain"),
)
TOKEN = "bench-token"
# Long enough for every batch processor (5 s schedule by default) to have exported.
DRAIN_SECONDS = 6.5


@dataclass
class Sample:
    cpu_us: float
    median_ms: float
    p99_ms: float
    requests: int
    spans: int
    logs: int


@dataclass
class Results:
    samples: dict[str, list[Sample]] = field(default_factory=lambda: {s.key: [] for s in SETUPS})

    def median(self, setup: str, attribute: str) -> float:
        values: list[float] = [getattr(s, attribute) for s in self.samples[setup]]
        return statistics.median(values)

    def added_ratios(self, setup: str, against: str, bare: str) -> list[float]:
        """Each round's added CPU of `setup` as a fraction of `against`'s, over its bare."""
        return [
            (mine.cpu_us - base.cpu_us) / (theirs.cpu_us - base.cpu_us)
            for mine, theirs, base in zip(
                self.samples[setup], self.samples[against], self.samples[bare], strict=True
            )
        ]


def measure_round(setups: list[Setup], warmup: int, count: int, block: int) -> dict[str, Sample]:
    """Serves every set-up at once and sends each its requests in turn, `block` at a time.

    The host's speed drifts from one minute to the next; with the set-ups' requests
    interleaved at a fraction of a second, each set-up sees the same machine.
    """
    with ExitStack() as stack:
        receivers = [stack.enter_context(Receiver(token=TOKEN)) for _ in setups]
        servers = []
        for setup, receiver in zip(setups, receivers, strict=True):
            port = free_port()
            argv, environ = setup.argv(port), setup.environ(receiver)
            serving = run_server(argv, environ, port, cwd=setup.cwd, ready_path="/items/0")
            servers.append(stack.enter_context(serving))
        took, cpu = load(servers, warmup, count, block)
        for server in servers:
            server.stop()
    samples = {}
    for setup, receiver, times, seconds in zip(setups, receivers, took, cpu, strict=True):
        p50, p99 = percentiles_ms(sorted(times))
        spans, logs = arrived(receiver)
        samples[setup.key] = Sample(
            cpu_us=seconds / count * 1e6,
            median_ms=p50,
            p99_ms=p99,
            requests=warmup + count + 1,  # and the readiness probe
            spans=spans,
            logs=logs,
        )
    return samples


def load(
    servers: list[Server], warmup: int, count: int, block: int
) -> tuple[list[list[float]], list[float]]:
    argv = [
        sys.executable, str(HERE / "load.py"), "--count", str(count), "--block", str(block),
        "--warmup", str(warmup), *(str(server.port) for server in servers),
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
    client.wait(30)
    time.sleep(DRAIN_SECONDS)  # the measured requests' exports are
    after = [tree_cpu_seconds(server.process.pid) for server in servers]
    return took, [end - start for start, end in zip(before, after, strict=True)]


def table(results: Results, family: str) -> str:
    setups = [s for s in SETUPS if s.family == family and results.samples[s.key]]
    bare = setups[0].key
    bare_cpu = results.median(bare, "cpu_us")
    bare_p50 = results.median(bare, "median_ms")
    bare_p99 = results.median(bare, "p99_ms")
    rows = [
        "| set-up | CPU µs/request | added CPU µs | median ms | p99 ms | p50 ratio | p99 ratio "
        "| spans / requests | logs / requests |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for setup in setups:
        last = results.samples[setup.key][-1]
        cpu = results.median(setup.key, "cpu_us")
        rows.append(
            f"| {setup.label} | {cpu:.0f} | {cpu - bare_cpu:.0f} "
            f"| {results.median(setup.key, 'median_ms'):.2f} "
            f"| {results.median(setup.key, 'p99_ms'):.2f} "
            f"| {results.median(setup.key, 'median_ms') / bare_p50:.2f} "
            f"| {results.median(setup.key, 'p99_ms') / bare_p99:.2f} "
            f"| {last.spans} / {last.requests} | {last.logs} / {last.requests} |"
        )
    if family == "flask":
        ratios = results.added_ratios("connect", "sdk", "bare")
        verdict = (
            f"connect-otel's added CPU is {statistics.median(ratios):.0%} of the hand-configured "
            f"SDK's (median of rounds; rounds {min(ratios):.0%} to {max(ratios):.0%}; "
            "target: at most 60%)."
        )
        if results.samples["floor"]:
            floor = statistics.median(results.added_ratios("floor", "sdk", "bare"))
            verdict += f" The SDK's floor (span and log only, no metrics) is {floor:.0%} of it."
        if results.samples["connect-unscrubbed"]:
            scrubbing = results.median("connect", "cpu_us") - results.median(
                "connect-unscrubbed", "cpu_us"
            )
            verdict += f" Scrubbing costs {scrubbing:.0f} µs of CPU a request, off its thread."
        if results.samples["connect-no-libraries"]:
            libraries = results.median("connect", "cpu_us") - results.median(
                "connect-no-libraries", "cpu_us"
            )
            verdict += (
                f" Every installed library instrumented but unused (requests, httpx, urllib3,"
                f" urllib, Celery, Redis, the database drivers) costs {libraries:.0f} µs a request."
            )
    else:
        ratios = results.added_ratios("plain-connect", "plain-reference", "plain-bare")
        verdict = (
            f"connect_otel.plain's added CPU is {statistics.median(ratios):.0%} of "
            f"plain.connect 0.5.0's (median of rounds; rounds {min(ratios):.0%} to "
            f"{max(ratios):.0%}; target: below 100%)."
        )
    return "\n".join([*rows, "", verdict])


def bundle_sizes() -> str:
    bundle = (
        HERE.parents[1]
        / "packages/connect-pageviews/src/connect_pageviews/static/connect_pageviews/pageviews.js"
    ).read_bytes()
    return (
        f"Beacon bundle: {len(bundle)} bytes raw, {len(gzip.compress(bundle, 9))} bytes gzip -9 "
        "(plain.connect 0.5.0's script: 2,087 raw, 896 gzipped)."
    )


def tag_render_time(rounds: int) -> str:
    """Both tags through Plain's Jinja environment with a signed-in user, interleaved."""
    setups = {"pageviews": "connect-pageviews", "reference": "plain.connect 0.5.0"}
    took: dict[str, list[float]] = {key: [] for key in setups}
    for _ in range(rounds):
        for key in setups:
            environ = clean_environ(BENCH_SETUP=key)
            if key == "reference":
                environ["PYTHONPATH"] = str(REFERENCE)
            out = subprocess.run(
                [str(PLAIN_PYTHON), "tag_render.py", "5000"],
                cwd=HERE / "plain_bench", env=environ, check=True, capture_output=True, text=True,
            )  # fmt: skip
            took[key].append(float(out.stdout))
    medians = {key: statistics.median(values) for key, values in took.items()}
    return (
        "Tag render with an identity token, on Plain: "
        + ", ".join(f"{label} {medians[key]:.1f} µs" for key, label in setups.items())
        + "."
    )


def chart(results: Results, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (cpu_axis, p99_axis) = plt.subplots(1, 2, figsize=(13, 5))
    measured = [s for s in SETUPS if results.samples[s.key]]
    labels = [s.label for s in measured]
    cpu_axis.bar(labels, [results.median(s.key, "cpu_us") for s in measured], color="#4c72b0")
    cpu_axis.set_title("server CPU per request (µs)")
    p99_axis.bar(labels, [results.median(s.key, "p99_ms") for s in measured], color="#dd8452")
    p99_axis.set_title("p99 latency (ms)")
    for axis in (cpu_axis, p99_axis):
        axis.tick_params(axis="x", rotation=30)
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--block", type=int, default=50, help="requests per set-up in turn")
    parser.add_argument(
        "--family", action="append", choices=["flask", "plain"], help="only these set-ups"
    )
    args = parser.parse_args(argv)
    families = args.family or ["flask", "plain"]
    results = Results()
    for round_number in range(1, args.rounds + 1):
        for family in families:
            setups = [s for s in SETUPS if s.family == family]
            samples = measure_round(setups, args.warmup, args.requests, args.block)
            for setup in setups:
                sample = samples[setup.key]
                results.samples[setup.key].append(sample)
                print(
                    f"round {round_number}/{args.rounds} {setup.label:<26} "
                    f"{sample.cpu_us:6.0f} µs CPU/request, p99 {sample.p99_ms:.2f} ms, "
                    f"{sample.spans}/{sample.requests} spans, "
                    f"{sample.logs}/{sample.requests} logs",
                    flush=True,
                )
    RESULTS.mkdir(exist_ok=True)
    tables = [table(results, family) for family in families]
    report = "\n\n".join([*tables, bundle_sizes(), tag_render_time(args.rounds)])
    (RESULTS / "results.md").write_text(report + "\n")
    chart(results, RESULTS / "results.png")
    print("\n" + report)
    print(f"\nwritten: {RESULTS / 'results.md'}, {RESULTS / 'results.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
