"""SQLAlchemy's connection set-up kept out of the request that happened to need a connection.

When a SQLAlchemy pool opens a connection, the dialect asks the server about itself on the
first one (`select pg_catalog.version()`, `show standard_conforming_strings`, ...) and runs its
`on_connect` steps on each: pool work, not the request's, yet traced by the drivers inside
whichever request's trace came first. Opening a pool connection runs with instrumentation
suppressed (the OpenTelemetry API's own switch), so those queries are not traced at all; the
queries the request itself runs on that connection are traced as before.

The pools open connections through `Pool._create_connection`, which every pool class of
SQLAlchemy 1.4 to 2.1 calls; a unit test fails if that changes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from types import ModuleType
from typing import Any

from opentelemetry.instrumentation.utils import suppress_instrumentation
from wrapt import wrap_function_wrapper

logger = logging.getLogger("connect_otel")


def keep_pool_setup_untraced(sqlalchemy: ModuleType) -> None:
    """A post-import hook for `sqlalchemy`."""
    try:
        wrap_function_wrapper("sqlalchemy.pool.base", "Pool._create_connection", _untraced)
    except Exception:
        logger.warning(
            "Connect could not keep SQLAlchemy's connection set-up queries out of request "
            "traces; they appear in the trace of the request that opened the connection",
            exc_info=True,
        )


def _untraced(
    wrapped: Callable[..., Any], instance: object, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    with suppress_instrumentation():
        return wrapped(*args, **kwargs)
