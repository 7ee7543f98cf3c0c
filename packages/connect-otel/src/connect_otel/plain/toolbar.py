"""The "Trace" item of plain.toolbar, which imports this module when both are installed.

A link to the request's trace when it is sampled, a "Not sampled" badge when it is not, an
"Undecided" badge while tail sampling holds it (it is exported if the request fails or is
slow), nothing when export is off.
"""

from __future__ import annotations

from typing import Any

from plain.toolbar import ToolbarItem, register_toolbar_item

from connect_otel._current_trace import current_trace, trace_url
from connect_otel._setup import active_settings


@register_toolbar_item
class TraceToolbarItem(ToolbarItem):
    name = "Trace"
    button_template_name = "connect_otel/toolbar_trace.html"

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self.trace = current_trace()

    def is_enabled(self) -> bool:
        return active_settings() is not None and bool(self.trace.trace_id)

    def get_template_context(self) -> dict[str, Any]:
        context: dict[str, Any] = super().get_template_context()
        context["connect_trace"] = self.trace
        context["connect_trace_url"] = trace_url()
        return context
