"""A one-module Django site for the tag's tests: auth, sessions, a CSP nonce (django-csp, or
Django's own from 6.0 on), static files."""

from __future__ import annotations

import os

import django
from django.conf import settings

if django.VERSION >= (6, 0):
    # Django's own Content-Security-Policy: the nonce is also a template context variable.
    from django.utils.csp import CSP

    CSP_SETTINGS = {"SECURE_CSP": {"script-src": [CSP.SELF, CSP.NONCE]}}
    CSP_MIDDLEWARE = "django.middleware.csp.ContentSecurityPolicyMiddleware"
    CONTEXT_PROCESSORS = [
        "django.template.context_processors.request",
        "django.template.context_processors.csp",
    ]
else:
    from csp.constants import NONCE, SELF

    CSP_SETTINGS = {"CONTENT_SECURITY_POLICY": {"DIRECTIVES": {"script-src": [SELF, NONCE]}}}
    CSP_MIDDLEWARE = "csp.middleware.CSPMiddleware"
    CONTEXT_PROCESSORS = ["django.template.context_processors.request"]

if os.environ.get("WITHOUT_REQUEST_PROCESSOR"):
    CONTEXT_PROCESSORS = [p for p in CONTEXT_PROCESSORS if not p.endswith(".request")]

settings.configure(
    DEBUG=False,
    SECRET_KEY="pageviews-tests",
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=[
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
        "django.contrib.staticfiles",
        "connect_pageviews.django",
    ],
    MIDDLEWARE=[
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        CSP_MIDDLEWARE,
    ],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["DB_PATH"]}},
    TEMPLATES=[
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {"context_processors": CONTEXT_PROCESSORS},
        }
    ],
    STATIC_URL="/static/",
    **CSP_SETTINGS,
)
django.setup()

from django.contrib.auth import login  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.contrib.staticfiles.views import serve  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.template import engines  # noqa: E402
from django.urls import path, re_path  # noqa: E402

PAGE = engines["django"].from_string(
    "<!doctype html><title>{{ slug }}</title>{% load connect_pageviews %}{% connect_pageviews %}"
)


def post(request: HttpRequest, slug: str) -> HttpResponse:
    return HttpResponse(PAGE.render({"slug": slug}, request))


def sign_in(request: HttpRequest, user_id: int) -> HttpResponse:
    user, _ = User.objects.get_or_create(id=user_id, defaults={"username": f"user{user_id}"})
    login(request, user)
    return HttpResponse("signed in")


urlpatterns = [
    path("blog/<slug:slug>/", post),
    path("sign-in/<int:user_id>/", sign_in),
    re_path(r"^static/(?P<path>.*)$", serve, {"insecure": True}),
]

application = get_wsgi_application()
