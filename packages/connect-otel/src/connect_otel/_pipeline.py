"""The installed export pipeline: providers, processors, the metric reader and the log bridge.

Where an SDK provider is already installed (a dev toolbar, Sentry's OTel mode, another SDK),
Connect adds its processor or reader to that provider instead of replacing it. A provider that is
not the SDK's cannot take processors: that signal is skipped with one warning.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from urllib.parse import urlsplit

from opentelemetry import _logs, metrics, trace

# The API's stand-ins until a provider is set; it keeps them in private modules, and a unit
# test fails if it moves them.
from opentelemetry._logs._internal import ProxyLoggerProvider
from opentelemetry.metrics._internal import _ProxyMeterProvider
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import LogRecordExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricExporter, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter
from wrapt import register_post_import_hook

from connect_otel import _early_connections, _exporters, _instrumentations, _propagation
from connect_otel._console import CONSOLE, ConnectConsole
from connect_otel._logbridge import LogBridge
from connect_otel._query_names import named_or_as_is
from connect_otel._queue_drops import LogRecordBatches, QueueDrops, SpanBatches
from connect_otel._resource import service_resource
from connect_otel._sampling import ConnectSampler
from connect_otel._scrubbing import Scrubber
from connect_otel._scrubbing_exporters import ScrubbingLogExporter, ScrubbingMetricExporter
from connect_otel._server_address import server_span_address
from connect_otel._span_steps import SpanStep, SpanStepsExporter
from connect_otel._tail_sampling import TailSamplingProcessor, tail_sampling_on
from connect_otel.settings import Settings

logger = logging.getLogger("connect_otel")

# Loggers whose records would describe a failing export; Sentry must not turn them into events.
EXPORT_LOGGERS = ("opentelemetry", "opentelemetry.*")


@dataclass
class Pipeline:
    settings: Settings
    resource: Resource
    shutdowns: list[tuple[str, Callable[[float], object]]] = field(default_factory=list)
    signals: list[str] = field(default_factory=list)
    bridge: LogBridge | None = None
    bridged: list[logging.Logger] = field(default_factory=list)
    scrubber: Scrubber | None = None
    queue_drops: list[QueueDrops] = field(default_factory=list)

    @classmethod
    def install(cls, settings: Settings, self_traced: Sequence[str] = ()) -> Pipeline:
        # Taken before the exporters import requests and urllib3 for themselves.
        imported_before = frozenset(sys.modules)
        # The contrib instrumentations read this once, when first instrumenting; Connect speaks
        # the stable HTTP and database conventions everywhere, as Plain itself does.
        os.environ.setdefault("OTEL_SEMCONV_STABILITY_OPT_IN", "http,database")
        pipeline = cls(settings, service_resource(settings))
        pipeline._show_connects_own_lines()
        if settings.scrub:
            pipeline.scrubber = Scrubber(
                settings.scrub_extra_patterns, settings.scrub_keep, emails=settings.scrub_emails
            )
        pipeline._install_traces()
        pipeline._guard_trace_context()
        pipeline._install_metrics()
        if settings.export_logs:
            pipeline._install_logs()
        _keep_out_of_sentry()
        libraries = _instrumentations.instrument(
            settings.instrument,
            {"celery": _flush_celery_workers},
            skip=self_traced,
            imported_before=imported_before,
        )
        logger.info(
            "Connect is exporting %s to %s (trace sample rate %g); %s",
            ", ".join(pipeline.signals) or "nothing",
            urlsplit(settings.export_url).netloc,
            settings.trace_sample_rate,
            libraries.describe(),
        )
        _early_connections.warn_about(
            _early_connections.opened_before(lib.name for lib in libraries.traced)
        )
        return pipeline

    def _show_connects_own_lines(self) -> None:
        # Connect's start-up line and warnings are for whoever reads the console: printed there
        # when none of the app's handlers would, and never exported.
        own = logging.getLogger("connect_otel")
        if not own.level and own.getEffectiveLevel() > logging.INFO:
            own.setLevel(logging.INFO)
        handler = ConnectConsole()
        CONSOLE.connect_handlers.add(handler)
        own.addHandler(handler)

    def _install_traces(self) -> None:
        steps: list[SpanStep] = [named_or_as_is]
        if self.scrubber is not None:
            steps.append(self.scrubber.span)
        steps.append(server_span_address)
        exporter: SpanExporter = SpanStepsExporter(_exporters.span_exporter(self.settings), steps)
        # The SDK's batch size and schedule (512 items, 5 s; OTEL_BSP_* and OTEL_BLRP_* change
        # them): the benchmark's batch-size sweep found smaller batches dearer in CPU and no
        # better at p99. The exporters pace their work instead (_pacing.py).
        batches = SpanBatches(exporter)
        processor: SpanProcessor = batches
        current = trace.get_tracer_provider()
        if isinstance(current, TracerProvider):
            current.add_span_processor(processor)
        elif isinstance(current, trace.ProxyTracerProvider):
            provider = TracerProvider(
                sampler=ConnectSampler(self.settings),
                resource=self.resource,
                shutdown_on_exit=False,
            )
            # Only Connect's own sampler makes the record-only spans this processor holds.
            if tail_sampling_on(self.settings):
                processor = TailSamplingProcessor(
                    processor,
                    keep_errors=self.settings.trace_keep_errors,
                    slower_than=self.settings.trace_keep_slower_than,
                )
            provider.add_span_processor(processor)
            trace.set_tracer_provider(provider)
        else:
            _warn_foreign("tracer", current)
            processor.shutdown()
            return
        self.shutdowns.append(("traces", lambda seconds: processor.shutdown()))
        self.signals.append("traces")
        self.queue_drops.append(batches.drops)

    def _guard_trace_context(self) -> None:
        provider = trace.get_tracer_provider()
        if "traces" in self.signals and isinstance(provider, TracerProvider):
            _propagation.install(self.settings, provider)

    def _install_metrics(self) -> None:
        exporter: MetricExporter = _exporters.metric_exporter(self.settings)
        if self.scrubber is not None:
            exporter = ScrubbingMetricExporter(exporter, self.scrubber)
        reader = PeriodicExportingMetricReader(
            exporter,
            export_interval_millis=self.settings.metrics_interval * 1000,
            export_timeout_millis=self.settings.export_timeout * 1000,
        )
        current = metrics.get_meter_provider()
        if isinstance(current, MeterProvider):
            current.add_metric_reader(reader)
        elif isinstance(current, _ProxyMeterProvider):
            provider = MeterProvider(
                metric_readers=[reader], resource=self.resource, shutdown_on_exit=False
            )
            metrics.set_meter_provider(provider)
        else:
            _warn_foreign("meter", current)
            reader.shutdown()
            return
        self.shutdowns.append(
            ("metrics", lambda seconds: reader.shutdown(timeout_millis=seconds * 1000))
        )
        self.signals.append("metrics")

    def _install_logs(self) -> None:
        exporter: LogRecordExporter = _exporters.log_exporter(self.settings)
        if self.scrubber is not None:
            exporter = ScrubbingLogExporter(exporter, self.scrubber)
        processor = LogRecordBatches(exporter)
        current = _logs.get_logger_provider()
        if isinstance(current, LoggerProvider):
            current.add_log_record_processor(processor)
            provider = current
        elif isinstance(current, ProxyLoggerProvider):
            provider = LoggerProvider(resource=self.resource, shutdown_on_exit=False)
            provider.add_log_record_processor(processor)
            _logs.set_logger_provider(provider)
        else:
            _warn_foreign("logger", current)
            processor.shutdown()
            return
        self.shutdowns.append(("logs", lambda seconds: processor.shutdown()))
        self.signals.append("logs")
        self.queue_drops.append(processor.drops)
        self.bridge = LogBridge(
            level=self.settings.log_level, logger_provider=provider, console=CONSOLE
        )
        CONSOLE.connect_handlers.add(self.bridge)
        # Widen the root logger to the export floor so getLogger(__name__) records reach the
        # bridge; never narrow a level the app chose.
        CONSOLE.widen_root(self.settings.log_level)
        self._attach(logging.getLogger())
        CONSOLE.let_the_app_configure_logging(self.bridge)

    def bridge_loggers(self, names: Iterable[str]) -> None:
        """Adds the bridge to loggers that do not propagate to root (Plain's `plain`, `app`,
        uvicorn's `uvicorn`)."""
        for name in names:
            named = logging.getLogger(name)
            if not named.propagate:
                self._attach(named)

    def _attach(self, target: logging.Logger) -> None:
        if self.bridge is not None and self.bridge not in target.handlers:
            target.addHandler(self.bridge)
            self.bridged.append(target)

    def shutdown(self, timeout: float) -> None:
        """Flushes and stops every signal in parallel, giving up after `timeout` seconds."""
        for target in self.bridged:
            target.removeHandler(self.bridge)  # type: ignore[arg-type]
        deadline = time.monotonic() + timeout
        threads = [
            threading.Thread(
                target=_quietly, args=(stop, timeout), name=f"connect-stop-{signal}", daemon=True
            )
            for signal, stop in self.shutdowns
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        unfinished = [thread.name for thread in threads if thread.is_alive()]
        for drops in self.queue_drops:
            drops.report_unreported()
        if unfinished:
            logger.warning(
                "Connect shutdown gave up after %gs with data still unsent (%s): the endpoint "
                "did not answer in time",
                timeout,
                ", ".join(unfinished),
            )


def _quietly(stop: Callable[[float], object], timeout: float) -> None:
    try:
        stop(timeout)
    except Exception:
        logger.debug("Connect shutdown step failed", exc_info=True)


def _flush_celery_workers() -> None:
    # A prefork pool's child leaves with os._exit: exit hooks never run there, so each child
    # flushes when Celery tells it to stop, with the same bound as a web server's worker.
    from celery.signals import worker_process_shutdown

    from connect_otel._setup import SHUTDOWN_AT_EXIT_TIMEOUT, shutdown

    def flush(**kwargs: object) -> None:
        shutdown(SHUTDOWN_AT_EXIT_TIMEOUT)

    worker_process_shutdown.connect(flush, weak=False, dispatch_uid="connect_otel.flush")


def _warn_foreign(kind: str, provider: object) -> None:
    logger.warning(
        "Connect did not export this signal: a %s provider that is not the OpenTelemetry SDK's "
        "(%s) is already installed and cannot take Connect's exporter",
        kind,
        type(provider).__qualname__,
    )


def _keep_out_of_sentry() -> None:
    # When the app imports Sentry, not before: importing it for an app that does not use it
    # loads some fifty modules (httpcore among them), which every full garbage collection then
    # walks while a request waits.
    register_post_import_hook(_ignore_export_loggers, "sentry_sdk")


def _ignore_export_loggers(sentry_sdk: ModuleType) -> None:
    try:
        from sentry_sdk.integrations.logging import ignore_logger
    except ImportError:
        return
    for name in EXPORT_LOGGERS:
        ignore_logger(name)
