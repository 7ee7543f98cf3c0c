"""The Plain benchmark app, one of three set-ups chosen by BENCH_SETUP: bare Plain,
plain.connect 0.5.0 (the reference), and connect_otel.plain; and connect_pageviews.plain
beside the reference for the tag's render time."""

import os

NAME = "bench"
SECRET_KEY = "plain-bench"
URLS_ROUTER = "app.urls.AppRouter"
HTTPS_REDIRECT_ENABLED = False
ALLOWED_HOSTS = ["127.0.0.1"]
SERVER_ACCESS_LOG = False
INSTALLED_PACKAGES = {
    "bare": [],
    # Its tag needs plain.templates and plain.assets, which it does not declare.
    "reference": ["plain.templates", "plain.assets", "plain.connect"],
    "connect": ["connect_otel.plain"],
    # For the tag's render time only.
    "pageviews": ["plain.templates", "connect_pageviews.plain"],
}[os.environ["BENCH_SETUP"]]
