"""Scrubbing: values that look secret are replaced by a marker before anything is exported.

Which keys and parameter names are secret comes from the one word list (`_secret_names.py`).
Values under secret keys are replaced whole; URLs lose their user and password and the values of
secret parameters, in the query, the fragment and `;` path parameters, and inside a parameter
value that is itself a URL; text that libraries write (exception messages, stack traces, status
descriptions, log bodies, and any other string that quotes a URL with parameters) has the URLs
inside it scrubbed the same way. Nested values (maps, lists, header tuples) are walked. Each
distinct key, name and short text is decided once. The work happens in the exporters, on the
export thread, never on the request's.
"""

from __future__ import annotations

import dataclasses
import re
import threading
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, unquote_plus

from opentelemetry.sdk._logs import ReadableLogRecord
from opentelemetry.sdk.metrics.export import MetricsData
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.trace import Link, Status

from connect_otel._fast_reads import attribute_dict, span_attributes, span_events, span_links
from connect_otel._resource import HashedOnceResource
from connect_otel._route_redaction import REDACTED, RouteRedactor
from connect_otel._secret_names import (
    has_secret_word,
    is_secret_parameter_name,
    split_words,
    words,
)
from connect_otel._span_copy import copy_log_record, copy_span

# Attributes whose value is a URL, a request target or a query string.
URL_KEYS = frozenset({"url.full", "url.original", "url.path", "http.url", "http.target"})
URL_LAST_WORDS = frozenset({"url", "uri", "referer", "referrer", "location"})
QUERY_KEYS = frozenset({"url.query"})
# Text written by libraries, which may quote a URL: `Max retries exceeded with url: /cb?token=`.
TEXT_KEYS = frozenset({"exception.message", "exception.stacktrace", "error.message"})
# Query parameter values that database instrumentations attach (Plain's under DEBUG, the
# contrib dbapi's with capture_parameters): values, never statements.
VALUE_KEY_PREFIXES = ("db.query.parameter.", "db.statement.parameters")

# Beyond this many distinct keys (an app that puts ids into keys), decisions are not cached.
CACHE_LIMIT = 4096
# Scrubbed texts and queries are remembered (an exception's stack trace and a page's query
# repeat), up to CACHE_LIMIT of each and this many characters in all; then each is scrubbed anew.
REMEMBERED_CHARACTERS = 4 * 1024 * 1024
# Users' extra patterns see at most this much of a name: a bound on any regular expression's
# work, on top of refusing the patterns that backtrack (connect_config.parsers.patterns).
EXTRA_PATTERN_INPUT = 256
# Nested log data deeper than this is replaced whole rather than walked.
DEPTH_LIMIT = 8
# A parameter value that is an encoded URL is scrubbed inside, to this many levels of encoding.
ENCODING_LEVELS = 2

_USERINFO = re.compile(r"//[^/?#@\s]*@")
_PARAMETERS_START = re.compile(r"[?#;]")
_PARAMETER = re.compile(r"(?=[?#&;])")
_NAME = re.compile(r"[\w.\-]{1,256}")
_TEXT_SEPARATORS = re.compile(r"""([\s'"<>]+)""")

KEEP, REDACT, URL, QUERY, TEXT = 0, 1, 2, 3, 4
# Attributes that carry the request's path, which route-aware redaction rewrites with url.path.
PATH_CARRYING_KEYS = ("url.full", "url.original", "http.target", "http.url")
_SCALARS = frozenset({int, float, bool, bytes})


