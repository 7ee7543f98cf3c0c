"""Browser-side test support: Debian's Chromium under Playwright, a tiny site that serves
pages carrying the beacon bundle, and an endpoint that records posted support forms."""

from __future__ import annotations

import html
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from playwright.sync_api import Page

from connect_pageviews import render_tag, resolve
from connect_testkit.markup import script_attributes
from connect_testkit.receiver import Receiver

ROOT = Path(__file__).parents[3]
BUNDLE = (
    ROOT / "packages/connect-pageviews/src/connect_pageviews/static/connect_pageviews/pageviews.js"
)
CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps dialling out, which this machine refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TOKEN = "pv_test_token"


@dataclass
class Site:
    """Serves pages registered by a test; /pageviews.js is the committed bundle."""

    pages: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)
    url: str = ""

    def page(self, path: str, body: str, headers: dict[str, str] | None = None) -> str:
        self.pages[path] = (body, headers or {})
        return self.url + path


@dataclass
class Tab:
    """A Playwright page and the page errors and console errors it has shown."""

    page: Page
    problems: list[str]


def script_tag(receiver: Receiver, **attributes: str | None) -> str:
    """The tag connect-pageviews renders for this site, with `attributes` changed for a test
    (`data_route="/x"`); None leaves an attribute out."""
    settings = resolve({"pageviews_token": TOKEN, "pageviews_url": receiver.beacon_url}, environ={})
    (rendered_tag,) = script_attributes(
        render_tag(settings, script_src="/pageviews.js", trace_id="")
    )
    values: dict[str, str | None] = dict(rendered_tag)
    values.update({name.replace("_", "-"): value for name, value in attributes.items()})
    rendered = " ".join(
        name if value == "" and name == "async" else f'{name}="{html.escape(value)}"'
        for name, value in values.items()
        if value is not None
    )
    return f"<script {rendered}></script>"


def document(title: str, *scripts: str, body: str = "") -> str:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"</head><body>{body}{''.join(scripts)}</body></html>"
    )


class _QuietHandler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def _serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serves `handler` on a free loopback port, in a thread, until the block ends."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def serve_site() -> Iterator[Site]:
    served = Site()
    bundle = BUNDLE.read_bytes()

    class Handler(_QuietHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            headers: dict[str, str]
            if path == "/pageviews.js":
                status, body, headers = 200, bundle, {"Content-Type": "text/javascript"}
            elif path in served.pages:
                text, extra = served.pages[path]
                headers = {"Content-Type": "text/html; charset=utf-8", **extra}
                status, body = 200, text.encode()
            elif path == "/favicon.ico":
                status, body, headers = 204, b"", {}
            else:
                status, body, headers = 404, b"not found", {"Content-Type": "text/plain"}
            self.answer(status, body, headers)

    with _serving(Handler) as served.url:
        yield served


@dataclass
class FormPost:
    path: str
    origin: str | None
    fields: dict[str, list[str]]


@dataclass
class FormEndpoint:
    """Records the support forms posted to it, as the support endpoint would get them."""

    url: str = ""
    posts: list[FormPost] = field(default_factory=list)


@contextmanager
def serve_form_endpoint() -> Iterator[FormEndpoint]:
    endpoint = FormEndpoint()

    class Handler(_QuietHandler):
        def do_POST(self) -> None:
            length = min(int(self.headers.get("Content-Length") or 0), 64 * 1024)
            fields = parse_qs(self.rfile.read(length).decode(), keep_blank_values=True)
            endpoint.posts.append(FormPost(self.path, self.headers.get("Origin"), fields))
            thanks = b"<!doctype html><title>Thanks</title><p>Thanks</p>"
            self.answer(200, thanks, {"Content-Type": "text/html; charset=utf-8"})

    with _serving(Handler) as endpoint.url:
        yield endpoint
