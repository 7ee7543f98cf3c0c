"""The Plain example app: "connect_otel.plain" and "connect_pageviews.plain" in
INSTALLED_PACKAGES, under Plain's own server: `plain server`."""

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
