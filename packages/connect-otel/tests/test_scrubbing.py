"""The key matcher and the URL scrubber, in process: every pattern, every over-scrubbing case."""

from __future__ import annotations

import pytest

from connect_otel import ConfigurationError
from connect_otel._scrubbing import REDACTED, Scrubber
from connect_otel._secret_names import words
from connect_otel.settings import resolve

SECRET_KEYS = [
    "password",
    "user.password",
    "db_passwd",
    "pwd",
    "newPassword",
    "client_secret",
    "AWS_SECRET_ACCESS_KEY",
    "token",
    "access_token",
    "refreshToken",
    "x-auth-token",
    "api_key",
    "apikey",
    "api-key",
    "apiKey",
    "X-Api-Key",
    "auth",
    "authorization",
    "http.request.header.authorization",
    "proxy-authorization",
    "session",
    "sessionid",
    "session_key",
    "user.session",
    "cookie",
    "http.request.header.cookie",
    "http.response.header.set-cookie",
    "csrf",
    "csrftoken",
    "csrfmiddlewaretoken",
    "X-CSRF-Token",
    "xsrf_token",
    "X-XSRF-TOKEN",
    "jwt",
    "user.jwt",
    "private_key",
    "privateKey",
    "credit_card",
    "creditCardNumber",
    "card_number",
    "cardNumber",
    "ssn",
    "customer.ssn",
    "signature",
    "webhook.signature",
    "db.query.parameter.1",
    "db.query.parameter.email",
    "db.statement.parameters",
]

PLAIN_KEYS = [
    "author",
    "authored_by",
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.output_tokens",
    "http.route",
    "url.path",
    "page",
    "utm_source",
    "order_id",
    "http.request.method",
    "http.response.status_code",
    "db.query.text",
    "db.system.name",
    "trace_id",
    "span_id",
    "passage",
    "tokenizer",
    "token_type",
    "sessions_count",
    "code.function.name",
    "code.line.number",
    "exception.message",
    "service.name",
    "state",
]


@pytest.mark.parametrize("key", SECRET_KEYS)
def test_secret_keys_are_scrubbed(key: str) -> None:
    assert Scrubber().key_is_secret(key)
    assert Scrubber().attributes({key: "hunter2"}) == {key: REDACTED}


@pytest.mark.parametrize("key", PLAIN_KEYS)
def test_other_keys_pass_untouched(key: str) -> None:
    assert not Scrubber().key_is_secret(key)
    assert Scrubber().attributes({key: "value", "n": 3}) is None


def test_words_split_on_separators_and_camel_case() -> None:
    assert words("X-Amz-Signature") == "x_amz_signature"
    assert words("apiKey") == "api_key"
    assert words("HTTPAuthToken") == "http_auth_token"
    assert words("gen_ai.usage.input_tokens") == "gen_ai_usage_input_tokens"


def test_every_value_type_is_replaced_and_the_key_kept() -> None:
    scrubbed = Scrubber().attributes({"password": ["a", "b"], "pin_token": 1234, "n": 1})
    assert scrubbed == {"password": REDACTED, "pin_token": REDACTED, "n": 1}


SECRET_PARAMETERS = [
    "token",
    "password",
    "api_key",
    "apiKey",
    "session",
    "code",
    "state",
    "access_token",
    "id_token",
    "refresh_token",
    "X-Amz-Signature",
    "X-Amz-Security-Token",
    "X-Goog-Signature",
    "sig",
    "Signature",
    "csrfmiddlewaretoken",
    "jwt",
]

PLAIN_PARAMETERS = ["page", "utm_source", "q", "sort", "author", "X-Amz-Date", "zip_code_area"]


@pytest.mark.parametrize("name", SECRET_PARAMETERS)
def test_secret_query_parameters_are_scrubbed_in_every_url_attribute(name: str) -> None:
    scrubber = Scrubber()
    query = f"page=2&{name}=s3cr3t&utm_source=mail"
    expected = f"page=2&{name}={REDACTED}&utm_source=mail"
    scrubbed = scrubber.attributes(
        {
            "url.full": f"https://shop.example/items?{query}",
            "url.query": query,
            "http.target": f"/items?{query}",
            "http.url": f"http://shop.example/items?{query}",
            "url.original": f"/items?{query}",
            "next_url": f"/login?{query}",
            "url.path": "/items",
        }
    )
    assert scrubbed == {
        "url.full": f"https://shop.example/items?{expected}",
        "url.query": expected,
        "http.target": f"/items?{expected}",
        "http.url": f"http://shop.example/items?{expected}",
        "url.original": f"/items?{expected}",
        "next_url": f"/login?{expected}",
        "url.path": "/items",
    }


