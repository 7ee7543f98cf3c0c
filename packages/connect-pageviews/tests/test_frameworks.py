"""The tag through real requests to real apps: Django and Flask under gunicorn, Starlette under
uvicorn. What a browser would receive is parsed and checked attribute by attribute."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from connect_pageviews import decrypt_identity
from connect_testkit.markup import script_attributes, shows
from connect_testkit.ports import free_port
from connect_testkit.scripts import clean_environ
from connect_testkit.servers import Server, gunicorn, run_server, uvicorn

APPS = Path(__file__).parent / "apps"
KEY = "framework-identity-key"
TOKEN = "pv_framework_token"


@dataclass(frozen=True)
class Framework:
    name: str
    module: str
    route: str
    user_id: str
    nonce: str | None

    def argv(self, port: int) -> list[str]:
        if self.name == "starlette":
            return uvicorn(f"{self.module}:app", port)
        app = "application" if self.name == "django" else "app"
        return gunicorn(f"{self.module}:{app}", port)


FRAMEWORKS = [
    Framework("django", "django_site", "/blog/<slug:slug>/", "987654", "from-django-csp"),
    Framework("flask", "flask_site", "/blog/<slug>/", "u-73519", "flask-nonce"),
    Framework("starlette", "starlette_site", "/blog/{slug}/", "u-28461", None),
]


@dataclass
class Site:
    framework: Framework
    server: Server

    def get(self, path: str, cookie: str = "") -> tuple[str, dict[str, str]]:
        status, body, headers = self.server.request(
            path, headers={"Cookie": cookie} if cookie else {}
        )
        assert status == 200, body.decode() + self.server.output()[-3000:]
        return body.decode(), headers

    def sign_in(self) -> str:
        if self.framework.name == "starlette":
            return f"demo_user={self.framework.user_id}"
        status, _, headers = self.server.request(f"/sign-in/{self.framework.user_id}/")
        assert status == 200
        return "; ".join(
            part.split(";", 1)[0] for name, part in headers.items() if name.lower() == "set-cookie"
        )


def start(framework: Framework, tmp: Path, **env: str) -> Iterator[Site]:
    environ = clean_environ(PYTHONPATH=str(APPS), DB_PATH=str(tmp / "db.sqlite3"), **env)
    if framework.name == "starlette":  # no Flask-Login there: the app names its own lookup
        environ["CONNECT_PAGEVIEWS_USER_ID"] = "starlette_site.user_id"
    if framework.name == "django":
        subprocess.run(
            [sys.executable, "-c", "import django_site; from django.core.management import "
             "call_command; call_command('migrate', verbosity=0)"],
            env=environ, check=True, timeout=120,
        )  # fmt: skip
    port = free_port()
    with run_server(framework.argv(port), environ, port, ready_path="/blog/ready/") as server:
        yield Site(framework, server)


@pytest.fixture(params=FRAMEWORKS, ids=[f.name for f in FRAMEWORKS], scope="module")
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    framework: Framework = request.param
    yield from start(
        framework,
        tmp_path_factory.mktemp(framework.name),
        CONNECT_PAGEVIEWS_TOKEN=TOKEN,
        CONNECT_PAGEVIEWS_IDENTITY_KEY=KEY,
        CONNECT_PAGEVIEWS_URL="https://beacon.example.com/v1",
    )


def the_tag(html: str) -> dict[str, str | None]:
    (tag,) = script_attributes(html)
    return tag


def test_anonymous_visit_renders_every_attribute(site: Site) -> None:
    html, headers = site.get("/blog/hello-world/")
    tag = the_tag(html)
    assert tag["data-token"] == TOKEN
    assert tag["data-pageviews-url"] == "https://beacon.example.com/v1"
    assert tag["data-identity"] == ""
    assert tag["data-route"] == site.framework.route
    assert tag["data-trace-id"] == ""
    assert "async" in tag
    if site.framework.name == "django":
        # The per-request nonce (django-csp's, or Django 6's own), the one its header allows.
        assert tag["nonce"]
        assert f"'nonce-{tag['nonce']}'" in headers["Content-Security-Policy"]
    else:
        assert tag.get("nonce") == site.framework.nonce


def test_signed_in_visit_carries_an_identity_only_the_endpoint_can_read(site: Site) -> None:
    cookie = site.sign_in()
    html, _ = site.get("/blog/hello-world/", cookie)
    identity = the_tag(html)["data-identity"]
    assert identity
    assert decrypt_identity(identity, KEY) == site.framework.user_id
    raw = base64.urlsafe_b64decode(identity)
    independent = AESGCM(hashlib.sha256(KEY.encode()).digest()).decrypt(raw[:12], raw[12:], None)
    assert independent.decode() == site.framework.user_id
    assert not shows(html, site.framework.user_id)
    second, _ = site.get("/blog/hello-world/", cookie)
    assert the_tag(second)["data-identity"] != identity, "a token never repeats"


def test_served_script_is_the_bundle_its_integrity_names(site: Site) -> None:
    html, _ = site.get("/blog/hello-world/")
    tag = the_tag(html)
    src, integrity = tag["src"], tag["integrity"]
    assert src and integrity
    status, body, _ = site.server.request(src)
    assert status == 200
    bundle = (
        Path(__file__).parents[1] / "src/connect_pageviews/static/connect_pageviews/pageviews.js"
    ).read_bytes()
    assert body == bundle
    assert integrity == "sha384-" + base64.b64encode(hashlib.sha384(body).digest()).decode()


@pytest.mark.parametrize("framework", FRAMEWORKS, ids=[f.name for f in FRAMEWORKS])
def test_nothing_is_rendered_without_the_token(framework: Framework, tmp_path: Path) -> None:
    for running in start(framework, tmp_path):
        html, _ = running.get("/blog/hello-world/")
        assert script_attributes(html) == []
        assert "connect" not in html.lower()
