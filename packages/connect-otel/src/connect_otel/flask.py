"""Flask: `connect_otel.flask.init_app(app)`.

Settings come from keyword arguments, the environment, then `app.config["CONNECT_*"]`; the
service name defaults to the app's import name. Requests are traced by the contrib Flask
instrumentation, queries by the database driver's.
"""

from __future__ import annotations

from flask import Flask

from connect_otel._databases import instrument_databases
from connect_otel._setup import activate


def init_app(app: Flask, **overrides: object) -> bool:
    """Turns on export for `app`; True when export is active."""
    active = activate(
        overrides=overrides,
        framework={key: value for key, value in app.config.items() if key.startswith("CONNECT_")},
        framework_defaults={"SERVICE_NAME": app.name},
    )
    if active is None:
        return False
    from opentelemetry.instrumentation.flask import FlaskInstrumentor

    FlaskInstrumentor().instrument_app(app)
    instrument_databases()
    return True
