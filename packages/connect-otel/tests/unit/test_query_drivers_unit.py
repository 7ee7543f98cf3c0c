"""The drivers' shortcuts traced, connection set-up untraced, and the contrib and library
internals these rely on: each test here breaks when a release changes one. The drivers and
their instrumentations are the `dev` group's, not connect-otel's own test group's."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

pytest.importorskip("opentelemetry.instrumentation.sqlite3")
pytest.importorskip("opentelemetry.instrumentation.asyncpg")
pytest.importorskip("sqlalchemy")
pytest.importorskip("django")

from opentelemetry.instrumentation import dbapi
from opentelemetry.instrumentation import sqlite3 as contrib_sqlite3
from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)
from opentelemetry.trace import SpanKind

from connect_otel import _sqlite3
from connect_otel._connection_setup import keep_connection_setup_untraced
from connect_otel._instrumentations import Library, instrument
from connect_testkit.scripts import run_python


@pytest.fixture
def traced_sqlite3() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrumentor = _sqlite3.SQLite3Instrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        yield exporter
    finally:
        instrumentor.uninstrument()


def test_every_sqlite3_shortcut_is_one_query_span(traced_sqlite3: InMemorySpanExporter) -> None:
    connection = sqlite3.connect(":memory:")
    connection.row_factory = sqlite3.Row
    connection.executescript("CREATE TABLE t (a); CREATE INDEX i ON t (a);")
    connection.execute("INSERT INTO t VALUES (?)", (1,))
    connection.executemany("INSERT INTO t VALUES (?)", [(2,), (3,)])
    assert [row["a"] for row in connection.execute("SELECT a FROM t ORDER BY a")] == [1, 2, 3]
    inserted = connection.execute("INSERT INTO t VALUES (4)")
    assert isinstance(inserted, sqlite3.Cursor) and inserted.lastrowid == 4
    assert inserted.execute("SELECT count(*) FROM t").fetchone()[0] == 4  # the cursor, traced
    connection.cursor().executescript("DELETE FROM t;")
    with connection:
        connection.cursor().execute("SELECT a FROM t")
    spans = traced_sqlite3.get_finished_spans()
    assert [s.name for s in spans] == [
        "CREATE", "INSERT", "INSERT", "SELECT", "INSERT", "SELECT", "DELETE", "SELECT"
    ]  # fmt: skip
    assert all(s.kind is SpanKind.CLIENT and s.instrumentation_scope for s in spans)
    assert {s.instrumentation_scope.name for s in spans if s.instrumentation_scope} == {
        contrib_sqlite3.__name__
    }


def test_the_contrib_still_lacks_the_shortcuts() -> None:
    # If the contrib proxies learn them, Connect's would trace each query twice or not at all.
    assert not {"execute", "executemany", "executescript"} & set(vars(dbapi.TracedConnectionProxy))
    assert "executescript" not in vars(dbapi.TracedCursorProxy)


def test_connects_are_wrapped_as_the_contribs_own_instrument_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    monkeypatch.setattr(dbapi, "wrap_connect", lambda *a, **k: calls.append((a, k)))
    contrib_sqlite3.SQLite3Instrumentor()._instrument(tracer_provider="provider")
    theirs = list(calls)
    calls.clear()
    _sqlite3.SQLite3Instrumentor()._instrument(tracer_provider="provider")
    factories = [k.pop("db_api_integration_factory") for _, k in calls]
    assert calls == theirs and len(calls) == 2
    assert factories == [_sqlite3.ShortcutTracingIntegration] * 2


def test_sqlalchemy_opens_pool_connections_untraced(monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlalchemy
    import sqlalchemy.pool.base
    from sqlalchemy.pool import Pool

    # Restored after the test: the hook wraps SQLAlchemy's pool for the whole process.
    monkeypatch.setattr(Pool, "_create_connection", vars(Pool)["_create_connection"])
    keep_connection_setup_untraced(sqlalchemy.pool.base)
    while_connecting: list[bool] = []
    engine = sqlalchemy.create_engine("sqlite://")
    sqlalchemy.event.listen(
        engine, "connect", lambda *args: while_connecting.append(is_instrumentation_enabled())
    )
    with engine.connect() as connection:
        assert is_instrumentation_enabled()
        connection.execute(sqlalchemy.text("SELECT 1"))
    assert while_connecting == [False]


def test_django_opens_connections_untraced() -> None:
    # In a fresh interpreter: Django's settings are configured once per process.
    result = run_python(
        """
        import django
        from django.conf import settings
        settings.configure(DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3",
                                                  "NAME": ":memory:"}})
        django.setup()
        import django.db.backends.base.base as base
        from django.db import connection
        from django.db.backends.signals import connection_created
        from opentelemetry.instrumentation.utils import is_instrumentation_enabled
        from connect_otel._connection_setup import keep_connection_setup_untraced

        keep_connection_setup_untraced(base)
        connection_created.connect(
            lambda **kwargs: print("set-up", is_instrumentation_enabled()), weak=False
        )
        with connection.cursor() as cursor:
            print("query", is_instrumentation_enabled())
        """
    )
    assert result.stdout.split("\n") == ["set-up False", "query True", ""]


def test_asyncpg_fetchmany_is_traced_by_the_contribs_executemany_handler() -> None:
    import asyncpg.connection
    from opentelemetry.instrumentation import asyncpg as contrib_asyncpg
    from wrapt import FunctionWrapper

    from connect_otel import _asyncpg

    connection = asyncpg.connection.Connection
    contrib = contrib_asyncpg.AsyncPGInstrumentor()
    contrib.instrument(tracer_provider=TracerProvider())
    try:
        # The contrib traces executemany with this handler and leaves fetchmany alone.
        assert isinstance(vars(connection)["executemany"], FunctionWrapper)
        assert vars(connection)["executemany"]._self_wrapper == contrib._do_execute
        assert not isinstance(vars(connection)["fetchmany"], FunctionWrapper)
    finally:
        contrib.uninstrument()
    ours = _asyncpg.AsyncPGInstrumentor()
    ours.instrument(tracer_provider=TracerProvider())
    try:
        assert vars(connection)["fetchmany"]._self_wrapper == ours._do_execute
    finally:
        ours.uninstrument()
    assert not isinstance(vars(connection)["fetchmany"], FunctionWrapper)


def test_an_extension_stands_beside_the_contribs_instance() -> None:
    contribs = contrib_sqlite3.SQLite3Instrumentor()  # made first, as an app might
    ours = _sqlite3.SQLite3Instrumentor()
    assert type(ours) is _sqlite3.SQLite3Instrumentor and ours is _sqlite3.SQLite3Instrumentor()
    assert vars(contrib_sqlite3.SQLite3Instrumentor)["_instance"] is contribs
    assert not ours.is_instrumented_by_opentelemetry
    contribs.instrument(tracer_provider=TracerProvider())
    try:
        # The app turned the contrib's on itself: Connect must not wrap sqlite3 a second time.
        assert ours.is_instrumented_by_opentelemetry
    finally:
        contribs.uninstrument()
    assert not ours.is_instrumented_by_opentelemetry


class RefusingInstrumentor:
    """Stands in for a contrib instrumentor that refuses the installed library's version."""

    calls: ClassVar[list[str]] = []
    is_instrumented_by_opentelemetry = False

    def instrument(self, **options: object) -> None:
        RefusingInstrumentor.calls.append("asked")


def test_a_refused_instrumentation_is_not_called_traced(caplog: pytest.LogCaptureFixture) -> None:
    refused = Library("refused", "json", __name__, "RefusingInstrumentor")
    with caplog.at_level(logging.WARNING, "connect_otel"):
        result = instrument(("refused",), {}, (refused,))
    assert RefusingInstrumentor.calls == ["asked"] and result.traced == []
    assert [r.getMessage() for r in caplog.records] == [
        "Connect is not tracing refused: its OpenTelemetry instrumentation does not support the "
        "installed version (see the message above)"
    ]
