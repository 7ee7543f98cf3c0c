"""Every setting connect-otel reads, declared once in `TABLE`.

Resolution, validation, error messages, secret masking, the README's settings table and Plain's
setting declarations all derive from it (through connect-config, which connect-pageviews shares).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from connect_config import TEXT_OR_LIST, ConfigurationError, Setting, SettingsBase, SettingsTable
from connect_config import parsers as p
from connect_otel._instrumentations import AUTO, NAMES
from connect_otel._networks import (
    PropagationTargets,
    TrustedNetworks,
    propagation_targets,
    trusted_networks,
)
from connect_otel._trace_url_template import trace_url_template

__all__ = ["TABLE", "ConfigurationError", "Settings", "resolve"]


@dataclass(frozen=True, repr=False)
class Settings(SettingsBase):
    """What `connect_otel.active_settings()` returns; its repr masks the token."""

    export_enabled: bool
    export_in_tests: bool
    export_url: str
    export_token: str
    trace_sample_rate: float
    export_logs: bool
    log_level: int
    service_name: str
    service_version: str
    environment: str
    excluded_paths: tuple[str, ...]
    metrics_interval: float
    export_timeout: float
    instrument: tuple[str, ...]
    asgi_internal_spans: bool
    development_metrics: bool
    scrub: bool
    scrub_extra_patterns: tuple[str, ...]
    scrub_keep: tuple[str, ...]
    scrub_emails: bool
    trace_keep_errors: bool
    trace_keep_slower_than: float | None
    trace_trusted_networks: TrustedNetworks
    trace_propagation_targets: PropagationTargets
    cloud_url: str
    trace_url: str

    @property
    def active(self) -> bool:
        return self.export_enabled and bool(self.export_token)

    @cached_property
    def _exact_paths(self) -> frozenset[str]:
        return frozenset(path for path in self.excluded_paths if not path.endswith("/"))

    @cached_property
    def _path_prefixes(self) -> tuple[str, ...]:
        return tuple(path for path in self.excluded_paths if path.endswith("/"))

    def path_is_excluded(self, path: str) -> bool:
        """Whether a request path is excluded (asked per request: a set and a prefix tuple)."""
        return path in self._exact_paths or path.startswith(self._path_prefixes)

    def excluded_urls(self) -> str:
        """The excluded paths as the contrib instrumentations' `excluded_urls`: comma-separated
        patterns searched in each request's full URL."""
        patterns = [
            rf"^[^/]*//[^/]*{re.escape(path)}" + ("" if path.endswith("/") else r"(?:\?|$)")
            for path in self.excluded_paths
        ]
        return ",".join(patterns)


