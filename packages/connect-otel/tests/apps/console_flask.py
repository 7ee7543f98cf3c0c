"""A Flask app that leaves logging to Flask, as its tutorial does; Connect turned on by
`init_app`, or by `configure()` before the app exists when CONSOLE_CONFIGURE_FIRST is set."""

from __future__ import annotations

import logging
import os

from flask import Flask

import connect_otel
import connect_otel.flask

if os.environ.get("CONSOLE_CONFIGURE_FIRST"):
    connect_otel.configure()

app = Flask("console_flask")
library = logging.getLogger("console_flask.library")


@app.get("/")
def index() -> str:
    app.logger.info("index served")  # below the root's level: printed nowhere
    library.info("library detail")  # idem
    app.logger.warning("index warned")
    return "ok"


@app.get("/boom")
def boom() -> str:
    raise RuntimeError("tutorial failure")


connect_otel.flask.init_app(app)
