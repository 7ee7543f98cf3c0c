"""Under an endpoint that takes nothing, an app that outruns the export queue hears from Connect
how many spans and log records were dropped, on its own handler, in a few lines rather than one
per drop; and what was not dropped is exported once the endpoint recovers."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap

from connect_testkit.receiver import Receiver
from connect_testkit.scripts import clean_environ

QUEUE_SIZE = 8
MADE = 200
APP = f"""
import logging, sys
logging.basicConfig(format="app-handler %(levelname)s %(name)s: %(message)s")
import connect_otel
from opentelemetry import trace

connect_otel.configure()
log = logging.getLogger("app")
tracer = trace.get_tracer("app")
for index in range({MADE}):
    with tracer.start_as_current_span(f"work-{{index}}"):
        log.warning("made %d", index)
print("MADE", flush=True)
sys.stdin.readline()
connect_otel.shutdown(timeout=20)
"""
DROPPED_LINE = re.compile(
    r"app-handler WARNING connect_otel: Connect dropped ([\d,]+) (span|log record)s?\b"
)


def test_drops_are_counted_on_a_few_lines_and_the_rest_still_arrives(
    receiver: Receiver, export_env: dict[str, str]
) -> None:
    receiver.set_fault("blackhole")
    process = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(APP)],
        env=clean_environ(
            **export_env,
            CONNECT_EXPORT_TIMEOUT="2",
            OTEL_BSP_MAX_QUEUE_SIZE=str(QUEUE_SIZE),
            OTEL_BSP_MAX_EXPORT_BATCH_SIZE="4",
            OTEL_BLRP_MAX_QUEUE_SIZE=str(QUEUE_SIZE),
            OTEL_BLRP_MAX_EXPORT_BATCH_SIZE="4",
        ),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "MADE"
    receiver.set_fault(None)
    _, stderr = process.communicate("\n", timeout=60)
    assert process.returncode == 0, stderr

    assert "Queue full" not in stderr
    said: dict[str, list[int]] = {}
    for number, items in DROPPED_LINE.findall(stderr):
        said.setdefault(items, []).append(int(number.replace(",", "")))
    # The first drop is said at once; the rest at shutdown, not a line each.
    assert {items: counts[0] for items, counts in said.items()} == {"span": 1, "log record": 1}
    assert sorted(said) == ["log record", "span"] and all(len(c) == 2 for c in said.values())
    spans = [span for span in receiver.spans() if span.name.startswith("work-")]
    logs = [log for log in receiver.logs() if log.body.startswith("made ")]
    # What was not dropped arrived after the recovery, and the counts add up.
    assert spans and sum(said["span"]) + len(spans) == MADE
    assert logs and sum(said["log record"]) + len(logs) == MADE
