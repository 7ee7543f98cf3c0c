"""What the console would show without Connect, decided per record, in-process.

The test runner puts a capture handler on the root logger, so each test's loggers end in a top
logger that does not propagate: what is reachable is then only what the test put there.
"""

from __future__ import annotations

import io
import logging
import logging.config
from collections.abc import Callable, Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from connect_otel._console import ConnectConsole, Console
from connect_otel._logbridge import LogBridge, remember_span_context


@pytest.fixture
def root_level() -> Iterator[None]:
    """Restores the root's level, and the filters that widening gave the handlers already there
    (the test runner's own among them, which later tests still need)."""
    root = logging.getLogger()
    level = root.level
    handlers = list(root.handlers)
    filters = {handler: list(handler.filters) for handler in handlers}
    yield
    root.setLevel(level)
    for handler, kept in filters.items():
        handler.filters[:] = kept


@pytest.fixture
def make_top(request: pytest.FixtureRequest) -> Iterator[Callable[[], logging.Logger]]:
    """Makes a logger of the test's own that keeps its records from the root's handlers; made
    in the test's body, as the test runner adds its capture handler to non-propagating loggers
    that exist when the test starts."""
    logger = logging.getLogger(f"unit_console.{request.node.name}")

    def make() -> logging.Logger:
        logger.handlers.clear()
        logger.propagate = False
        return logger

    yield make
    logger.handlers.clear()


def record(logger: logging.Logger, level: int, message: str = "m") -> logging.LogRecord:
    return logger.makeRecord(logger.name, level, __file__, 1, message, (), None)


def stream_handler() -> tuple[logging.StreamHandler[io.StringIO], io.StringIO]:
    stream = io.StringIO()
    return logging.StreamHandler(stream), stream


@pytest.mark.usefixtures("root_level")
def test_a_record_below_the_old_root_level_exists_only_where_a_logger_set_a_level() -> None:
    logging.getLogger().setLevel(logging.WARNING)
    console = Console()
    console.widen_root(logging.INFO)
    assert logging.getLogger().level == logging.INFO
    unlevelled = logging.getLogger("unit_console.unlevelled.child")
    levelled = logging.getLogger("unit_console.levelled")
    levelled.setLevel(logging.INFO)
    levelled_child = logging.getLogger("unit_console.levelled.child")
    assert not console.created_without_widening(record(unlevelled, logging.INFO))
    assert console.created_without_widening(record(unlevelled, logging.WARNING))
    assert console.created_without_widening(record(levelled, logging.INFO))
    assert console.created_without_widening(record(levelled_child, logging.INFO))
    # A level the app sets on the root afterwards is the app's choice.
    logging.getLogger().setLevel(logging.DEBUG)
    assert console.created_without_widening(record(unlevelled, logging.INFO))
    levelled.setLevel(logging.NOTSET)


@pytest.mark.usefixtures("root_level")
def test_no_widening_when_the_root_already_lets_the_floor_through() -> None:
    logging.getLogger().setLevel(logging.DEBUG)
    console = Console()
    console.widen_root(logging.INFO)
    assert logging.getLogger().level == logging.DEBUG
    assert console.created_without_widening(record(logging.getLogger("unit_console.x"), 10))


@pytest.mark.usefixtures("root_level")
def test_handlers_the_app_had_keep_printing_only_what_they_printed_before() -> None:
    logging.getLogger().setLevel(logging.WARNING)
    unlevelled = logging.getLogger("unit_console.app")
    levelled = logging.getLogger("unit_console.server")
    levelled.setLevel(logging.INFO)
    app_handler, app_stream = stream_handler()
    server_handler, _ = stream_handler()
    unlevelled.addHandler(app_handler)
    levelled.addHandler(server_handler)
    try:
        Console().widen_root(logging.INFO)
        unlevelled.info("only there because of the widening")
        unlevelled.warning("printed before too")
        # A logger with its own level never took it from the root: nothing to filter there.
        assert server_handler.filters == []
    finally:
        unlevelled.removeHandler(app_handler)
        levelled.removeHandler(server_handler)
        levelled.setLevel(logging.NOTSET)
    assert app_stream.getvalue() == "printed before too\n"


def test_reachable_handlers_follow_propagate_and_leave_connects_out(
    make_top: Callable[[], logging.Logger],
) -> None:
    top = make_top()
    console = Console()
    child = logging.getLogger(f"{top.name}.child")
    assert not console.reaches_other_handler(child)
    connects = logging.NullHandler()
    console.connect_handlers.add(connects)
    top.addHandler(connects)
    assert not console.reaches_other_handler(child)
    apps = logging.NullHandler(logging.ERROR)
    top.addHandler(apps)
    assert console.reaches_other_handler(child)
    assert not console.reaches_other_handler(child, logging.WARNING), "below its level"
    assert console.reaches_other_handler(child, logging.ERROR)
    child.propagate = False
    assert not console.reaches_other_handler(child), "the chain stops where propagation does"
    child.propagate = True


