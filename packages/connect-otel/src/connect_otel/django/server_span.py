"""The contrib Django middleware, made to follow the HTTP conventions for server spans.

- A request with a `Host` header outside ALLOWED_HOSTS is traced like any other. The contrib
  middleware builds each request's absolute URL to match its excluded URLs, and that validates
  the host: the DisallowedHost it raised turned the request into a 400 with no span, whose
  traceback started in the middleware, even in a site that would have served it. Now the site's
  own host check (CommonMiddleware's, or the app's) raises where it would without Connect. The
  URL is also built without the quoting Django's `build_absolute_uri` does, which cost about
  15 µs a call, four calls a request; excluded paths are matched on the path as requested.
- An exception that Django turns into a 4xx answer (Http404, PermissionDenied, BadRequest) is
  how a view answers, not a failure: the span keeps an unset status and no exception event, as
  the other frameworks' spans do.
- A request answered before Django routed it (by a middleware: a redirect, the host check) is
  named by its method alone, like one no route matched: the contrib middleware names it by the
  route its path would have matched, which the span then does not carry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse
from opentelemetry import trace
from opentelemetry.instrumentation.django.middleware.otel_middleware import _DjangoMiddleware

from connect_otel._span_names import unrouted_span_name

Result = TypeVar("Result")

# The attribute the contrib middleware calls to build the URL it matches excluded URLs against.
URL_BUILDER = "build_absolute_uri"


class ServerSpanMiddleware(_DjangoMiddleware):
    def process_request(self, request: HttpRequest) -> None:
        _with_unchecked_host(super().process_request, request)

    def process_view(
        self, request: HttpRequest, view_func: object, *args: Any, **kwargs: Any
    ) -> None:
        _with_unchecked_host(super().process_view, request, view_func, *args, **kwargs)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        _with_unchecked_host(super().process_exception, request, exception)

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if response.status_code < 500:
            request.META.pop(self._environ_exception_key, None)
        if request.resolver_match is None:
            span = trace.get_current_span()
            if span.is_recording():
                span.update_name(unrouted_span_name(request.method or ""))
        answered: HttpResponse = _with_unchecked_host(super().process_response, request, response)
        return answered


def _with_unchecked_host(
    method: Callable[..., Result], request: HttpRequest, *args: Any, **kwargs: Any
) -> Result:
    # Only for the contrib's own call: the app's code must still meet the host check.
    setattr(request, URL_BUILDER, lambda location=None: _url_to_match(request))
    try:
        return method(request, *args, **kwargs)
    finally:
        delattr(request, URL_BUILDER)


def _url_to_match(request: HttpRequest) -> str:
    # The host as sent: it is matched against, never trusted or exported from here.
    return f"{request.scheme}://{request.META.get('HTTP_HOST', '')}{request.path}"
