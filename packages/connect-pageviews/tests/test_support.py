"""Support forms: render tokens against the published vectors, the action URL, and the three
fields as Jinja and Django templates render them."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jinja2
import pytest

from connect_pageviews import decrypt_identity, resolve
from connect_pageviews.jinja import PageviewsExtension, extension_of
from connect_pageviews.support import (
    HONEYPOT_FIELD,
    IDENTITY_FIELD,
    RENDER_TOKEN_FIELD,
    render_token,
    support_url,
)
from connect_testkit.markup import parse

from .test_django import RENDER, run_in_django

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parent / "vectors" / "support-render-token-v1.json").read_text()
)
SECRET = "support-test-secret-key"


@pytest.mark.parametrize("vector", VECTORS["valid"], ids=lambda v: str(v["unix_seconds"]))
def test_render_tokens_match_the_published_vectors(vector: dict[str, Any]) -> None:
    assert render_token(vector["secret"], vector["unix_seconds"]) == vector["token"]


def test_the_field_names_are_the_published_ones() -> None:
    assert VECTORS["fields"] == {
        "render_token": RENDER_TOKEN_FIELD,
        "identity": IDENTITY_FIELD,
        "honeypot": HONEYPOT_FIELD,
    }


def test_no_secret_no_render_token() -> None:
    assert render_token("") == ""


@pytest.mark.parametrize(
    ("cloud_url", "endpoint_id", "expected"),
    [
        ("https://plainframework.com", "plain_sf_abc123",
         "https://plainframework.com/forms/plain_sf_abc123"),
        ("https://cloud.example.com/", "a/b c?d", "https://cloud.example.com/forms/a%2Fb%20c%3Fd"),
    ],
)  # fmt: skip
def test_the_action_url_quotes_the_whole_endpoint_id(
    cloud_url: str, endpoint_id: str, expected: str
) -> None:
    assert support_url(cloud_url, endpoint_id) == expected


def verifies(token: str, secret: str) -> bool:
    seconds, _, digest = token.partition(".")
    expected = hmac.new(secret.encode(), f"render-token:{seconds}".encode(), hashlib.sha256)
    return (
        hmac.compare_digest(digest, expected.hexdigest()) and abs(int(seconds) - time.time()) < 60
    )


def fields_of(html: str) -> dict[str, dict[str, str]]:
    return {attributes["name"]: attributes for attributes in parse(html).inputs}


def jinja(**settings: object) -> jinja2.Environment:
    env = jinja2.Environment(extensions=[PageviewsExtension], autoescape=True)
    extension_of(env).apply(resolve(settings, environ={}), None)
    return env


def test_jinja_renders_the_three_fields_and_the_url() -> None:
    env = jinja(secret_key=SECRET, pageviews_user_id=lambda request: 7301)
    html = env.from_string(
        '<form action="{{ connect_support_url("plain_sf_abc") }}">{% connect_support_fields %}'
    ).render(request=SimpleNamespace())
    assert 'action="https://plainframework.com/forms/plain_sf_abc"' in html
    fields = fields_of(html)
    assert verifies(fields[RENDER_TOKEN_FIELD]["value"], SECRET)
    assert fields[RENDER_TOKEN_FIELD]["type"] == "hidden"
    assert decrypt_identity(fields[IDENTITY_FIELD]["value"], SECRET) == "7301"
    assert fields[HONEYPOT_FIELD] == {
        "type": "text", "name": HONEYPOT_FIELD, "tabindex": "-1", "autocomplete": "off",
        "hidden": "", "aria-hidden": "true",
    }  # fmt: skip


def test_without_a_secret_the_fields_render_empty_and_the_tag_works_without_a_pageview_token() -> (
    None
):
    env = jinja(cloud_url="https://cloud.example.com")
    html = env.from_string("{% connect_support_fields %}{{ connect_support_url('x') }}").render()
    fields = fields_of(html)
    assert fields[RENDER_TOKEN_FIELD]["value"] == "" and fields[IDENTITY_FIELD]["value"] == ""
    assert html.endswith("https://cloud.example.com/forms/x")


def test_a_failing_user_lookup_still_renders_the_fields(caplog: pytest.LogCaptureFixture) -> None:
    def failing(request: object) -> object:
        raise RuntimeError("the user database is down")

    env = jinja(secret_key=SECRET, pageviews_user_id=failing)
    fields = fields_of(env.from_string("{% connect_support_fields %}").render(request=object()))
    assert verifies(fields[RENDER_TOKEN_FIELD]["value"], SECRET)
    assert fields[IDENTITY_FIELD]["value"] == ""
    assert "finding the signed-in user failed" in caplog.text


def test_django_renders_the_three_fields_and_the_url(tmp_path: Path) -> None:
    result = run_in_django(
        tmp_path,
        RENDER
        + """
    from django.contrib.auth.models import User
    from django.core.management import call_command
    call_command("migrate", verbosity=0)
    request = RequestFactory().get("/")
    request.user = User.objects.create(username="ada", pk=7301)
    print(json.dumps(render(
        '<form action="{% connect_support_url "plain_sf_a b" %}">{% connect_support_fields %}',
        request,
    )))
    """,
        CONNECT_PAGEVIEWS_IDENTITY_KEY=None,
        CONNECT_SECRET_KEY=SECRET,
    )
    html = json.loads(result.stdout)
    assert 'action="https://plainframework.com/forms/plain_sf_a%20b"' in html
    fields = fields_of(html)
    assert verifies(fields[RENDER_TOKEN_FIELD]["value"], SECRET)
    assert decrypt_identity(fields[IDENTITY_FIELD]["value"], SECRET) == "7301"
    assert HONEYPOT_FIELD in fields
