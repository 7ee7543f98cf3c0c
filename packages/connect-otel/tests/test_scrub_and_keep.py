"""Scrubbing and tail sampling in a real Flask app under gunicorn, exporting to the receiver."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from connect_testkit.ports import free_port
from connect_testkit.receiver import Receiver, Span
from connect_testkit.scripts import clean_environ
from connect_testkit.servers import Server, gunicorn, run_server

APPS = Path(__file__).parent / "apps"
SECRET = "tok_9f8e7d6c5b4a"
QUICK = {"CONNECT_METRICS_INTERVAL": "1", "OTEL_BSP_SCHEDULE_DELAY": "100",
         "OTEL_BLRP_SCHEDULE_DELAY": "100"}  # fmt: skip


@contextmanager
def keep_app(export_env: dict[str, str], **settings: str) -> Iterator[Server]:
    port = free_port()
    env = clean_environ(**export_env, **QUICK, **settings)
    argv = gunicorn("keep_app:app", port)
    with run_server(argv, env=env, port=port, cwd=str(APPS), ready_path="/work") as server:
        yield server


def server_spans(receiver: Receiver, path: str) -> list[Span]:
    return [
        s for s in receiver.spans() if s.kind == "SERVER" and s.attributes.get("url.path") == path
    ]


def everything_exported(receiver: Receiver) -> str:
    return repr((receiver.spans(), receiver.logs(), receiver.metrics()))


def test_secrets_never_leave_the_app(receiver: Receiver, export_env: dict[str, str]) -> None:
    with keep_app(export_env) as server:
        assert server.get(f"/account?token={SECRET}&page=2")[0] == 200
        receiver.wait_for(lambda r: bool(server_spans(r, "/account")) and bool(r.logs()))
        receiver.wait_for(
            lambda r: any("looked_up" in str(s.attributes.get("db.query.text")) for s in r.spans())
        )
        assert server.stop() == 0

    (span,) = server_spans(receiver, "/account")
    assert span.attributes["url.query"] == "token=[redacted]&page=2"
    assert span.attributes["api_key"] == "[redacted]"
    assert span.attributes["author"] == "ada"
    assert span.attributes["http.route"] == "/account"
    (record,) = [log for log in receiver.logs() if log.body == "account viewed"]
    assert record.attributes["password"] == "[redacted]"
    assert record.attributes["order_id"] == 42
    assert (record.trace_id, record.span_id) == (span.trace_id, span.span_id)
    (query,) = [s for s in receiver.spans() if s.parent_span_id == span.span_id]
    assert query.attributes["db.query.text"] == "SELECT ? AS looked_up"
    assert SECRET not in everything_exported(receiver)


def test_scrubbing_can_be_turned_off(receiver: Receiver, export_env: dict[str, str]) -> None:
    with keep_app(export_env, CONNECT_SCRUB="false") as server:
        assert server.get(f"/account?token={SECRET}&page=2")[0] == 200
        receiver.wait_for(lambda r: bool(server_spans(r, "/account")))
    (span,) = server_spans(receiver, "/account")
    assert span.attributes["url.query"] == f"token={SECRET}&page=2"


def test_failed_and_slow_traces_are_kept_whole_at_rate_zero(
    receiver: Receiver, export_env: dict[str, str]
) -> None:
    settings = {"CONNECT_TRACE_SAMPLE_RATE": "0.0", "CONNECT_TRACE_KEEP_SLOWER_THAN": "0.3"}
    with keep_app(export_env, **settings) as server:
        receiver.wait_for(lambda r: bool(r.metrics()), timeout=20)  # the readiness probes
        receiver.clear()
        for _ in range(5):
            assert server.get("/work?ordinary=1")[0] == 200
        assert server.get("/work?fail=1")[0] == 500
        assert server.get("/work?sleep=0.5")[0] == 200

        def counted(r: Receiver) -> int:
            return sum(
                int(p.count or 0)
                for m in r.metrics()
                if m.name == "http.server.request.duration"
                for p in m.points
            )

        receiver.wait_for(lambda r: len(server_spans(r, "/work")) >= 2 and counted(r) >= 7)
        assert server.stop() == 0

    assert counted(receiver) == 7, "every request is counted, sampled or not"
    servers = {s.attributes["url.query"]: s for s in server_spans(receiver, "/work")}
    assert sorted(servers) == ["fail=1", "sleep=0.5"]
    assert servers["fail=1"].status_code == "ERROR"
    for root in servers.values():
        children = [s for s in receiver.spans() if s.parent_span_id == root.span_id]
        assert [c.kind for c in children] == ["CLIENT"], "the query came with its request"
    assert {s.trace_id for s in receiver.spans()} == {s.trace_id for s in servers.values()}


def test_a_burst_of_undecided_traces_stays_bounded(
    receiver: Receiver, export_env: dict[str, str]
) -> None:
    with keep_app(export_env, CONNECT_TRACE_SAMPLE_RATE="0.0") as server:
        status, first = server.get("/undecided?traces=4000")
        assert status == 200
        status, second = server.get("/undecided?traces=40000")
        assert status == 200
        # Unbounded, 120,000 more spans would be held: well over 100 MiB.
        grown_kib = int(second) - int(first)
        assert grown_kib < 16 * 1024, f"grew {grown_kib} KiB"
        assert server.get("/work")[0] == 200, "the app still serves"

        def dropped(r: Receiver) -> float:
            return sum(
                p.value or 0
                for m in r.metrics()
                if m.name == "connect.tail_sampling.dropped"
                for p in m.points
            )

        receiver.wait_for(lambda r: dropped(r) > 40000, timeout=20)
        assert server.stop() == 0
        # Connect's own warning is for the operator's console, said once, and never exported.
        console = server.output()
    assert console.count("gave up traces") == 1
    assert not [log for log in receiver.logs() if "gave up traces" in str(log.body)]
