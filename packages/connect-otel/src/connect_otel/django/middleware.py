"""Route patterns with a leading slash, on the request span and in its duration metric.

Django's patterns have none ("blog/<slug>/"); every other framework's, and the page-view
beacon's, do. The contrib instrumentation records the route in its own `process_view`, just
before this one runs, and reads the metric attributes back from `request.META` at the end.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from opentelemetry import trace

# Where the contrib Django middleware keeps the duration metric's attributes until the response
# (a private name of the instrumentation; the framework tests' route metric assertions fail if
# it changes).
DURATION_ATTRIBUTES = "opentelemetry-instrumentor-django.duration_attr_key"


class LeadingSlashRoutes:
    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        return self.get_response(request)

    def process_view(self, request: Any, *view: object) -> None:
        route = getattr(getattr(request, "resolver_match", None), "route", None)
        if route is None or route.startswith("/"):
            return
        slashed = "/" + route
        span = trace.get_current_span()
        if span.is_recording():
            span.set_attribute("http.route", slashed)
            span.update_name(f"{request.method} {slashed}")
        # The root route "" is falsy, so the instrumentation recorded no route for it at all.
        duration = request.META.get(DURATION_ATTRIBUTES)
        if isinstance(duration, dict):
            duration["http.route"] = slashed
