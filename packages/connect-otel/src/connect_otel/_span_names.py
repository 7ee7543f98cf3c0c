"""One naming rule for every framework's server spans: `METHOD route` when a route matched, and
the method alone when none did, so that a scanner's made-up URLs do not each make a new name."""

from __future__ import annotations

from opentelemetry.util.http import sanitize_method


def unrouted_span_name(method: str) -> str:
    """The method; "HTTP" for one the HTTP conventions do not know, as they ask."""
    sanitized = sanitize_method(method)
    return "HTTP" if sanitized == "_OTHER" else sanitized
