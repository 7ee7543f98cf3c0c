"""The "Trace" panel of Django Debug Toolbar: add "connect_otel.django.panels.TracePanel" to
DEBUG_TOOLBAR_PANELS.

Its entry in the toolbar is the link to the request's trace when it is sampled; otherwise it
says "Not sampled", "Undecided" (tail sampling exports it only if the request fails or is
slow) or "Export off".
"""

from __future__ import annotations

from typing import Any

from debug_toolbar.panels import Panel
from django.utils.html import format_html

from connect_otel._current_trace import current_trace, trace_url
from connect_otel._setup import active_settings


class TracePanel(Panel):
    title = "Trace"
    # The toolbar's entry says it all: there is no panel to open.
    has_content = False

    def generate_stats(self, request: Any, response: Any) -> None:
        # The request's span is still current here: the toolbar's middleware runs inside it.
        trace_id, sampled = current_trace()
        self.record_stats(
            {
                "exporting": active_settings() is not None,
                "trace_id": trace_id,
                "sampled": sampled,
                "url": trace_url(),
            }
        )

    @property
    def nav_title(self) -> str:
        stats: dict[str, object] = self.get_stats()
        title: str = "Trace"
        if stats.get("url"):
            title = format_html(
                '<a href="{}" target="_blank" rel="noopener" data-connect-trace="{}">Trace</a>',
                stats["url"],
                stats["trace_id"],
            )
        elif stats.get("trace_id"):
            title = format_html('<span data-connect-trace="{}">Trace</span>', stats["trace_id"])
        return title

    @property
    def nav_subtitle(self) -> str:
        stats: dict[str, object] = self.get_stats()
        if not stats.get("exporting"):
            return "Export off"
        if not stats.get("trace_id"):
            return "No trace"
        if stats.get("url"):
            return str(stats["trace_id"])[:8]
        return "Undecided" if stats.get("sampled") is None else "Not sampled"
