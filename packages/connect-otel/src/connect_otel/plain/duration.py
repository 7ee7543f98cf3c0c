"""Plain's own request-duration histogram, aggregated by Connect.

Plain records `http.server.request.duration` at the end of every request through the instrument
its request handler made at import (`plain.internal.handlers.base.request_duration_histogram`),
so through the SDK's `Histogram.record`: about 14 µs of the request's thread, most of it
cleaning and hashing attributes Plain built clean. Connect puts a recorder over the same SDK
instrument in that name's place: the same series, in the SDK's default buckets as Plain made it,
exported by the same readers, aggregated by `_owned_histogram` in about 4 µs. Anything
unexpected there (no SDK meter provider, another object in that name) is left as it is.
`tests/unit/test_owned_histogram_unit.py` proves the exported points equal;
`integration/tests/test_plain_request_duration.py` fails if the name moves.
"""

from __future__ import annotations

import importlib
import logging

from opentelemetry.sdk.metrics import Histogram

from connect_otel._development_metrics import AttributeItems, KeyedByAttributes
from connect_otel._owned_histogram import (
    HistogramRecorder,
    OwnedHistogram,
    recorder_for,
    sdk_boundaries,
)

logger = logging.getLogger("connect_otel")

HANDLER_MODULE = "plain.internal.handlers.base"
INSTRUMENT_NAME = "request_duration_histogram"


def aggregate_plains_request_duration() -> bool:
    """Whether Plain's request durations now go into Connect's aggregation; Plain's own record
    stays in place on any failure."""
    try:
        return _take_over()
    except Exception:
        logger.debug("Plain records its request durations itself", exc_info=True)
        return False


def _take_over() -> bool:
    try:
        handler = importlib.import_module(HANDLER_MODULE)
    except ImportError:
        return False
    made = getattr(handler, INSTRUMENT_NAME, None)
    # Made before the meter provider was set, it is the API's proxy: the SDK's is behind it.
    instrument = getattr(made, "_real_instrument", made)
    if not isinstance(instrument, Histogram):
        return False
    recorder: HistogramRecorder[AttributeItems] = recorder_for(
        instrument, sdk_boundaries(instrument), dict
    )
    if not isinstance(recorder, OwnedHistogram):
        return False
    setattr(handler, INSTRUMENT_NAME, KeyedByAttributes(recorder))
    return True