class Scrubber:
    def __init__(
        self, extra_patterns: Sequence[str] = (), keep: Sequence[str] = (), *, emails: bool = True
    ) -> None:
        self._extra = [
            re.compile(rf"(?:^|_)(?:{pattern})(?=_|$)", re.IGNORECASE) for pattern in extra_patterns
        ]
        self._keep = frozenset(name.lower() for name in keep)
        self._actions: dict[str, int] = {}
        self._parameters: dict[str, bool] = {}
        self._texts: dict[str, str] = {}
        self._queries: dict[str, str] = {}
        self._remembered = 0
        self._resources: dict[int, tuple[Resource, Resource]] = {}
        self._lock = threading.Lock()
        self._routes = RouteRedactor(self.parameter_is_secret, emails=emails)

    def key_is_secret(self, key: str) -> bool:
        return self._action(key) == REDACT

    def parameter_is_secret(self, name: str) -> bool:
        secret = self._parameters.get(name)
        if secret is None:
            split = split_words(name)
            secret = name.lower() not in self._keep and (
                is_secret_parameter_name(split) or self._extra_match(name)
            )
            if len(self._parameters) < CACHE_LIMIT:
                self._parameters[name] = secret
        return secret

    def _extra_match(self, name: str) -> bool:
        if not self._extra:
            return False
        joined = words(name[: EXTRA_PATTERN_INPUT * 2])[:EXTRA_PATTERN_INPUT]
        return any(pattern.search(joined) for pattern in self._extra)

    def _action(self, key: str) -> int:
        action = self._actions.get(key)
        if action is None:
            action = self._decide(key)
            if len(self._actions) < CACHE_LIMIT:
                self._actions[key] = action
        return action

    def _decide(self, key: str) -> int:
        if key.lower() in self._keep:
            return KEEP
        if key.startswith(VALUE_KEY_PREFIXES):
            return REDACT
        split = split_words(key)
        if has_secret_word(split) or self._extra_match(key):
            return REDACT
        if key in QUERY_KEYS:
            return QUERY
        if key in URL_KEYS or (split and split[-1] in URL_LAST_WORDS):
            return URL
        if key in TEXT_KEYS:
            return TEXT
        return KEEP

    def attributes(self, attributes: Mapping[str, Any] | None) -> dict[str, Any] | None:
        """The attributes with secrets replaced, or None when nothing needed replacing."""
        if attributes is None:
            return None
        readable = attribute_dict(attributes)
        if not readable:
            return None
        scrubbed = self._mapping(readable, 0)
        return None if scrubbed is readable else dict(scrubbed)

    def _mapping(self, mapping: Mapping[str, Any], depth: int) -> Mapping[str, Any]:
        changed: dict[str, Any] | None = None
        actions = self._actions
        for key, value in mapping.items():
            action = actions.get(key)
            if action is None:
                action = self._action(key) if isinstance(key, str) else KEEP
            if action == KEEP and (
                value.__class__ in _SCALARS
                or (value.__class__ is str and "@" not in value and "=" not in value)
            ):
                continue
            scrubbed = self._value(action, value, depth)
            if scrubbed is not value:
                if changed is None:
                    changed = dict(mapping)
                changed[key] = scrubbed
        return mapping if changed is None else changed

    def _value(self, action: int, value: Any, depth: int) -> Any:
        """`value` itself when nothing in it needed replacing."""
        if action == REDACT or depth > DEPTH_LIMIT:
            return REDACTED
        if isinstance(value, str):
            if action == URL:
                scrubbed = self.url(value)
            elif action == QUERY:
                scrubbed = self.query(value)
            elif action == TEXT:
                scrubbed = self.text(value)
            else:
                # Under an ordinary key, text a library wrote may still quote a URL (Django's
                # `request` on its request records: `<WSGIRequest: GET '/reset/?token=…'>`), and
                # a connection string or a DSN holds credentials.
                scrubbed = self.text(value)
            return value if scrubbed == value else scrubbed
        if isinstance(value, Mapping):
            return self._mapping(value, depth + 1)
        if isinstance(value, (list, tuple)):
            return self._sequence(action, value, depth + 1)
        return value

    def _sequence(self, action: int, values: Sequence[Any], depth: int) -> Any:
        changed: list[Any] | None = None
        for index, value in enumerate(values):
            if action == KEEP and _is_pair(value):
                # A header list as `[["Authorization", "Bearer x"]]`: the first item is the key.
                scrubbed: Any = value
                secret = self._value(self._action(value[0]), value[1], depth)
                if secret is not value[1]:
                    scrubbed = type(value)((value[0], secret))
            else:
                scrubbed = self._value(action, value, depth)
            if scrubbed is not value:
                if changed is None:
                    changed = list(values)
                changed[index] = scrubbed
        if changed is None:
            return values
        return tuple(changed) if isinstance(values, tuple) else changed

    def url(self, url: str, depth: int = 0, whole_query: bool = False) -> str:
        """Removes users and passwords and replaces the values of secret parameters."""
        if "@" in url:
            url = _USERINFO.sub("//", url)
        start = 0
        if not whole_query:
            found = _PARAMETERS_START.search(url)
            if found is None:
                return url
            start = found.start()
        query = url[start:]
        if depth:
            return url[:start] + self._query(query, depth)
        scrubbed = self._queries.get(query)
        if scrubbed is None:
            scrubbed = self._remember(self._queries, query, self._query(query, depth))
        return url[:start] + scrubbed

    def query(self, query: str) -> str:
        if "=" not in query:
            return query
        scrubbed = self._queries.get(query)
        if scrubbed is None:
            scrubbed = self._remember(self._queries, query, self._query(query, 0))
        return scrubbed

    def _remember(self, memo: dict[str, str], original: str, scrubbed: str) -> str:
        if len(memo) < CACHE_LIMIT and self._remembered + len(original) <= REMEMBERED_CHARACTERS:
            memo[original] = scrubbed
            self._remembered += len(original)
        return scrubbed

    def _query(self, query: str, depth: int) -> str:
        parts = _PARAMETER.split(query)
        for index, part in enumerate(parts):
            equals = part.find("=")
            value = part[equals + 1 :]
            if equals < 0 or not value:
                continue
            named = part[: equals + 1]
            name = named[1:-1] if named[0] in "?#&;" else named[:-1]
            if self.parameter_is_secret(unquote_plus(name)) or self._routes.is_email(
                unquote_plus(value)
            ):
                parts[index] = named + REDACTED
            elif depth < ENCODING_LEVELS and "%" in value:
                decoded = unquote_plus(value)
                whole_query = _PARAMETERS_START.search(decoded) is None
                scrubbed = self.url(decoded, depth + 1, whole_query)
                if scrubbed != decoded:
                    parts[index] = named + quote(scrubbed, safe="!'()*")
        return "".join(parts)

    def text(self, text: str) -> str:
        """`text` with every URL in it scrubbed; text with no `?`, `@` or `=` is left at once."""
        if "@" not in text and ("=" not in text or not _PARAMETERS_START.search(text)):
            return text
        scrubbed = self._texts.get(text)
        if scrubbed is None:
            pieces = _TEXT_SEPARATORS.split(text)
            for index in range(0, len(pieces), 2):
                piece = pieces[index]
                if "=" in piece or "@" in piece:
                    pieces[index] = self.url(piece)
            scrubbed = self._remember(self._texts, text, "".join(pieces))
        return scrubbed

    def resource(self, resource: Resource) -> Resource:
        # A provider has one resource for its lifetime: scrub it once.
        cached = self._resources.get(id(resource))
        if cached is not None and cached[0] is resource:
            return cached[1]
        changed = self.attributes(resource.attributes)
        scrubbed = resource if changed is None else HashedOnceResource(changed, resource.schema_url)
        with self._lock:
            if len(self._resources) >= 8:
                self._resources.clear()
            self._resources[id(resource)] = (resource, scrubbed)
        return scrubbed

    def span(self, span: ReadableSpan) -> ReadableSpan:
        attributes = self.attributes(span_attributes(span))
        name, attributes = self._paths(span, attributes)
        events: list[Event] | None = None
        held_events = span_events(span)
        for index, event in enumerate(held_events):
            event_attributes = self.attributes(event.attributes)
            if event_attributes is not None:
                if events is None:
                    events = list(held_events)
                events[index] = _ScrubbedEvent(event, event_attributes)
        links: list[Link] | None = None
        held_links = span_links(span)
        for index, link in enumerate(held_links):
            link_attributes = self.attributes(link.attributes)
            if link_attributes is not None:
                if links is None:
                    links = list(held_links)
                links[index] = Link(link.context, link_attributes)
        status: Status | None = None
        description = span.status.description
        if description and self.text(description) != description:
            status = Status(span.status.status_code, self.text(description))
        resource = self.resource(span.resource)
        if (attributes, events, links, status, name) == (None, None, None, None, None) and (
            resource is span.resource
        ):
            return span
        return copy_span(
            span,
            name=name,
            attributes=attributes,
            events=events,
            links=links,
            status=status,
            resource=resource,
        )

    def _paths(
        self, span: ReadableSpan, scrubbed: dict[str, Any] | None
    ) -> tuple[str | None, dict[str, Any] | None]:
        """The span's name and attributes with the path's secret and personal segments redacted
        (`_route_redaction`): in `url.path`, the URLs that carry it, and the name."""
        current = span_attributes(span) if scrubbed is None else scrubbed
        path = current.get("url.path")
        if not isinstance(path, str):
            return None, scrubbed
        route = current.get("http.route")
        redacted = self._routes.path(route if isinstance(route, str) else None, path)
        if redacted == path:
            return None, scrubbed
        changed = dict(current)
        changed["url.path"] = redacted
        for key in PATH_CARRYING_KEYS:
            value = changed.get(key)
            if isinstance(value, str) and path in value:
                changed[key] = value.replace(path, redacted, 1)
        return (span.name.replace(path, redacted) if path in span.name else None), changed

    def log_record(self, record: ReadableLogRecord) -> ReadableLogRecord:
        attributes = self.attributes(record.log_record.attributes)
        body = record.log_record.body
        scrubbed_body = self._value(TEXT, body, 0)
        resource = self.resource(record.resource)
        if attributes is None and scrubbed_body is body and resource is record.resource:
            return record
        copied = copy_log_record(record, attributes=attributes, resource=resource)
        copied.log_record.body = scrubbed_body
        return copied

    def metrics(self, data: MetricsData) -> MetricsData:
        """Data-point attributes and each resource scrubbed; unchanged parts are not copied."""
        resource_metrics = []
        for resource_metric in data.resource_metrics:
            scope_metrics = []
            for scope_metric in resource_metric.scope_metrics:
                metrics = [self._metric(metric) for metric in scope_metric.metrics]
                scope_metrics.append(dataclasses.replace(scope_metric, metrics=metrics))
            resource_metrics.append(
                dataclasses.replace(
                    resource_metric,
                    resource=self.resource(resource_metric.resource),
                    scope_metrics=scope_metrics,
                )
            )
        return dataclasses.replace(data, resource_metrics=resource_metrics)

    def _metric(self, metric: Any) -> Any:
        points = metric.data.data_points
        scrubbed = [self._data_point(point) for point in points]
        if all(new is old for new, old in zip(scrubbed, points, strict=True)):
            return metric
        return dataclasses.replace(
            metric, data=dataclasses.replace(metric.data, data_points=scrubbed)
        )

    def _data_point(self, point: Any) -> Any:
        attributes = self.attributes(point.attributes)
        return point if attributes is None else dataclasses.replace(point, attributes=attributes)


def _is_pair(value: object) -> bool:
    return (
        isinstance(value, (list, tuple))
        and len(value) == 2
        and isinstance(value[0], str)
        and _NAME.fullmatch(value[0]) is not None
    )


class _ScrubbedEvent(Event):
    def __init__(self, event: Event, attributes: dict[str, Any]) -> None:
        super().__init__(event.name, attributes, event.timestamp)
        self._dropped = event.dropped_attributes

    @property
    def dropped_attributes(self) -> int:
        return self._dropped
