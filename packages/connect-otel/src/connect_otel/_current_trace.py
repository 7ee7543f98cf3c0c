"""The trace the running code is in, whether it is exported (`current_trace()`), and its link
in a trace viewer (`trace_url()`).

It reads OpenTelemetry's current span through the API, never the SDK, so it costs nothing when
export is off. Under tail sampling (`_tail_sampling.py`) a trace that lost the head draw is
recorded without being sampled and is decided only when its local root ends: the processor
holding it answers for it here, through `report_tail_decisions`.
"""

from __future__ import annotations

import sys
import threading
import weakref
from typing import NamedTuple, Protocol

from connect_otel import _setup


class CurrentTrace(NamedTuple):
    """`trace_id`: 32 lower-case hex digits, or "" outside any valid trace.

    `sampled`: True when the trace is exported, False when it is not, None when that is not
    known: outside any trace, or while tail sampling still holds the trace undecided (it is
    exported only if it fails or is slow, which its local root's end tells).
    """

    trace_id: str
    sampled: bool | None


NO_TRACE = CurrentTrace("", None)


class TailDecisions(Protocol):
    def decision(self, trace_id: int) -> bool | None:
        """None while the trace is held undecided; then whether it was kept."""


_deciders: weakref.WeakSet[TailDecisions] = weakref.WeakSet()
_deciders_lock = threading.Lock()


def report_tail_decisions(decider: TailDecisions) -> None:
    """Lets a tail-sampling processor answer for the record-only traces it holds."""
    with _deciders_lock:
        _deciders.add(decider)


def current_trace() -> CurrentTrace:
    """The current trace's id and whether it is exported (see `CurrentTrace`)."""
    # No span can exist before something imports the API: export off costs no import here.
    if "opentelemetry.trace" not in sys.modules:
        return NO_TRACE
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return NO_TRACE
    trace_id = format(context.trace_id, "032x")
    if context.trace_flags.sampled:
        return CurrentTrace(trace_id, True)
    return CurrentTrace(trace_id, _tail_decision(context.trace_id))


def _tail_decision(trace_id: int) -> bool | None:
    # A span not sampled at the head is exported only if tail sampling holds or kept its trace.
    with _deciders_lock:
        deciders = list(_deciders)
    for decider in deciders:
        decision = decider.decision(trace_id)
        if decision is None or decision:
            return decision
    return False


def trace_url(*, undecided: bool = False) -> str:
    """The link to the current trace when Connect exports it, else "".

    "" also while tail sampling holds the trace undecided (an error page rendered during a
    request that fails, before the request ends), unless `undecided=True`: such a trace is kept
    when it fails or is slow, so the link may lead nowhere if it does not.
    """
    settings = _setup.active_settings()
    if settings is None:
        return ""
    trace_id, sampled = current_trace()
    if not trace_id or sampled is False or (sampled is None and not undecided):
        return ""
    return settings.trace_url.format(cloud_url=settings.cloud_url, trace_id=trace_id)
