"""The contrib WSGI middleware's header capture, asked for only when headers are to be captured.

On every request the middleware collects the request's and the response's headers for capture:
each time it reads the process environment twice, copies every `HTTP_*` key of the WSGI
environ and walks the response headers, then keeps none of them unless
OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST or _RESPONSE names some. `install()`
puts, in the two names the middleware calls, functions that answer `{}` at once when the
variable is empty, as the contrib's own answer would be, and hand over to the contrib's
otherwise. The variables are still read on every request, so setting one takes effect as it
did. `tests/unit/test_wsgi_captured_headers_unit.py` compares both answers and fails if the
middleware stops calling these names.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from opentelemetry.instrumentation import wsgi
from opentelemetry.util.http import (
    OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST,
    OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_RESPONSE,
)

Collect = Callable[[Any], dict[str, list[str]]]

# The middleware's module-level name, and the variable that says what it captures.
_PLACES = (
    (
        "collect_custom_request_headers_attributes",
        OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST,
    ),
    (
        "collect_custom_response_headers_attributes",
        OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_RESPONSE,
    ),
)


def install() -> None:
    """Once, however often called."""
    for name, variable in _PLACES:
        original = getattr(wsgi, name)
        if not hasattr(original, "__wrapped__"):
            setattr(wsgi, name, _when_asked(original, variable))


def _when_asked(original: Collect, variable: str) -> Collect:
    def collect(source: Any) -> dict[str, list[str]]:
        if not os.environ.get(variable):
            return {}
        return original(source)

    collect.__wrapped__ = original  # type: ignore[attr-defined]
    return collect
