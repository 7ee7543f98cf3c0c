"""Database query spans for whichever drivers the app has, through the contrib
instrumentations (sqlite3 through a cursor; psycopg 3).

Query spans carry the statement as the app wrote it, placeholders and all, never the values
bound to it: sqlite3's instrumentation has no option to capture them, psycopg's is told not to.
"""

from __future__ import annotations

import importlib.util


def instrument_databases() -> None:
    if importlib.util.find_spec("opentelemetry.instrumentation.sqlite3"):
        from opentelemetry.instrumentation.sqlite3 import SQLite3Instrumentor

        if not SQLite3Instrumentor().is_instrumented_by_opentelemetry:
            SQLite3Instrumentor().instrument()
    if importlib.util.find_spec("psycopg") and importlib.util.find_spec(
        "opentelemetry.instrumentation.psycopg"
    ):
        from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor

        if not PsycopgInstrumentor().is_instrumented_by_opentelemetry:
            PsycopgInstrumentor().instrument(capture_parameters=False, enable_commenter=False)
