"""Query spans as apps write their queries, under real servers and real databases: sqlite3's
connection shortcuts, PostgreSQL's drivers and SQLAlchemy, each span named by its operation and
tables, and a pool's connection set-up outside the request that opened the connection."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from connect_integration.examples import APPS, EXAMPLES
from connect_integration.postgres import postgres_server
from connect_testkit.ports import free_port
from connect_testkit.receiver import Receiver, Span
from connect_testkit.scripts import clean_environ, run_python
from connect_testkit.servers import gunicorn, run_server, uvicorn

TOKEN = "query-token"
QUICK = {"CONNECT_METRICS_INTERVAL": "1", "OTEL_BSP_SCHEDULE_DELAY": "100"}
QUERIES = APPS / "queries"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver(token=TOKEN) as running:
        yield running


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


def export_env(receiver: Receiver, **extra: str) -> dict[str, str]:
    return {"CONNECT_EXPORT_URL": receiver.url, "CONNECT_EXPORT_TOKEN": TOKEN, **QUICK, **extra}


def request_trace(receiver: Receiver, path: str) -> list[Span]:
    """Every span of the trace of the one request for `path`, once its queries have arrived."""

    def servers(r: Receiver) -> list[Span]:
        return [s for s in r.spans() if s.kind == "SERVER" and s.attributes.get("url.path") == path]

    receiver.wait_for(lambda r: bool(servers(r)), timeout=20)
    (server,) = servers(receiver)
    time.sleep(0.5)  # the request's query spans end before it and are in the same batch or sooner
    return [s for s in receiver.spans() if s.trace_id == server.trace_id]


def queries(spans: list[Span]) -> list[Span]:
    return [s for s in spans if s.kind == "CLIENT"]


def test_sqlite3_shortcuts_are_traced_and_measured(tmp_path: Path, receiver: Receiver) -> None:
    env = clean_environ(
        BLOG_DATABASE=str(tmp_path / "blog.sqlite3"), PYTHONPATH=str(QUERIES),
        **export_env(receiver),
    )  # fmt: skip
    port = free_port()
    with run_server(gunicorn("blog:app", port, workers=2), env, port, QUERIES) as server:
        assert server.get("/write/hello")[0] == 200
        assert server.get("/posts")[0] == 200
        assert server.get("/reset")[0] == 200

        written = queries(request_trace(receiver, "/write/hello"))
        assert [s.name for s in written] == ["INSERT user", "INSERT post", "UPDATE post"]
        assert written[1].attributes["db.query.summary"] == "INSERT post"
        assert written[1].attributes["db.collection.name"] == "post"
        assert written[2].attributes["db.query.text"] == "UPDATE post SET title = ? WHERE id = ?"

        (joined,) = queries(request_trace(receiver, "/posts"))
        assert joined.name == "SELECT post user"  # two tables: in the summary, no collection
        assert "db.collection.name" not in joined.attributes

        (script,) = queries(request_trace(receiver, "/reset"))
        assert script.attributes["db.query.text"].startswith("DELETE FROM post; DELETE FROM user;")
        assert script.name == "DELETE"  # a script is more than one statement: not summarised

        def sqlite_durations(r: Receiver) -> list[object]:
            return [
                point.attributes.get("db.operation.name")
                for metric in r.metrics() if metric.name == "db.client.operation.duration"
                for point in metric.points if point.attributes.get("db.system.name") == "sqlite"
            ]  # fmt: skip

        receiver.wait_for(lambda r: {"INSERT", "SELECT"} <= set(sqlite_durations(r)), timeout=20)


def test_django_queries_are_named_by_their_tables(tmp_path: Path, receiver: Receiver) -> None:
    with EXAMPLES["django"].run(tmp_path / "example.sqlite3", **export_env(receiver)) as server:
        assert server.get("/db")[0] == 200
        spans = queries(request_trace(receiver, "/db"))
    # Opening the connection (sqlite3's PRAGMAs, Django's probe of SQLite's options) is not the
    # view's work: only the view's query is in the trace.
    (count,) = spans
    assert count.attributes["db.query.text"] == 'SELECT COUNT(*) AS "__count" FROM "auth_user"'
    assert count.name == "SELECT auth_user"
    assert count.attributes["db.query.summary"] == "SELECT auth_user"
    assert count.attributes["db.collection.name"] == "auth_user"
    assert count.attributes["db.operation.name"] == "SELECT"


# Query spans without a parent are not sampled (connection pools' chatter): the script's work
# runs inside a span of its own, as a job's or a request's would.
DRIVERS = """
    import asyncio, os
    import connect_otel
    assert connect_otel.configure(service_name="drivers")
    import asyncpg, psycopg, psycopg2, sqlalchemy
    from opentelemetry import trace

    url = os.environ["DATABASE_URL"]

    async def with_asyncpg() -> None:
        connection = await asyncpg.connect(url)
        await connection.fetch('SELECT id FROM "Shop".items')
        await connection.execute('DELETE FROM "Shop".items WHERE id = 0')
        await connection.fetchmany('INSERT INTO "Shop".items VALUES ($1) RETURNING id', [(5,)])
        await connection.close()

    with trace.get_tracer("drivers").start_as_current_span("job"):
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute('CREATE TABLE IF NOT EXISTS "Shop".items (id int)')
            connection.execute('SELECT id FROM "Shop".items WHERE id = %s', (1,))
        with psycopg2.connect(url) as connection, connection.cursor() as cursor:
            cursor.execute('SELECT count(*) FROM "Shop".items AS i')
        asyncio.run(with_asyncpg())
        engine = sqlalchemy.create_engine("postgresql+psycopg://" + url.split("://", 1)[1])
        with engine.connect() as connection:
            connection.execute(sqlalchemy.text('UPDATE "Shop".items SET id = 2 WHERE id = 3'))
    connect_otel.shutdown()
