"""A one-file Django project with Django's own logging, served by gunicorn."""

from __future__ import annotations

from django.core.wsgi import get_wsgi_application
from django.http import HttpRequest, HttpResponse
from django.urls import path

DEBUG = False
SECRET_KEY = "console-test-only"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = __name__
INSTALLED_APPS = ["connect_otel.django", "connect_pageviews.django"]
MIDDLEWARE: list[str] = []
CONNECT_PAGEVIEWS_TOKEN = "console-pageviews-token"  # without an identity key: a warning


def index(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("catalogue failure")


urlpatterns = [path("", index), path("boom", boom)]

application = get_wsgi_application()
