"""HTTP server metrics that the semantic conventions still mark as development, off by default.

Of the HTTP server metrics only `http.server.request.duration` is stable. The contrib request
instrumentations also record requests in flight (two updates a request) and the request and
response body sizes; Connect records those only under `CONNECT_DEVELOPMENT_METRICS=true`.
Instruments are filtered where they are made, so an unwanted one costs a request nothing.
"""

from __future__ import annotations

from typing import Any, cast

from opentelemetry import metrics
from opentelemetry.metrics import Meter, MeterProvider, NoOpMeter
from opentelemetry.util.types import Attributes

from connect_otel.settings import Settings

HTTP_SERVER_ACTIVE_REQUESTS = "http.server.active_requests"
DEVELOPMENT_HTTP_METRICS = frozenset(
    {
        HTTP_SERVER_ACTIVE_REQUESTS,
        "http.server.request.body.size",
        "http.server.response.body.size",
    }
)


def request_meter_provider(settings: Settings) -> MeterProvider:
    """What a request instrumentation records through."""
    provider = metrics.get_meter_provider()
    return provider if settings.development_metrics else StableMetricsOnly(provider)


class StableMetricsOnly(MeterProvider):
    """A meter provider whose meters make no-op instruments for development HTTP metrics."""

    def __init__(self, provider: MeterProvider) -> None:
        self._provider = provider

    def get_meter(
        self,
        name: str,
        version: str | None = None,
        schema_url: str | None = None,
        attributes: Attributes | None = None,
    ) -> Meter:
        meter = self._provider.get_meter(name, version, schema_url, attributes)
        # Not a Meter subclass: it forwards every attribute, so it is one wherever used.
        return cast(Meter, _StableMeter(meter))


class _StableMeter:
    def __init__(self, meter: Meter) -> None:
        self._meter = meter
        self._noop = NoOpMeter(meter.name)

    def __getattr__(self, attribute: str) -> Any:
        real = getattr(self._meter, attribute)
        if not attribute.startswith("create_"):
            return real
        noop = getattr(self._noop, attribute)

        def create(name: str, *args: Any, **kwargs: Any) -> Any:
            return (noop if name in DEVELOPMENT_HTTP_METRICS else real)(name, *args, **kwargs)

        return create
