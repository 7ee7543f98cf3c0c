"""Plain imports each installed package's `templates` module: the current trace's globals, for
any template (an error page, say): `connect_trace_url()` and `connect_current_trace()`."""

from plain.templates import register_template_global

from connect_otel._current_trace import current_trace, trace_url

register_template_global(trace_url, name="connect_trace_url")
register_template_global(current_trace, name="connect_current_trace")
