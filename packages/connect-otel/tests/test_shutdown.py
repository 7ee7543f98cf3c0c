"""Shutdown is bounded even when the endpoint accepts connections and never answers."""

from __future__ import annotations

import json
import time

from connect_testkit.receiver import Receiver
from connect_testkit.scripts import run_python

BUSY_APP = """
import json, logging, time
import connect_otel
from opentelemetry import metrics, trace
connect_otel.configure()
for index in range(50):
    with trace.get_tracer("app").start_as_current_span(f"work-{index}"):
        logging.getLogger("app").warning("working %d", index)
        metrics.get_meter("app").create_counter("work").add(1)
"""


def test_explicit_shutdown_returns_within_its_timeout(
    receiver: Receiver, export_env: dict[str, str]
) -> None:
    receiver.set_fault("blackhole")
    result = run_python(
        BUSY_APP
        + """
started = time.monotonic()
connect_otel.shutdown(timeout=2.0)
print(json.dumps(time.monotonic() - started))
""",
        export_env,
    )
    elapsed = json.loads(result.stdout.splitlines()[-1])
    # Sanity bound, not a timing test: the SDK alone would wait out its 10 s export timeout
    # per signal, then its 30 s shutdown timeouts.
    assert elapsed < 4.0
    assert "Connect shutdown gave up after 2s" in result.stderr


def test_interpreter_exit_is_bounded(receiver: Receiver, export_env: dict[str, str]) -> None:
    receiver.set_fault("blackhole")
    started = time.monotonic()
    run_python(BUSY_APP, export_env, timeout=60)
    # The at-exit shutdown allows itself 4 s; generous room for interpreter start-up.
    assert time.monotonic() - started < 15.0


def test_interpreter_exit_flushes_what_is_pending(
    receiver: Receiver, export_env: dict[str, str]
) -> None:
    run_python(
        BUSY_APP,
        {**export_env, "OTEL_BSP_SCHEDULE_DELAY": "600000", "CONNECT_METRICS_INTERVAL": "3600"},
    )
    assert len([s for s in receiver.spans() if s.name.startswith("work-")]) == 50
    assert len([log for log in receiver.logs() if log.body.startswith("working")]) == 50
    assert sum(p.value for m in receiver.metrics() if m.name == "work" for p in m.points) == 50


def test_blackholed_endpoint_costs_the_app_no_latency(
    receiver: Receiver, export_env: dict[str, str]
) -> None:
    receiver.set_fault("blackhole")
    result = run_python(
        """
        import json, logging, time
        import connect_otel
        from opentelemetry import trace
        connect_otel.configure()
        tracer, log = trace.get_tracer("app"), logging.getLogger("app")
        slowest = 0.0
        # Far more than the queues hold, so they fill and drop while the exporter is stuck.
        for index in range(5000):
            started = time.perf_counter()
            with tracer.start_as_current_span("request"):
                log.warning("handled %d", index)
            slowest = max(slowest, time.perf_counter() - started)
        connect_otel.shutdown(timeout=1.0)
        print(json.dumps(slowest))
        """,
        {
            **export_env,
            "OTEL_BSP_MAX_QUEUE_SIZE": "256",
            "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "64",
            "OTEL_BLRP_MAX_QUEUE_SIZE": "256",
            "OTEL_BLRP_MAX_EXPORT_BATCH_SIZE": "64",
        },
    )
    slowest = json.loads(result.stdout.splitlines()[-1])
    # A request that waited on the blackholed export would take the 10 s export timeout.
    assert slowest < 1.0


def test_memory_stays_within_the_queue_bounds_while_the_endpoint_hangs(
    receiver: Receiver, export_env: dict[str, str]
) -> None:
    receiver.set_fault("blackhole")
    result = run_python(
        """
        import json, logging, resource
        import connect_otel
        from opentelemetry import trace
        connect_otel.configure()
        tracer, log = trace.get_tracer("app"), logging.getLogger("app")

        def work(count):
            for index in range(count):
                with tracer.start_as_current_span("request", attributes={"n": index}):
                    log.warning("handled %d", index)

        def rss_mb():
            with open("/proc/self/statm") as statm:
                return int(statm.read().split()[1]) * resource.getpagesize() / 2**20

        work(5_000)  # the queues are full from here on
        before = rss_mb()
        work(45_000)
        print(json.dumps(rss_mb() - before))
        connect_otel.shutdown(timeout=1.0)
        """,
        export_env,
        timeout=180,
    )
    growth_mb = json.loads(result.stdout.splitlines()[-1])
    # Unbounded, 45,000 more spans and records would hold well over 100 MB; the queues hold
    # 2,048 of each whatever happens.
    assert growth_mb < 25, f"{growth_mb:.1f} MB"
