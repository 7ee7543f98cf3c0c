"""Connect's own aggregation of the request-duration histogram against the SDK's histogram:
the same measurements must export the same data points, and the SDK internals it sits in must
still be where it expects them (these tests fail when the SDK changes them)."""

from __future__ import annotations

import inspect
import sys
import threading
from collections.abc import Iterator, Sequence
from decimal import Decimal
from types import ModuleType
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.instrumentation._semconv import HTTP_DURATION_HISTOGRAM_BUCKETS_NEW
from opentelemetry.metrics import NoOpMeter
from opentelemetry.metrics._internal import _ProxyMeter
from opentelemetry.sdk.metrics import (
    AlignedHistogramBucketExemplarReservoir,
    AlwaysOffExemplarFilter,
    AlwaysOnExemplarFilter,
    ExemplarFilter,
    Histogram,
    MeterProvider,
)
from opentelemetry.sdk.metrics._internal import (
    _view_instrument_match,
    instrument,
    metric_reader_storage,
)
from opentelemetry.sdk.metrics._internal.aggregation import _ExplicitBucketHistogramAggregation
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    InMemoryMetricReader,
    MetricReader,
    MetricsData,
)
from opentelemetry.sdk.metrics.view import ExponentialBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from connect_otel import _owned_histogram
from connect_otel._development_metrics import KeyedByAttributes, OwnedDuration
from connect_otel._owned_histogram import (
    LastInEachBucket,
    OwnedHistogram,
    Series,
    histogram_recorder,
)
from connect_otel._request_metrics import DURATION_BUCKETS, DurationKey, duration_attributes
from connect_otel.plain import duration as plain_duration

NAME = "http.server.request.duration"
DESCRIPTION = "Duration of HTTP server requests."
RESOURCE = Resource.create({"service.name": "checkout"})
DELTA = {Histogram: AggregationTemporality.DELTA}
CUMULATIVE = {Histogram: AggregationTemporality.CUMULATIVE}

ITEM: DurationKey = ("GET", "https", "1.1", "/items/<int:item_id>", 200, None)
CREATED: DurationKey = ("POST", "https", "1.1", "/items", 201, None)
FAILED: DurationKey = ("GET", "http", "1.0", "/pay", 503, None)
RAISED: DurationKey = ("_OTHER", "https", None, None, None, "LookupError")
UNROUTED: DurationKey = ("GET", "https", "2", None, 404, None)

# On and around the bucket boundaries, and past the last one.
VALUES = (0.0, 0.00390625, 0.005, 0.0078125, 0.5, 0.75, 1, 1.5, 10, 12.25, 0.001953125)
# Binary fractions only, so that a sum does not depend on the order of the additions.
EXACT_VALUES = tuple(value for value in VALUES if value != 0.005)
RECORDS_A_THREAD = 10_000


class Clock:
    """One time for both sides: the SDK's and Connect's reads of the wall clock."""

    def __init__(self) -> None:
        self.now = 1_700_000_000_000_000_000

    def __call__(self) -> int:
        return self.now

    def tick(self) -> None:
        self.now += 1_000_000


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    for module in (_view_instrument_match, metric_reader_storage, instrument, _owned_histogram):
        monkeypatch.setattr(module, "time_ns", clock)
    return clock


def span(sampled: bool, number: int) -> NonRecordingSpan:
    flags = TraceFlags(TraceFlags.SAMPLED if sampled else TraceFlags.DEFAULT)
    return NonRecordingSpan(SpanContext(0xABC0 + number, 0xDEF0 + number, False, flags))


