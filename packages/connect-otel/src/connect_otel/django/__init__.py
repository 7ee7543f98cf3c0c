"""Django: add "connect_otel.django" to INSTALLED_APPS (first, so it sees every request)."""
