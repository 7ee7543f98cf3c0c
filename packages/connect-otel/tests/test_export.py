"""All three signals from a real process to the receiver, exactly as the wire contract says."""

from __future__ import annotations

from pathlib import Path

from connect_testkit.receiver import Receiver
from connect_testkit.scripts import run_python

APPS = str(Path(__file__).parent / "apps")

EMIT_ALL_SIGNALS = """
import logging, sys
sys.path.insert(0, sys.argv[1])
logging.basicConfig()  # a console, so the start-up line can be read
import connect_otel
from opentelemetry import metrics, trace
from shop_errors import PaymentDeclined

assert connect_otel.configure()
log = logging.getLogger("shop.checkout")
meter = metrics.get_meter("shop")
orders = meter.create_counter("shop.orders")
in_flight = meter.create_up_down_counter("shop.in_flight")
amount = meter.create_histogram("shop.amount", unit="EUR")
with trace.get_tracer("shop").start_as_current_span("checkout") as span:
    orders.add(1, {"country": "NL"})
    in_flight.add(2)
    amount.record(12.5)
    log.info("order placed for %s", "ada")
    log.debug("below the floor: not exported")
    try:
        raise PaymentDeclined("card expired")
    except PaymentDeclined:
        log.exception("payment failed")
    try:
        {}["missing"]
    except KeyError:
        log.warning("lookup failed", exc_info=True)
connect_otel.shutdown()
"""


def test_traces_metrics_and_logs_arrive_as_the_contract_says(
    receiver: Receiver, export_env: dict[str, str]
) -> None:
    result = run_python(
        EMIT_ALL_SIGNALS,
        {
            **export_env,
            "CONNECT_SERVICE_NAME": "shop",
            "CONNECT_SERVICE_VERSION": "2.1.0",
            "CONNECT_ENVIRONMENT": "staging",
            "OTEL_RESOURCE_ATTRIBUTES": "team=payments",
        },
        args=[APPS],
    )

    requests = receiver.requests()
    assert {r.path for r in requests} == {"/v1/traces", "/v1/metrics", "/v1/logs"}
    assert all(r.authorized and r.gzip and r.method == "POST" for r in requests)
    assert all(r.content_type == "application/x-protobuf" for r in requests)

    (span,) = [s for s in receiver.spans() if s.name == "checkout"]
    assert span.resource["service.name"] == "shop"
    assert span.resource["service.version"] == "2.1.0"
    assert span.resource["deployment.environment.name"] == "staging"
    assert span.resource["team"] == "payments"
    assert span.resource["service.instance.id"]

    by_name = {m.name: m for m in receiver.metrics()}
    for name in ("shop.orders", "shop.in_flight", "shop.amount"):
        assert by_name[name].temporality == "DELTA", name
    assert by_name["shop.orders"].points[0].value == 1
    assert by_name["shop.orders"].points[0].attributes == {"country": "NL"}
    assert by_name["shop.amount"].points[0].count == 1

    logs = {log.body: log for log in receiver.logs() if log.scope == "shop.checkout"}
    assert set(logs) == {"order placed for ada", "payment failed", "lookup failed"}
    for log in logs.values():
        assert (log.trace_id, log.span_id) == (span.trace_id, span.span_id)
    assert logs["payment failed"].attributes["exception.type"] == "shop_errors.PaymentDeclined"
    assert logs["payment failed"].attributes["exception.message"] == "card expired"
    assert logs["lookup failed"].attributes["exception.type"] == "KeyError"
    assert logs["order placed for ada"].severity_text == "INFO"
    # Where each record was logged, as plain.connect 0.5.0's SDK handler sent it.
    placed = logs["order placed for ada"].attributes
    line = EMIT_ALL_SIGNALS.splitlines().index('    log.info("order placed for %s", "ada")') + 1
    assert placed["code.line.number"] == line
    assert placed["code.function.name"] == "<module>"
    assert placed["code.file.path"] == "<string>"

    assert "Connect is exporting traces, metrics, logs to 127.0.0.1" in result.stderr
    assert export_env["CONNECT_EXPORT_TOKEN"] not in result.stdout + result.stderr


def test_log_level_setting_and_root_level_widening(
    receiver: Receiver, export_env: dict[str, str]
) -> None:
    run_python(
        """
        import logging
        logging.getLogger().setLevel(logging.ERROR)
        logging.getLogger("chatty").setLevel(logging.DEBUG)
        import connect_otel
        connect_otel.configure()
        assert logging.getLogger().level == logging.WARNING, "widened to the floor"
        logging.getLogger("lib").info("below the floor")
        logging.getLogger("lib").warning("at the floor")
        logging.getLogger("chatty").debug("the app's own DEBUG logger stays below the floor")
        connect_otel.shutdown()
        """,
        {**export_env, "CONNECT_LOG_LEVEL": "WARNING"},
    )
    assert [log.body for log in receiver.logs()] == ["at the floor"]


def test_root_level_is_never_narrowed(receiver: Receiver, export_env: dict[str, str]) -> None:
    run_python(
        """
        import logging
        logging.getLogger().setLevel(logging.DEBUG)
        import connect_otel
        connect_otel.configure()
        assert logging.getLogger().level == logging.DEBUG
        connect_otel.shutdown()
        """,
        export_env,
    )


def test_export_logs_false_leaves_logging_alone(
    receiver: Receiver, export_env: dict[str, str]
) -> None:
    run_python(
        """
        import logging
        import connect_otel
        connect_otel.configure(export_logs=False)
        assert logging.getLogger().handlers == []
        from opentelemetry import trace
        with trace.get_tracer("t").start_as_current_span("still traced"):
            logging.getLogger("x").warning("not exported")
        connect_otel.shutdown()
        """,
        export_env,
    )
    assert [s.name for s in receiver.spans()] == ["still traced"]
    assert receiver.logs() == []
    assert "/v1/logs" not in {r.path for r in receiver.requests()}
