"""The Plain example app: "connect_otel.plain" and "connect_pageviews.plain" in
INSTALLED_PACKAGES, under Plain's own server: `plain server`. plain.toolbar shows (with its
"Trace" item) when PLAIN_DEBUG is set."""

NAME = "plain_example"
VERSION = "1.4.0"
SECRET_KEY = "plain-example-secret"  # an example; a real app reads PLAIN_SECRET_KEY
URLS_ROUTER = "app.urls.AppRouter"
INSTALLED_PACKAGES = [
    "connect_otel.plain",
    "connect_pageviews.plain",
    "plain.templates",
    "plain.sessions",
    "plain.auth",
    "plain.postgres",
    "plain.jobs",
    "plain.assets",
    "plain.toolbar",
    "app.users",
]
MIDDLEWARE = [
    "plain.sessions.middleware.SessionMiddleware",
    "plain.auth.middleware.AuthMiddleware",
]
AUTH_LOGIN_URL = "login"
HTTPS_REDIRECT_ENABLED = False
SESSION_COOKIE_SECURE = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
