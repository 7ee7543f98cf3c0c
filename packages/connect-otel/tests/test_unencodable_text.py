"""Text that UTF-8 cannot encode costs only its own characters, never a record or a neighbour.

`surrogateescape` turns odd bytes in file names and environment variables into lone surrogates
("\\udcff"); the OTLP encoder refuses them and, left alone, drops the whole batch around them.
"""

from __future__ import annotations

from connect_testkit.receiver import Receiver
from connect_testkit.scripts import run_python

# Each string holds a lone surrogate, written as an escape so the child builds it itself.
EMIT_UNENCODABLE_TEXT = r"""
import logging
import connect_otel
from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode

assert connect_otel.configure()
log = logging.getLogger("files")
tracer = trace.get_tracer("files")

log.info("before")
log.warning(
    "file %s",
    "\udcff.txt",
    extra={"path": "/srv/\udcff", "k\udcfe": "plain", "names": ["ok", "b\udcff"]},
)
log.info("after")

with tracer.start_as_current_span("neighbour"):
    pass
with tracer.start_as_current_span(
    "open \udcff.txt",
    attributes={"file.path": "/srv/\udcff", "k\udcfe": "plain", "names": ("ok", "b\udcff")},
) as span:
    span.add_event("read \udcff", {"e\udcfe": "x\udcff"})
    span.set_status(Status(StatusCode.ERROR, "no such file \udcff"))
with tracer.start_as_current_span("neighbour too"):
    pass
connect_otel.shutdown()
"""


def test_a_lone_surrogate_costs_one_character(
    receiver: Receiver, export_env: dict[str, str]
) -> None:
    run_python(
        EMIT_UNENCODABLE_TEXT,
        # The environment is where such text comes from: an undecodable byte in a variable
        # reaches Python as a lone surrogate.
        {**export_env, "OTEL_RESOURCE_ATTRIBUTES": "host.dir=/srv/\udcff"},
    )

    logs = {log.body: log for log in receiver.logs() if log.scope == "files"}
    assert list(logs) == ["before", "file \ufffd.txt", "after"]
    attributes = logs["file \ufffd.txt"].attributes
    assert attributes["path"] == "/srv/\ufffd"
    assert attributes["k\ufffd"] == "plain"
    assert attributes["names"] == ["ok", "b\ufffd"]
    assert logs["before"].resource["host.dir"] == "/srv/\ufffd"

    spans = {span.name: span for span in receiver.spans()}
    assert set(spans) == {"neighbour", "open \ufffd.txt", "neighbour too"}
    opened = spans["open \ufffd.txt"]
    assert opened.attributes == {
        "file.path": "/srv/\ufffd",
        "k\ufffd": "plain",
        "names": ["ok", "b\ufffd"],
    }
    (event,) = opened.events
    assert (event.name, event.attributes) == ("read \ufffd", {"e\ufffd": "x\ufffd"})
    assert (opened.status_code, opened.status_message) == ("ERROR", "no such file \ufffd")
    assert opened.resource["host.dir"] == "/srv/\ufffd"
