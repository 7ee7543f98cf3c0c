"""gunicorn --preload with two workers: every worker exports, and each is told apart."""

from __future__ import annotations

from pathlib import Path

from connect_testkit.ports import free_port
from connect_testkit.receiver import Receiver
from connect_testkit.scripts import clean_environ
from connect_testkit.servers import gunicorn, run_server

APPS = Path(__file__).parent / "apps"


def test_every_preforked_worker_exports_under_its_own_identity(
    receiver: Receiver, export_env: dict[str, str]
) -> None:
    port = free_port()
    argv = gunicorn("prefork_app:app", port, workers=2, preload=True)
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

        def instance_of(pid: str, r: Receiver) -> set[str]:
            return {
                log.resource["service.instance.id"]
                for log in r.logs()
                if log.body == f"handled by {pid}"
            }

        receiver.wait_for(
            lambda r: (
                all(instance_of(pid, r) for pid in pids)
                and len({m.resource["service.instance.id"] for m in r.metrics()}) == 2
            ),
            timeout=30,
        )

    by_pid = {pid: instance_of(pid, receiver) for pid in pids}
    assert all(len(ids) == 1 for ids in by_pid.values()), by_pid
    workers = {ids.pop() for ids in by_pid.values()}
    assert len(workers) == 2, "each worker has its own service.instance.id"
    assert {s.resource["service.instance.id"] for s in receiver.spans()} == workers
    assert {m.resource["service.instance.id"] for m in receiver.metrics()} == workers
    for span in receiver.spans():
        (log,) = [log for log in receiver.logs() if log.trace_id == span.trace_id]
        assert log.span_id == span.span_id
        assert log.resource["service.instance.id"] == span.resource["service.instance.id"]
