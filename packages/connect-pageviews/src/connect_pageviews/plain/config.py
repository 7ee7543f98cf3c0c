from __future__ import annotations

from plain.packages import PackageConfig, register_config

from connect_pageviews.plain.extension import plain_settings


@register_config
class Config(PackageConfig):
    package_label = "connect_pageviews"

    def ready(self) -> None:
        plain_settings()  # a bad value stops the app here, at start-up
        from connect_pageviews.plain import preflight  # noqa: F401 (registers the check)
