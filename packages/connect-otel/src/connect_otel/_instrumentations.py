"""The libraries Connect traces beyond the framework's requests, on the contrib instrumentations.

With `CONNECT_INSTRUMENT=auto` every supported library the app has installed is instrumented,
with no code from the user; a library whose instrumentation is not installed is named once at
start-up with the extra that brings it. An instrumentation that fails to load is logged and
skipped: it never stops the app or the others.

Each library is instrumented when the app first imports it (at once when it already has). An app
with Celery, SQLAlchemy and Redis installed but not imported does not load them: importing
every installed library at start-up grew a FastAPI app's heap by half (41,000 objects), which
every full garbage collection then walks while requests wait.

Database queries are traced at one layer only, so each query is one span: the drivers'
(sqlite3, psycopg, psycopg2, asyncpg), which also cover SQLAlchemy engines on those drivers;
SQLAlchemy's own layer is used only when `CONNECT_INSTRUMENT` names it, and then the drivers are
left alone. Either way, the queries SQLAlchemy and Django run to set up a new connection are
not traced (`_connection_setup.py`).
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType

from wrapt import register_post_import_hook

from connect_otel._connection_setup import OPENERS, keep_connection_setup_untraced

logger = logging.getLogger("connect_otel")

AUTO = "auto"
SQLALCHEMY = "sqlalchemy"
DRIVERS = ("sqlite3", "psycopg", "psycopg2", "asyncpg")
NOT_INSTRUMENTED = (
    "Connect is not tracing %s: its OpenTelemetry instrumentation does not support the installed "
    "version (see the message above)"
)


@dataclass(frozen=True)
class Library:
    name: str  # in CONNECT_INSTRUMENT and as the extra: connect-otel[name]
    module: str  # what the app imports
    instrumentation: str  # the contrib instrumentation's module
    instrumentor: str  # its BaseInstrumentor class
    # Python's own modules are always installed: they are named as not traced only when asked for.
    stdlib: bool = False
    # Passed to instrument(): queries carry their statement, never the values bound to it.
    options: Mapping[str, object] = field(default_factory=dict)
    # Where Connect's subclass of the contrib instrumentor lives, when it extends the contrib's.
    extended_in: str | None = None

    @property
    def installed(self) -> bool:
        return _module_exists(self.module)

    @property
    def instrumentable(self) -> bool:
        return _module_exists(self.instrumentation)


LIBRARIES = (
    Library(
        "requests", "requests", "opentelemetry.instrumentation.requests", "RequestsInstrumentor"
    ),
    Library("httpx", "httpx", "opentelemetry.instrumentation.httpx", "HTTPXClientInstrumentor"),
    Library("urllib3", "urllib3", "opentelemetry.instrumentation.urllib3", "URLLib3Instrumentor"),
    Library(
        "urllib", "urllib.request", "opentelemetry.instrumentation.urllib", "URLLibInstrumentor",
        stdlib=True,
    ),
    Library("celery", "celery", "opentelemetry.instrumentation.celery", "CeleryInstrumentor"),
    Library("redis", "redis", "opentelemetry.instrumentation.redis", "RedisInstrumentor"),
    Library(
        SQLALCHEMY, "sqlalchemy", "opentelemetry.instrumentation.sqlalchemy",
        "SQLAlchemyInstrumentor",
    ),
    Library(
        "sqlite3", "sqlite3", "opentelemetry.instrumentation.sqlite3", "SQLite3Instrumentor",
        stdlib=True, extended_in="connect_otel._sqlite3",  # Connection.execute and the others
    ),
    Library(
        "psycopg", "psycopg", "opentelemetry.instrumentation.psycopg", "PsycopgInstrumentor",
        options={"capture_parameters": False, "enable_commenter": False},
    ),
    Library(
        "psycopg2", "psycopg2", "opentelemetry.instrumentation.psycopg2", "Psycopg2Instrumentor"
    ),
    Library(
        "asyncpg", "asyncpg", "opentelemetry.instrumentation.asyncpg", "AsyncPGInstrumentor",
        options={"capture_parameters": False}, extended_in="connect_otel._asyncpg",  # fetchmany
    ),
)  # fmt: skip

NAMES = tuple(library.name for library in LIBRARIES)


@dataclass
class Plan:
    """What `CONNECT_INSTRUMENT` asks for, against what this environment has."""

    traced: list[Library] = field(default_factory=list)
    # Installed (or asked for) without the instrumentation: the extra would trace it.
    missing: list[Library] = field(default_factory=list)

    def describe(self) -> str:
        parts = [f"tracing {', '.join(lib.name for lib in self.traced) or 'no libraries'}"]
        if self.missing:
            extras = ", ".join(f"{lib.name} (add connect-otel[{lib.name}])" for lib in self.missing)
            parts.append(f"not traced: {extras}")
        return "; ".join(parts)


def plan(
    chosen: tuple[str, ...],
    libraries: tuple[Library, ...] = LIBRARIES,
    skip: Sequence[str] = (),
) -> Plan:
    """Which libraries to instrument for `chosen`: `("auto",)`, `()` or names from `NAMES`;
    `skip` names libraries the framework traces itself."""
    auto = chosen == (AUTO,)
    wanted = {library.name for library in libraries} - {SQLALCHEMY} if auto else set(chosen)
    if SQLALCHEMY in wanted:
        wanted -= set(DRIVERS)  # one layer per query
    wanted -= set(skip)
    result = Plan()
    for library in libraries:
        if library.name not in wanted:
            continue
        if auto and not library.installed:
            continue
        if library.instrumentable:
            result.traced.append(library)
        elif not (auto and library.stdlib):
            result.missing.append(library)
    return result


def instrument(
    chosen: tuple[str, ...],
    after: dict[str, Callable[[], None]],
    libraries: tuple[Library, ...] = LIBRARIES,
    skip: Sequence[str] = (),
) -> Plan:
    """Instruments what `plan(chosen, libraries, skip)` traces, each library once the app
    imports it; `after[name]` runs once that library is on."""
    result = plan(chosen, libraries, skip)
    for library in list(result.traced):

        def instrument_now(module: ModuleType, library: Library = library) -> None:
            if not _instrument(library, after.get(library.name)):
                result.traced.remove(library)

        register_post_import_hook(instrument_now, library.module)
    if any(library.name in (SQLALCHEMY, *DRIVERS) for library in result.traced):
        for opener in OPENERS:
            register_post_import_hook(keep_connection_setup_untraced, opener)
    return result


def _instrument(library: Library, after: Callable[[], None] | None) -> bool:
    try:
        instrumentor = getattr(
            importlib.import_module(library.extended_in or library.instrumentation),
            library.instrumentor,
        )()
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument(**library.options)
        if not instrumentor.is_instrumented_by_opentelemetry:
            # The contrib refuses a library version outside the range it declares, and says so.
            logger.warning(NOT_INSTRUMENTED, library.name)
            return False
        if after is not None:
            after()
    except Exception:
        logger.warning(
            "Connect could not instrument %s; the app and every other library are traced as usual",
            library.name,
            exc_info=True,
        )
        return False
    return True


def _module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False
