"""Query spans named as the database conventions say: `SELECT catalog_book`, not `SELECT`.

The drivers' instrumentations name a query span by its first keyword. On the export thread,
before scrubbing and encoding, a query span without a `db.query.summary` gets one from its
statement (operation and the tables it reads or writes) and is named by it, with
`db.operation.name` and, for a single table, `db.collection.name`. Only plain statements are
read: `SELECT ... FROM`, `INSERT INTO`, `UPDATE`, `DELETE FROM`, with joins, quoted and
schema-qualified names. Anything else (a sub-select in FROM, UNION, WITH, a name the parser is
not sure of) keeps the name it had. Each distinct statement is parsed once (a bounded memo).
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind

from connect_otel._fast_reads import span_attributes
from connect_otel._span_copy import copy_span

logger = logging.getLogger("connect_otel")

SUMMARY = "db.query.summary"
OPERATION = "db.operation.name"
COLLECTION = "db.collection.name"
# The stable conventions' attribute, then the older one.
STATEMENT_KEYS = ("db.query.text", "db.statement")

# Distinct statements remembered; an app that builds statements with literals in them just
# parses again past this. Longer statements (a bulk INSERT with its values inline) keep their
# name: the memo holds at most MEMO_SIZE * LONGEST characters.
MEMO_SIZE = 1024
LONGEST = 8192

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
    | (?P<comment>--[^\n]*|/\*.*?\*/)
    | (?P<string>'(?:[^']|'')*')
    | (?P<quoted>"(?:[^"]|"")*"|`(?:[^`]|``)*`)
    | (?P<word>[A-Za-z_][A-Za-z0-9_$]*)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
# Words after which a FROM list is over.
_FROM_ENDS = frozenset(
    {"WHERE", "GROUP", "ORDER", "LIMIT", "HAVING", "OFFSET", "WINDOW", "FOR", "FETCH", "RETURNING"}
)
# Words that make a statement more than one plain operation on named tables.
_UNSURE = frozenset({"UNION", "INTERSECT", "EXCEPT", "LATERAL", "ONLY"})


@dataclass(frozen=True)
class _Token:
    kind: str  # "word", "name" (a quoted identifier) or a single character
    text: str

    @property
    def keyword(self) -> str:
        return self.text.upper() if self.kind == "word" else ""


@dataclass(frozen=True)
class QuerySummary:
    operation: str  # as the statement spells it
    collections: tuple[str, ...]

    @property
    def text(self) -> str:
        return " ".join((self.operation, *self.collections))


@functools.lru_cache(maxsize=MEMO_SIZE)
def summarise(statement: str) -> QuerySummary | None:
    """The statement's operation and tables, or None when it is not one the parser is sure of."""
    tokens = _depth_zero_tokens(statement)
    while tokens and tokens[-1].kind == ";":
        tokens.pop()
    if any(token.kind == ";" for token in tokens):
        return None  # a script: more than one statement
    if not tokens or tokens[0].kind != "word":
        return None
    if any(token.keyword in _UNSURE for token in tokens):
        return None
    operation = tokens[0].keyword
    if operation == "SELECT":
        collections = _select_tables(tokens)
    elif operation == "INSERT":
        collections = _table_after(tokens, "INTO", forbidden=("SELECT",))
    elif operation == "UPDATE":
        # SQLite's `UPDATE OR REPLACE t`.
        start = 3 if len(tokens) > 1 and tokens[1].keyword == "OR" else 1
        collections = _table_at(tokens, start, forbidden=("FROM",))
    elif operation == "DELETE":
        collections = _table_after(tokens, "FROM", forbidden=("USING",))
    else:
        return None
    if not collections:
        return None
    return QuerySummary(tokens[0].text, collections)


