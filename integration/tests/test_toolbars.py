"""The "Trace" link in plain.toolbar (Plain's example under `plain server`, DEBUG on) and in
Django Debug Toolbar (Django's example under gunicorn), and the template values of the same
pages: each names the trace the receiver got for the request, or says why there is no link."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

from connect_integration.examples import EXAMPLES, ExampleApp
from connect_integration.postgres import postgres_server
from connect_testkit.receiver import Receiver, Span

TOKEN = "toolbar-token"
CLOUD = "https://cloud.example.com"
QUICK = {"OTEL_BSP_SCHEDULE_DELAY": "100", "OTEL_BLRP_SCHEDULE_DELAY": "100"}
CASES = {
    "sampled": {},
    "not sampled": {"CONNECT_TRACE_SAMPLE_RATE": "0", "CONNECT_TRACE_KEEP_ERRORS": "false"},
    # Below rate 1.0 with a keep rule, the request's trace waits for its end to be decided.
    "undecided": {"CONNECT_TRACE_SAMPLE_RATE": "0"},
    "export off": {"CONNECT_EXPORT_TOKEN": ""},
}


def traced_elements(html: str) -> list[tuple[str, dict[str, str], str]]:
    """(tag, attributes, text) of each element that carries `data-connect-trace`."""
    found: list[tuple[str, dict[str, str], str]] = []
    open_elements: list[int] = []

    class Reader(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            attributes = {name: value or "" for name, value in attrs}
            if "data-connect-trace" in attributes:
                found.append((tag, attributes, ""))
                open_elements.append(len(found) - 1)

        def handle_endtag(self, tag: str) -> None:
            if open_elements and found[open_elements[-1]][0] == tag:
                open_elements.pop()

        def handle_data(self, data: str) -> None:
            if open_elements:
                tag, attributes, text = found[open_elements[-1]]
                found[open_elements[-1]] = (tag, attributes, text + data.strip())

    Reader().feed(html)
    return found


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


def serve_page(
    example: ExampleApp, tmp_path: Path, receiver: Receiver, case: str, **env: str
) -> tuple[str, Span | None]:
    """The example's /items/42 page and, when exported, its server span."""
    env = {
        "CONNECT_EXPORT_URL": receiver.url,
        "CONNECT_EXPORT_TOKEN": TOKEN,
        "CONNECT_CLOUD_URL": CLOUD,
        **QUICK,
        **CASES[case],
        **env,
    }
    with example.run(tmp_path / "example.sqlite3", **env) as server:
        status, body = server.get("/items/42")
        assert status == 200, body
    if case != "sampled":
        return body.decode(), None
    receiver.wait_for(lambda r: any(s.attributes.get("url.path") == "/items/42" for s in r.spans()))
    (span,) = [s for s in receiver.spans() if s.attributes.get("url.path") == "/items/42"]
    return body.decode(), span


def footer_and_toolbar(html: str) -> tuple[dict[str, str], list[tuple[str, dict[str, str], str]]]:
    """The page's footer (the template values) and the toolbar's trace elements."""
    elements = traced_elements(html)
    footers = [attributes for tag, attributes, _ in elements if tag == "footer"]
    assert len(footers) == 1, html
    return footers[0], [element for element in elements if element[0] != "footer"]


def assert_the_toolbar_says(html: str, case: str, span: Span | None) -> None:
    footer, toolbar = footer_and_toolbar(html)
    if case == "export off":
        assert toolbar == []
        assert footer["data-connect-trace-url"] == ""
        return
    ((tag, attributes, text),) = toolbar
    trace_id = attributes["data-connect-trace"]
    assert len(trace_id) == 32 and footer["data-connect-trace"] == trace_id
    if case == "sampled":
        assert span is not None and trace_id == span.trace_id
        assert (tag, text) == ("a", "Trace")
        assert attributes["href"] == f"{CLOUD}/t/{span.trace_id}"
        assert footer["data-connect-trace-url"] == attributes["href"]
        return
    assert footer["data-connect-trace-url"] == ""
    assert tag != "a" and "href" not in attributes


@pytest.mark.parametrize("case", sorted(CASES))
def test_plain_toolbar(case: str, tmp_path: Path, postgres_url: str) -> None:
    if "plain" not in EXAMPLES:
        pytest.skip("Plain needs Python 3.13+, and no such environment is set up")
    with Receiver(token=TOKEN) as receiver:
        html, span = serve_page(
            EXAMPLES["plain"], tmp_path, receiver, case, DATABASE_URL=postgres_url, PLAIN_DEBUG="1"
        )
    assert 'id="plaintoolbar"' in html, "the toolbar itself renders"
    assert_the_toolbar_says(html, case, span)
    if case in ("not sampled", "undecided"):
        ((_, _, text),) = footer_and_toolbar(html)[1]
        assert text == {"not sampled": "Not sampled", "undecided": "Undecided"}[case]


@pytest.mark.parametrize("case", sorted(CASES))
def test_django_debug_toolbar(case: str, tmp_path: Path) -> None:
    with Receiver(token=TOKEN) as receiver:
        html, span = serve_page(
            EXAMPLES["django"], tmp_path, receiver, case, EXAMPLE_DEBUG_TOOLBAR="1"
        )
    assert 'id="djDebug"' in html, "the toolbar itself renders"
    assert_the_toolbar_says(html, case, span)
    subtitle = {"not sampled": "Not sampled", "undecided": "Undecided", "export off": "Export off"}
    if case in subtitle:
        assert f"<small>{subtitle[case]}</small>" in html
    else:
        assert span is not None and f"<small>{span.trace_id[:8]}</small>" in html
