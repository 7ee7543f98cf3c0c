"""Plain: add "connect_otel.plain" to INSTALLED_PACKAGES (before plain.observer, if you use it)."""
