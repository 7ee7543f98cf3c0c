"""The Jinja extension outside any framework, and what the integrations say at start-up."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import jinja2
import pytest

from connect_pageviews import resolve
from connect_pageviews.jinja import PageviewsExtension, configure


def failing_lookup(request: object) -> object:
    raise RuntimeError("the user database is down")


def environment() -> jinja2.Environment:
    return jinja2.Environment(extensions=[PageviewsExtension], autoescape=True)


def test_a_failing_user_lookup_still_renders_an_anonymous_tag(
    caplog: pytest.LogCaptureFixture,
) -> None:
    env = environment()
    configure(
        env,
        resolve(
            {
                "pageviews_token": "t",
                "pageviews_identity_key": "k",
                "pageviews_user_id": failing_lookup,
            },
            environ={},
        ),
    )
    html = env.from_string("{% connect_pageviews nonce='n' %}").render(request=SimpleNamespace())
    assert 'data-identity=""' in html and 'nonce="n"' in html
    assert "finding the signed-in user failed" in caplog.text


def test_without_a_request_or_static_url_the_bundle_is_inline() -> None:
    env = environment()
    configure(env, resolve({"pageviews_token": "t"}, environ={}))
    html = env.from_string("{% connect_pageviews %}").render()
    assert html.startswith('<script data-token="t"') and "src=" not in html


def test_token_without_identity_key_warns_once_at_start_up(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, "connect_pageviews"):
        env = environment()
        configure(env, resolve({"pageviews_token": "t"}, environ={}))
        env.from_string("{% connect_pageviews %}{% connect_pageviews %}").render()
    warnings = [r for r in caplog.records if "IDENTITY_KEY is not" in r.getMessage()]
    assert len(warnings) == 1


def test_nothing_is_said_when_both_or_neither_are_set(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, "connect_pageviews"):
        configure(environment(), resolve({"pageviews_token": "t", "pageviews_identity_key": "k"}))
        configure(environment(), resolve(environ={}))
    assert caplog.records == []
