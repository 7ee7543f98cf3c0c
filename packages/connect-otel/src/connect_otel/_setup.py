"""Installs the OpenTelemetry providers, exporters and the log bridge (being written)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from connect_otel.settings import Settings


def activate(
    *,
    overrides: Mapping[str, object] | None = None,
    framework: Mapping[str, object] | None = None,
    framework_defaults: Mapping[str, object] | None = None,
    extra_loggers: Sequence[str] = (),
) -> Settings | None:
    """Resolves settings and, when export is on, installs providers. Returns the settings when
    export is active, None when it is not. Idempotent: later calls return the first result."""
    raise NotImplementedError


def configure(**overrides: object) -> bool:
    return activate(overrides=overrides) is not None


def shutdown(timeout: float = 5.0) -> None:
    raise NotImplementedError


def active_settings() -> Settings | None:
    raise NotImplementedError
