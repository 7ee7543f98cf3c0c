from plain.assets.urls import AssetsRouter
from plain.urls import Router, include, path

from app import views


class AppRouter(Router):
    namespace = ""
    urls = (
        path("", views.HomeView),
        path("items/<int:item_id>", views.ItemView),
        path("db", views.DatabaseView),
        path("log", views.LogView),
        path("boom", views.BoomView),
        path("spa", views.SpaView),
        path("login", views.LoginView),
        path("reset/<uidb64>/<token>", views.ResetView),
        path("support", views.SupportView),
        path("health", views.HealthView),
        path("job", views.JobView),
        path("refuse/<int:status>", views.RefuseView),
        include("assets/", AssetsRouter),
    )
