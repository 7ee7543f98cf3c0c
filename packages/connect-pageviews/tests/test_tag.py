"""The framework-free tag: attributes, escaping, identity, inline mode and hashes."""

from __future__ import annotations

import base64
import dataclasses
import hashlib

import pytest
from opentelemetry.sdk.trace import TracerProvider

from connect_pageviews import decrypt_identity, render_tag, resolve
from connect_pageviews.bundle import bundle_bytes, inline_script_hash, integrity
from connect_pageviews.settings import ConfigurationError, PageviewsSettings
from connect_testkit.markup import parse

SRC = "/static/connect_pageviews/pageviews.js"
KEY = "tag-test-identity-key"


def settings(**overrides: object) -> PageviewsSettings:
    return resolve({"pageviews_token": "pv_token", **overrides}, environ={})


def test_nothing_without_a_token() -> None:
    assert render_tag(resolve(environ={}), script_src=SRC, user_id=1, route="/x") == ""


def test_every_attribute_with_a_token() -> None:
    html = render_tag(
        settings(pageviews_identity_key=KEY),
        script_src=SRC,
        user_id=42,
        route="blog/<slug>/",
        trace_id="ab" * 16,
        nonce="n0nce",
    )
    (script,) = parse(html).scripts
    identity = script.pop("data-identity")
    assert identity and decrypt_identity(identity, KEY) == "42"
    assert script == {
        "async": "",
        "src": SRC,
        "integrity": integrity(),
        "crossorigin": "anonymous",
        "data-token": "pv_token",
        "data-pageviews-url": "https://beacon.plainframework.com",
        "data-trace-id": "ab" * 16,
        "data-route": "/blog/<slug>/",
        "nonce": "n0nce",
    }
    assert "42" not in html.replace(identity, "")


def test_identity_only_with_a_key_and_a_user() -> None:
    anonymous = parse(render_tag(settings(pageviews_identity_key=KEY), script_src=SRC))
    assert anonymous.scripts[0]["data-identity"] == ""
    keyless = parse(render_tag(settings(), script_src=SRC, user_id=5))
    assert keyless.scripts[0]["data-identity"] == ""


@pytest.mark.parametrize("user_id", ["user\udcff", "x" * 5000, b"\xff"])
def test_a_user_id_that_cannot_be_encrypted_still_counts_the_view(
    user_id: object, caplog: pytest.LogCaptureFixture
) -> None:
    html = render_tag(settings(pageviews_identity_key=KEY), script_src=SRC, user_id=user_id)
    (script,) = parse(html).scripts
    assert script["data-token"] == "pv_token"
    assert script["data-identity"] == ""
    (warning,) = [r for r in caplog.records if r.name == "connect_pageviews"]
    assert "counted without its user" in warning.getMessage()
    assert "x" * 100 not in warning.getMessage()


def test_identity_tokens_differ_on_every_render() -> None:
    keyed = settings(pageviews_identity_key=KEY)
    rendered = {
        parse(render_tag(keyed, script_src=SRC, user_id=1)).scripts[0]["data-identity"]
        for _ in range(20)
    }
    assert len(rendered) == 20


HOSTILE = "\"><script>alert(1)</script><x a='&amp;"


def test_hostile_values_cannot_break_out_of_the_tag() -> None:
    html = render_tag(
        # Settings refuse such a URL; render_tag escapes it all the same.
        dataclasses.replace(settings(), pageviews_url=f"https://beacon.example.com/{HOSTILE}"),
        script_src=f"/static/{HOSTILE}",
        route=f"/{HOSTILE}",
        trace_id=HOSTILE,
        nonce=HOSTILE,
    )
    result = parse(html)
    assert len(result.scripts) == 1 and result.other_tags == []
    (script,) = result.scripts
    assert script["data-route"] == f"/{HOSTILE}"
    assert script["data-trace-id"] == HOSTILE
    assert script["nonce"] == HOSTILE
    assert script["src"] == f"/static/{HOSTILE}"
    assert script["data-pageviews-url"] == f"https://beacon.example.com/{HOSTILE}"
    assert "<script>alert" not in html


