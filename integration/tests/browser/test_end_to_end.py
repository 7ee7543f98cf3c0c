"""The whole product as a user runs it: each example app under its real server with connect-otel
and connect-pageviews on, Chromium visiting it, and one local receiver getting both the
telemetry and the page views."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page

from connect_integration.browser import FormEndpoint, serve_form_endpoint
from connect_integration.examples import EXAMPLES, ExampleApp
from connect_pageviews import decrypt_identity
from connect_pageviews.support import HONEYPOT_FIELD, IDENTITY_FIELD, RENDER_TOKEN_FIELD
from connect_testkit.markup import shows
from connect_testkit.receiver import Receiver, Span
from connect_testkit.servers import Server

TOKEN = "e2e-token"
IDENTITY_KEY = "e2e-identity-key"


@dataclass
class Running:
    example: ExampleApp
    server: Server
    receiver: Receiver
    forms: FormEndpoint

    def views(self, count: int) -> list[dict[str, Any]]:
        self.receiver.wait_for(lambda r: len(r.pageviews()) >= count, timeout=15)
        fields = [view.fields for view in self.receiver.pageviews()]
        assert len(fields) == count, fields
        return fields

    def server_span(self, path: str) -> Span:
        def found(r: Receiver) -> list[Span]:
            return [
                s for s in r.spans()
                if s.kind == "SERVER" and s.attributes.get("url.path") == path
            ]  # fmt: skip

        self.receiver.wait_for(lambda r: bool(found(r)), timeout=15)
        return found(self.receiver)[-1]


@pytest.fixture(params=sorted(EXAMPLES), scope="module")
def running(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Running]:
    example = EXAMPLES[request.param]
    env: dict[str, str] = {}
    if example.name == "plain":
        from connect_integration.postgres import postgres_server

        postgres = postgres_server()
        env["DATABASE_URL"] = postgres.__enter__()
        request.addfinalizer(lambda: postgres.__exit__(None, None, None))
    with Receiver(token=TOKEN) as receiver, serve_form_endpoint() as forms:
        settings = {
            "CLOUD_URL": forms.url,
            "EXPORT_URL": receiver.url,
            "EXPORT_TOKEN": TOKEN,
            "PAGEVIEWS_TOKEN": "pv_e2e",
            "PAGEVIEWS_IDENTITY_KEY": IDENTITY_KEY,
            "PAGEVIEWS_URL": receiver.beacon_url,
        }
        if example.name == "plain":
            # Named as plain.connect 0.11's README names them: a Plain team switching to
            # Connect keeps its settings as they are.
            settings["PAGEVIEWS_PUBLIC_TOKEN"] = settings.pop("PAGEVIEWS_TOKEN")
            settings["SECRET_KEY"] = settings.pop("PAGEVIEWS_IDENTITY_KEY")
            env.update({f"PLAIN_CONNECT_{name}": value for name, value in settings.items()})
        else:
            env.update({f"CONNECT_{name}": value for name, value in settings.items()})
        env.update(OTEL_BSP_SCHEDULE_DELAY="100", OTEL_BLRP_SCHEDULE_DELAY="100")
        database = tmp_path_factory.mktemp(example.name) / "example.sqlite3"
        with example.run(database, **env) as server:
            yield Running(example, server, receiver, forms)


@pytest.fixture
def app(running: Running) -> Running:
    running.receiver.clear()
    running.receiver.set_fault(None)
    return running


def sign_in(page: Page, app: Running) -> None:
    page.goto(app.server.url + "/login")
    page.fill("input[name=username]", "ada")
    page.fill("input[name=password]", "lovelace")
    page.click("button")
    page.wait_for_url(app.server.url + "/")


def test_an_anonymous_visit_joins_its_server_trace(context: BrowserContext, app: Running) -> None:
    page = context.new_page()
    url = app.server.url + "/items/42"
    page.goto(url)
    (view,) = app.views(1)
    span = app.server_span("/items/42")
    assert view["url"] == url
    assert view["title"] == "Item 42"
    assert view["route"] == app.example.item_route == span.attributes["http.route"]
    assert view["trace_id"] == span.trace_id
    assert view["identity"] == ""
    assert view["token"] == "pv_e2e"


def test_a_signed_in_visit_is_attributed_without_revealing_the_id(
    context: BrowserContext, app: Running
) -> None:
    page = context.new_page()
    sign_in(page, app)
    assert "ada" in page.inner_text("h1")
    views = app.views(2)  # the login page, then home as ada
    home = views[1]
    assert home["url"] == app.server.url + "/"
    assert decrypt_identity(home["identity"], IDENTITY_KEY) == app.example.user_id
    assert not shows(page.content(), app.example.user_id)


def test_in_app_navigation_and_back_forward(context: BrowserContext, app: Running) -> None:
    page = context.new_page()
    start = app.server.url + "/spa"
    page.goto(start)
    app.views(1)
    page.click("text=inbox")
    inbox = app.views(2)[1]
    assert (inbox["url"], inbox["title"], inbox["referrer"]) == (
        start + "/inbox",
        "App inbox",
        start,
    )
    assert (inbox["trace_id"], inbox["route"]) == ("", "")
    page.click("text=settings")
    settings = app.views(3)[2]
    assert (settings["url"], settings["referrer"]) == (start + "/settings", start + "/inbox")
    page.go_back()
    back = app.views(4)[3]
    assert (back["url"], back["referrer"]) == (start + "/inbox", start + "/settings")
    page.go_forward()
    forward = app.views(5)[4]
    assert (forward["url"], forward["referrer"]) == (start + "/settings", start + "/inbox")


def test_the_app_keeps_serving_when_the_endpoints_are_down(
    context: BrowserContext, app: Running
) -> None:
    app.receiver.set_fault("refuse")  # OTLP and beacons alike
    page = context.new_page()
    for path in ("/", "/items/42", "/log", "/spa"):
        response = page.goto(app.server.url + path)
        assert response is not None and response.status == 200
    page.click("text=inbox")
    assert page.title() == "App inbox"
    app.receiver.set_fault(None)
    page.goto(app.server.url + "/items/7")
    assert app.server_span("/items/7").attributes["http.response.status_code"] == 200


def test_a_support_form_reaches_its_endpoint_with_tokens_that_verify(
    context: BrowserContext, app: Running
) -> None:
    page = context.new_page()
    sign_in(page, app)
    app.forms.posts.clear()
    page.goto(app.server.url + "/support")
    page.fill("input[name=email]", "ada@example.com")
    page.fill("textarea[name=message]", "The towel is missing.")
    page.click("text=Send")
    page.wait_for_url(app.forms.url + "/forms/plain_sf_example")
    (post,) = app.forms.posts
    assert post.path == "/forms/plain_sf_example"
    assert post.origin == app.server.url, "a cross-origin POST must not say Origin: null"
    fields = {name: values[0] for name, values in post.fields.items()}
    assert fields["message"] == "The towel is missing."
    assert fields[HONEYPOT_FIELD] == ""
    assert verifies(fields[RENDER_TOKEN_FIELD], IDENTITY_KEY)
    assert decrypt_identity(fields[IDENTITY_FIELD], IDENTITY_KEY) == app.example.user_id


def verifies(token: str, secret: str) -> bool:
    seconds, _, digest = token.partition(".")
    expected = hmac.new(secret.encode(), f"render-token:{seconds}".encode(), hashlib.sha256)
    return (
        hmac.compare_digest(digest, expected.hexdigest()) and abs(int(seconds) - time.time()) < 60
    )


def test_a_reset_link_leaves_neither_its_token_nor_its_uid_in_the_page_views(
    context: BrowserContext, app: Running
) -> None:
    page = context.new_page()
    reset = app.server.url + "/reset/MTIzNDU/s3t-4f9e8c2d1b"
    page.goto(reset)
    (view,) = app.views(1)
    assert view["url"] == app.server.url + "/reset/[redacted]/[redacted]"
    page.click("text=Item 42")  # a new page load: its referrer is the reset link
    page.wait_for_url(app.server.url + "/items/42")
    views = app.views(2)
    assert page.evaluate("document.referrer") == reset, "the browser did send the full link"
    assert views[1]["referrer"] == app.server.url + "/reset/[redacted]/[redacted]"
    assert "s3t-4f9e8c2d1b" not in repr(views) and "MTIzNDU" not in repr(views)
