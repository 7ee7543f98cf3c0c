"""The Jinja extension outside any framework, and what the integrations say at start-up."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from types import SimpleNamespace

import jinja2
import pytest

from connect_config import startup
from connect_pageviews import decrypt_identity, resolve
from connect_pageviews.jinja import PageviewsExtension, extension_of

KEY = "jinja-test-identity-key"


@pytest.fixture(autouse=True)
def fresh_process_warnings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Start-up warnings are said once per process: each test starts as a new process would.
    monkeypatch.setattr(startup, "_said", set())
    yield


def failing_lookup(request: object) -> object:
    raise RuntimeError("the user database is down")


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("__str__ of the app's user model failed")


def environment(**settings: object) -> jinja2.Environment:
    env = jinja2.Environment(extensions=[PageviewsExtension], autoescape=True)
    if settings:
        extension_of(env).apply(resolve(settings, environ={}), None)
    return env


def test_a_failing_user_lookup_still_renders_an_anonymous_tag(
    caplog: pytest.LogCaptureFixture,
) -> None:
    env = environment(
        pageviews_token="t", pageviews_identity_key=KEY, pageviews_user_id=failing_lookup
    )
    html = env.from_string("{% connect_pageviews nonce='n' %}").render(request=SimpleNamespace())
    assert 'data-identity=""' in html and 'nonce="n"' in html
    assert "finding the signed-in user failed" in caplog.text


def test_a_user_id_whose_str_raises_still_renders_an_anonymous_tag() -> None:
    env = environment(
        pageviews_token="t", pageviews_identity_key=KEY, pageviews_user_id=lambda r: Unprintable()
    )
    html = env.from_string("{% connect_pageviews %}").render(request=SimpleNamespace())
    assert 'data-token="t"' in html and 'data-identity=""' in html


def test_a_user_from_the_configured_lookup_is_attributed() -> None:
    env = environment(
        pageviews_token="t", pageviews_identity_key=KEY, pageviews_user_id=lambda r: 7
    )
    html = env.from_string("{% connect_pageviews %}").render(request=SimpleNamespace())
    token = html.split('data-identity="')[1].split('"')[0]
    assert decrypt_identity(token, KEY) == "7"


@pytest.mark.parametrize(("argument", "expected"), [("1", 'nonce="1"'), ("none", "")])
def test_a_nonce_argument_of_any_type_is_rendered_as_text(argument: str, expected: str) -> None:
    env = environment(pageviews_token="t")
    html = env.from_string(f"{{% connect_pageviews nonce={argument} %}}").render()
    assert html.startswith("<script") and (expected in html if expected else "nonce=" not in html)


def test_without_a_request_or_static_url_the_bundle_is_inline() -> None:
    html = environment(pageviews_token="t").from_string("{% connect_pageviews %}").render()
    assert html.startswith('<script data-token="t"') and "src=" not in html


def test_the_extension_reads_the_environment_when_nothing_applies_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CONNECT_PAGEVIEWS_TOKEN", "from-env")
    html = environment().from_string("{% connect_pageviews %}").render()
    assert 'data-token="from-env"' in html


def test_token_without_identity_key_warns_once_per_process(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, "connect_pageviews"):
        for _ in range(3):  # three apps, or one app's two integrations
            env = environment(pageviews_token="t")
            env.from_string("{% connect_pageviews %}{% connect_pageviews %}").render()
    warnings = [r for r in caplog.records if "IDENTITY_KEY is not" in r.getMessage()]
    assert len(warnings) == 1


def test_nothing_is_said_when_both_or_neither_are_set(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, "connect_pageviews"):
        environment(pageviews_token="t", pageviews_identity_key=KEY)
        environment(pageviews_inline=False)
    assert caplog.records == []
