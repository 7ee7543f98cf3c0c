"""Request headers for the contrib ASGI middleware, named once a request instead of once a lookup.

The middleware looks a request header up about eight times a request: the host three times, the
user agent, the three trace-context headers, the content length. Its getter decodes the name of
every header of the request for each lookup; with the dozen headers a browser sends that is
about 12 µs a request, and about 4 with the two a script sends. `install()` puts in its place a
getter that keeps the names decoded for as long as the scope holds the same headers. It checks
that, item by item, on every lookup, so a header changed in place, added or removed is seen.
Values are decoded only for the header asked for, as the contrib's getter does.

The answers are the contrib getter's own, through its own decoding function (private:
`_decode_header_item`). `tests/unit/test_asgi_headers_unit.py` compares them on varied headers
and fails if the middleware stops looking headers up through its module's `asgi_getter`.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.instrumentation import asgi

HeaderItems = tuple[tuple[Any, ...], ...]


class NamesDecodedOnce(asgi.ASGIGetter):
    """The contrib's ASGI getter, remembering the decoded names of the last headers it read."""

    def __init__(self) -> None:
        # The headers last read, and their values by decoded lower-case name; replaced whole, so
        # that another thread's lookup never sees one without the other.
        self._last: tuple[HeaderItems, dict[str, list[Any]]] = ((), {})

    def get(self, carrier: dict[str, Any], key: str) -> list[str] | None:
        headers = carrier.get("headers")
        if not headers:
            return None
        # A tuple's own items are taken as they are; a list item is copied, so that a change
        # made to it in place tells these headers from the last ones.
        items = tuple(map(tuple, headers))
        last_items, by_name = self._last
        if items != last_items:
            by_name = {}
            for name, value in items:
                by_name.setdefault(asgi._decode_header_item(name).lower(), []).append(value)
            self._last = (items, by_name)
        values = by_name.get(key.lower())
        if not values:
            return None
        return [asgi._decode_header_item(value) for value in values]


def install() -> None:
    """Once, however often called."""
    if not isinstance(asgi.asgi_getter, NamesDecodedOnce):
        asgi.asgi_getter = NamesDecodedOnce()
