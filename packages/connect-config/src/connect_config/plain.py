"""Declares a package's settings to Plain, from its table.

A package's `default_settings` module calls `declare(globals(), TABLE)`: each `CONNECT_<NAME>`,
under every name the setting has, becomes a Plain setting (so `app/settings.py` and
`PLAIN_CONNECT_<NAME>` work the Plain way), typed for Plain's checks and marked `Secret[...]`
where the table says so, which masks it in Plain's settings display. Each is None: "not set in
Plain", so the table's own precedence decides.

A setting two packages read (`CONNECT_CLOUD_URL`) is declared by the first of them Plain loads:
Plain refuses a name declared twice. Each package still reads it through its own table.
"""

from __future__ import annotations

from typing import Any

from connect_config.table import SettingsTable

# Each declared name and the package that declared it.
_declared_by: dict[str, str] = {}


def declare(namespace: dict[str, Any], table: SettingsTable[Any]) -> None:
    from plain.runtime import Secret

    annotations: dict[str, Any] = namespace.setdefault("__annotations__", {})
    for setting in table.settings:
        kind: Any = setting.kind | None
        for name in setting.framework_names:
            if _declared_by.setdefault(name, table.package) != table.package:
                continue
            namespace[name] = None
            annotations[name] = Secret[kind] if setting.secret else kind