class Pair:
    """The SDK's histogram and Connect's, each on its own provider with the same readers."""

    def __init__(
        self,
        preferences: Sequence[dict[type, AggregationTemporality]] = (DELTA,),
        exemplar_filter: ExemplarFilter | None = None,
        views: Sequence[View] = (),
    ) -> None:
        self.sdk_readers = [InMemoryMetricReader(preferred_temporality=p) for p in preferences]
        self.own_readers = [InMemoryMetricReader(preferred_temporality=p) for p in preferences]
        self.sdk = self._meter(self.sdk_readers, exemplar_filter, views).create_histogram(
            NAME,
            unit="s",
            description=DESCRIPTION,
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
        )
        self.own = histogram_recorder(
            self._meter(self.own_readers, exemplar_filter, views),
            NAME,
            unit="s",
            description=DESCRIPTION,
            boundaries=DURATION_BUCKETS,
            attributes_of=duration_attributes,
        )

    @staticmethod
    def _meter(
        readers: Sequence[MetricReader],
        exemplar_filter: ExemplarFilter | None,
        views: Sequence[View],
    ) -> Any:
        provider = MeterProvider(
            metric_readers=readers,
            resource=RESOURCE,
            exemplar_filter=exemplar_filter,
            shutdown_on_exit=False,
            views=views,
        )
        return provider.get_meter("connect_otel.flask", "0.1.0")

    def record(self, amount: float, key: DurationKey) -> None:
        self.sdk.record(amount, duration_attributes(key))
        self.own.record(amount, key)

    def collect(self) -> list[tuple[MetricsData | None, MetricsData | None]]:
        return [
            (sdk.get_metrics_data(), own.get_metrics_data())
            for sdk, own in zip(self.sdk_readers, self.own_readers, strict=True)
        ]


def intervals() -> Iterator[list[tuple[DurationKey, float, bool | None]]]:
    """Per collection interval: each request's key, duration and whether its span is sampled
    (None: no span at all)."""
    yield [(ITEM, v, True) for v in VALUES] + [(FAILED, 0.25, False), (RAISED, 0.75, None)]
    yield [(ITEM, 0.03125, False), (CREATED, 2.5, True), (CREATED, 0.125, True)]
    yield []  # nothing at all: delta points stop, and the next start is this collection
    yield [(FAILED, v, True) for v in reversed(VALUES)] + [(UNROUTED, 0.0625, True)]
    yield [(ITEM, 7.5, True), (CREATED, 5, None), (RAISED, 100.5, False)]


@pytest.mark.parametrize(
    "preferences",
    [(DELTA,), (DELTA, CUMULATIVE)],
    ids=["connect's delta reader", "and an app's cumulative reader"],
)
@pytest.mark.parametrize(
    "exemplar_filter", [None, AlwaysOnExemplarFilter()], ids=["trace-based", "always-on"]
)
def test_exports_what_the_sdks_histogram_exports(
    clock: Clock,
    preferences: Sequence[dict[type, AggregationTemporality]],
    exemplar_filter: ExemplarFilter | None,
) -> None:
    pair = Pair(preferences, exemplar_filter)
    assert isinstance(pair.own, OwnedHistogram), "Connect's aggregation, not the SDK's record"
    exported = 0
    for number, interval in enumerate(intervals()):
        for key, amount, sampled in interval:
            clock.tick()
            if sampled is None:
                pair.record(amount, key)
            else:
                with trace.use_span(span(sampled, number)):
                    pair.record(amount, key)
        clock.tick()
        for sdk, own in pair.collect():
            assert own == sdk
            exported += sdk is not None
    assert exported >= 4 * len(preferences)


def test_exemplars_only_for_sampled_spans(clock: Clock) -> None:
    pair = Pair()
    with trace.use_span(span(True, 1)):
        pair.record(0.02, ITEM)
    with trace.use_span(span(False, 2)):
        pair.record(0.3, ITEM)
    pair.record(3.0, ITEM)
    ((sdk, own),) = pair.collect()
    assert own == sdk
    assert own is not None
    (point,) = own.resource_metrics[0].scope_metrics[0].metrics[0].data.data_points
    assert point.count == 3
    assert [(e.value, e.trace_id, e.span_id) for e in point.exemplars] == [(0.02, 0xABC1, 0xDEF1)]


class AppsReservoir(AlignedHistogramBucketExemplarReservoir):
    """A reservoir of the app's own, named by a view."""


