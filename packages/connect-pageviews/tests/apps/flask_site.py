"""A Flask site for the tag's tests: Flask-Login, the Jinja extension via init_app, and
connect-otel's tracing when a token is set."""

from __future__ import annotations

from flask import Flask, render_template_string
from flask_login import LoginManager, UserMixin, login_user

from connect_pageviews.flask import init_app

app = Flask(__name__)
app.secret_key = "pageviews-tests"
login_manager = LoginManager(app)


class User(UserMixin):
    def __init__(self, user_id: str) -> None:
        self.id = user_id


@login_manager.user_loader
def load_user(user_id: str) -> User:
    return User(user_id)


@app.get("/blog/<slug>/")
def post(slug: str) -> str:
    return render_template_string(
        "<!doctype html><title>{{ slug }}</title>{% connect_pageviews nonce='flask-nonce' %}",
        slug=slug,
    )


@app.get("/sign-in/<user_id>/")
def sign_in(user_id: str) -> str:
    login_user(User(user_id))
    return "signed in"


init_app(app)
