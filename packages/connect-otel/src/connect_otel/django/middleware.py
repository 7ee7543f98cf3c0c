"""Route patterns with a leading slash, on the request span and in its duration metric.

Django's patterns have none ("blog/<slug>/", and "" for the site's root); every other
framework's, and the page-view beacon's, do. The contrib instrumentation records a non-empty
route in its own `process_view`, just before this one runs, and leaves the empty one out; at the
end of the request it reads the duration metric's attributes back from `request.META`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from opentelemetry import trace
from opentelemetry.instrumentation.django.middleware.otel_middleware import _DjangoMiddleware

from connect_otel._logbridge import remember_span_context

# Where the contrib middleware keeps the duration metric's attributes for the request.
_DURATION_ATTRIBUTES = _DjangoMiddleware._environ_duration_attr_key


class LeadingSlashRoutes:
    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        # Django logs "Not Found" and other request warnings after the span has ended.
        remember_span_context(request)
        return self.get_response(request)

    def process_view(self, request: Any, *view: object) -> None:
        route = getattr(getattr(request, "resolver_match", None), "route", None)
        if not isinstance(route, str) or route.startswith("/"):
            return
        slashed = "/" + route
        span = trace.get_current_span()
        if span.is_recording():
            span.set_attribute("http.route", slashed)
            span.update_name(f"{request.method} {slashed}")
        duration_attributes = request.META.get(_DURATION_ATTRIBUTES)
        if isinstance(duration_attributes, dict):
            duration_attributes["http.route"] = slashed
