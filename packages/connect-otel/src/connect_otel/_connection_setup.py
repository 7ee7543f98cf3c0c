"""Connection set-up kept out of the trace of the request that happened to need a connection.

When SQLAlchemy's pool opens a connection, the dialect asks the server about itself on the first
one (`select pg_catalog.version()`, `show standard_conforming_strings`, ...) and runs its
`on_connect` steps on each; when Django opens one, its backend runs its own (sqlite3's `PRAGMA
foreign_keys = ON`, ...) and `connection_created` handlers run. That is connection work, not
the request's, yet the drivers traced it inside whichever request came first. Opening a
connection runs with instrumentation suppressed (the OpenTelemetry API's own switch), so those
queries are not traced; the queries the request runs on the connection are traced as before.

SQLAlchemy's pools open connections through `Pool._create_connection` (every pool class of
SQLAlchemy 1.4 to 2.1 calls it) and Django's backends through `BaseDatabaseWrapper.connect`;
unit tests fail if either changes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from types import ModuleType
from typing import Any

from wrapt import wrap_function_wrapper

logger = logging.getLogger("connect_otel")

# The module each library opens its connections in, and the function that does it.
OPENERS = {
    "sqlalchemy.pool.base": "Pool._create_connection",
    "django.db.backends.base.base": "BaseDatabaseWrapper.connect",
}


def keep_connection_setup_untraced(module: ModuleType) -> None:
    """A post-import hook for each module of `OPENERS`."""
    try:
        # Imported here: without a token, Connect imports no OpenTelemetry module at all.
        from opentelemetry.instrumentation.utils import suppress_instrumentation

        def untraced(
            wrapped: Callable[..., Any],
            instance: object,
            args: tuple[Any, ...],
            kwargs: dict[str, Any],
        ) -> Any:
            with suppress_instrumentation():
                return wrapped(*args, **kwargs)

        wrap_function_wrapper(module, OPENERS[module.__name__], untraced)
    except Exception:
        logger.warning(
            "Connect could not keep the queries that open a database connection (%s) out of "
            "request traces; they appear in the trace of the request that opened it",
            module.__name__,
            exc_info=True,
        )
