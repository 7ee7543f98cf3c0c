"""The one word list: names it used to miss, names it used to over-scrub, and URL forms."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from connect_otel._route_redaction import RouteRedactor
from connect_otel._scrubbing import REDACTED, Scrubber
from connect_otel._secret_names import COUNTING, DESCRIBING, PARAMETERS, ROUTE, SECRET

CONNECT_JS = Path(__file__).parents[3] / "connect-js"

MISSED = [
    "password1",
    "new_password2",
    "api_key2",
    "PHPSESSID",
    "JSESSIONID",
    "connect.sid",
    "credentials",
    "bearer",
    "tokens",
    "token_value",
    "otp",
    "pin",
    "passcode",
    "mfa_code",
    "aws_access_key_id",
]
OVER_SCRUBBED = [
    "session_count",
    "session.duration",
    "auth_method",
    "cookies_enabled",
    "signature_version",
    "password_changed_at",
    "csrf_exempt",
    "api_key_id",
    "authority",
    # The semantic conventions' session.id names a session; it does not open one.
    "session.id",
    "gen_ai.usage.input_tokens",
]


@pytest.mark.parametrize("name", MISSED)
def test_names_once_missed_are_secret_as_keys_and_parameters(name: str) -> None:
    scrubber = Scrubber()
    assert scrubber.attributes({name: "hunter2"}) == {name: REDACTED}
    assert scrubber.query(f"{name}=hunter2&page=2") == f"{name}={REDACTED}&page=2"


@pytest.mark.parametrize("name", OVER_SCRUBBED)
def test_names_that_describe_a_secret_without_holding_it_are_kept(name: str) -> None:
    scrubber = Scrubber()
    assert scrubber.attributes({name: "42"}) is None
    assert scrubber.query(f"{name}=42") == f"{name}=42"


def test_credentials_inside_values_under_ordinary_keys_are_removed() -> None:
    scrubbed = Scrubber().attributes(
        {
            "db.connection": "postgresql://app:PW@db/x",
            "sentry.dsn_target": "https://0123abcd@o1.ingest.sentry.io/5",
            "contact": "ada@example.com",
        }
    )
    assert scrubbed == {
        "db.connection": "postgresql://db/x",
        "sentry.dsn_target": "https://o1.ingest.sentry.io/5",
        "contact": "ada@example.com",
    }


def test_urls_quoted_in_text_under_ordinary_keys_are_scrubbed() -> None:
    # Django puts the request on its request records; its text is the path with the query.
    request = "<WSGIRequest: GET '/reset/?token=t0k3n&page=2'>"
    query = "SELECT * FROM t WHERE id = ? AND a=1"
    scrubbed = Scrubber().attributes({"request": request, "db.query.text": query})
    assert scrubbed == {
        "request": f"<WSGIRequest: GET '/reset/?token={REDACTED}&page=2'>",
        "db.query.text": query,
    }


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://h/p;jsessionid=ABC?x=1", f"https://h/p;jsessionid={REDACTED}?x=1"),
        ("https://h/p?x=1;token=t;y=2", f"https://h/p?x=1;token={REDACTED};y=2"),
        ("//ada:PW@h/p", "//h/p"),
        ("https://h/login?next=https://b/cb?token=t&page=2", f"https://h/login?next=https://b/cb?token={REDACTED}&page=2"),
        (
            "https://h/login?next=https%3A%2F%2Fb%2Fcb%3Ftoken%3Dt%26page%3D2",
            "https://h/login?next=https%3A%2F%2Fb%2Fcb%3Ftoken%3D%5Bredacted%5D%26page%3D2",
        ),
        ("https://h/?r=https%3A%2F%2Fu%3APW%40b%2F", "https://h/?r=https%3A%2F%2Fb%2F"),
        ("https://h/?next=%2Fdocs%3Fpage%3D2", "https://h/?next=%2Fdocs%3Fpage%3D2"),
    ],
)  # fmt: skip
def test_url_forms(url: str, expected: str) -> None:
    assert Scrubber().url(url) == expected


def test_path_parameters_are_scrubbed_in_url_path_too() -> None:
    scrubbed = Scrubber().attributes(
        {"url.path": "/cart;jsessionid=ABC123", "code.file.path": "/a"}
    )
    assert scrubbed == {"url.path": f"/cart;jsessionid={REDACTED}", "code.file.path": "/a"}


def test_the_beacon_decides_every_name_as_the_scrubber_does() -> None:
    node = shutil.which("node")
    assert node is not None, "node is needed to run the beacon's matcher"
    entries = [*SECRET, *DESCRIBING, *COUNTING, *PARAMETERS, *ROUTE]
    names = [
        *MISSED,
        *OVER_SCRUBBED,
        *entries,
        *(f"{entry}_{after}" for entry in SECRET for after in sorted(DESCRIBING)[:5]),
        *(f"{before}_{entry}" for entry in SECRET for before in sorted(COUNTING)[:3]),
        *(f"x_{entry}_value" for entry in entries),
        *(f"x{entry.title().replace('_', '')}2" for entry in entries),
        *("author", "page", "zip_code", "state_id", "X-Amz-Signature", "HTTPAuthToken"),
        *("userEmail", "uidb64", "activation_key", "item_id", "mailbox", "email_count"),
    ]
    beacon = subprocess.run(
        [node, "scripts/secret-names.js"],
        input=json.dumps(names),
        capture_output=True,
        text=True,
        cwd=CONNECT_JS,
        check=True,
        timeout=60,
    )
    scrubber = Scrubber()
    routes = RouteRedactor(scrubber.parameter_is_secret)
    decisions = {
        name: tuple(pair) for name, pair in zip(names, json.loads(beacon.stdout), strict=True)
    }
    differing = {
        name: beacon_says
        for name, beacon_says in decisions.items()
        if (scrubber.parameter_is_secret(name), routes.parameter_is_secret(name)) != beacon_says
    }
    assert differing == {}
    assert sum(secret for secret, _ in decisions.values()) > 100, "both sides found secrets"
    assert sum(route and not secret for secret, route in decisions.values()) > 5