def test_the_sdks_default_reservoir_is_kept_by_connect_and_another_is_left_in_place(
    clock: Clock,
) -> None:
    owned = Pair()
    other = Pair(
        views=[
            View(
                instrument_name=NAME,
                exemplar_reservoir_factory=lambda _: AppsReservoir,
            )
        ]
    )
    for pair in (owned, other):
        for number, amount in enumerate(VALUES):
            clock.tick()
            with trace.use_span(span(number % 2 == 0, number)):
                pair.record(amount, ITEM)
        ((sdk, own),) = pair.collect()
        assert own == sdk
    assert isinstance(owned.own, OwnedHistogram) and isinstance(other.own, OwnedHistogram)
    (owned_entry,) = owned.own._entries.values()
    (other_entry,) = other.own._entries.values()
    assert owned_entry.trace_based_exemplars and owned_entry.series is not None
    assert type(owned_entry.series[0].reservoir) is LastInEachBucket
    assert not other_entry.trace_based_exemplars and other_entry.series is not None
    assert type(other_entry.series[0].reservoir) is AppsReservoir


@pytest.mark.parametrize(
    "exemplar_filter", [AlwaysOnExemplarFilter(), AlwaysOffExemplarFilter()], ids=["on", "off"]
)
def test_other_exemplar_filters_keep_what_the_sdk_keeps(
    clock: Clock, exemplar_filter: ExemplarFilter
) -> None:
    pair = Pair(exemplar_filter=exemplar_filter)
    # In one bucket: a sampled span, then none at all (the SDK keeps the span's ids for the
    # second measurement), then through the instrument itself, inside and outside a span.
    with trace.use_span(span(True, 4)):
        pair.record(0.3, ITEM)
    clock.tick()
    pair.record(0.35, ITEM)
    assert isinstance(pair.own, OwnedHistogram)
    for recorded in (pair.own.instrument, pair.sdk):
        recorded.record(0.4, duration_attributes(ITEM))
        with trace.use_span(span(False, 5)):
            recorded.record(0.45, duration_attributes(ITEM))
    ((sdk, own),) = pair.collect()
    assert own == sdk
    (entry,) = pair.own._entries.values()
    assert not entry.trace_based_exemplars


def totals(data: Sequence[MetricsData | None]) -> dict[str, tuple[Any, ...]]:
    """Every attribute set's counts, sum, minimum and maximum over delta collections."""
    summed: dict[str, tuple[Any, ...]] = {}
    for collected in data:
        if collected is None:
            continue
        for point in collected.resource_metrics[0].scope_metrics[0].metrics[0].data.data_points:
            assert 0 <= point.min <= point.max <= max(VALUES), "each point is whole"
            assert point.min <= point.sum / point.count <= point.max
            name = repr(sorted(point.attributes.items()))
            counts, sum_, min_, max_ = summed.get(name, ((0,) * 15, 0, float("inf"), 0))
            summed[name] = (
                tuple(a + b for a, b in zip(counts, point.bucket_counts, strict=True)),
                sum_ + point.sum,
                min(min_, point.min),
                max(max_, point.max),
            )
    return summed


