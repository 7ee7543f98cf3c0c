"""The contrib WSGI middleware's header capture, skipped when nothing is to be captured
(`_wsgi_captured_headers`), and the middleware's own duration histogram dropped on Flask."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from opentelemetry.instrumentation import wsgi
from opentelemetry.instrumentation.wsgi import OpenTelemetryMiddleware

from connect_otel import _wsgi_captured_headers

REQUEST_VARIABLE = "OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST"
RESPONSE_VARIABLE = "OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_RESPONSE"
ENVIRON = {
    "REQUEST_METHOD": "GET",
    "PATH_INFO": "/",
    "HTTP_REFERER": "https://shop.example/cart",
    "HTTP_X_REQUEST_ID": "abc",
    "HTTP_USER_AGENT": "load/1",
}
RESPONSE_HEADERS = [("Location", "/next"), ("X-Request-Id", "abc"), ("x-request-id", "def")]


@pytest.fixture(autouse=True)
def installed() -> None:
    _wsgi_captured_headers.install()


@pytest.mark.parametrize(
    ("name", "variable", "collected_from", "setting"),
    [
        *(
            ("collect_custom_request_headers_attributes", REQUEST_VARIABLE, ENVIRON, setting)
            for setting in (None, "", "referer", "x-request-id,user-agent", "X-.*")
        ),
        *(
            (
                "collect_custom_response_headers_attributes",
                RESPONSE_VARIABLE,
                RESPONSE_HEADERS,
                setting,
            )
            for setting in (None, "", "location", "x-request-id")
        ),
    ],
)
def test_headers_are_what_the_contrib_collects(
    name: str,
    variable: str,
    collected_from: Any,
    setting: str | None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    set_or_unset(monkeypatch, variable, setting)
    wrapped = getattr(wsgi, name)
    original: Any = getattr(wrapped, "__wrapped__", None)
    assert original is not None, "not installed"
    assert wrapped(collected_from) == original(collected_from)
    if setting:
        assert wrapped(collected_from), "a named header is captured"


def test_installing_twice_wraps_once() -> None:
    _wsgi_captured_headers.install()
    wrapped: Any = wsgi.collect_custom_request_headers_attributes
    assert not hasattr(wrapped.__wrapped__, "__wrapped__")


def test_the_middleware_still_collects_and_records_through_these_names() -> None:
    called = inspect.getsource(OpenTelemetryMiddleware.__call__)
    assert "collect_custom_request_headers_attributes(environ)" in called
    assert "collect_custom_response_headers_attributes(" in inspect.getsource(
        OpenTelemetryMiddleware._create_start_response
    )
    # Flask's wiring sets these to None so that no record is built for a no-op instrument.
    assert "if self.duration_histogram_new:" in called
    assert "if self.duration_histogram_old:" in called
    middleware = OpenTelemetryMiddleware(lambda environ, start_response: [])
    assert {"duration_histogram_old", "duration_histogram_new"} <= vars(middleware).keys()


def set_or_unset(monkeypatch: pytest.MonkeyPatch, name: str, value: str | None) -> None:
    if value is None:
        monkeypatch.delenv(name, raising=False)
    else:
        monkeypatch.setenv(name, value)
