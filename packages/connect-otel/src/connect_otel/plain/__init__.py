"""Plain: add "connect_otel.plain" to INSTALLED_PACKAGES."""
