from __future__ import annotations

import os

from django.apps import AppConfig
from django.conf import settings as django_settings

from connect_config.frameworks import django_settings as django_lookup
from connect_otel._development_metrics import request_meter_provider
from connect_otel._setup import activate
from connect_otel.settings import TABLE

# The contrib Django middleware, adjusted to the HTTP conventions; it takes the contrib's place.
SERVER_SPAN_MIDDLEWARE = "connect_otel.django.server_span.ServerSpanMiddleware"


class ConnectOtelConfig(AppConfig):
    name = "connect_otel.django"
    label = "connect_otel"

    def ready(self) -> None:
        framework = TABLE.framework_values(django_lookup())
        project = os.environ.get("DJANGO_SETTINGS_MODULE", "").split(".")[0]
        active = activate(framework=framework, framework_defaults={"SERVICE_NAME": project})
        if active is None:
            return
        from opentelemetry.instrumentation.django import DjangoInstrumentor

        # Excluded paths make no spans and no request metrics.
        DjangoInstrumentor().instrument(
            excluded_urls=active.excluded_urls() or None,
            meter_provider=request_meter_provider(active),
        )
        _replace_contrib_middleware()
        _add_after_instrumentation("connect_otel.django.middleware.LeadingSlashRoutes")


def _replace_contrib_middleware() -> None:
    from opentelemetry.instrumentation.django.middleware.otel_middleware import _DjangoMiddleware

    contrib = f"{_DjangoMiddleware.__module__}.{_DjangoMiddleware.__qualname__}"
    django_settings.MIDDLEWARE = [
        SERVER_SPAN_MIDDLEWARE if name == contrib else name for name in django_settings.MIDDLEWARE
    ]


def _add_after_instrumentation(middleware: str) -> None:
    # DjangoInstrumentor has just put its middleware first; ours must run right after it.
    stack = list(django_settings.MIDDLEWARE)
    position = next((i + 1 for i, name in enumerate(stack) if name == SERVER_SPAN_MIDDLEWARE), 0)
    stack.insert(position, middleware)
    django_settings.MIDDLEWARE = stack
