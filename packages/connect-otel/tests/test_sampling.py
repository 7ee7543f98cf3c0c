"""CONNECT_TRACE_SAMPLE_RATE is parent-based: root traces use the rate, an incoming traceparent's
decision is kept either way. Metrics are not sampled."""

from __future__ import annotations

import pytest

from connect_testkit.receiver import Receiver
from connect_testkit.scripts import run_python

ROOTS = 400

EMIT = f"""
import connect_otel
from opentelemetry import metrics, propagate, trace
connect_otel.configure()
tracer = trace.get_tracer("sampling")
requests = metrics.get_meter("sampling").create_counter("requests")
for _ in range({ROOTS}):
    with tracer.start_as_current_span("root"):
        with tracer.start_as_current_span("child"):
            requests.add(1)
for flag in ("01", "00"):
    incoming = propagate.extract({{"traceparent": f"00-{{'ab' * 16}}-{{'cd' * 8}}-{{flag}}"}})
    with tracer.start_as_current_span(f"continued-{{flag}}", context=incoming):
        pass
connect_otel.shutdown()
"""


def sample(receiver: Receiver, export_env: dict[str, str], rate: str) -> dict[str, int]:
    run_python(EMIT, {**export_env, "CONNECT_TRACE_SAMPLE_RATE": rate})
    counts: dict[str, int] = {}
    for span in receiver.spans():
        counts[span.name] = counts.get(span.name, 0) + 1
    total = sum(p.value for m in receiver.metrics() if m.name == "requests" for p in m.points)
    counts["metric total"] = int(total)
    return counts


def test_rate_one_exports_every_trace(receiver: Receiver, export_env: dict[str, str]) -> None:
    counts = sample(receiver, export_env, "1.0")
    assert counts == {
        "root": ROOTS,
        "child": ROOTS,
        "continued-01": 1,
        "metric total": ROOTS,
    }


def test_rate_zero_exports_only_what_the_caller_sampled(
    receiver: Receiver, export_env: dict[str, str]
) -> None:
    counts = sample(receiver, export_env, "0.0")
    assert counts == {"continued-01": 1, "metric total": ROOTS}


@pytest.mark.parametrize("rate", [0.5])
def test_half_rate_samples_whole_traces_about_half_the_time(
    receiver: Receiver, export_env: dict[str, str], rate: float
) -> None:
    counts = sample(receiver, export_env, str(rate))
    # Binomial(400, 0.5): five standard deviations either side is 150..250.
    assert 150 <= counts["root"] <= 250
    assert counts["child"] == counts["root"], "children follow their root's decision"
    assert counts["continued-01"] == 1
    assert "continued-00" not in counts
    assert counts["metric total"] == ROOTS
