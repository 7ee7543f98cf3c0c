"""The current trace in every Django template: add
"connect_otel.django.context_processors.current_trace" to the template engine's
`context_processors`. An error page shows `{{ connect_trace_url }}` or
`{{ connect_trace.trace_id }}`; both are worked out only where a template uses them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connect_otel._current_trace import current_trace as _current_trace
from connect_otel._current_trace import trace_url


def current_trace(request: Any) -> dict[str, Callable[[], object]]:
    # Django calls a callable context value when a template reads it.
    return {"connect_trace": _current_trace, "connect_trace_url": trace_url}