@pytest.mark.usefixtures("root_level")
def test_the_last_resort_prints_exactly_when_python_would_have(
    make_top: Callable[[], logging.Logger], capsys: pytest.CaptureFixture[str]
) -> None:
    top = make_top()
    logging.getLogger().setLevel(logging.WARNING)
    console = Console()
    bridge = logging.NullHandler()
    console.connect_handlers.add(bridge)
    top.addHandler(bridge)
    console.stand_in_for_last_resort(record(top, logging.WARNING, "nothing else prints this"))
    console.stand_in_for_last_resort(record(top, logging.INFO, "below the last resort's level"))
    console.widen_root(logging.DEBUG)
    top.setLevel(logging.NOTSET)
    console.stand_in_for_last_resort(record(top, logging.WARNING, "widened, still a warning"))
    apps, _ = stream_handler()
    top.addHandler(apps)
    console.stand_in_for_last_resort(record(top, logging.ERROR, "the app's handler prints it"))
    assert capsys.readouterr().err == "nothing else prints this\nwidened, still a warning\n"


@pytest.mark.usefixtures("root_level")
def test_the_last_resort_ignores_records_only_the_widening_made(
    make_top: Callable[[], logging.Logger], capsys: pytest.CaptureFixture[str]
) -> None:
    top = make_top()
    logging.getLogger().setLevel(logging.ERROR)
    console = Console()
    console.widen_root(logging.WARNING)
    console.stand_in_for_last_resort(record(top, logging.WARNING, "not made without Connect"))
    console.stand_in_for_last_resort(record(top, logging.ERROR, "made either way"))
    assert capsys.readouterr().err == "made either way\n"


def test_connects_own_lines_print_only_when_no_handler_of_the_apps_would(
    make_top: Callable[[], logging.Logger], capsys: pytest.CaptureFixture[str]
) -> None:
    top = make_top()
    console = Console()
    own = ConnectConsole(console)
    console.connect_handlers.add(own)
    top.addHandler(own)
    top.setLevel(logging.INFO)
    top.info("Connect is exporting")
    apps, stream = stream_handler()
    apps.setLevel(logging.WARNING)
    top.addHandler(apps)
    top.info("only Connect's handler would print this")
    top.warning("the app's handler prints this")
    assert capsys.readouterr().err == (
        "Connect is exporting\nonly Connect's handler would print this\n"
    )
    assert stream.getvalue() == "the app's handler prints this\n"


class Request:
    """Stands for Django's request, which a late "Not Found" record carries."""


def test_a_record_about_a_request_whose_span_ended_gets_its_trace(
    make_top: Callable[[], logging.Logger],
) -> None:
    top = make_top()
    # The contrib handler takes the trace from the current context; if it stops doing so, or
    # the bridge's hand-over breaks, the remembered trace is lost here.
    exporter = InMemoryLogRecordExporter()
    provider = LoggerProvider(shutdown_on_exit=False)
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    top.addHandler(LogBridge(level=logging.INFO, logger_provider=provider))
    top.setLevel(logging.INFO)
    span_context = SpanContext(
        trace_id=0x0AF7651916CD43DD8448EB211C80319C,
        span_id=0x00F067AA0BA902B7,
        is_remote=False,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
    )
    request = Request()
    with trace.use_span(NonRecordingSpan(span_context)):
        remember_span_context(request)
    error = RuntimeError("escaped")
    with trace.use_span(NonRecordingSpan(span_context)):
        remember_span_context(error)
    top.warning("Not Found: /missing", extra={"request": request})
    top.error("Exception in ASGI application", exc_info=error)
    top.warning("about no request")
    exported = {str(r.log_record.body): r.log_record for r in exporter.get_finished_logs()}
    for body in ("Not Found: /missing", "Exception in ASGI application"):
        assert exported[body].trace_id == span_context.trace_id, body
        assert exported[body].span_id == span_context.span_id, body
    assert not trace.get_current_span().get_span_context().is_valid, "the context is restored"
    assert exported["about no request"].trace_id == 0
    provider.shutdown()


@pytest.mark.usefixtures("root_level")
def test_the_apps_logging_configuration_runs_as_without_the_bridge_and_keeps_it() -> None:
    root = logging.getLogger()
    saved_handlers = list(root.handlers)
    saved = (logging.basicConfig, logging.config.dictConfig, logging.config.fileConfig)
    console = Console()
    bridge = logging.NullHandler()
    console.connect_handlers.add(bridge)
    root.handlers = [bridge]
    try:
        console.let_the_app_configure_logging(bridge)
        logging.basicConfig(stream=io.StringIO())
        (added,) = [h for h in root.handlers if h is not bridge]
        assert bridge in root.handlers, "basicConfig() ran as if the root had no handler"
        root.handlers = [bridge, added]
        logging.config.dictConfig(
            {
                "version": 1,
                "disable_existing_loggers": False,
                "root": {"handlers": [], "level": "WARNING"},
            }
        )
        assert root.handlers == [bridge], "the app's root handlers replaced, the bridge kept"
    finally:
        logging.basicConfig, logging.config.dictConfig, logging.config.fileConfig = saved
        root.handlers = saved_handlers
