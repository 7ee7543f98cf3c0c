"""Scrubbing: values that look secret are replaced by a marker before anything is exported.

A key or query parameter name is split into words (on `.`, `_`, `-` and camelCase) and the
patterns match whole words, so `api_key`, `apiKey` and `X-Api-Key` are secret while `author`,
`input_tokens` and `page` are not. Each distinct key is matched once: the decision is cached.
The work happens in the exporters, on the export thread, never on the request's.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import unquote_plus

from opentelemetry.sdk._logs import ReadableLogRecord
from opentelemetry.sdk._logs.export import LogRecordExporter, LogRecordExportResult
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from connect_otel._pacing import Paced
from connect_otel._resource import HashedOnceResource
from connect_otel._span_copy import copy_log_record, copy_span

REDACTED = "[redacted]"

# Whole-word patterns over a key's words, lower-cased and joined by `_`.
KEY_PATTERNS = (
    r"password|passwd|pwd|passphrase",
    r"secrets?",
    # The last word only: `token_type` and `token_count` describe a token without holding it.
    r"token$",
    r"api_?keys?",
    r"auth|authorization",
    r"session(?:id|key)?|sessid",
    r"cookies?",
    r"csrf[a-z0-9]*|xsrf[a-z0-9]*",
    r"jwt",
    r"private_?key",
    r"credit_?card|card_?number|cc_?number|cvv|cvc",
    r"ssn",
    r"signature",
)
# Query parameters are secret by the key patterns (which cover OAuth's access_token, id_token
# and refresh_token and the signed-URL parameters X-Amz-Signature, X-Goog-Signature and
# Signature) and also when named exactly like OAuth's authorization code and state, or Azure's
# signature `sig`: as whole names only, so `zip_code` and `state_id` are not secret.
PARAMETER_PATTERNS = (r"^(?:code|state|sig)$",)
# Attributes whose value is a URL, a request target or a query string.
URL_KEYS = frozenset({"url.full", "url.original", "http.url", "http.target"})
QUERY_KEYS = frozenset({"url.query"})
# Query parameter values that database instrumentations attach (Plain's under DEBUG, the
# contrib dbapi's with capture_parameters): values, never statements.
VALUE_KEY_PREFIXES = ("db.query.parameter.", "db.statement.parameters")

# Beyond this many distinct keys (an app that puts ids into keys), decisions are not cached.
CACHE_LIMIT = 4096

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SEPARATORS = re.compile(r"[^a-z0-9]+")

KEEP, REDACT, URL, QUERY = 0, 1, 2, 3


def words(key: str) -> str:
    """`X-Amz-Signature` -> `x_amz_signature`, `apiKey` -> `api_key`."""
    return "_".join(part for part in _SEPARATORS.split(_CAMEL.sub("_", key).lower()) if part)


def _whole_words(patterns: Sequence[str]) -> list[re.Pattern[str]]:
    return [re.compile(rf"(?:^|_)(?:{pattern})(?=_|$)") for pattern in patterns]


class Scrubber:
    def __init__(self, extra_patterns: Sequence[str] = (), keep: Sequence[str] = ()) -> None:
        self._key_patterns = _whole_words((*KEY_PATTERNS, *extra_patterns))
        self._parameter_patterns = [*self._key_patterns, *_whole_words(PARAMETER_PATTERNS)]
        self._keep = frozenset(name.lower() for name in keep)
        self._actions: dict[str, int] = {}
        self._parameters: dict[str, bool] = {}
        self._resources: dict[int, tuple[Resource, Resource]] = {}
        self._lock = threading.Lock()

    def key_is_secret(self, key: str) -> bool:
        return self._action(key) == REDACT

    def parameter_is_secret(self, name: str) -> bool:
        secret = self._parameters.get(name)
        if secret is None:
            lowered = name.lower()
            split = words(name)
            secret = lowered not in self._keep and any(
                p.search(split) for p in self._parameter_patterns
            )
            if len(self._parameters) < CACHE_LIMIT:
                self._parameters[name] = secret
        return secret

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
        split = words(key)
        if any(pattern.search(split) for pattern in self._key_patterns):
            return REDACT
        if key in QUERY_KEYS:
            return QUERY
        if key in URL_KEYS or split.endswith(("_url", "_uri")) or split in ("url", "uri"):
            return URL
        return KEEP

    def attributes(self, attributes: Mapping[str, Any] | None) -> dict[str, Any] | None:
        """The attributes with secrets replaced, or None when nothing needed replacing."""
        if not attributes:
            return None
        changed: dict[str, Any] | None = None
        for key, value in attributes.items():
            action = self._action(key)
            if action == KEEP:
                continue
            if action == REDACT:
                scrubbed: Any = REDACTED
            elif isinstance(value, str):
                scrubbed = self.url(value) if action == URL else self.query(value)
            else:
                continue
            if scrubbed != value:
                if changed is None:
                    changed = dict(attributes)
                changed[key] = scrubbed
        return changed

    def url(self, url: str) -> str:
        """Removes user and password and replaces secret query and fragment parameters."""
        if "?" not in url and "@" not in url and "#" not in url:
            return url
        rest, hash_mark, fragment = url.partition("#")
        rest, question_mark, query = rest.partition("?")
        scheme, separator, after_scheme = rest.partition("://")
        if separator:
            authority, slash, path = after_scheme.partition("/")
            if "@" in authority:
                rest = f"{scheme}://{authority.rpartition('@')[2]}{slash}{path}"
        if question_mark:
            rest = f"{rest}?{self.query(query)}"
        if hash_mark:
            rest = f"{rest}#{self.query(fragment) if '=' in fragment else fragment}"
        return rest

    def query(self, query: str) -> str:
        if "=" not in query:
            return query
        parts = query.split("&")
        for index, part in enumerate(parts):
            name, equals, value = part.partition("=")
            if equals and value and self.parameter_is_secret(unquote_plus(name)):
                parts[index] = f"{name}={REDACTED}"
        return "&".join(parts)

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
        attributes = self.attributes(span.attributes)
        events: list[Event] | None = None
        for index, event in enumerate(span.events):
            event_attributes = self.attributes(event.attributes)
            if event_attributes is not None:
                if events is None:
                    events = list(span.events)
                events[index] = _ScrubbedEvent(event, event_attributes)
        resource = self.resource(span.resource)
        if attributes is None and events is None and resource is span.resource:
            return span
        return copy_span(span, attributes=attributes, events=events, resource=resource)

    def log_record(self, record: ReadableLogRecord) -> ReadableLogRecord:
        attributes = self.attributes(record.log_record.attributes)
        resource = self.resource(record.resource)
        if attributes is None and resource is record.resource:
            return record
        return copy_log_record(record, attributes=attributes, resource=resource)


class _ScrubbedEvent(Event):
    def __init__(self, event: Event, attributes: dict[str, Any]) -> None:
        super().__init__(event.name, attributes, event.timestamp)
        self._dropped = event.dropped_attributes

    @property
    def dropped_attributes(self) -> int:
        return self._dropped


class ScrubbingSpanExporter(SpanExporter):
    """Scrubs each batch on the export thread, then hands it to the OTLP exporter."""

    def __init__(self, exporter: SpanExporter, scrubber: Scrubber) -> None:
        self._exporter = exporter
        self._scrubber = scrubber

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self._exporter.export([self._scrubber.span(span) for span in Paced(spans)])

    def shutdown(self) -> None:
        self._exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._exporter.force_flush(timeout_millis)


class ScrubbingLogExporter(LogRecordExporter):
    def __init__(self, exporter: LogRecordExporter, scrubber: Scrubber) -> None:
        self._exporter = exporter
        self._scrubber = scrubber

    def export(self, batch: Sequence[ReadableLogRecord]) -> LogRecordExportResult:
        return self._exporter.export([self._scrubber.log_record(record) for record in Paced(batch)])

    def shutdown(self) -> None:
        self._exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._exporter.force_flush(timeout_millis)
