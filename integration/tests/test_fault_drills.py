"""The app under a misbehaving endpoint: every request still succeeds, export resumes when the
endpoint recovers (no restart), and a graceful stop stays bounded. Timings here are generous
sanity bounds; the benchmark measures them."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from connect_integration.examples import EXAMPLES
from connect_testkit.receiver import Fault, Receiver

TOKEN = "drill-token"


@pytest.mark.parametrize("fault", ["refuse", "blackhole", "slow", "500", "429"])
def test_requests_succeed_export_resumes_and_shutdown_is_bounded(
    fault: Fault, tmp_path: Path
) -> None:
    with Receiver(token=TOKEN) as receiver:
        receiver.set_fault(fault, delay=5.0, retry_after=1)
        env = {
            "CONNECT_EXPORT_URL": receiver.url,
            "CONNECT_EXPORT_TOKEN": TOKEN,
            "OTEL_BSP_SCHEDULE_DELAY": "200",
            "OTEL_BLRP_SCHEDULE_DELAY": "200",
        }
        with EXAMPLES["flask"].run(tmp_path / "db.sqlite3", **env) as server:
            for index in range(30):
                status, _ = server.get(f"/items/{index}")
                assert status == 200
            time.sleep(1.0)  # exports are now failing, retrying or hanging
            assert server.get("/log")[0] == 200
            receiver.set_fault(None)
            server.get("/items/42?after=recovery")
            receiver.wait_for(
                lambda r: any(s.attributes.get("url.query") == "after=recovery" for s in r.spans()),
                timeout=30,
            )
            receiver.set_fault(fault, delay=5.0, retry_after=1)
            server.get("/items/43")
            started = time.monotonic()
            assert server.stop(timeout=30) == 0
            assert time.monotonic() - started < 12.0, "Connect gives up after 4 s at exit"
