"""Plain's own request-duration histogram, aggregated by Connect in the Plain example app: the
instrument Plain records through is Connect's, and what it records arrives at the receiver as
Plain's metric. The differential test against the SDK's histogram is in connect-otel's unit
tests; this one fails when Plain moves or renames the instrument Connect takes over."""

from __future__ import annotations

import subprocess

import pytest

from connect_integration.examples import APPS, EXAMPLES
from connect_testkit.receiver import Receiver
from connect_testkit.scripts import clean_environ

RECORD_TWO_REQUESTS = """
import plain.runtime

plain.runtime.setup()
from plain.internal.handlers import base

import connect_otel

print(type(base.request_duration_histogram).__name__)
for seconds in (0.25, 0.5):
    base.request_duration_histogram.record(
        seconds,
        {
            "http.request.method": "GET",
            "http.response.status_code": 200,
            "url.scheme": "http",
            "network.protocol.name": "http",
            "http.route": "/items/<int:item_id>",
        },
    )
connect_otel.shutdown()
"""


def test_plains_request_durations_go_through_connects_aggregation() -> None:
    if "plain" not in EXAMPLES:
        pytest.skip("Plain needs Python 3.13+: integration/bin/setup makes .venv-plain")
    with Receiver(token="plain-duration-token") as receiver:
        result = subprocess.run(
            [EXAMPLES["plain"].python, "-c", RECORD_TWO_REQUESTS],
            cwd=APPS / "plain",
            env=clean_environ(
                PLAIN_POSTGRES_URL="postgres://unused@127.0.0.1:9/unused",
                CONNECT_EXPORT_URL=receiver.url,
                CONNECT_EXPORT_TOKEN=receiver.token,
            ),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.splitlines()[-1] == "KeyedByAttributes"
        receiver.wait_for(
            lambda r: any(m.name == "http.server.request.duration" for m in r.metrics()),
            timeout=20,
        )
        (metric,) = [m for m in receiver.metrics() if m.name == "http.server.request.duration"]
    assert (metric.scope, metric.kind, metric.temporality) == ("plain", "histogram", "DELTA")
    (point,) = metric.points
    assert (point.count, point.sum) == (2, 0.75)
    assert point.attributes["http.route"] == "/items/<int:item_id>"