@pytest.fixture
def thread_switches_often() -> Iterator[None]:
    """Threads take turns every microsecond instead of every 5 ms, so that races show."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


@pytest.mark.usefixtures("thread_switches_often")
def test_concurrent_requests_and_collections_lose_and_double_nothing(clock: Clock) -> None:
    pair = Pair()
    keys = (ITEM, CREATED, FAILED, RAISED)
    collected_while_recording: list[MetricsData | None] = []
    recording = threading.Barrier(5)
    done = threading.Event()

    def requests(offset: int) -> None:
        recording.wait()
        for count in range(offset, offset + RECORDS_A_THREAD):
            pair.record(EXACT_VALUES[count % len(EXACT_VALUES)], keys[count % len(keys)])

    def collections() -> None:
        recording.wait()
        while not done.is_set():
            collected_while_recording.append(pair.own_readers[0].get_metrics_data())

    threads = [threading.Thread(target=requests, args=(offset,)) for offset in range(4)]
    collector = threading.Thread(target=collections)
    for thread in [*threads, collector]:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    done.set()
    collector.join(timeout=60)
    ((sdk, own),) = pair.collect()
    assert len(collected_while_recording) > 1, "collections happened while requests recorded"
    summed = totals([*collected_while_recording, own])
    assert summed == totals([sdk])
    assert sum(sum(counts) for counts, *_ in summed.values()) == 4 * RECORDS_A_THREAD


def test_a_reader_added_later_collects_the_owned_series_too(clock: Clock) -> None:
    readers = [InMemoryMetricReader(preferred_temporality=DELTA)]
    provider = MeterProvider(metric_readers=readers, resource=RESOURCE, shutdown_on_exit=False)
    recorder = histogram_recorder(
        provider.get_meter("connect_otel.flask"),
        NAME,
        unit="s",
        description=DESCRIPTION,
        boundaries=DURATION_BUCKETS,
        attributes_of=duration_attributes,
    )
    recorder.record(0.1, ITEM)
    late = InMemoryMetricReader(preferred_temporality=DELTA)
    provider.add_metric_reader(late)
    recorder.record(0.2, ITEM)
    counts = [
        reader.get_metrics_data()
        .resource_metrics[0]
        .scope_metrics[0]
        .metrics[0]
        .data.data_points[0]
        .count  # type: ignore[union-attr]
        for reader in (readers[0], late)
    ]
    assert counts == [2, 1]


@pytest.mark.parametrize(
    "views",
    [
        [View(instrument_name=NAME, attribute_keys={"http.route"})],
        [View(instrument_name=NAME, aggregation=ExponentialBucketHistogramAggregation())],
    ],
    ids=["attributes filtered", "another aggregation"],
)
def test_a_view_that_changes_the_stream_leaves_it_to_the_sdk(
    clock: Clock, views: list[View]
) -> None:
    pair = Pair(views=views)
    for amount in VALUES:
        with trace.use_span(span(True, 3)):
            pair.record(amount, ITEM)
            pair.record(amount, CREATED)
    ((sdk, own),) = pair.collect()
    assert own == sdk
    assert sdk is not None


def test_an_attribute_set_recorded_through_the_instrument_lands_in_the_same_series(
    clock: Clock,
) -> None:
    pair = Pair()
    assert isinstance(pair.own, OwnedHistogram)
    pair.record(0.1, ITEM)
    # The same instrument, asked of the meter again, recording the SDK's way.
    pair.own.instrument.record(0.2, duration_attributes(ITEM))
    pair.sdk.record(0.2, duration_attributes(ITEM))
    pair.record(0.3, ITEM)
    ((sdk, own),) = pair.collect()
    assert own == sdk


def test_a_meter_that_is_not_the_sdks_gets_its_own_record() -> None:
    recorder = histogram_recorder(
        NoOpMeter("connect_otel.flask"),
        NAME,
        unit="s",
        description=DESCRIPTION,
        boundaries=DURATION_BUCKETS,
        attributes_of=duration_attributes,
    )
    assert not isinstance(recorder, OwnedHistogram)
    recorder.record(0.1, ITEM)


def test_the_sdk_internals_the_series_sit_in_are_where_they_were() -> None:
    """Each private name `_owned_histogram` relies on, and the calls the SDK makes of a series."""
    reader = InMemoryMetricReader(preferred_temporality=DELTA)
    provider = MeterProvider(metric_readers=[reader], shutdown_on_exit=False)
    histogram = provider.get_meter("pin").create_histogram(
        NAME, explicit_bucket_boundaries_advisory=DURATION_BUCKETS
    )
    consumer = histogram._measurement_consumer  # type: ignore[attr-defined]
    assert histogram._is_enabled() is True  # type: ignore[attr-defined]
    assert consumer._sdk_config.exemplar_filter is not None
    (storage,) = consumer._reader_storages.values()
    (match,) = storage._get_or_init_view_instrument_match(histogram)
    assert match._view._attribute_keys is None
    assert isinstance(match._attributes_aggregation, dict)
    assert hasattr(match._lock, "acquire")
    assert type(match._aggregation) is _ExplicitBucketHistogramAggregation
    assert match._aggregation._boundaries == DURATION_BUCKETS
    assert match._aggregation._record_min_max is True
    for name in ("aggregate", "collect"):
        sdk_parameters = inspect.signature(getattr(_ExplicitBucketHistogramAggregation, name))
        assert list(sdk_parameters.parameters) == list(
            inspect.signature(getattr(Series, name)).parameters
        )
    histogram.record(0.3, {"a": "b"})
    hashed = _view_instrument_match._hash_attributes({"a": "b"})
    assert hashed in match._attributes_aggregation


@pytest.mark.parametrize("passes_context", [False, True], ids=["django's call", "asgi's call"])
def test_a_contrib_middlewares_durations_export_what_the_sdks_histogram_exports(
    clock: Clock, passes_context: bool
) -> None:
    """The contrib Django and ASGI middleware record through Connect's meter provider: Django
    with its span current, ASGI passing the span's context."""
    sdk_reader, own_reader = (InMemoryMetricReader(preferred_temporality=DELTA) for _ in "ab")
    made = {}
    for side, reader in (("sdk", sdk_reader), ("own", own_reader)):
        provider: Any = MeterProvider(
            metric_readers=[reader], resource=RESOURCE, shutdown_on_exit=False
        )
        if side == "own":
            provider = OwnedDuration(provider)
        made[side] = provider.get_meter(
            "opentelemetry.instrumentation.asgi", "0.60b0"
        ).create_histogram(
            name=NAME,
            description=DESCRIPTION,
            unit="s",
            explicit_bucket_boundaries_advisory=HTTP_DURATION_HISTOGRAM_BUCKETS_NEW,
        )
    sdk, own = made["sdk"], made["own"]
    assert isinstance(own, KeyedByAttributes)
    assert isinstance(own._recorder, OwnedHistogram), "Connect's aggregation, not the SDK's"
    exported = 0
    for number, interval in enumerate(intervals()):
        for key, amount, sampled in interval:
            clock.tick()
            attributes = duration_attributes(key)
            if sampled is None:
                sdk.record(amount, attributes)
                own.record(amount, dict(reversed(attributes.items())))  # another order
            elif passes_context:
                context = trace.set_span_in_context(span(sampled, number))
                sdk.record(amount, attributes, context=context)
                own.record(amount, attributes, context=context)
            else:
                with trace.use_span(span(sampled, number)):
                    sdk.record(amount, attributes)
                    own.record(amount, attributes)
        # Attributes the SDK's record cleans: a list, a value it turns into text, None.
        for odd in ({"http.route": ["/a", "/b"]}, {"http.route": Decimal("2.5")}, {"a": None}, {}):
            sdk.record(0.5, odd)  # type: ignore[arg-type]
            own.record(0.5, odd)  # type: ignore[arg-type]
        clock.tick()
        collected = sdk_reader.get_metrics_data()
        assert own_reader.get_metrics_data() == collected
        exported += collected is not None
    assert exported == 5


