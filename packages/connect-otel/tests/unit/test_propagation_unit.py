"""The trust rules in-process: whose context a carrier continues, which hosts get context, and the
settings that name them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry import baggage, propagate, trace
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from connect_otel._propagation import GuardedPropagator, UntrustedParentLinker
from connect_otel._sampling import ConnectSampler
from connect_otel.settings import ConfigurationError, Settings, resolve

CALLER_TRACE = 0x4BF92F3577B34DA6A3CE929D0E0E4736
HEADERS = {
    "traceparent": f"00-{CALLER_TRACE:032x}-00f067aa0ba902b7-01",
    "baggage": "client.note=hello",
}


def settings(**values: str) -> Settings:
    return resolve(values, environ={})


def guarded(chosen: Settings) -> GuardedPropagator:
    w3c = CompositePropagator([TraceContextTextMapPropagator(), W3CBaggagePropagator()])
    return GuardedPropagator(w3c, chosen.trace_trusted_networks, chosen.trace_propagation_targets)


def wsgi(peer: str, **headers: str) -> dict[str, str]:
    environ = {"wsgi.version": "(1, 0)", "REMOTE_ADDR": peer}
    environ.update({f"HTTP_{key.upper()}": value for key, value in HEADERS.items()})
    environ.update({f"HTTP_{key.upper()}": value for key, value in headers.items()})
    return environ


def asgi(client: tuple[str, int] | None, *headers: tuple[bytes, bytes]) -> dict[str, object]:
    own = [(key.encode(), value.encode()) for key, value in HEADERS.items()]
    return {"type": "http", "client": client, "headers": own + list(headers)}


class WsgiGetter:
    def get(self, carrier: dict[str, str], key: str) -> list[str] | None:
        value = carrier.get(f"HTTP_{key.upper().replace('-', '_')}")
        return [value] if value is not None else None

    def keys(self, carrier: dict[str, str]) -> list[str]:
        return list(carrier)


class AsgiGetter:
    def get(self, carrier: dict[str, object], key: str) -> list[str] | None:
        found = [v.decode() for k, v in carrier["headers"] if k.decode() == key]  # type: ignore[attr-defined]
        return found or None

    def keys(self, carrier: dict[str, object]) -> list[str]:
        return []


def continued(carrier: dict[str, object], getter: object, chosen: Settings) -> bool:
    context = guarded(chosen).extract(carrier, getter=getter)  # type: ignore[arg-type]
    joined = trace.get_current_span(context).get_span_context().trace_id == CALLER_TRACE
    assert joined is (baggage.get_baggage("client.note", context) == "hello")
    return joined


@pytest.mark.parametrize(
    ("peer", "headers", "trusted"),
    [
        ("127.0.0.1", {}, True),
        ("10.1.2.3", {"X_FORWARDED_FOR": "192.168.0.9, 10.0.0.2"}, True),
        ("::1", {}, True),
        ("::ffff:127.0.0.1", {}, True),
        ("", {"X_FORWARDED_FOR": "127.0.0.1"}, True),
        ("203.0.113.9", {}, False),
        ("127.0.0.1", {"X_FORWARDED_FOR": "203.0.113.9"}, False),
        ("10.0.0.2", {"X_FORWARDED_FOR": "10.0.0.3, 203.0.113.9:4711, 10.0.0.4"}, False),
        ("127.0.0.1", {"FORWARDED": 'for="[2001:db8::17]:4711";proto=https'}, False),
        ("127.0.0.1", {"FORWARDED": "for=10.0.0.7, for=192.168.1.1"}, True),
        ("127.0.0.1", {"FORWARDED": "for=_hidden"}, False),
        ("127.0.0.1", {"X_FORWARDED_FOR": "unknown"}, False),
    ],
)
def test_a_wsgi_request_is_trusted_only_when_every_address_is(
    peer: str, headers: dict[str, str], trusted: bool
) -> None:
    assert continued(wsgi(peer, **headers), WsgiGetter(), settings()) is trusted


def test_an_asgi_scope_is_judged_by_its_client_and_forwarded_headers() -> None:
    assert continued(asgi(("127.0.0.1", 5000)), AsgiGetter(), settings())
    assert not continued(asgi(("198.51.100.4", 5000)), AsgiGetter(), settings())
    public = (b"x-forwarded-for", b"198.51.100.4")
    assert not continued(asgi(("127.0.0.1", 5000), public), AsgiGetter(), settings())


def test_carriers_that_are_not_a_server_request_are_trusted() -> None:
    # A Celery message's request object, a dict of headers the app's code extracts from.
    class Message:
        traceparent = HEADERS["traceparent"]

    class AttributeGetter:
        def get(self, carrier: object, key: str) -> list[str] | None:
            value = getattr(carrier, key, None)
            return [value] if value else None

        def keys(self, carrier: object) -> list[str]:
            return []

    context = guarded(settings()).extract(Message(), getter=AttributeGetter())
    assert trace.get_current_span(context).get_span_context().trace_id == CALLER_TRACE
    assert continued(dict(HEADERS), propagate.textmap.default_getter, settings())


def test_the_trusted_networks_can_be_narrowed_widened_or_emptied() -> None:
    internal = wsgi("10.1.2.3")
    assert not continued(internal, WsgiGetter(), settings(trace_trusted_networks="loopback"))
    assert continued(internal, WsgiGetter(), settings(trace_trusted_networks="10.1.0.0/16"))
    assert not continued(wsgi("127.0.0.1"), WsgiGetter(), settings(trace_trusted_networks=""))
    assert continued(wsgi("203.0.113.9"), WsgiGetter(), settings(trace_trusted_networks="*"))


def test_an_unreadable_carrier_is_untrusted_and_raises_nothing() -> None:
    broken = {"wsgi.version": "(1, 0)", "REMOTE_ADDR": 12345, **wsgi("127.0.0.1")}
    broken["REMOTE_ADDR"] = 12345  # type: ignore[assignment]
    assert not continued(broken, WsgiGetter(), settings())  # type: ignore[arg-type]


@pytest.fixture
def provider() -> Iterator[TracerProvider]:
    chosen = settings(trace_sample_rate="0", trace_keep_errors="false")
    tracer_provider = TracerProvider(sampler=ConnectSampler(chosen))
    tracer_provider.add_span_processor(UntrustedParentLinker())
    yield tracer_provider
    tracer_provider.shutdown()


def test_an_untrusted_request_starts_a_new_trace_at_the_configured_rate(
    provider: TracerProvider,
) -> None:
    context = guarded(settings()).extract(wsgi("203.0.113.9"), getter=WsgiGetter())
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("GET /", context=context, kind=trace.SpanKind.SERVER) as span:
        assert not span.is_recording(), "rate 0: the caller's sampled flag does not count"
        assert span.get_span_context().trace_id != CALLER_TRACE


def test_the_new_traces_root_links_to_what_the_caller_brought() -> None:
    context = guarded(settings()).extract(wsgi("203.0.113.9"), getter=WsgiGetter())
    linked = TracerProvider()
    linked.add_span_processor(UntrustedParentLinker())
    tracer = linked.get_tracer("test")
    with (
        tracer.start_as_current_span("GET /", context=context, kind=trace.SpanKind.SERVER) as root,
        tracer.start_as_current_span("child") as child,
    ):
        pass
    (link,) = root.links  # type: ignore[attr-defined]
    assert link.context.trace_id == CALLER_TRACE
    assert link.attributes == {"connect.link.reason": "untrusted_parent"}
    assert child.links == (), "only the root links"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("[::1]", True),
        ("10.0.0.8", True),
        ("downstream", True),
        ("db.internal", True),
        ("api.svc.cluster.local", True),
        ("api.stripe.com", False),
        ("8.8.8.8", False),
        ("example.com.evil.io", False),
    ],
)
def test_the_default_targets_are_the_apps_own_network(host: str, allowed: bool) -> None:
    assert sent_to(f"http://{host}:8080/path") is allowed


def test_listed_names_and_domains_are_targets() -> None:
    listed = ".example.com,api.partner.io"
    assert sent_to("https://example.com/", listed)
    assert sent_to("https://shop.EXAMPLE.com/", listed)
    assert sent_to("https://api.partner.io/", listed)
    assert not sent_to("https://www.partner.io/", listed)
    assert not sent_to("https://notexample.com/", listed)
    assert not sent_to("http://127.0.0.1/", listed)
    assert sent_to("https://api.stripe.com/", "*")
    assert not sent_to("http://127.0.0.1/", "")


def sent_to(url: str, targets: str = "loopback,private,internal-names") -> bool:
    """Whether a client span to `url` sends context; recorded (rate 1) or not (rate 0) alike."""
    answers = set()
    for rate in ("1", "0"):
        chosen = settings(
            trace_sample_rate=rate, trace_keep_errors="false", trace_propagation_targets=targets
        )
        tracer = TracerProvider(sampler=ConnectSampler(chosen)).get_tracer("test")
        carrier: dict[str, str] = {}
        with (
            tracer.start_as_current_span("GET /", kind=trace.SpanKind.SERVER),
            tracer.start_as_current_span(
                "GET", kind=trace.SpanKind.CLIENT, attributes={"url.full": url}
            ),
        ):
            guarded(chosen).inject(carrier)
        answers.add("traceparent" in carrier)
    assert len(answers) == 1, "recorded or not, the same hosts get context"
    return answers.pop()


def test_jobs_and_the_apps_own_injections_carry_context_unrecorded_too() -> None:
    for rate in ("1", "0"):
        chosen = settings(trace_sample_rate=rate, trace_keep_errors="false")
        tracer = TracerProvider(sampler=ConnectSampler(chosen)).get_tracer("test")
        for kind in (trace.SpanKind.PRODUCER, trace.SpanKind.SERVER):
            carrier: dict[str, str] = {}
            with tracer.start_as_current_span("send", kind=kind):
                guarded(chosen).inject(carrier)
            assert "traceparent" in carrier, (rate, kind)


def test_after_a_third_party_call_the_apps_own_injection_is_sent_unrecorded_too() -> None:
    chosen = settings(trace_sample_rate="0", trace_keep_errors="false")
    tracer = TracerProvider(sampler=ConnectSampler(chosen)).get_tracer("test")
    to_third_party: dict[str, str] = {}
    own: dict[str, str] = {}
    with tracer.start_as_current_span("GET /", kind=trace.SpanKind.SERVER):
        with tracer.start_as_current_span(
            "GET", kind=trace.SpanKind.CLIENT, attributes={"url.full": "https://api.stripe.com/"}
        ):
            guarded(chosen).inject(to_third_party)
        guarded(chosen).inject(own)
    assert to_third_party == {}
    assert "traceparent" in own


def test_a_client_span_with_no_destination_sends_nothing() -> None:
    chosen = settings()
    tracer = TracerProvider(sampler=ConnectSampler(chosen)).get_tracer("test")
    carrier: dict[str, str] = {}
    with (
        tracer.start_as_current_span("GET /", kind=trace.SpanKind.SERVER),
        tracer.start_as_current_span("GET", kind=trace.SpanKind.CLIENT),
    ):
        guarded(chosen).inject(carrier)
    assert carrier == {}


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("TRACE_TRUSTED_NETWORKS", "10.0.0.0/33", "'10.0.0.0/33' is not an address range"),
        ("TRACE_TRUSTED_NETWORKS", "loopback,intranet", "'intranet' is not an address range"),
        ("TRACE_PROPAGATION_TARGETS", "https://api.example.com", "is not a host name"),
        ("TRACE_PROPAGATION_TARGETS", "api.example.com/v1", "is not a host name"),
    ],
)
def test_a_bad_trust_setting_fails_at_start_up_naming_it(
    name: str, value: str, reason: str
) -> None:
    with pytest.raises(ConfigurationError) as raised:
        resolve(environ={f"CONNECT_{name}": value})
    message = str(raised.value)
    assert f"CONNECT_{name}" in message and reason in message, message
