"""A blog written the way Flask's tutorial writes it: every query through sqlite3's
`Connection.execute` shortcut (and `executemany`, `executescript`), never a cursor.
`gunicorn blog:app`, with BLOG_DATABASE naming the SQLite file."""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing

from flask import Flask, g

import connect_otel.flask

SCHEMA = """
CREATE TABLE IF NOT EXISTS user (id INTEGER PRIMARY KEY, username TEXT UNIQUE NOT NULL);
CREATE TABLE IF NOT EXISTS post (
    id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL REFERENCES user (id), title TEXT NOT NULL
);
"""

app = Flask(__name__)
connect_otel.flask.init_app(app)
with closing(sqlite3.connect(os.environ["BLOG_DATABASE"])) as database:
    database.executescript(SCHEMA)


def get_db() -> sqlite3.Connection:
    if "db" not in g:
        g.db = sqlite3.connect(os.environ["BLOG_DATABASE"])
        g.db.row_factory = sqlite3.Row
    return g.db  # type: ignore[no-any-return]


@app.teardown_appcontext
def close_db(error: BaseException | None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()


@app.get("/")
def ready() -> str:
    return "blog"


@app.get("/posts")
def posts() -> list[str]:
    posts = (
        get_db()
        .execute(
            "SELECT p.id, title, username FROM post p JOIN user u ON p.author_id = u.id"
            " ORDER BY p.id DESC"
        )
        .fetchall()
    )
    return [f"{post['title']} by {post['username']}" for post in posts]


@app.get("/write/<title>")
def write(title: str) -> str:
    db = get_db()
    db.execute("INSERT OR IGNORE INTO user (id, username) VALUES (1, 'ada')")
    db.execute("INSERT INTO post (author_id, title) VALUES (?, ?)", (1, title))
    db.executemany("UPDATE post SET title = ? WHERE id = ?", [(title.upper(), 1), (title, 2)])
    db.commit()
    return "written"


@app.get("/reset")
def reset() -> str:
    get_db().executescript("DELETE FROM post; DELETE FROM user;" + SCHEMA)
    return "reset"