def test_a_failing_record_never_reaches_the_contrib_middleware() -> None:
    class Failing:
        instrument = None

        def record(self, *args: object) -> None:
            raise RuntimeError("a broken metrics pipeline")

    KeyedByAttributes(Failing()).record(0.1, {"http.route": "/"})  # type: ignore[arg-type]


def plains_attributes(key: DurationKey) -> dict[str, str | int]:
    """What Plain's request handler records with a duration: its own set and order."""
    method, scheme, _, route, status_code, error = key
    attributes: dict[str, str | int] = {
        "http.request.method": method,
        "http.response.status_code": status_code or 500,
        "url.scheme": scheme,
        "network.protocol.name": "http",
    }
    if route is not None:
        attributes["http.route"] = route
    if error is not None or (status_code or 500) >= 500:
        attributes["error.type"] = error or str(status_code or 500)
    return attributes


@pytest.fixture
def plain_handler(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """Where Plain's request handler keeps the instrument it made at import (the real module
    is only in the Python 3.13 environment; the Plain example's tests check it there)."""
    handler = ModuleType(plain_duration.HANDLER_MODULE)
    monkeypatch.setitem(sys.modules, plain_duration.HANDLER_MODULE, handler)
    return handler


@pytest.mark.parametrize("made", ["before the provider", "after it"])
def test_plains_request_durations_export_what_the_sdks_histogram_exports(
    clock: Clock, plain_handler: ModuleType, made: str
) -> None:
    """Plain makes its histogram without bucket advice, at import: through the API's proxy
    when no provider is set yet. Connect aggregates it in the SDK's default buckets."""
    sdk_reader, own_reader = (InMemoryMetricReader(preferred_temporality=DELTA) for _ in "ab")
    sdk_provider, own_provider = (
        MeterProvider(metric_readers=[reader], resource=RESOURCE, shutdown_on_exit=False)
        for reader in (sdk_reader, own_reader)
    )
    sdk = sdk_provider.get_meter("plain").create_histogram(NAME, "s", DESCRIPTION)
    if made == "before the provider":
        proxy = _ProxyMeter("plain")
        plain_handler.request_duration_histogram = proxy.create_histogram(NAME, "s", DESCRIPTION)
        proxy.on_set_meter_provider(own_provider)
    else:
        own_meter = own_provider.get_meter("plain")
        plain_handler.request_duration_histogram = own_meter.create_histogram(
            NAME, "s", DESCRIPTION
        )

    assert plain_duration.aggregate_plains_request_duration()
    own = plain_handler.request_duration_histogram
    assert isinstance(own, KeyedByAttributes)
    assert isinstance(own._recorder, OwnedHistogram), "Connect's aggregation, not the SDK's"
    exported = 0
    for number, interval in enumerate(intervals()):
        for key, amount, sampled in interval:
            clock.tick()
            if sampled is None:
                sdk.record(amount, plains_attributes(key))
                own.record(amount, plains_attributes(key))
            else:
                with trace.use_span(span(sampled, number)):
                    sdk.record(amount, plains_attributes(key))
                    own.record(amount, plains_attributes(key))
        clock.tick()
        collected = sdk_reader.get_metrics_data()
        assert own_reader.get_metrics_data() == collected
        exported += collected is not None
    assert exported == 4
    entries = own._recorder._entries.values()
    assert entries and all(entry.series for entry in entries), "aggregated in Connect's buckets"


def test_plains_histogram_is_left_alone_without_the_sdk(plain_handler: ModuleType) -> None:
    plain_handler.request_duration_histogram = _ProxyMeter("plain").create_histogram(NAME)
    assert not plain_duration.aggregate_plains_request_duration()
    assert not isinstance(plain_handler.request_duration_histogram, KeyedByAttributes)
    del plain_handler.request_duration_histogram
    assert not plain_duration.aggregate_plains_request_duration()


def test_the_sdks_default_buckets_are_where_they_were() -> None:
    provider = MeterProvider(
        metric_readers=[InMemoryMetricReader(preferred_temporality=DELTA)],
        shutdown_on_exit=False,
    )
    histogram = provider.get_meter("plain").create_histogram(NAME)
    (storage,) = histogram._measurement_consumer._reader_storages.values()  # type: ignore[attr-defined]
    (match,) = storage._get_or_init_view_instrument_match(histogram)
    assert match._aggregation._boundaries == _owned_histogram.sdk_boundaries(histogram)
    assert _ProxyMeter("plain").create_histogram(NAME)._real_instrument is None  # type: ignore[attr-defined]
