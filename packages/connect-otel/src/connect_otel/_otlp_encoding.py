"""Where Connect's exporters have their batches encoded by `_otlp_writer` instead of the SDK.

The SDK's OTLP/HTTP span and log exporters encode a batch by calling `encode_spans` /
`encode_logs` through the name their module imported, then serialise what it returns; the rest
of their export (size limit, retries, their own metrics) follows. `install()` puts a function in
each name's place that writes a batch marked by Connect's exporters with Connect's writer and
hands every other batch to the SDK's encoder as before, so another exporter in the same process
sees no change. `tests/unit/test_otlp_encoding_unit.py` fails if the SDK stops encoding there.

A batch the writer fails on goes to the SDK's encoder (with lone surrogates replaced, as the
writer would have), is counted, and the first is logged: no batch is lost to the writer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any, Generic, TypeVar

from opentelemetry.exporter.otlp.proto.http import _log_exporter, trace_exporter
from opentelemetry.sdk._logs import ReadableLogRecord
from opentelemetry.sdk.trace import ReadableSpan

from connect_otel import _encodable
from connect_otel._otlp_writer import OtlpWriter
from connect_otel._pacing import Paced

logger = logging.getLogger("connect_otel")

T = TypeVar("T")


class Written:
    """The request the writer wrote, in the place of the SDK's message: it serialises to it."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def SerializePartialToString(self) -> bytes:
        return self._body

    def SerializeToString(self) -> bytes:
        return self._body


class Encoder:
    """Connect's writer for one exporter, with the SDK's encoder behind it."""

    def __init__(self) -> None:
        self.writer = OtlpWriter()
        self.fallbacks = 0

    def spans(self, spans: Sequence[ReadableSpan]) -> Paced[ReadableSpan]:
        return _Batch(spans, self)

    def logs(self, records: Sequence[ReadableLogRecord]) -> Paced[ReadableLogRecord]:
        return _Batch(records, self)

    def fell_back(self, items: str, count: int) -> None:
        self.fallbacks += 1
        if self.fallbacks == 1:
            logger.warning(
                "Connect's OTLP writer failed on a batch of %d %s; the SDK's encoder encoded it "
                "(and will encode any other batch it fails on)",
                count,
                items,
                exc_info=True,
            )


class _Batch(Paced[T], Generic[T]):
    """A batch, paced, that Connect's writer encodes."""

    def __init__(self, items: Sequence[T], encoder: Encoder) -> None:
        super().__init__(items)
        self.encoder = encoder


def _encode(
    items: str,
    sdk_encode: Callable[[Any], Any],
    write: Callable[[OtlpWriter, Any], bytes],
    clean: Callable[[Any], Sequence[Any] | None],
) -> Callable[[Any], Any]:
    def encode(batch: Any) -> Any:
        if not isinstance(batch, _Batch):
            return sdk_encode(batch)
        encoder, writer = batch.encoder, batch.encoder.writer
        replaced = writer.replaced
        try:
            body = write(writer, batch)
        except Exception:
            encoder.fell_back(items, len(batch))
            cleaned = clean(batch)
            return sdk_encode(batch if cleaned is None else Paced(cleaned))
        if writer.replaced != replaced:
            logger.warning(
                "Connect replaced text that UTF-8 cannot encode (lone surrogates) with U+FFFD "
                "in a batch of %d %s",
                len(batch),
                items,
            )
        return Written(body)

    encode.__wrapped__ = sdk_encode  # type: ignore[attr-defined]
    return encode


# Each SDK exporter module, the name it encodes through, and what takes that name's place.
_PLACES: tuple[tuple[ModuleType, str, str, Callable[[OtlpWriter, Any], bytes], Any], ...] = (
    (trace_exporter, "encode_spans", "spans", OtlpWriter.spans, _encodable.spans),
    (_log_exporter, "encode_logs", "log records", OtlpWriter.logs, _encodable.logs),
)


def install() -> None:
    """Put Connect's encoding in the SDK exporters' place; once, however often called."""
    for module, name, items, write, clean in _PLACES:
        sdk_encode = getattr(module, name)
        if not hasattr(sdk_encode, "__wrapped__"):
            setattr(module, name, _encode(items, sdk_encode, write, clean))
