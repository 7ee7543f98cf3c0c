"""gunicorn --preload with two workers: every worker exports, and each is told apart."""

from __future__ import annotations

import sys
from pathlib import Path

from connect_integration.receiver import Receiver
from connect_integration.scripts import clean_environ
from connect_integration.servers import free_port, run_server

APPS = Path(__file__).parent / "apps"


def test_every_preforked_worker_exports_under_its_own_identity(
    receiver: Receiver, export_env: dict[str, str]
) -> None:
    port = free_port()
    argv = [
        sys.executable, "-m", "gunicorn", "--preload", "--workers", "2", "--no-control-socket",
        "--bind", f"127.0.0.1:{port}", "prefork_app:app",
    ]  # fmt: skip
    env = clean_environ(
        **export_env,
        CONNECT_METRICS_INTERVAL="1",
        OTEL_BSP_SCHEDULE_DELAY="200",
        OTEL_BLRP_SCHEDULE_DELAY="200",
    )
    pids: set[str] = set()
    with run_server(argv, env=env, port=port, cwd=str(APPS)) as server:
        # The kernel hands connections to whichever worker accepts first: ask until both answered.
        for _ in range(400):
            status, body = server.get("/")
            assert status == 200
            pids.add(body.decode())
            if len(pids) == 2:
                break
        assert len(pids) == 2, "both workers served"
        receiver.wait_for(
            lambda r: (
                {s.resource.get("process.pid") for s in r.spans()} >= {int(p) for p in pids}
                and {log.resource.get("process.pid") for log in r.logs()} >= {int(p) for p in pids}
                and {m.resource.get("process.pid") for m in r.metrics()} >= {int(p) for p in pids}
            ),
            timeout=30,
        )

    for signal in (receiver.spans(), receiver.logs(), receiver.metrics()):
        instance_by_pid = {
            item.resource["process.pid"]: item.resource["service.instance.id"]
            for item in signal
            if str(item.resource["process.pid"]) in pids
        }
        assert len(set(instance_by_pid.values())) == 2, "each worker has its own instance id"
    for span in receiver.spans():
        body = f"handled by {span.resource['process.pid']}"
        matching = [
            log for log in receiver.logs() if (log.trace_id, log.body) == (span.trace_id, body)
        ]
        assert len(matching) == 1
