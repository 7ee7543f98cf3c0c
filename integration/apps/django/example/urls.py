from django.conf import settings
from django.contrib.staticfiles.views import serve
from django.urls import path, re_path

from example import views

urlpatterns = [
    path("", views.home),
    path("items/<int:item_id>", views.item),
    path("db", views.database),
    path("log", views.log_something),
    path("boom", views.boom),
    path("spa", views.spa),
    path("login", views.login_view),
    path("reset/<uidb64>/<token>", views.reset),
    path("support", views.support),
    path("health", views.health),
    path("refuse/<int:status>", views.refuse),
    # The example serves its static files itself; a production site puts them behind its server.
    re_path(r"^static/(?P<path>.*)$", serve, {"insecure": True}),
]
if "debug_toolbar" in settings.INSTALLED_APPS:
    from debug_toolbar.toolbar import debug_toolbar_urls

    urlpatterns += debug_toolbar_urls()
