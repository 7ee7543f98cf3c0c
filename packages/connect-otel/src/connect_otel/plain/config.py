from __future__ import annotations

from plain.packages import PackageConfig, register_config
from plain.runtime import settings

from connect_config.frameworks import plain_settings
from connect_otel._instrumentations import DRIVERS
from connect_otel._setup import activate
from connect_otel.plain.duration import aggregate_plains_request_duration
from connect_otel.settings import TABLE


@register_config
class Config(PackageConfig):
    package_label = "connect_otel"

    def ready(self) -> None:
        # Plain instruments itself (request and query spans, their histograms); Connect
        # provides the providers, exporters and the log bridge, and aggregates Plain's
        # request-duration histogram (`duration.py`). Plain's own loggers ("plain", "app") do
        # not propagate to root, so the bridge is attached to them as well.
        exporting = activate(
            framework=TABLE.framework_values(plain_settings()),
            framework_defaults={"SERVICE_NAME": settings.NAME, "SERVICE_VERSION": settings.VERSION},
            extra_loggers=("plain", "app"),
            # Plain traces its own queries; the drivers' spans would double them.
            self_traced=DRIVERS,
        )
        if exporting is not None:
            aggregate_plains_request_duration()
