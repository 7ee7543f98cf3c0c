"""Under a failing endpoint, nothing that exporting logs is ever exported, on any thread,
while the app's own records (its own urllib3 calls included) still are."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from connect_testkit.receiver import Receiver
from connect_testkit.scripts import clean_environ

APP = """
import http.server, logging, sys, threading, time, urllib3
logging.basicConfig(level=logging.DEBUG)
import connect_otel
from opentelemetry import trace
from opentelemetry._logs import get_logger_provider

connect_otel.configure()
# A service of the app's own, which its urllib3 calls reach whatever the endpoint does.
service = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
threading.Thread(target=service.serve_forever, daemon=True).start()
service_url = f"http://127.0.0.1:{service.server_port}"
app_log = logging.getLogger("app")
tracer = trace.get_tracer("app")

def activity(label):
    for index in range(20):
        with tracer.start_as_current_span(f"{label}-{index}"):
            app_log.info("%s %d", label, index)
    # The app's own HTTP call: urllib3 logs its connection at DEBUG, and that must export.
    urllib3.PoolManager().request("GET", service_url + "/app-ping-" + label, retries=False)

activity("while-failing")
# Flushes run the exporters on this, the calling, thread.
trace.get_tracer_provider().force_flush()
get_logger_provider().force_flush()
time.sleep(1.5)  # the background threads' own retries and failures
print("READY-TO-RECOVER", flush=True)
sys.stdin.readline()
activity("after-recovery")
connect_otel.shutdown(timeout=10)
"""


@pytest.mark.parametrize("fault", ["500", "refuse"])
def test_exporter_records_are_never_exported(
    receiver: Receiver, export_env: dict[str, str], fault: str
) -> None:
    receiver.set_fault(fault)
    process = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(APP)],
        env=clean_environ(
            **export_env,
            CONNECT_LOG_LEVEL="DEBUG",
            CONNECT_EXPORT_TIMEOUT="2",
            OTEL_BLRP_SCHEDULE_DELAY="200",
        ),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdin is not None
    assert process.stdout.readline().strip() == "READY-TO-RECOVER"
    receiver.set_fault(None)
    _, stderr = process.communicate("\n", timeout=60)
    assert process.returncode == 0, stderr

    # The exporter did fail and did log about it, on the console...
    assert "Failed to export" in stderr
    records = receiver.logs()
    bodies = [log.body for log in records]
    # ...but none of that reached the endpoint:
    assert not [log for log in records if log.scope.startswith("opentelemetry")]
    assert not [body for body in bodies if "/v1/" in body or "export" in body.lower()], bodies
    # while the app's own records, its urllib3 debug lines included, did.
    assert [f"after-recovery {i}" for i in range(20)] == [
        b for b in bodies if b.startswith("after-recovery")
    ]
    assert any("/app-ping-after-recovery" in body for body in bodies), bodies
