"""connect-otel: production telemetry for Python web apps over OTLP.

`configure()` turns export on when CONNECT_EXPORT_TOKEN is set and does nothing otherwise.
"""

from importlib.metadata import version

from connect_otel._current_trace import CurrentTrace, current_trace, trace_url
from connect_otel._setup import active_settings, configure, shutdown
from connect_otel.settings import ConfigurationError

__version__ = version("connect-otel")

__all__ = [
    "ConfigurationError",
    "CurrentTrace",
    "__version__",
    "active_settings",
    "configure",
    "current_trace",
    "shutdown",
    "trace_url",
]
