"""The Flask example app: `connect_otel.flask.init_app(app)` and
`connect_pageviews.flask.init_app(app)`, under gunicorn: `gunicorn app:app`."""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path

from flask import Flask, abort, redirect, render_template_string, request
from flask_login import LoginManager, UserMixin, current_user, login_user
from werkzeug.wrappers import Response

import connect_otel.flask
import connect_pageviews.flask

DATABASE = os.environ.get("EXAMPLE_DATABASE", str(Path(__file__).with_name("example.sqlite3")))
SPA_JS = (Path(__file__).parents[1] / "shared" / "spa.js").read_text()

app = Flask("flask_example")
app.secret_key = os.environ.get("EXAMPLE_SECRET_KEY", "flask-example-secret")
log = logging.getLogger("flask_example.views")
login_manager = LoginManager(app)
connect_otel.flask.init_app(app)
connect_pageviews.flask.init_app(app)

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><nav><a href="/">Home</a> <a href="/items/42">Item 42</a> <a href="/spa">App</a>
<a href="/login">Log in</a></nav><main id="view">{{ body|safe }}</main>
{% if support %}<form method="post" action="{{ connect_support_url('plain_sf_example') }}">
<input name="email"><textarea name="message"></textarea>{% connect_support_fields %}
<button>Send</button></form>{% endif %}
{% connect_pageviews %}</body></html>"""


class User(UserMixin):
    def __init__(self, user_id: int, username: str) -> None:
        self.id = user_id
        self.username = username


def query(sql: str, *params: object) -> list[tuple[object, ...]]:
    # Through a cursor: the sqlite3 instrumentation traces cursor queries.
    with sqlite3.connect(DATABASE) as connection:
        cursor = connection.cursor()
        cursor.execute(sql, params)
        return cursor.fetchall()


def set_up_database() -> None:
    query("CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, username TEXT, password TEXT)")
    query("CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT)")
    query("INSERT OR IGNORE INTO users VALUES (7301, 'ada', 'lovelace')")
    query("INSERT OR IGNORE INTO items VALUES (42, 'towel')")


set_up_database()


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    rows = query("SELECT id, username FROM users WHERE id = ?", int(user_id))
    return User(int(rows[0][0]), str(rows[0][1])) if rows else None  # type: ignore[call-overload]


def page(title: str, body: str, support: bool = False) -> str:
    return render_template_string(PAGE, title=title, body=body, support=support)


@app.get("/")
def home() -> str:
    who = current_user.username if current_user.is_authenticated else "stranger"
    return page("Home", f"<h1>Hello, {who}</h1>")


@app.get("/items/<int:item_id>")
def item(item_id: int) -> str:
    rows = query("SELECT name FROM items WHERE id = ?", item_id)
    return page(f"Item {item_id}", f"<p>{rows[0][0] if rows else 'no such item'}</p>")


@app.get("/db")
def database() -> str:
    (count,) = query("SELECT COUNT(*) FROM items")[0]
    return page("Database", f"<p>{count} items</p>")


@app.get("/log")
def log_something() -> str:
    log.info("an informative line from inside a request")
    return page("Logged", "<p>logged</p>")


@app.get("/boom")
def boom() -> str:
    raise RuntimeError("the example route that always fails")


@app.get("/spa")
def spa() -> str:
    links = "".join(
        f'<a data-nav href="/spa/{name}" data-title="App {name}">{name}</a> '
        for name in ("inbox", "settings")
    )
    return page("App", f"<p>{links}</p><script>{SPA_JS}</script>")


@app.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    if request.method == "POST":
        rows = query(
            "SELECT id, username FROM users WHERE username = ? AND password = ?",
            request.form.get("username", ""),
            request.form.get("password", ""),
        )
        if rows:
            login_user(User(int(rows[0][0]), str(rows[0][1])))  # type: ignore[call-overload]
            return redirect("/")
    form = (
        '<form method="post"><input name="username"><input name="password" type="password">'
        "<button>Log in</button></form>"
    )
    return page("Log in", form)


@app.get("/reset/<uidb64>/<token>")
def reset(uidb64: str, token: str) -> str:
    return page("Reset", "<h1>Choose a new password</h1>")


@app.get("/support")
def support() -> str:
    return page("Support", "<h1>Write to us</h1>", support=True)


@app.get("/health")
def health() -> str:
    return "ok"


@app.get("/refuse/<int:status>")
def refuse(status: int) -> str:
    """Answers 400, 403 or 404 the way views usually do: by raising the framework's exception."""
    abort(status)
