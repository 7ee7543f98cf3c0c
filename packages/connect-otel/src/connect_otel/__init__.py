"""connect-otel: production telemetry for Python web apps over OTLP.

`configure()` turns export on when CONNECT_EXPORT_TOKEN is set and does nothing otherwise.
"""

from connect_otel._setup import active_settings, configure, shutdown
from connect_otel.settings import ConfigurationError

__version__ = "0.1.0"

__all__ = ["ConfigurationError", "__version__", "active_settings", "configure", "shutdown"]
