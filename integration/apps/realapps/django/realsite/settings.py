"""Settings of a project made only of Django's own apps: `django.contrib.auth`'s views and the
admin, sessions, whitenoise and the page-view tag, under gunicorn: `gunicorn realsite.wsgi`.
Like a project that configured no logging, it leaves LOGGING unset."""

from __future__ import annotations

import os

SECRET_KEY = "realsite-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "realsite.urls"
WSGI_APPLICATION = "realsite.wsgi.application"

INSTALLED_APPS = [
    "connect_otel.django",
    "connect_pageviews.django",
    # Before the admin: its admin/base_site.html puts the page-view tag on the admin's pages.
    "realsite",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["REALSITE_DATABASE"]}
}
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
# The password-reset e-mail lands in a file, where a test reads the link from.
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ["REALSITE_MAIL_DIR"]
LOGIN_REDIRECT_URL = "/"
STATIC_URL = "/static/"
WHITENOISE_USE_FINDERS = True
USE_TZ = True
