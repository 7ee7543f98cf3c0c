"""Whatever a client sends, the receiver answers it with a status and goes on serving: every
request here is raw HTTP over a real socket to a real receiver, followed by a good export."""

from __future__ import annotations

import gzip
import http.client
import json
import socket
import time
from collections.abc import Iterator

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1 import trace_pb2

from connect_testkit.receiver import Receiver, print_arrival
from connect_testkit.receiver.decoding import Undecodable
from connect_testkit.scripts import run_python

TOKEN = "t"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
GZIP = {**AUTH, "Content-Encoding": "gzip"}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver(token=TOKEN, request_timeout=0.5) as running:
        yield running


def one_span(name: str = "good") -> bytes:
    request = ExportTraceServiceRequest()
    request.resource_spans.add().scope_spans.add().spans.add().name = name
    return request.SerializeToString()


def send(
    receiver: Receiver,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    content_length: str | None = None,
) -> int:
    """POSTs exactly these headers (Content-Length as given, or the body's, or none if "")."""
    connection = http.client.HTTPConnection("127.0.0.1", receiver.port, timeout=10)
    try:
        connection.putrequest("POST", path, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        length = str(len(body)) if content_length is None else content_length
        if length:
            connection.putheader("Content-Length", length)
        connection.endheaders(body or None)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def still_serves(receiver: Receiver) -> None:
    before = len(receiver.spans())
    assert send(receiver, "/v1/traces", one_span(), AUTH) == 200
    assert len(receiver.spans()) == before + 1


def test_truncated_gzip_is_a_bad_request(receiver: Receiver) -> None:
    assert send(receiver, "/v1/traces", gzip.compress(one_span())[:-6], GZIP) == 400
    still_serves(receiver)


def test_corrupt_deflate_inside_gzip_is_a_bad_request(receiver: Receiver) -> None:
    good = gzip.compress(one_span() * 50)
    corrupt = good[:10] + bytes(b ^ 0xFF for b in good[10:-8]) + good[-8:]
    assert send(receiver, "/v1/traces", corrupt, GZIP) == 400
    still_serves(receiver)


def test_protobuf_that_is_not_protobuf_is_a_bad_request(receiver: Receiver) -> None:
    assert send(receiver, "/v1/logs", b"\xff\xff\xff\xff not protobuf", AUTH) == 400
    assert send(receiver, "/v1/metrics", gzip.compress(b"\x0a\xff\xff\xff\xff\x0f"), GZIP) == 400
    still_serves(receiver)


def test_enum_values_newer_than_the_schema_are_kept_as_numbers(receiver: Receiver) -> None:
    request = ExportTraceServiceRequest()
    span = request.resource_spans.add().scope_spans.add().spans.add()
    span.name = "from the future"
    span.kind = trace_pb2.Span.SpanKind.ValueType(99)
    span.status.code = trace_pb2.Status.StatusCode.ValueType(42)
    assert send(receiver, "/v1/traces", request.SerializeToString(), AUTH) == 200
    (recorded,) = receiver.spans()
    assert (recorded.kind, recorded.status_code) == ("99", "42")
    still_serves(receiver)


def test_an_unknown_content_encoding_is_refused(receiver: Receiver) -> None:
    assert send(receiver, "/v1/traces", one_span(), {**AUTH, "Content-Encoding": "br"}) == 415
    still_serves(receiver)


@pytest.mark.parametrize("length", ["abc", "-1", "+5", "1_0", "0x10", " "])
def test_a_content_length_that_is_not_a_count_is_a_bad_request(
    receiver: Receiver, length: str
) -> None:
    assert send(receiver, "/v1/traces", b"", AUTH, content_length=length) == 400
    assert send(receiver, "/beacon", b"", content_length=length) == 400
    still_serves(receiver)


def test_a_body_without_a_length_is_refused(receiver: Receiver) -> None:
    assert send(receiver, "/v1/traces", b"", AUTH, content_length="") == 411
    chunked = {**AUTH, "Transfer-Encoding": "chunked"}
    assert send(receiver, "/v1/traces", b"0\r\n\r\n", chunked, content_length="") == 411
    still_serves(receiver)


def test_the_token_is_checked_before_the_body_is_read(receiver: Receiver) -> None:
    terabyte = str(1 << 40)
    wrong = {"Authorization": "Bearer wrong"}
    assert send(receiver, "/v1/traces", b"", wrong, content_length=terabyte) == 401
    assert send(receiver, "/v1/traces", b"", AUTH, content_length=terabyte) == 413
    assert send(receiver, "/beacon", b"", content_length=terabyte) == 413
    assert [r.status for r in receiver.requests()] == [401, 413, 413]
    still_serves(receiver)


def test_a_body_shorter_than_announced_times_out_instead_of_holding_the_thread(
    receiver: Receiver,
) -> None:
    with socket.create_connection(("127.0.0.1", receiver.port), timeout=10) as client:
        client.sendall(
            b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n"
            b"Content-Length: 100\r\n\r\nonly this"
        )
        started = time.monotonic()
        answer = client.recv(1024)
        assert answer.startswith(b"HTTP/1.1 408 ")
        assert time.monotonic() - started < 5
    still_serves(receiver)


def test_a_gzip_bomb_is_refused_within_bounded_memory() -> None:
    # In its own process, so that the peak is the receiver's alone. 200 MiB of zeros gzip to
    # about 200 KB; inflating it whole would take those 200 MiB.
    result = run_python(
        """
        import http.client, tracemalloc, zlib
        from connect_testkit.receiver import Receiver

        deflater = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        zeros = bytes(1 << 20)
        bomb = b"".join(deflater.compress(zeros) for _ in range(200)) + deflater.flush()
        with Receiver(token="t") as receiver:
            tracemalloc.start()
            connection = http.client.HTTPConnection("127.0.0.1", receiver.port, timeout=60)
            connection.request(
                "POST", "/v1/traces", body=bomb,
                headers={"Authorization": "Bearer t", "Content-Encoding": "gzip"},
            )
            status = connection.getresponse().status
            _, peak = tracemalloc.get_traced_memory()
        print(len(bomb), status, peak)
        """,
        timeout=120,
    )
    size, status, peak = map(int, result.stdout.split())
    assert size < 300_000 and status == 413
    assert peak < 100 * 1024 * 1024, f"peak {peak / 2**20:.0f} MiB"


def test_a_beacon_is_a_json_object_of_strings(receiver: Receiver) -> None:
    for body in (
        b"\xff\xfe not utf-8",
        b"{not json",
        b"[1, 2]",
        b'"a string"',
        json.dumps({"url": "http://site/", "title": 7}).encode(),
        json.dumps({"url": {"nested": "object"}}).encode(),
        b"[" * 20_000 + b"]" * 20_000,
        b'{"a":' * 8_000 + b"1" + b"}" * 8_000,
    ):
        assert send(receiver, "/beacon", body, {"Content-Type": "text/plain"}) == 400, body[:40]
    assert receiver.pageviews() == []
    assert send(receiver, "/beacon", b'{"token": "pv", "url": "http://site/"}') == 204
    still_serves(receiver)


def test_the_live_printer_copes_with_any_beacon_the_receiver_accepts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with Receiver(token=TOKEN, on_arrival=print_arrival) as receiver:
        for fields in ({}, {"token": "pv"}, {"url": "http://site/a", "identity": ""}):
            assert send(receiver, "/beacon", json.dumps(fields).encode()) == 204
        still_serves(receiver)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["pageview"] * 3 + ["span"]
    assert lines[2].startswith("pageview http://site/a ")


def test_a_gzip_body_of_several_members_is_read_whole(receiver: Receiver) -> None:
    request = ExportTraceServiceRequest()
    request.ParseFromString(one_span("first") + one_span("second"))
    encoded = request.SerializeToString()
    body = gzip.compress(encoded[:7]) + gzip.compress(encoded[7:])
    assert send(receiver, "/v1/traces", body, GZIP) == 200
    assert [s.name for s in receiver.spans()] == ["first", "second"]


def test_a_receiver_that_decodes_when_read_records_what_one_that_decodes_at_once_does() -> None:
    bodies = [
        ("/v1/traces", gzip.compress(one_span("first")), GZIP),
        ("/v1/traces", one_span("second"), AUTH),
    ]
    recorded = []
    for later in (False, True):
        with Receiver(token=TOKEN, decode_when_read=later) as receiver:
            for path, body, headers in bodies:
                assert send(receiver, path, body, headers) == 200
            recorded.append([(s.name, s.trace_id, s.attributes) for s in receiver.spans()])
    assert recorded[1] == recorded[0]
    assert [name for name, _, _ in recorded[1]] == ["first", "second"]


def test_a_body_kept_undecoded_fails_when_read_and_the_rest_stay_readable() -> None:
    with Receiver(token=TOKEN, decode_when_read=True) as receiver:
        # Answered before decoding, where a receiver decoding at once answers 400.
        assert send(receiver, "/v1/traces", b"\xff not protobuf", AUTH) == 200
        assert send(receiver, "/v1/traces", one_span(), AUTH) == 200
        # What it checks before reading a body is still checked.
        assert send(receiver, "/v1/traces", one_span(), {"Authorization": "Bearer no"}) == 401
        assert send(receiver, "/v1/traces", one_span(), {**AUTH, "Content-Encoding": "br"}) == 415
        with pytest.raises(Undecodable):
            receiver.spans()
        assert [s.name for s in receiver.spans()] == ["good"]


def test_decoding_when_read_cannot_report_arrivals() -> None:
    with pytest.raises(ValueError, match="on_arrival"):
        Receiver(decode_when_read=True, on_arrival=lambda kind, item: None)
