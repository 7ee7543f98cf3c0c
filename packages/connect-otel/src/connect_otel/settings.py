"""Every setting connect-otel reads, declared once.

`SETTINGS` is the single table: name, parser (which also validates), default, extra environment
variables and documentation. Resolution, error messages and the README's settings table all
derive from it.

Precedence, highest first: keyword arguments to `configure()`, environment variables
(`CONNECT_<NAME>`, then `PLAIN_CONNECT_<NAME>`, then any standard OpenTelemetry variable listed
for the setting), the framework's settings (`CONNECT_<NAME>`), framework-derived defaults (the
app's name and version), the default.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit

from connect_otel._rules import parse_names, parse_patterns, parse_threshold

T = TypeVar("T")

ENV_PREFIXES = ("CONNECT_", "PLAIN_CONNECT_")


class ConfigurationError(ValueError):
    """A setting has a value connect-otel cannot use. Raised by `configure()`, never later."""


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


def parse_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError("true or false (also 1/0, yes/no, on/off)")


def parse_url(value: object) -> str:
    if isinstance(value, str):
        parts = urlsplit(value.strip())
        if parts.scheme in ("http", "https") and parts.netloc and not parts.query:
            return value.strip().rstrip("/")
    raise ValueError("an http:// or https:// URL with a host, e.g. https://ingest.example.com")


_TOKEN = re.compile(r"[\x21-\x7e]*")


def parse_token(value: object) -> str:
    # The token goes into an HTTP header: printable ASCII without spaces or line breaks.
    if isinstance(value, str) and _TOKEN.fullmatch(value.strip()):
        return value.strip()
    raise ValueError("printable ASCII without spaces or line breaks (it is sent as a Bearer token)")


def parse_rate(value: object) -> float:
    try:
        rate = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        rate = -1.0
    if isinstance(value, bool) or not 0.0 <= rate <= 1.0:
        raise ValueError("a number from 0.0 to 1.0")
    return rate


def parse_level(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str):
        text = value.strip().upper()
        if text.isdigit():
            return int(text)
        # getLevelName maps a registered name to its number (and anything else to a string).
        level = logging.getLevelName(text)
        if isinstance(level, int):
            return level
    raise ValueError("a level name (DEBUG, INFO, WARNING, ERROR, CRITICAL) or a non-negative int")


def parse_text(value: object) -> str:
    if isinstance(value, str) and "\n" not in value and "\r" not in value:
        return value.strip()
    raise ValueError("a single line of text")


def parse_seconds(value: object) -> float:
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        seconds = 0.0
    if isinstance(value, bool) or not 0.0 < seconds <= 86400.0:
        raise ValueError("a number of seconds greater than 0")
    return seconds


def parse_paths(value: object) -> tuple[str, ...]:
    items: list[object]
    if isinstance(value, str):
        items = [item.strip() for item in value.split(",") if item.strip()]
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        items = [None]
    if all(isinstance(item, str) and item.startswith("/") for item in items):
        return tuple(str(item) for item in items)
    raise ValueError(
        "paths starting with '/', as a list or a comma-separated string; "
        "a path ending in '/' excludes everything below it"
    )


@dataclass(frozen=True)
class Setting(Generic[T]):
    name: str
    parse: Callable[[object], T]
    default: object  # as a user would write it; parsed like any other value
    doc: str
    otel_env: tuple[str, ...] = ()
    # The type a framework's settings file holds it as (Plain checks settings against it).
    kind: type = str

    @property
    def env_names(self) -> tuple[str, ...]:
        return tuple(prefix + self.name for prefix in ENV_PREFIXES) + self.otel_env


SETTINGS: tuple[Setting[Any], ...] = (
    Setting("EXPORT_ENABLED", parse_bool, True, "Master switch for OTLP export.", kind=bool),
    Setting(
        "EXPORT_URL",
        parse_url,
        "https://ingest.plainframework.com",
        "OTLP/HTTP base URL; signals go to /v1/traces, /v1/metrics and /v1/logs.",
    ),
    Setting(
        "EXPORT_TOKEN",
        parse_token,
        "",
        "Sent as `Authorization: Bearer <token>`. Empty means no export at all.",
    ),
    Setting(
        "TRACE_SAMPLE_RATE",
        parse_rate,
        1.0,
        "Probability of exporting a trace that starts here (parent-based: an incoming "
        "traceparent's decision is kept). Metrics are not sampled.",
        kind=float,
    ),
    Setting("EXPORT_LOGS", parse_bool, True, "Bridge `logging` into OTLP log records.", kind=bool),
    Setting("LOG_LEVEL", parse_level, "INFO", "Minimum level exported (name or int)."),
    Setting(
        "SERVICE_NAME",
        parse_text,
        "",
        "`service.name`; defaults to the framework's app name, else `unknown_service`.",
        otel_env=("OTEL_SERVICE_NAME",),
    ),
    Setting(
        "SERVICE_VERSION",
        parse_text,
        "",
        "`service.version`; defaults to the framework's app version when it has one.",
    ),
    Setting(
        "ENVIRONMENT",
        parse_text,
        "",
        "`deployment.environment.name`, e.g. production or staging.",
    ),
    Setting(
        "EXCLUDED_PATHS",
        parse_paths,
        "/health,/healthz,/readyz,/livez,/favicon.ico,/static/,/assets/,/connect-pageviews/",
        "Request paths that produce no spans. A path ending in '/' covers everything below it.",
    ),
    Setting(
        "METRICS_INTERVAL",
        parse_seconds,
        60.0,
        "Seconds between metric exports. Whatever is pending is flushed at shutdown.",
        kind=float,
    ),
    Setting(
        "EXPORT_TIMEOUT",
        parse_seconds,
        10.0,
        "Seconds one export request may take, retries included, before its batch is dropped.",
        kind=float,
    ),
    Setting(
        "SCRUB",
        parse_bool,
        True,
        "Replace values that look secret (passwords, tokens, keys, sessions, cookies, "
        "signatures, ...) in attributes and URL query parameters with `[redacted]` before export.",
        kind=bool,
    ),
    Setting(
        "SCRUB_EXTRA_PATTERNS",
        parse_patterns,
        "",
        "More keys and parameters to scrub: regular expressions matched against whole words of "
        "the name, lower-cased and joined by `_` (`iban,account_number`).",
    ),
    Setting(
        "SCRUB_KEEP",
        parse_names,
        "",
        "Attribute keys and parameter names never scrubbed, exactly as written (any case).",
    ),
    Setting(
        "TRACE_KEEP_ERRORS",
        parse_bool,
        True,
        "Below a sample rate of 1.0, also export every trace started here that recorded an "
        "exception, an ERROR status or a 5xx response.",
        kind=bool,
    ),
    Setting(
        "TRACE_KEEP_SLOWER_THAN",
        parse_threshold,
        "",
        "Below a sample rate of 1.0, also export every trace started here whose local root took "
        "longer than this many seconds (more than 0, at most 86400). Empty: off.",
        kind=float,
    ),
)

_BY_NAME = {setting.name: setting for setting in SETTINGS}


@dataclass(frozen=True)
class Settings:
    export_enabled: bool
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
    scrub: bool
    scrub_extra_patterns: tuple[str, ...]
    scrub_keep: tuple[str, ...]
    trace_keep_errors: bool
    trace_keep_slower_than: float | None

    @property
    def active(self) -> bool:
        return self.export_enabled and bool(self.export_token)

    def path_is_excluded(self, path: str) -> bool:
        return any(
            path.startswith(excluded) if excluded.endswith("/") else path == excluded
            for excluded in self.excluded_paths
        )


assert [f.name for f in fields(Settings)] == [s.name.lower() for s in SETTINGS]


def resolve(
    overrides: Mapping[str, object] | None = None,
    framework: Mapping[str, object] | None = None,
    framework_defaults: Mapping[str, object] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Resolves every setting by precedence and validates it.

    `overrides` are `configure()`'s keyword arguments (lower-case names); `framework` maps
    `CONNECT_<NAME>` to the framework's configured values; `framework_defaults` maps `<NAME>` to
    what the framework knows (its app name, version) and sits just above the default.
    """
    environ = os.environ if environ is None else environ
    overrides = dict(overrides or {})
    unknown = sorted(key for key in overrides if key.upper() not in _BY_NAME)
    if unknown:
        names = ", ".join(s.name.lower() for s in SETTINGS)
        raise ConfigurationError(f"Unknown connect-otel setting(s) {unknown}; known: {names}")
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        source, raw = _lookup(
            setting, overrides, framework or {}, framework_defaults or {}, environ
        )
        if source is None:
            source, raw = "default", setting.default
        try:
            values[setting.name.lower()] = setting.parse(raw)
        except ValueError as accepted:
            raise ConfigurationError(
                f"{source} = {raw!r} is not valid for CONNECT_{setting.name}: expected {accepted}"
            ) from None
    return Settings(**values)


def markdown_table() -> str:
    """The settings as the README shows them."""
    rows = ["| setting | default | environment | meaning |", "| --- | --- | --- | --- |"]
    for setting in SETTINGS:
        variables = ", ".join(f"`{name}`" for name in setting.env_names)
        rows.append(
            f"| `CONNECT_{setting.name}` | `{setting.default!r}` | {variables} | {setting.doc} |"
        )
    return "\n".join(rows)


def _lookup(
    setting: Setting[Any],
    overrides: Mapping[str, object],
    framework: Mapping[str, object],
    framework_defaults: Mapping[str, object],
    environ: Mapping[str, str],
) -> tuple[str | None, object]:
    key = setting.name.lower()
    if key in overrides:
        return f"configure({key}=...)", overrides[key]
    for env_name in setting.env_names:
        if env_name in environ:
            return f"environment variable {env_name}", environ[env_name]
    framework_name = "CONNECT_" + setting.name
    if framework.get(framework_name) is not None:
        return f"setting {framework_name}", framework[framework_name]
    if framework_defaults.get(setting.name) not in (None, ""):
        return f"framework default for CONNECT_{setting.name}", framework_defaults[setting.name]
    return None, None