"""


def test_postgres_drivers_and_sqlalchemy_name_their_spans(
    receiver: Receiver, postgres_url: str
) -> None:
    run_python(
        'import psycopg, os; psycopg.connect(os.environ["U"], autocommit=True)'
        '.execute("CREATE SCHEMA IF NOT EXISTS \\"Shop\\"")',
        {"U": postgres_url},
    )
    run_python(DRIVERS, export_env(receiver, DATABASE_URL=postgres_url))
    named = {(s.scope.rsplit(".", 1)[-1], s.name) for s in queries(receiver.spans())}
    assert {
        ("psycopg", "SELECT Shop.items"), ("psycopg2", "SELECT Shop.items"),
        ("asyncpg", "SELECT Shop.items"), ("asyncpg", "DELETE Shop.items"),
        ("asyncpg", "INSERT Shop.items"),
        ("psycopg", "UPDATE Shop.items"),
    } <= named, named  # fmt: skip
    for span in queries(receiver.spans()):
        if span.name.endswith("Shop.items"):
            assert span.attributes["db.query.summary"] == span.name
            assert span.attributes["db.collection.name"] == "Shop.items"


@pytest.fixture(params=[("/products/7", 2), ("/sync-products/7", 1)], ids=["asyncpg", "psycopg"])
def first_request(request: pytest.FixtureRequest) -> tuple[str, int]:
    return request.param  # type: ignore[no-any-return]


def test_sqlalchemy_connection_setup_is_not_in_the_first_requests_trace(
    receiver: Receiver, postgres_url: str, first_request: tuple[str, int]
) -> None:
    path, user_queries = first_request
    services = APPS / "services"
    env = clean_environ(
        PYTHONPATH=str(services), DATABASE_URL=postgres_url,
        **export_env(receiver),
    )  # fmt: skip
    port = free_port()
    with run_server(
        uvicorn("catalog:app", port, python=sys.executable), env, port, services
    ) as app:
        assert app.get(path)[0] == 200
        spans = queries(request_trace(receiver, path))
    # The engine's first connection asks the server about itself (`select pg_catalog.version()`,
    # `show standard_conforming_strings`, ...): pool work, not the request's.
    statements = [
        str(s.attributes["db.query.text"]) for s in spans
        if not s.attributes["db.query.text"].startswith(("BEGIN", "ROLLBACK", "COMMIT"))
    ]  # fmt: skip
    assert len(statements) == user_queries, statements
    assert all(statement.startswith("SELECT ") for statement in statements), statements
