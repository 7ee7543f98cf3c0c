"""The API's stand-in providers, which the pipeline recognises by type, are where it imports them.

The API keeps them in private modules: if a release moves or renames them, this fails before any
app does.
"""

from __future__ import annotations

from opentelemetry import _logs, metrics
from opentelemetry._logs import LoggerProvider as ApiLoggerProvider
from opentelemetry._logs._internal import ProxyLoggerProvider
from opentelemetry.metrics import MeterProvider as ApiMeterProvider
from opentelemetry.metrics._internal import _ProxyMeterProvider
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk.metrics import MeterProvider


def test_the_proxy_providers_are_the_apis_not_the_sdks() -> None:
    assert issubclass(_ProxyMeterProvider, ApiMeterProvider)
    assert issubclass(ProxyLoggerProvider, ApiLoggerProvider)
    assert not issubclass(_ProxyMeterProvider, MeterProvider)
    assert not issubclass(ProxyLoggerProvider, LoggerProvider)


def test_they_are_what_the_api_hands_out_before_a_provider_is_set() -> None:
    unset = "a test in this process set a global provider; in-process tests must not"
    assert isinstance(metrics.get_meter_provider(), _ProxyMeterProvider), unset
    assert isinstance(_logs.get_logger_provider(), ProxyLoggerProvider), unset
