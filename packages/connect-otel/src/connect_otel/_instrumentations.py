"""The libraries Connect traces beyond the framework's requests, on the contrib instrumentations.

With `CONNECT_INSTRUMENT=auto` every supported library the app has installed is instrumented,
with no code from the user. A library installed without its instrumentation is named, with the
extra that brings it, only once the app's own code imports it (`_app_imports`): installed is not
used (the OTLP exporter itself brings requests and urllib3; `fastapi[standard]` brings httpx and
`fastapi run` imports it). An instrumentation that fails to load is logged and skipped: it never
stops the app or the others.

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

import functools
import importlib
import importlib.metadata
import importlib.util
import logging
import sys
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType

from wrapt import register_post_import_hook

from connect_otel._app_imports import import_is_the_apps, used_by_app_code
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

    @functools.cached_property
    def refused_version(self) -> str | None:
        """Why the installed library's version is one its instrumentation refuses, or None (the
        contrib declares the range it supports and instruments nothing outside it)."""
        try:
            from opentelemetry.instrumentation.dependencies import get_dist_dependency_conflicts

            conflict = get_dist_dependency_conflicts(
                importlib.metadata.distribution(self.instrumentation.replace(".", "-"))
            )
        except Exception:  # no metadata to read: instrumenting will tell
            return None
        if conflict is None or not conflict.required:
            return None
        required = str(conflict.required).split(";")[0]
        installed = conflict.found or "another version"
        return f"its instrumentation supports {required}; {installed} is installed"


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
    # Asked for by name, or imported by the app's own code, without the instrumentation: the
    # extra would trace it.
    missing: list[Library] = field(default_factory=list)
    # Installed without the instrumentation: missing once the app's own code imports it.
    uninstrumented: list[Library] = field(default_factory=list)
    # Installed in a version its instrumentation refuses, with why: never "tracing" these.
    refused: list[tuple[Library, str]] = field(default_factory=list)

    def describe(self) -> str:
        parts = [f"tracing {', '.join(lib.name for lib in self.traced) or 'no libraries'}"]
        not_traced = [_advice(lib) for lib in self.missing]
        not_traced += [f"{lib.name} ({why})" for lib, why in self.refused]
        if not_traced:
            parts.append(f"not traced: {', '.join(not_traced)}")
        return "; ".join(parts)

    def imported_by_the_app(self, modules: Collection[str]) -> None:
        """Names as missing each uninstrumented library among `modules` that the app's own code
        uses (not a library's or a command-line tool's import of it)."""
        imported = [lib for lib in self.uninstrumented if lib.module in modules]
        used = used_by_app_code({lib.module.split(".")[0] for lib in imported})
        self.missing += [lib for lib in imported if lib.module.split(".")[0] in used]

    def describe_uninstrumented(self) -> str | None:
        """What `connect-otel check`, which does not run the app, can say of the rest."""
        rest = [library.name for library in self.uninstrumented if library not in self.missing]
        if not rest:
            return None
        return (
            f"installed without their extra: {', '.join(rest)}; the app's log names each it imports"
        )


def _advice(library: Library) -> str:
    return f"{library.name} (add connect-otel[{library.name}])"


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
        # One layer per query: SQLAlchemy's when its instrumentation takes the installed
        # version, else the drivers'.
        sqlalchemy = [library for library in libraries if library.name == SQLALCHEMY]
        if sqlalchemy and sqlalchemy[0].installed and sqlalchemy[0].refused_version:
            wanted |= {lib.name for lib in libraries if lib.name in DRIVERS and lib.installed}
        else:
            wanted -= set(DRIVERS)
    wanted -= set(skip)
    result = Plan()
    for library in libraries:
        if library.name not in wanted:
            continue
        if auto and not library.installed:
            continue
        if library.instrumentable:
            refused = library.refused_version if library.installed else None
            if refused is None:
                result.traced.append(library)
            else:
                result.refused.append((library, refused))
        elif not auto:
            result.missing.append(library)
        elif not library.stdlib:
            result.uninstrumented.append(library)
    return result


def instrument(
    chosen: tuple[str, ...],
    after: dict[str, Callable[[], None]],
    libraries: tuple[Library, ...] = LIBRARIES,
    skip: Sequence[str] = (),
    imported_before: Collection[str] = (),
) -> Plan:
    """Instruments what `plan(chosen, libraries, skip)` traces, each library once the app
    imports it; `after[name]` runs once that library is on.

    `imported_before` holds the modules imported before Connect started: an uninstrumented
    library among them that the app's code uses is missing at once, one imported later once the
    app's code imports it. One Connect itself imported while starting is not the app's: the app
    importing it afterwards finds it loaded and goes unseen."""
    result = plan(chosen, libraries, skip)
    for library in list(result.traced):

        def instrument_now(module: ModuleType, library: Library = library) -> None:
            if not _instrument(library, after.get(library.name)):
                result.traced.remove(library)

        register_post_import_hook(instrument_now, library.module)
    result.imported_by_the_app(imported_before)
    for library in result.uninstrumented:
        if library.module not in sys.modules:

            def advise(module: ModuleType, library: Library = library) -> None:
                try:
                    if not import_is_the_apps():
                        return
                except Exception:  # the app's import must go on whatever happens here
                    logger.debug("Connect could not tell who imported %s", library.name)
                    return
                result.missing.append(library)
                logger.info(
                    "Connect is not tracing %s, which the app imports (add connect-otel[%s])",
                    library.name,
                    library.name,
                )

            register_post_import_hook(advise, library.module)
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
