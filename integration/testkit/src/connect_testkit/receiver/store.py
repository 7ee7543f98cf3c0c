"""What arrived, kept in memory (and optionally appended to a file as JSON lines), and the
queries tests make of it. Handler threads record; the test's thread reads.

Anyone who can reach the receiver can send requests and beacons without a token, so what those
leave behind is bounded: the newest `MAX_KEPT` requests and page views, and of each one's
headers at most `MAX_HEADER_BYTES`. Exports carry the token and are kept whole."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, TextIO, TypeVar

from connect_testkit.receiver.records import LogRecord, Metric, Pageview, Request, Span

# Called with the kind of item ("spans", "metrics", "logs" or "pageviews") and the item.
OnArrival = Callable[[str, Any], None]
# An export kept as it came: decoding it gives its items.
Undecoded = Callable[[], list[Any]]
_Self = TypeVar("_Self", bound="Store")

MAX_KEPT = 10_000
MAX_HEADER_BYTES = 8 * 1024
_TRUNCATED = "[truncated]"


def kept_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The headers to keep of a request: in order, until `MAX_HEADER_BYTES`; a header that does
    not fit whole is kept as its name and `[truncated]`, and the rest are left out."""
    kept: dict[str, str] = {}
    room = MAX_HEADER_BYTES
    for name, value in headers:
        size = len(name) + len(value)
        if size > room:
            kept[name[:256]] = _TRUNCATED
            break
        kept[name] = value
        room -= size
    return kept


@dataclass
class _Recorded:
    spans: list[Span] = field(default_factory=list)
    metrics: list[Metric] = field(default_factory=list)
    logs: list[LogRecord] = field(default_factory=list)
    pageviews: deque[Pageview] = field(default_factory=lambda: deque(maxlen=MAX_KEPT))
    requests: deque[Request] = field(default_factory=lambda: deque(maxlen=MAX_KEPT))


class Store:
    def __init__(
        self, record_file: TextIO | None = None, on_arrival: OnArrival | None = None
    ) -> None:
        self._record_file = record_file
        self._on_arrival = on_arrival
        self._recorded = _Recorded()
        self._lock = threading.Lock()
        self._undecoded: deque[tuple[str, Undecoded]] = deque()
        self._decoding = threading.Lock()

    def spans(self) -> list[Span]:
        self._decode_kept()
        with self._lock:
            return list(self._recorded.spans)

    def metrics(self) -> list[Metric]:
        self._decode_kept()
        with self._lock:
            return list(self._recorded.metrics)

    def logs(self) -> list[LogRecord]:
        self._decode_kept()
        with self._lock:
            return list(self._recorded.logs)

    def pageviews(self) -> list[Pageview]:
        with self._lock:
            return list(self._recorded.pageviews)

    def requests(self) -> list[Request]:
        with self._lock:
            return list(self._recorded.requests)

    def clear(self) -> None:
        with self._lock:
            self._recorded = _Recorded()
            self._undecoded.clear()

    def summary(self) -> str:
        spans, logs = self.spans(), self.logs()
        return (
            f"{len(spans)} spans {sorted({s.name for s in spans})}, "
            f"{len(self.metrics())} metrics {sorted({m.name for m in self.metrics()})}, "
            f"{len(logs)} log records {[str(log.body)[:60] for log in logs[-10:]]}, "
            f"{len(self.pageviews())} pageviews, "
            f"requests {[(r.method, r.path, r.status) for r in self.requests()[-10:]]}"
        )

    def wait_for(self: _Self, predicate: Callable[[_Self], bool], timeout: float = 15.0) -> None:
        """Polls until `predicate(self)` holds; fails with what did arrive."""
        deadline = time.monotonic() + timeout
        while not predicate(self):
            if time.monotonic() > deadline:
                raise AssertionError(f"receiver: not arrived within {timeout}s; {self.summary()}")
            time.sleep(0.05)

    def server_span(self, path: str) -> Span:
        """The one server span of the request for `path`, once it has arrived."""

        def found(store: Store) -> list[Span]:
            return [
                s for s in store.spans()
                if s.kind == "SERVER" and s.attributes.get("url.path") == path
            ]  # fmt: skip

        self.wait_for(lambda store: bool(found(store)))
        (span,) = found(self)
        return span

    def record(self, kind: str, items: list[Any]) -> None:
        with self._lock:
            getattr(self._recorded, kind).extend(items)
        for item in items:
            if self._record_file is not None:
                self._record_file.write(
                    json.dumps({"signal": kind, **asdict(item)}, default=str) + "\n"
                )
                self._record_file.flush()
            if self._on_arrival is not None:
                self._on_arrival(kind, item)

    def keep_undecoded(self, kind: str, decode: Undecoded) -> None:
        """An export of `kind` to decode when first read, in the order exports arrived."""
        with self._lock:
            self._undecoded.append((kind, decode))

    def _decode_kept(self) -> None:
        # One at a time: an export that fails to decode raises here, and the rest stay kept.
        with self._decoding:
            while True:
                with self._lock:
                    if not self._undecoded:
                        return
                    kind, decode = self._undecoded.popleft()
                self.record(kind, decode())

    def note(self, request: Request) -> None:
        with self._lock:
            self._recorded.requests.append(request)
