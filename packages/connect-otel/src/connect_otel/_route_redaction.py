"""Route-aware redaction: the path segments whose route parameter names a secret or a person.

A server span carries the route its request matched (`http.route`) and the path itself
(`url.path`). The route names every segment of the path, so the value that stood in for
`<token>` in `/reset/<uidb64>/<token>/` or `{email}` in `/password-recovery/{email}` is found
without guessing, and replaced in the path, the full URL and the span's name. Route templates
of every framework are read: `<name>` and `<converter:name>` (Django, Flask, Plain),
`{name}` and `{name:converter}` (Starlette, FastAPI), and Django's regular-expression routes
with named groups. Runs on the export thread; each route is compiled once.

E-mail addresses are personal data wherever they stand in a URL: a path segment or a parameter
value that is one is redacted too, route or not.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import unquote

from connect_otel._secret_names import ROUTE, words

REDACTED = "[redacted]"


# Beyond this many distinct routes (an app that generates them), routes are not remembered.
CACHE_LIMIT = 1024

_ANGLE = r"<(?:(?P<angle_converter>[a-zA-Z_][\w]*)(?:\([^)>]*\))?:)?(?P<angle_name>[a-zA-Z_]\w*)>"
_BRACE = r"\{(?P<brace_name>[a-zA-Z_]\w*)(?::(?P<brace_converter>[a-zA-Z_]\w*))?\}"
_PARAMETER = re.compile(f"{_ANGLE}|{_BRACE}")
_NAMED_GROUP = re.compile(r"\(\?P<([a-zA-Z_]\w*)>")
_EMAIL = re.compile(r"[^\s@/?#&=;]+@[^\s@/?#&=;]+\.[A-Za-z]{2,}")

IsSecret = Callable[[str], bool]


class _Route:
    """A route template compiled into a pattern, and the groups of its secret parameters."""

    def __init__(self, pattern: re.Pattern[str], secret_groups: list[str], *, regex: bool) -> None:
        self.pattern = pattern
        self.secret_groups = secret_groups
        self.regex = regex


def _compile(route: str, is_secret: IsSecret) -> _Route | None:
    """None for a route without a secret parameter (most routes): its paths are never matched."""
    if "(?P<" in route:
        # Django's re_path: its regex matches the path without the leading slash, which
        # Connect adds to every route.
        regex = route[1:] if route.startswith("/^") else route
        secret_groups = [name for name in _NAMED_GROUP.findall(regex) if is_secret(name)]
        if not secret_groups:
            return None
        try:
            return _Route(re.compile(regex), secret_groups, regex=True)
        except re.error:
            return None
    secret_groups = []
    parts: list[str] = []
    position = 0
    for index, match in enumerate(_PARAMETER.finditer(route)):
        parts.append(re.escape(route[position : match.start()]))
        converter = match["angle_converter"] or match["brace_converter"]
        group = f"p{index}"
        if is_secret(match["angle_name"] or match["brace_name"]):
            secret_groups.append(group)
        parts.append(f"(?P<{group}>{'.+' if converter == 'path' else '[^/]+'})")
        position = match.end()
    if not secret_groups:
        return None
    parts.append(re.escape(route[position:]))
    return _Route(re.compile("".join(parts)), secret_groups, regex=False)


class RouteRedactor:
    def __init__(self, is_secret: IsSecret, *, emails: bool = True) -> None:
        self._is_secret = is_secret
        self._emails = emails
        self._routes: dict[str, _Route | None] = {}

    def _route(self, route: str) -> _Route | None:
        if route in self._routes:
            return self._routes[route]
        compiled = _compile(route, self.parameter_is_secret)
        if len(self._routes) < CACHE_LIMIT:
            self._routes[route] = compiled
        return compiled

    def parameter_is_secret(self, name: str) -> bool:
        return not ROUTE.isdisjoint(words(name).split("_")) or self._is_secret(name)

    def path(self, route: str | None, path: str) -> str:
        """`path` (or a path with its query) with the segments of secret route parameters, and
        e-mail addresses, redacted."""
        compiled = self._route(route) if route else None
        if compiled is not None:
            path = self._redact_parameters(compiled, path)
        if self._emails:
            path = self.emails(path)
        return path

    def is_email(self, value: str) -> bool:
        """Whether a parameter's (decoded) value is an e-mail address to redact."""
        return self._emails and "@" in value and _EMAIL.fullmatch(value) is not None

    def emails(self, text: str) -> str:
        """A path or query with every e-mail address (also percent-encoded) redacted. Not for
        whole URLs: `user@host` in an authority would read as an address."""
        if "@" not in text and "%40" not in text.upper():
            return text
        if "%" in text:
            decoded = unquote(text)
            if "@" in decoded and _EMAIL.search(decoded):
                text = "/".join(
                    REDACTED if _EMAIL.search(unquote(segment)) else segment
                    for segment in text.split("/")
                )
        return _EMAIL.sub(REDACTED, text)

    def _redact_parameters(self, route: _Route, path: str) -> str:
        # Django matches a regular-expression route against the path without its first slash,
        # and from the start only (a `$` in the route anchors the end).
        subject = path[1:] if route.regex and path.startswith("/") else path
        match = route.pattern.match(subject) if route.regex else route.pattern.fullmatch(subject)
        if match is None:
            return path
        offset = len(path) - len(subject)
        spans = []
        for group in route.secret_groups:
            start, end = match.span(group)
            if start >= 0 and end > start:
                spans.append((start + offset, end + offset))
        for start, end in sorted(spans, reverse=True):
            path = path[:start] + REDACTED + path[end:]
        return path