def test_inline_mode_embeds_the_bundle_and_its_csp_hash_is_right() -> None:
    for inline in (render_tag(settings(pageviews_inline=True), script_src=SRC, nonce="n"),
                   render_tag(settings(), script_src=None)):  # fmt: skip
        result = parse(inline)
        (script,) = result.scripts
        assert "src" not in script and "integrity" not in script
        assert "".join(result.text) == bundle_bytes().decode()
    digest = base64.b64encode(hashlib.sha256(bundle_bytes()).digest()).decode()
    assert inline_script_hash() == f"'sha256-{digest}'"


def test_integrity_is_the_sha384_of_the_bundle() -> None:
    digest = base64.b64encode(hashlib.sha384(bundle_bytes()).digest()).decode()
    assert integrity() == f"sha384-{digest}"


def test_trace_id_is_the_active_spans() -> None:
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("request") as span:
        html = render_tag(settings(), script_src=SRC)
        expected = format(span.get_span_context().trace_id, "032x")
    assert parse(html).scripts[0]["data-trace-id"] == expected
    outside = parse(render_tag(settings(), script_src=SRC)).scripts[0]
    assert outside["data-trace-id"] == ""


@pytest.mark.parametrize(
    ("name", "bad", "accepted"),
    [
        ("pageviews_token", "has space", "without spaces"),
        ("pageviews_url", "beacon.example.com", "http:// or https://"),
        ("pageviews_inline", "sometimes", "true or false"),
        ("pageviews_user_id", "not a path!", "dotted path"),
        ("pageviews_user_id", 42, "a function"),
        ("pageviews_identity_key", "two\nlines-of-a-long-key", "single line"),
        ("pageviews_identity_key", "too-short", "at least 16 characters"),
        ("pageviews_identity_key", "a-long-key-caf\udce9", "cannot be encoded as UTF-8"),
        ("pageviews_user_id", "missing.module.fn", "ModuleNotFoundError"),
        ("pageviews_url", "https://user:pw@beacon.example.com", "no credentials"),
    ],
)
def test_bad_settings_name_the_setting(name: str, bad: object, accepted: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        resolve({name: bad}, environ={})
    assert f"CONNECT_{name.upper()}" in str(raised.value)
    assert accepted in str(raised.value)


def test_identity_key_is_never_shown_in_errors_or_reprs() -> None:
    with pytest.raises(ConfigurationError) as raised:
        resolve(environ={"CONNECT_PAGEVIEWS_IDENTITY_KEY": "top\nsecret"})
    assert "top" not in str(raised.value)
    assert KEY not in repr(resolve({"pageviews_identity_key": KEY}, environ={}))


def test_keywords_are_accepted_in_any_case_and_typos_are_refused() -> None:
    assert resolve({"PAGEVIEWS_TOKEN": "t"}, environ={}).enabled
    with pytest.raises(ConfigurationError, match="did you mean pageviews_token"):
        resolve({"pageview_token": "t"}, environ={})


def test_environment_then_framework_then_default() -> None:
    framework = {"CONNECT_PAGEVIEWS_TOKEN": "from-framework"}
    assert resolve(framework=framework, environ={}).pageviews_token == "from-framework"
    env = {"PLAIN_CONNECT_PAGEVIEWS_TOKEN": "from-env"}
    assert resolve(framework=framework, environ=env).pageviews_token == "from-env"
    assert resolve({"pageviews_token": "kw"}, framework, env).pageviews_token == "kw"


def test_readme_settings_table_is_the_generated_one() -> None:
    from pathlib import Path

    from connect_pageviews.settings import TABLE

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    start = readme.index("<!-- settings-table")
    table = readme[readme.index("\n", start) + 1 : readme.index("<!-- /settings-table -->")]
    assert table.strip() == TABLE.markdown(), (
        "run `python -m connect_pageviews settings --markdown`"
    )
