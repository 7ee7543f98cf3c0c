from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.generic import TemplateView


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("realsite always fails here")


urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html")),
    path("boom/", boom),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
]
