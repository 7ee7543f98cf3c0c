"""The FastAPI example app: `connect_otel.starlette.init_app(app)` and
`connect_pageviews.starlette.init_app(app, templates)`, under uvicorn: `uvicorn app:app`."""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path

import jinja2
from fastapi import FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.middleware.sessions import SessionMiddleware

import connect_otel.starlette
import connect_pageviews.starlette

DATABASE = os.environ.get("EXAMPLE_DATABASE", str(Path(__file__).with_name("example.sqlite3")))
SPA_JS = (Path(__file__).parents[1] / "shared" / "spa.js").read_text()
PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><nav><a href="/">Home</a> <a href="/items/42">Item 42</a> <a href="/spa">App</a>
<a href="/login">Log in</a></nav><main id="view">{{ body|safe }}</main>
{% if support %}<form method="post" action="{{ connect_support_url('plain_sf_example') }}">
<input name="email"><textarea name="message"></textarea>{% connect_support_fields %}
<button>Send</button></form>{% endif %}
{% connect_pageviews %}</body></html>"""

app = FastAPI(title="fastapi_example")
app.add_middleware(
    SessionMiddleware, secret_key=os.environ.get("EXAMPLE_SECRET_KEY", "fastapi-example-secret")
)
templates = Jinja2Templates(env=jinja2.Environment(loader=jinja2.DictLoader({"page.html": PAGE})))
log = logging.getLogger("fastapi_example.views")
connect_otel.starlette.init_app(app)
# Page views belong to the user in the signed session cookie.
connect_pageviews.starlette.init_app(
    app, templates, pageviews_user_id=lambda request: request.session.get("user_id")
)


def query(sql: str, *params: object) -> list[tuple[object, ...]]:
    # Through a cursor: the sqlite3 instrumentation traces cursor queries.
    with sqlite3.connect(DATABASE) as connection:
        cursor = connection.cursor()
        cursor.execute(sql, params)
        return cursor.fetchall()


query("CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, username TEXT, password TEXT)")
query("CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT)")
query("INSERT OR IGNORE INTO users VALUES (7303, 'ada', 'lovelace')")
query("INSERT OR IGNORE INTO items VALUES (42, 'towel')")


def page(request: Request, title: str, body: str, support: bool = False) -> HTMLResponse:
    context = {"title": title, "body": body, "support": support}
    return templates.TemplateResponse(request, "page.html", context)


@app.get("/")
def home(request: Request) -> HTMLResponse:
    return page(request, "Home", f"<h1>Hello, {request.session.get('username', 'stranger')}</h1>")


@app.get("/items/{item_id}")
def item(request: Request, item_id: int) -> HTMLResponse:
    rows = query("SELECT name FROM items WHERE id = ?", item_id)
    return page(request, f"Item {item_id}", f"<p>{rows[0][0] if rows else 'no such item'}</p>")


@app.get("/db")
def database(request: Request) -> HTMLResponse:
    (count,) = query("SELECT COUNT(*) FROM items")[0]
    return page(request, "Database", f"<p>{count} items</p>")


@app.get("/log")
def log_something(request: Request) -> HTMLResponse:
    log.info("an informative line from inside a request")
    return page(request, "Logged", "<p>logged</p>")


@app.get("/boom")
def boom() -> Response:
    raise RuntimeError("the example route that always fails")


@app.get("/spa")
def spa(request: Request) -> HTMLResponse:
    links = "".join(
        f'<a data-nav href="/spa/{name}" data-title="App {name}">{name}</a> '
        for name in ("inbox", "settings")
    )
    return page(request, "App", f"<p>{links}</p><script>{SPA_JS}</script>")


@app.get("/login")
def login_form(request: Request) -> HTMLResponse:
    form = (
        '<form method="post"><input name="username"><input name="password" type="password">'
        "<button>Log in</button></form>"
    )
    return page(request, "Log in", form)


@app.post("/login")
def login(request: Request, username: str = Form(), password: str = Form()) -> Response:
    rows = query(
        "SELECT id, username FROM users WHERE username = ? AND password = ?", username, password
    )
    if not rows:
        return login_form(request)
    request.session["user_id"], request.session["username"] = rows[0]
    return RedirectResponse("/", status_code=303)


@app.get("/reset/{uidb64}/{token}")
def reset(request: Request, uidb64: str, token: str) -> HTMLResponse:
    return page(request, "Reset", "<h1>Choose a new password</h1>")


@app.get("/support")
def support(request: Request) -> HTMLResponse:
    return page(request, "Support", "<h1>Write to us</h1>", support=True)


@app.get("/health")
def health() -> PlainTextResponse:
    return PlainTextResponse("ok")


@app.get("/refuse/{status}")
def refuse(status: int) -> Response:
    """Answers 400, 403 or 404 the way views usually do: by raising the framework's exception."""
    raise HTTPException(status)
