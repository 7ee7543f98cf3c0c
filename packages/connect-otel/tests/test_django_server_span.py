"""ServerSpanMiddleware against the installed contrib Django middleware it subclasses, in a fresh
interpreter: it relies on how the contrib builds the URL it matches excluded URLs against, on
the request key it keeps a view's exception under, and on the entry its instrumentor adds to
MIDDLEWARE. A contrib release that changes any of them fails here."""

from __future__ import annotations

import functools
import json

from connect_testkit.scripts import run_python

SCRIPT = """
import json
import django
from django.conf import settings

settings.configure(ALLOWED_HOSTS=["good.example"], ROOT_URLCONF=__name__, MIDDLEWARE=[])
urlpatterns = []
django.setup()

from django.core.exceptions import DisallowedHost
from django.http import Http404, HttpResponse
from django.test import RequestFactory
from opentelemetry.instrumentation.django import DjangoInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

exported = InMemorySpanExporter()
provider = TracerProvider(shutdown_on_exit=False)
provider.add_span_processor(SimpleSpanProcessor(exported))
DjangoInstrumentor().instrument(tracer_provider=provider, excluded_urls="/health")

from connect_otel.django.apps import SERVER_SPAN_MIDDLEWARE, _replace_contrib_middleware
from connect_otel.django.server_span import ServerSpanMiddleware

_replace_contrib_middleware()
result = {"middleware": list(settings.MIDDLEWARE), "host_check": []}


def app(request):
    try:
        request.build_absolute_uri()
        result["host_check"].append("passed")
    except DisallowedHost:
        result["host_check"].append("raised")
    return HttpResponse(status=400)


middleware = ServerSpanMiddleware(app)
factory = RequestFactory()
for path in ("/items/1", "/health"):
    middleware(factory.get(path, HTTP_HOST="evil.example"))


def view_raised(exception, status):
    request = factory.get("/items/2", HTTP_HOST="good.example")
    middleware.process_request(request)
    middleware.process_exception(request, exception)
    middleware.process_response(request, HttpResponse(status=status))


view_raised(Http404("no such item"), 404)
view_raised(RuntimeError("broken"), 500)
result["spans"] = [
    {
        "name": span.name,
        "status": span.status.status_code.name,
        "events": [event.name for event in span.events],
        "code": span.attributes.get("http.response.status_code"),
        "host": span.attributes.get("server.address"),
    }
    for span in exported.get_finished_spans()
]
print(json.dumps(result))
"""


@functools.cache
def run() -> dict[str, object]:
    # The stable HTTP conventions, as Connect's pipeline asks for.
    environ = {"OTEL_SEMCONV_STABILITY_OPT_IN": "http"}
    result: dict[str, object] = json.loads(run_python(SCRIPT, environ).stdout)
    return result


def test_it_takes_the_contrib_middlewares_place() -> None:
    from connect_otel.django.apps import SERVER_SPAN_MIDDLEWARE

    assert run()["middleware"] == [SERVER_SPAN_MIDDLEWARE]


def test_a_bad_host_is_traced_and_still_refused_by_the_app_s_own_check() -> None:
    result = run()
    assert result["host_check"] == ["raised", "raised"], "the app's code meets the check"
    spans = result["spans"]
    assert isinstance(spans, list)
    # Excluded paths stay excluded without a valid host.
    assert [span["host"] for span in spans] == ["evil.example", "good.example", "good.example"]
    assert spans[0] == {
        "name": "GET",
        "status": "UNSET",
        "events": [],
        "code": 400,
        "host": "evil.example",
    }


def test_an_exception_answered_4xx_leaves_no_event_and_5xx_stays_an_error() -> None:
    spans = run()["spans"]
    assert isinstance(spans, list)
    not_found, broken = spans[1:]
    assert (not_found["status"], not_found["events"], not_found["code"]) == ("UNSET", [], 404)
    assert (broken["status"], broken["events"], broken["code"]) == ("ERROR", ["exception"], 500)
