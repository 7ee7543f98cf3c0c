"""Where each framework keeps `CONNECT_*` settings, read the same way for every package.

Each function returns a lookup from a setting's framework name (`CONNECT_EXPORT_TOKEN`) to its
configured value, None when the framework has none; `SettingsTable.framework_values` takes it.
The frameworks are imported only when asked for, so no package depends on one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Lookup = Callable[[str], object]


def django_settings() -> Lookup:
    from django.conf import settings

    return lambda name: getattr(settings, name, None)


def flask_config(app: Any) -> Lookup:
    config = app.config
    return lambda name: config.get(name)


def plain_settings() -> Lookup:
    from plain.runtime import settings

    return lambda name: getattr(settings, name, None)