TABLE = SettingsTable(
    "connect-otel",
    (
        Setting("EXPORT_ENABLED", p.boolean, True, "Master switch for OTLP export.", kind=bool),
        Setting(
            "EXPORT_IN_TESTS",
            p.boolean,
            False,
            "Export from test runs too: Plain's test runner (`PLAIN_TEST_RUNNING`), pytest in "
            "the app's process, Django's `test` command. Off: a test run exports nothing, "
            "whatever the token.",
            kind=bool,
        ),
        Setting(
            "EXPORT_URL",
            p.base_url,
            "https://ingest.plainframework.com",
            "OTLP/HTTP base URL; signals go to /v1/traces, /v1/metrics and /v1/logs.",
        ),
        Setting(
            "EXPORT_TOKEN",
            p.token,
            "",
            "Sent as `Authorization: Bearer <token>`. Empty means no export at all.",
            secret=True,
        ),
        Setting(
            "TRACE_SAMPLE_RATE",
            p.ranged(0.0, 1.0),
            1.0,
            "Probability of exporting a trace that starts here (parent-based: an incoming "
            "traceparent's decision is kept). Metrics are not sampled.",
            kind=float,
        ),
        Setting(
            "EXPORT_LOGS", p.boolean, True, "Bridge `logging` into OTLP log records.", kind=bool
        ),
        Setting("LOG_LEVEL", p.log_level, "INFO", "Minimum level exported."),
        Setting(
            "SERVICE_NAME",
            p.line,
            "",
            "`service.name`; defaults to the framework's app name, else `unknown_service`.",
            extra_env=("OTEL_SERVICE_NAME",),
        ),
        Setting(
            "SERVICE_VERSION",
            p.line,
            "",
            "`service.version`; defaults to the framework's app version when it has one.",
        ),
        Setting(
            "ENVIRONMENT",
            p.line,
            "",
            "`deployment.environment.name`, e.g. production or staging.",
        ),
        Setting(
            "EXCLUDED_PATHS",
            p.paths,
            "/health,/healthz,/readyz,/livez,/favicon.ico,/static/,/assets/,/connect-pageviews/",
            "Request paths that produce no spans.",
            kind=TEXT_OR_LIST,
        ),
        Setting(
            "METRICS_INTERVAL",
            p.ranged(1.0, 86400.0, "seconds"),
            60.0,
            "Seconds between metric exports. Whatever is pending is flushed at shutdown.",
            kind=float,
        ),
        Setting(
            "EXPORT_TIMEOUT",
            p.ranged(0.5, 300.0, "seconds"),
            10.0,
            "Wall-clock seconds one export may take, retries included: past it the connection is "
            "cut and the batch dropped. Each of `connect-otel check`'s requests gets as long.",
            kind=float,
        ),
        Setting(
            "INSTRUMENT",
            p.names(NAMES, every=AUTO, nothing="none"),
            AUTO,
            "Libraries traced beyond the framework's requests: `auto` (every supported one "
            "installed), `none`, or a list. Naming `sqlalchemy` traces queries at SQLAlchemy's "
            "layer instead of the drivers'.",
            kind=TEXT_OR_LIST,
        ),
        Setting(
            "ASGI_INTERNAL_SPANS",
            p.boolean,
            False,
            "Export the ASGI instrumentation's `http send` and `http receive` spans (FastAPI).",
            kind=bool,
        ),
        Setting(
            "DEVELOPMENT_METRICS",
            p.boolean,
            False,
            "Also record the HTTP server metrics the semantic conventions still mark as "
            "development: `http.server.active_requests` and the request and response body "
            "sizes. `http.server.request.duration` is always recorded.",
            kind=bool,
        ),
        Setting(
            "SCRUB",
            p.boolean,
            True,
            "Replace values that look secret (passwords, tokens, keys, sessions, cookies, "
            "signatures, ...) with `[redacted]` before export: in attributes, links, metrics, "
            "resources and log data, and in URLs wherever they appear (see What never leaves "
            "the app).",
            kind=bool,
        ),
        Setting(
            "SCRUB_EXTRA_PATTERNS",
            p.patterns,
            "",
            "More keys and parameters to scrub: regular expressions matched, in any case, "
            "against whole words of the name joined by `_` (`iban,account_number`); a comma "
            "inside (), [] or {} stays in its pattern. Patterns that could stall the app on a "
            "hostile name are refused.",
            kind=TEXT_OR_LIST,
        ),
        Setting(
            "SCRUB_KEEP",
            p.keys,
            "",
            "Attribute keys and parameter names never scrubbed, exactly as written (any case).",
            kind=TEXT_OR_LIST,
        ),
        Setting(
            "SCRUB_EMAILS",
            p.boolean,
            True,
            "Redact e-mail addresses in URL paths and query values before export: they are "
            "personal data. False keeps them.",
            kind=bool,
        ),
        Setting(
            "TRACE_KEEP_ERRORS",
            p.boolean,
            True,
            "Below a sample rate of 1.0, also export every trace started here that answered 5xx "
            "or recorded an exception or an ERROR status (a request answered 4xx is no error).",
            kind=bool,
        ),
        Setting(
            "TRACE_KEEP_SLOWER_THAN",
            p.optional(p.ranged(0.001, 86400.0, "seconds")),
            "",
            "Below a sample rate of 1.0, also export every trace started here whose local root "
            "took longer than this many seconds.",
            kind=float,
        ),
        Setting(
            "TRACE_TRUSTED_NETWORKS",
            trusted_networks,
            "loopback,private",
            "Callers whose incoming `traceparent` and `baggage` are continued. A request from "
            "elsewhere, or with any other address in `X-Forwarded-For` or `Forwarded`, starts "
            "a new trace linked to the one it brought, sampled at this process's rate, without "
            "its baggage. See Trust boundaries.",
            kind=TEXT_OR_LIST,
        ),
        Setting(
            "TRACE_PROPAGATION_TARGETS",
            propagation_targets,
            "loopback,private,internal-names",
            "Hosts that outgoing HTTP requests send `traceparent` and `baggage` to; other "
            "hosts get neither. See Trust boundaries.",
            kind=TEXT_OR_LIST,
        ),
        Setting(
            "CLOUD_URL",
            p.base_url,
            "https://plainframework.com",
            "Base of the trace links (`{cloud_url}` in `CONNECT_TRACE_URL`); connect-pageviews "
            "reads the same setting for its support forms.",
        ),
        Setting(
            "TRACE_URL",
            trace_url_template,
            "{cloud_url}/t/{trace_id}",
            "Where the link to a trace goes (`connect_otel.trace_url()`, the toolbars): point "
            "it at your own trace viewer when you export elsewhere. See The current trace.",
        ),
    ),
    Settings,
)


def resolve(
    overrides: Mapping[str, object] | None = None,
    framework: Mapping[str, object] | None = None,
    framework_defaults: Mapping[str, object] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Every setting by precedence, validated (see `connect_config.SettingsTable.resolve`)."""
    return TABLE.resolve(overrides, framework, framework_defaults, environ)
