"""asyncpg traced on every shortcut: `Connection.fetchmany` as well as the contrib's methods.

The contrib asyncpg instrumentation traces `execute`, `executemany`, `fetch`, `fetchval` and
`fetchrow`, not `fetchmany` (asyncpg 0.30+), which runs a statement once per set of arguments
just as `executemany` does. Here `fetchmany` is traced by the contrib's own handler for
`executemany`; a unit test fails if the contrib stops wrapping `executemany` with it, or starts
wrapping `fetchmany` itself.
"""

from __future__ import annotations

import importlib
from typing import Any

from opentelemetry.instrumentation import asyncpg as contrib
from opentelemetry.instrumentation.utils import unwrap
from wrapt import wrap_function_wrapper

from connect_otel._contrib_extension import ExtendsContrib

SHORTCUT = "fetchmany"


class AsyncPGInstrumentor(ExtendsContrib, contrib.AsyncPGInstrumentor):
    extends = contrib.AsyncPGInstrumentor

    def _instrument(self, **kwargs: Any) -> None:
        super()._instrument(**kwargs)  # type: ignore[no-untyped-call]
        if hasattr(_connection_class(), SHORTCUT):
            wrap_function_wrapper("asyncpg.connection", f"Connection.{SHORTCUT}", self._do_execute)

    def _uninstrument(self, **kwargs: Any) -> None:
        super()._uninstrument(**kwargs)  # type: ignore[no-untyped-call]
        unwrap(_connection_class(), SHORTCUT)


def _connection_class() -> Any:
    return importlib.import_module("asyncpg.connection").Connection