@pytest.mark.parametrize("name", PLAIN_PARAMETERS)
def test_other_query_parameters_pass_untouched(name: str) -> None:
    url = f"https://shop.example/items?{name}=2&other=x"
    assert Scrubber().url(url) == url


def test_user_and_password_are_removed_from_a_url() -> None:
    scrubber = Scrubber()
    assert scrubber.url("https://ada:lovelace@db.example:5432/x?page=1") == (
        "https://db.example:5432/x?page=1"
    )
    assert scrubber.url("redis://:pw@cache:6379/0") == "redis://cache:6379/0"
    # An @ in the path or query is not a user.
    assert scrubber.url("https://h.example/@ada?to=a@b.c") == "https://h.example/@ada?to=a@b.c"


def test_fragments_with_parameters_are_scrubbed_too() -> None:
    url = "https://app.example/cb#access_token=abc&token_type=bearer&expires_in=3600"
    assert Scrubber().url(url) == (
        f"https://app.example/cb#access_token={REDACTED}&token_type=bearer&expires_in=3600"
    )
    assert Scrubber().url("https://a.example/docs#section-2") == "https://a.example/docs#section-2"


def test_encoded_names_blank_values_and_odd_queries() -> None:
    scrubber = Scrubber()
    assert scrubber.query("api%5Fkey=x&a=1") == f"api%5Fkey={REDACTED}&a=1"
    assert scrubber.query("token=&flag&=v&&page=3") == "token=&flag&=v&&page=3"
    assert scrubber.url("/plain/path") == "/plain/path"


def test_extra_patterns_and_keep() -> None:
    scrubber = Scrubber(extra_patterns=["iban", "account_number"], keep=["csrftoken", "state"])
    assert scrubber.key_is_secret("customer.iban")
    assert scrubber.key_is_secret("accountNumber")
    assert not scrubber.key_is_secret("ibanish")
    assert not scrubber.key_is_secret("CSRFToken")
    assert (
        scrubber.query("state=CA&code=1&iban=NL91") == f"state=CA&code={REDACTED}&iban={REDACTED}"
    )


def test_each_key_is_matched_once() -> None:
    scrubber = Scrubber()
    for _ in range(3):
        scrubber.attributes({"password": "x", "page": "1"})
    assert scrubber._actions == {"password": 1, "page": 0}


def test_settings_parse_scrub_options_and_reject_bad_patterns() -> None:
    settings = resolve(environ={"CONNECT_SCRUB_EXTRA_PATTERNS": "iban, acct_\\d+",
                                "CONNECT_SCRUB_KEEP": "X-Request-Token"})  # fmt: skip
    assert settings.scrub is True
    assert settings.scrub_extra_patterns == ("iban", "acct_\\d+")
    assert settings.scrub_keep == ("x-request-token",)
    with pytest.raises(ConfigurationError, match=r"CONNECT_SCRUB_EXTRA_PATTERNS.*not one"):
        resolve(environ={"CONNECT_SCRUB_EXTRA_PATTERNS": "iban,acct_(\\d+"})
    with pytest.raises(ConfigurationError, match="CONNECT_SCRUB_EXTRA_PATTERNS"):
        resolve(overrides={"scrub_extra_patterns": ["ok", 3]})
    with pytest.raises(ConfigurationError, match=r"CONNECT_SCRUB\b"):
        resolve(environ={"CONNECT_SCRUB": "maybe"})


def test_settings_parse_tail_sampling_options() -> None:
    settings = resolve(environ={})
    assert (settings.trace_keep_errors, settings.trace_keep_slower_than) == (True, None)
    settings = resolve(environ={"CONNECT_TRACE_KEEP_SLOWER_THAN": "0.5"})
    assert settings.trace_keep_slower_than == 0.5
    for bad in ("0", "-1", "soon"):
        with pytest.raises(ConfigurationError, match="CONNECT_TRACE_KEEP_SLOWER_THAN"):
            resolve(environ={"CONNECT_TRACE_KEEP_SLOWER_THAN": bad})
