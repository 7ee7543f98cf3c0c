"""What the contrib request instrumentations record through: development HTTP metrics off by
default, and the request duration into Connect's own histogram aggregation.

Of the HTTP server metrics only `http.server.request.duration` is stable. The contrib request
instrumentations also record requests in flight (two updates a request) and the request and
response body sizes; Connect records those only under `CONNECT_DEVELOPMENT_METRICS=true`.
Instruments are filtered where they are made, so an unwanted one costs a request nothing. The
duration histogram they are handed adds into Connect's own buckets (`_owned_histogram.py`),
found by the attributes the middleware built, instead of the SDK's `Histogram.record`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, cast

from opentelemetry import metrics
from opentelemetry.context import Context
from opentelemetry.metrics import Meter, MeterProvider, NoOpMeter
from opentelemetry.semconv.metrics.http_metrics import HTTP_SERVER_REQUEST_DURATION
from opentelemetry.util.types import Attributes

from connect_otel._owned_histogram import HistogramRecorder, histogram_recorder
from connect_otel.settings import Settings

logger = logging.getLogger("connect_otel")

HTTP_SERVER_ACTIVE_REQUESTS = "http.server.active_requests"
DEVELOPMENT_HTTP_METRICS = frozenset(
    {
        HTTP_SERVER_ACTIVE_REQUESTS,
        "http.server.request.body.size",
        "http.server.response.body.size",
    }
)

AttributeItems = tuple[tuple[str, Any], ...]


def request_meter_provider(settings: Settings) -> MeterProvider:
    """What a request instrumentation records through."""
    provider = metrics.get_meter_provider()
    if settings.development_metrics:
        return OwnedDuration(provider)
    return StableMetricsOnly(provider)


class OwnedDuration(MeterProvider):
    """A meter provider whose meters hand out Connect's request-duration histogram."""

    # No-op instruments for these names; none unless development metrics are filtered.
    left_out: frozenset[str] = frozenset()

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
        return cast(Meter, _RequestMeter(meter, self.left_out))


class StableMetricsOnly(OwnedDuration):
    """The same, with no-op instruments for the development HTTP metrics."""

    left_out = DEVELOPMENT_HTTP_METRICS


class _RequestMeter:
    def __init__(self, meter: Meter, left_out: frozenset[str]) -> None:
        self._meter = meter
        self._noop = NoOpMeter(meter.name)
        self._left_out = left_out

    def __getattr__(self, attribute: str) -> Any:
        real = getattr(self._meter, attribute)
        if not attribute.startswith("create_"):
            return real
        noop = getattr(self._noop, attribute)

        def create(name: str, *args: Any, **kwargs: Any) -> Any:
            if name in self._left_out:
                return noop(name, *args, **kwargs)
            if attribute == "create_histogram" and name == HTTP_SERVER_REQUEST_DURATION:
                return _duration_histogram(self._meter, name, *args, **kwargs)
            return real(name, *args, **kwargs)

        return create


def _duration_histogram(
    meter: Meter,
    name: str,
    unit: str = "",
    description: str = "",
    *,
    explicit_bucket_boundaries_advisory: Sequence[float] | None = None,
) -> Any:
    if explicit_bucket_boundaries_advisory is None:  # the SDK's default buckets: its own record
        return meter.create_histogram(name, unit, description)
    return KeyedByAttributes(
        histogram_recorder(
            meter,
            name,
            unit=unit,
            description=description,
            boundaries=explicit_bucket_boundaries_advisory,
            attributes_of=dict,
        )
    )


class KeyedByAttributes:
    """The histogram a contrib middleware records through: the items of the attributes it
    built are the key of their series."""

    def __init__(self, recorder: HistogramRecorder[AttributeItems]) -> None:
        self._recorder = recorder

    def record(
        self, amount: float, attributes: Attributes = None, context: Context | None = None
    ) -> None:
        try:
            items = tuple(attributes.items()) if attributes else ()
            try:
                hash(items)
            except TypeError:  # a list among the values: the SDK's record cleans it
                self._recorder.instrument.record(amount, attributes, context)
                return
            self._recorder.record(amount, items, context)
        except Exception:  # the middleware records as the request ends: it must end well
            logger.debug("Connect could not record a request's duration", exc_info=True)
