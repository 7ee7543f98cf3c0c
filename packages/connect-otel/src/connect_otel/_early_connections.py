"""Database connections the app opened before Connect started, which Connect cannot trace.

The driver instrumentations wrap `connect()`: a connection opened before (an engine and its
tables created at import, before `init_app`, as SQLAdmin's set-up does) runs its queries
untraced for as long as a pool keeps it. Connect cannot wrap it afterwards, so it says so at
start-up rather than call the driver traced while its queries go unseen.
"""

from __future__ import annotations

import gc
import importlib
import logging
import sys
from collections.abc import Iterable

logger = logging.getLogger("connect_otel")

# Each driver's connection classes, by the module that defines them.
CONNECTION_CLASSES = {
    "sqlite3": ("sqlite3", ("Connection",)),
    "psycopg": ("psycopg", ("Connection", "AsyncConnection")),
    "psycopg2": ("psycopg2.extensions", ("connection",)),
    "asyncpg": ("asyncpg.connection", ("Connection",)),
}


def opened_before(drivers: Iterable[str]) -> dict[str, int]:
    """How many connections of each of `drivers` are open now; only drivers the app has
    imported are looked for, in one walk over the objects the collector tracks."""
    classes: dict[type, str] = {}
    for driver in drivers:
        module_name, names = CONNECTION_CLASSES.get(driver, ("", ()))
        if module_name.split(".")[0] not in sys.modules:
            continue
        module = importlib.import_module(module_name)
        for name in names:
            found = getattr(module, name, None)
            if isinstance(found, type):
                classes[found] = driver
    if not classes:
        return {}
    counts: dict[str, int] = {}
    kinds = tuple(classes)
    for candidate in gc.get_objects():
        if isinstance(candidate, kinds):
            driver = (
                classes[type(candidate)]
                if type(candidate) in classes
                else _driver_of(candidate, classes)
            )
            counts[driver] = counts.get(driver, 0) + 1
    return counts


def _driver_of(connection: object, classes: dict[type, str]) -> str:
    return next(driver for kind, driver in classes.items() if isinstance(connection, kind))


def warn_about(counts: dict[str, int]) -> None:
    for driver, count in sorted(counts.items()):
        logger.warning(
            "Connect is tracing %s, but %d %s opened before Connect started: %s queries are not "
            "traced. Start Connect (configure() or the framework's init) before the app opens "
            "connections (with SQLAlchemy, before create_engine)",
            driver,
            count,
            "connection was" if count == 1 else "connections were",
            "its" if count == 1 else "their",
        )
