"""Decides whether export is on and keeps the one installed pipeline.

This module imports no OpenTelemetry: without a token nothing beyond the settings table is
loaded. The pipeline itself lives in `_pipeline`, imported only when export is on.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from connect_config.parsers import boolean
from connect_otel._test_runs import test_run
from connect_otel.settings import Settings, resolve

if TYPE_CHECKING:
    from connect_otel._pipeline import Pipeline

logger = logging.getLogger("connect_otel")

_lock = threading.Lock()
_decided = False
_settings: Settings | None = None
_pipeline: Pipeline | None = None

# A server's graceful stop (SIGTERM) should finish within 5 s even when the endpoint hangs; the
# server needs a few hundred milliseconds of its own around Connect's flush.
SHUTDOWN_AT_EXIT_TIMEOUT = 4.0


def activate(
    *,
    overrides: Mapping[str, object] | None = None,
    framework: Mapping[str, object] | None = None,
    framework_defaults: Mapping[str, object] | None = None,
    extra_loggers: Sequence[str] = (),
    self_traced: Sequence[str] = (),
) -> Settings | None:
    """Resolves the settings and, when export is on, installs the pipeline.

    Returns the settings when export is active and None when it is not (no token, export
    disabled, OTEL_SDK_DISABLED, or a test run without CONNECT_EXPORT_IN_TESTS). Raises
    `ConfigurationError` for a bad value. Later calls return the first call's result; they only
    add `extra_loggers` to the log bridge.
    `self_traced` names libraries the framework traces itself (Plain's queries), which Connect
    then leaves alone.
    """
    global _decided, _settings, _pipeline
    with _lock:
        if not _decided:
            settings = resolve(overrides, framework, framework_defaults)
            if settings.active and not _sdk_disabled() and not _skipped_as_test_run(settings):
                from connect_otel._pipeline import Pipeline

                _pipeline = Pipeline.install(settings, self_traced)
                _settings = settings
                atexit.register(shutdown, SHUTDOWN_AT_EXIT_TIMEOUT)
            _decided = True
        if _pipeline is not None:
            _pipeline.bridge_loggers(extra_loggers)
        return _settings


def configure(**settings: object) -> bool:
    """Turns on OTLP export of traces, metrics and logs when CONNECT_EXPORT_TOKEN is set.

    Keyword arguments override the environment (`export_token=...`, `trace_sample_rate=...`;
    names in any case, an unknown one raises `ConfigurationError`). Returns True when export is
    active. Safe to call more than once: later calls change nothing.
    """
    return activate(overrides=settings) is not None


def active_settings() -> Settings | None:
    """The settings export runs with, or None when export is off."""
    return _settings


def shutdown(timeout: float = 5.0) -> None:
    """Flushes what is pending and stops exporting, returning within `timeout` seconds even
    when the endpoint does not answer. Safe to call more than once."""
    global _pipeline
    with _lock:
        pipeline, _pipeline = _pipeline, None
    if pipeline is not None:
        pipeline.shutdown(timeout)


def _skipped_as_test_run(settings: Settings) -> bool:
    reason = None if settings.export_in_tests else test_run()
    if reason is not None:
        logger.info(
            "Connect is not exporting: %s (CONNECT_EXPORT_IN_TESTS=true exports from tests)", reason
        )
    return reason is not None


def _sdk_disabled() -> bool:
    try:
        return boolean(os.environ.get("OTEL_SDK_DISABLED", ""))
    except ValueError:
        return False
