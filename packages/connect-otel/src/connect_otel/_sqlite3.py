"""sqlite3 traced the way apps write it: `connection.execute(...)` as well as through a cursor.

The contrib sqlite3 instrumentation hands the app a connection proxy that traces only the
cursors it makes; the standard library's shortcuts (`Connection.execute`, `executemany`,
`executescript`) make their cursor in C, out of its sight, so an app written like Flask's
tutorial made no query span at all, and the cursor proxy has no `executescript`. Here the
shortcuts do what sqlite3's documentation says they do, through a traced cursor, and a cursor's
`executescript` is one query span: every way to run a statement is traced.

This instrumentor is the contrib's with one change: its `_instrument` passes the contrib's own
arguments plus an integration that makes this proxy. A unit test compares the two calls, so a
contrib release that changes how it wraps `connect` fails that test.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from opentelemetry.instrumentation import dbapi
from opentelemetry.instrumentation import sqlite3 as contrib
from opentelemetry.instrumentation.sqlite3.version import __version__

from connect_otel._contrib_extension import ExtendsContrib


class ScriptTracingCursor(dbapi.TracedCursorProxy):  # type: ignore[type-arg]
    """The contrib's cursor proxy, with sqlite3's `executescript` traced as one query."""

    def __init__(self, cursor: Any, db_api_integration: dbapi.DatabaseApiIntegration) -> None:
        super().__init__(cursor, db_api_integration)
        self._self_integration = db_api_integration

    def executescript(self, script: str) -> Any:
        # Its own tracer, made only here: most cursors never run a script.
        tracer: dbapi.CursorTracer[Any] = dbapi.CursorTracer(self._self_integration)
        return tracer.traced_execution(
            self.__wrapped__,
            self.__wrapped__.executescript,
            script,  # type: ignore[arg-type]  # the contrib annotates each argument as a tuple
        )


class ShortcutTracingConnection(dbapi.TracedConnectionProxy):  # type: ignore[type-arg]
    """The contrib's connection proxy, whose shortcuts go through its traced cursors."""

    def __init__(self, connection: Any, db_api_integration: dbapi.DatabaseApiIntegration) -> None:
        super().__init__(connection, db_api_integration)
        self._self_integration = db_api_integration

    def cursor(self, *args: Any, **kwargs: Any) -> ScriptTracingCursor:
        return ScriptTracingCursor(self.__wrapped__.cursor(*args, **kwargs), self._self_integration)

    # Each returns the cursor, as sqlite3's do: the traced one, so that its further use is traced.
    def execute(self, *args: Any, **kwargs: Any) -> ScriptTracingCursor:
        cursor = self.cursor()
        cursor.execute(*args, **kwargs)
        return cursor

    def executemany(self, *args: Any, **kwargs: Any) -> ScriptTracingCursor:
        cursor = self.cursor()
        cursor.executemany(*args, **kwargs)
        return cursor

    def executescript(self, script: str) -> ScriptTracingCursor:
        cursor = self.cursor()
        cursor.executescript(script)
        return cursor


class ShortcutTracingIntegration(dbapi.DatabaseApiIntegration):
    def wrapped_connection(
        self,
        connect_method: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[Any, Any],
    ) -> ShortcutTracingConnection:
        proxy = super().wrapped_connection(connect_method, args, kwargs)
        return ShortcutTracingConnection(proxy.__wrapped__, self)


class SQLite3Instrumentor(ExtendsContrib, contrib.SQLite3Instrumentor):
    extends = contrib.SQLite3Instrumentor

    def _instrument(self, **kwargs: Any) -> None:
        for module in self._TO_WRAP:
            dbapi.wrap_connect(
                contrib.__name__,
                module,  # type: ignore[arg-type]  # a module, as the contrib passes it
                "connect",
                contrib._DATABASE_SYSTEM,
                contrib._CONNECTION_ATTRIBUTES,
                version=__version__,
                tracer_provider=kwargs.get("tracer_provider"),
                db_api_integration_factory=ShortcutTracingIntegration,
            )