def _depth_zero_tokens(statement: str) -> list[_Token]:
    """The statement's tokens outside parentheses and literals; a `(` stands for its group."""
    if "$$" in statement:  # a dollar-quoted body: its words are not the statement's
        return []
    tokens: list[_Token] = []
    depth = 0
    for match in _TOKEN.finditer(statement):
        kind = match.lastgroup or "other"
        text = match.group()
        if kind in ("space", "comment"):
            continue
        if text == "(":
            if depth == 0:
                opened = match.end()
            depth += 1
        elif text == ")":
            depth -= 1
            if depth < 0:
                return []
            if depth == 0:
                # The group stands as one token that keeps its text: a bracketed join is read.
                tokens.append(_Token("(", statement[opened : match.start()]))
        elif depth == 0:
            if kind == "quoted":
                tokens.append(_Token("name", text[1:-1].replace(text[0] * 2, text[0])))
            elif kind == "word":
                tokens.append(_Token("word", text))
            else:
                tokens.append(_Token(text, text))
    return tokens if depth == 0 else []


def _name_at(tokens: list[_Token], index: int) -> tuple[str, int] | None:
    """A possibly schema-qualified table name starting at `index`, and the index after it."""
    parts: list[str] = []
    while index < len(tokens) and tokens[index].kind in ("word", "name"):
        parts.append(tokens[index].text)
        index += 1
        if index < len(tokens) and tokens[index].kind == ".":
            index += 1
            continue
        return ".".join(parts), index
    return None


def _table_at(
    tokens: list[_Token], index: int, forbidden: Sequence[str] = ()
) -> tuple[str, ...] | None:
    if any(token.keyword in forbidden for token in tokens[index:]):
        return None
    named = _name_at(tokens, index)
    return (named[0],) if named else None


def _table_after(
    tokens: list[_Token], keyword: str, forbidden: Sequence[str] = ()
) -> tuple[str, ...] | None:
    # The keyword is the second or third word: `INSERT INTO t`, `INSERT OR REPLACE INTO t`.
    for index in range(1, min(len(tokens), 4)):
        if tokens[index].keyword == keyword:
            return _table_at(tokens, index + 1, forbidden)
    return None


def _select_tables(tokens: list[_Token]) -> tuple[str, ...] | None:
    starts = [index for index, token in enumerate(tokens) if token.keyword == "FROM"]
    if len(starts) != 1:
        return None
    tables: list[str] = []
    if not _from_list(tokens, starts[0] + 1, tables):
        return None
    return tuple(tables)


def _from_list(tokens: list[_Token], index: int, tables: list[str]) -> bool:
    """Adds the tables of the FROM list at `index` to `tables`; False when unsure of it."""
    while True:
        if (
            index < len(tokens)
            and tokens[index].kind == "("
            and index > 0
            and (tokens[index - 1].keyword == "JOIN")
        ):
            # `JOIN (b JOIN c ON ...)`, as SQLAlchemy writes a joined eager load: its tables.
            inner = _depth_zero_tokens(tokens[index].text)
            if not inner or inner[0].keyword == "SELECT" or not _from_list(inner, 0, tables):
                return False
            index += 1
        else:
            named = _name_at(tokens, index)
            if named is None:
                return False  # a sub-select, a function or a placeholder
            if named[0] not in tables:
                tables.append(named[0])
            index = named[1]
            if index < len(tokens) and tokens[index].kind == "(":
                return False  # a table function
        # Past the alias and any join condition, to the next table or the end of the list.
        while index < len(tokens) and tokens[index].kind != "," and tokens[index].keyword != "JOIN":
            if tokens[index].keyword in _FROM_ENDS:
                return True
            index += 1
        if index == len(tokens):
            return True
        index += 1


def named_span(span: ReadableSpan) -> ReadableSpan:
    """`span` named by its query's summary, or `span` itself when it has none to give."""
    if span.kind is not SpanKind.CLIENT:
        return span
    attributes = span_attributes(span)
    if SUMMARY in attributes:
        return span
    statement = next(
        (value for key in STATEMENT_KEYS if isinstance(value := attributes.get(key), str)), None
    )
    if statement is None or len(statement) > LONGEST:
        return span
    summary = summarise(statement)
    if summary is None:
        return span
    added = {SUMMARY: summary.text, OPERATION: summary.operation}
    if len(summary.collections) == 1:
        added[COLLECTION] = summary.collections[0]
    return copy_span(span, name=summary.text, attributes={**added, **attributes})


def named_or_as_is(span: ReadableSpan) -> ReadableSpan:
    # A span the namer fails on is still exported, under the name it had.
    try:
        return named_span(span)
    except Exception:
        logger.debug("Connect could not name a query span", exc_info=True)
        return span
