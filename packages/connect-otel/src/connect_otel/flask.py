"""Flask: `connect_otel.flask.init_app(app)`.

Settings come from keyword arguments, the environment, then `app.config["CONNECT_*"]`; the
service name defaults to the app's import name. Requests are traced by the contrib WSGI
middleware and named by their Flask route; queries by the database driver's instrumentation.
"""

from __future__ import annotations

import logging

from flask import Flask, request
from opentelemetry import metrics, trace
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.semconv.attributes.http_attributes import HTTP_ROUTE
from opentelemetry.trace import Status, StatusCode

from connect_config.frameworks import flask_config
from connect_otel._console import CONSOLE
from connect_otel._request_metrics import ROUTE_KEY, RequestMetrics
from connect_otel._setup import activate
from connect_otel._span_names import unrouted_span_name
from connect_otel.settings import TABLE, Settings

logger = logging.getLogger("connect_otel")


def init_app(app: Flask, **settings: object) -> bool:
    """Turns on export for `app`; True when export is active. A second call changes nothing."""
    active = activate(
        overrides=settings,
        framework=TABLE.framework_values(flask_config(app)),
        framework_defaults={"SERVICE_NAME": app.name},
    )
    if active is None:
        return False
    if "connect_otel" not in app.extensions:
        _let_flask_decide_about_its_stderr_handler(app)
        _trace_requests(app, active)
        app.extensions["connect_otel"] = active
    return True


def _let_flask_decide_about_its_stderr_handler(app: Flask) -> None:
    """Flask adds its stderr handler when `app.logger` is first used and no handler is reachable.
    That moment stays Flask's (the app may configure logging after `init_app`, and an app that
    never uses `app.logger` never gets the handler); only Connect's handlers stop counting as
    reachable, through the function Flask asks."""
    import flask.logging

    # Created while Connect was already on (after `configure()`): Flask saw Connect's handler.
    if "logger" in app.__dict__ and not CONSOLE.reaches_other_handler(
        app.logger, app.logger.getEffectiveLevel()
    ):
        app.logger.addHandler(flask.logging.default_handler)
    if getattr(flask.logging.has_level_handler, "ignores_connect", False):
        return

    def has_level_handler(logger: logging.Logger) -> bool:
        return CONSOLE.reaches_other_handler(logger, logger.getEffectiveLevel())

    has_level_handler.ignores_connect = True  # type: ignore[attr-defined]
    flask.logging.has_level_handler = has_level_handler
    CONSOLE.keep_unwidened(flask.logging.default_handler)


def _trace_requests(app: Flask, settings: Settings) -> None:
    # The contrib Flask instrumentation wraps this same middleware and adds per-request work
    # Connect does not need (the full URL rebuilt for an empty exclusion list, request
    # attributes collected twice, two up-down counter updates); the benchmark shows the cost.
    from opentelemetry.instrumentation.wsgi import OpenTelemetryMiddleware

    from connect_otel import _wsgi_captured_headers

    measured = RequestMetrics(
        app.wsgi_app,
        metrics.get_meter("connect_otel.flask"),
        settings.path_is_excluded,
        count_in_flight=settings.development_metrics,
    )
    traced = OpenTelemetryMiddleware(measured, meter_provider=NoOpMeterProvider())
    # Connect records the duration itself (RequestMetrics). Without histograms of its own, the
    # middleware skips building each request's record attributes and context for a no-op
    # instrument (it checks these attributes; a unit test fails if they are renamed).
    traced.duration_histogram_old = traced.duration_histogram_new = None
    _wsgi_captured_headers.install()
    app.wsgi_app = traced  # type: ignore[method-assign]
    app.teardown_request(_describe_request)


def _describe_request(error: BaseException | None) -> None:
    """Names the request's span by its route (by its method alone when no route matched: the
    WSGI middleware named it by its path) and records an exception Flask turned into a 500.

    At teardown the route is known even when a before_request handler answered early."""
    try:
        span = trace.get_current_span()
        # The request behind werkzeug's proxy, taken once: each read through the proxy costs.
        current = request._get_current_object()  # type: ignore[attr-defined]
        rule = current.url_rule
        if rule is not None:
            current.environ[ROUTE_KEY] = rule.rule
            if span.is_recording():
                span.update_name(f"{current.method} {rule.rule}")
                span.set_attribute(HTTP_ROUTE, rule.rule)
        elif span.is_recording():
            span.update_name(unrouted_span_name(current.method))
        if error is not None and span.is_recording():
            span.record_exception(error)
            span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"))
    except Exception:  # a teardown that raised would turn the answer into an error
        logger.debug("Connect could not describe a request's span", exc_info=True)
