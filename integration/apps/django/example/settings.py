"""The Django example project: "connect_otel.django" and "connect_pageviews.django" in
INSTALLED_APPS, under gunicorn: `gunicorn example.wsgi`."""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).parent
SECRET_KEY = os.environ.get("EXAMPLE_SECRET_KEY", "django-example-secret")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "example.urls"
WSGI_APPLICATION = "example.wsgi.application"

INSTALLED_APPS = [
    "connect_otel.django",
    "connect_pageviews.django",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.staticfiles",
    "example",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("EXAMPLE_DATABASE", str(BASE_DIR.parent / "example.sqlite3")),
    }
}
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "connect_otel.django.context_processors.current_trace",
            ]
        },
    }
]
STATIC_URL = "/static/"
USE_TZ = True
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "root": {"level": "INFO"},
    # Requests refused as suspicious (a bad Host header) on the console, as sites usually do.
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django.security": {"handlers": ["console"]}},
}

# Django Debug Toolbar, with Connect's "Trace" panel, when EXAMPLE_DEBUG_TOOLBAR is set.
if os.environ.get("EXAMPLE_DEBUG_TOOLBAR"):
    from debug_toolbar.settings import PANELS_DEFAULTS

    DEBUG = True
    INTERNAL_IPS = ["127.0.0.1"]
    INSTALLED_APPS.append("debug_toolbar")
    MIDDLEWARE.append("debug_toolbar.middleware.DebugToolbarMiddleware")
    DEBUG_TOOLBAR_PANELS = [*PANELS_DEFAULTS, "connect_otel.django.panels.TracePanel"]
