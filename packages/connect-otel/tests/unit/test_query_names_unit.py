"""Query span names: statements summarised as the database conventions say, spans named on the
export thread, and what the parser leaves alone."""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from connect_otel import _query_names
from connect_otel._query_names import LONGEST, MEMO_SIZE, named_or_as_is, named_span, summarise
from connect_otel._span_steps import SpanStepsExporter


@pytest.mark.parametrize(
    ("statement", "summary"),
    [
        ('SELECT "catalog_book"."id" FROM "catalog_book" WHERE "catalog_book"."id" = %s LIMIT 21',
         "SELECT catalog_book"),
        ("select count(*) from post p, user u where p.author_id = u.id", "select post user"),
        ("SELECT a.x FROM public.users AS a INNER JOIN orders o ON o.uid = a.id "
         'LEFT OUTER JOIN "x"."y" USING (id) WHERE a.id IN (SELECT 1 FROM z) ORDER BY a, b',
         "SELECT public.users orders x.y"),
        ("SELECT x FROM t WHERE y = 'from z; union'", "SELECT t"),
        ('/* app */ INSERT INTO "django_session" ("k") VALUES (%s) RETURNING "id"',
         "INSERT django_session"),
        ("INSERT OR REPLACE INTO t VALUES (?);", "INSERT t"),
        ('UPDATE "auth_user" SET "last_login" = %s WHERE "id" = 1', "UPDATE auth_user"),
        ("UPDATE OR IGNORE t SET a = 1", "UPDATE t"),
        ("-- purge\nDELETE FROM s.t WHERE x < $1", "DELETE s.t"),
        ('SELECT 1 FROM "we""ird"', 'SELECT we"ird'),
        # SQLAlchemy's joined eager load (Flask-Security's user query) brackets its join.
        ("SELECT user.id FROM user LEFT OUTER JOIN (roles_users AS ru JOIN role AS r "
         "ON r.id = ru.role_id) ON user.id = ru.user_id WHERE user.fs_uniquifier = ?",
         "SELECT user roles_users role"),
    ],
)  # fmt: skip
def test_plain_statements_are_summarised(statement: str, summary: str) -> None:
    found = summarise(statement)
    assert found is not None and found.text == summary


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT 1",
        "select pg_catalog.version()",
        "SELECT * FROM (SELECT 1) AS q",
        "SELECT a FROM t JOIN (SELECT b FROM u) AS x ON x.b = t.a",
        "SELECT a FROM b UNION SELECT a FROM c",
        "WITH x AS (SELECT 1) SELECT * FROM x",
        "SELECT * FROM generate_series(1, 3)",
        "SELECT * FROM %s",
        "INSERT INTO t SELECT * FROM u",
        "UPDATE t SET a = u.a FROM u",
        "DELETE FROM t USING u",
        "SELECT * FROM ONLY t",
        "DELETE FROM post; DELETE FROM user;",
        "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1 FROM t $$ LANGUAGE sql",
        "SELECT x FROM t WHERE (a = 1",
        "BEGIN",
        "",
    ],
)
def test_statements_the_parser_is_unsure_of_are_left_alone(statement: str) -> None:
    assert summarise(statement) is None


def test_the_memo_is_bounded() -> None:
    assert summarise.cache_info().maxsize == MEMO_SIZE


def finished(
    name: str, attributes: dict[str, Any], kind: SpanKind = SpanKind.CLIENT
) -> ReadableSpan:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    provider.get_tracer("test").start_span(name, kind=kind, attributes=attributes).end()
    (span,) = exporter.get_finished_spans()
    return span


def test_a_query_span_is_named_by_its_summary_on_export() -> None:
    into = InMemorySpanExporter()
    driver = finished("SELECT", {"db.system.name": "sqlite", "db.query.text": "SELECT a FROM t"})
    # The SQLAlchemy layer under the older conventions carries `db.statement`.
    layer = finished("UPDATE x", {"db.statement": "UPDATE x SET a = 1"})
    SpanStepsExporter(into, [named_or_as_is]).export([driver, layer])
    first, second = into.get_finished_spans()
    assert first.name == "SELECT t"
    assert dict(first.attributes or {}) == {
        "db.system.name": "sqlite", "db.query.text": "SELECT a FROM t",
        "db.query.summary": "SELECT t", "db.operation.name": "SELECT", "db.collection.name": "t",
    }  # fmt: skip
    assert (first.context, first.start_time) == (driver.context, driver.start_time)
    assert second.name == "UPDATE x" and (second.attributes or {})["db.query.summary"] == "UPDATE x"


def test_spans_that_have_a_summary_or_are_not_queries_are_untouched() -> None:
    plain = finished("SELECT users", {"db.query.summary": "SELECT users", "db.query.text": "q"})
    server = finished("GET /", {"db.query.text": "SELECT a FROM t"}, kind=SpanKind.SERVER)
    unsure = finished("SELECT", {"db.query.text": "SELECT 1"})
    bulk = "INSERT INTO t VALUES " + ", ".join(["(1)"] * (LONGEST // 4))
    too_long = finished("INSERT", {"db.query.text": bulk})  # not held in the memo
    for span in (plain, server, unsure, too_long):
        assert named_span(span) is span


def test_a_span_the_namer_fails_on_is_exported_as_it_was(monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(statement: str) -> None:
        raise RuntimeError("a statement nobody foresaw")

    monkeypatch.setattr(_query_names, "summarise", failing)
    into = InMemorySpanExporter()
    span = finished("SELECT", {"db.query.text": "SELECT a FROM t"})
    SpanStepsExporter(into, [named_or_as_is]).export([span])
    assert into.get_finished_spans() == (span,)
