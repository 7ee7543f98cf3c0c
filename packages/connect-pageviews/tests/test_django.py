"""The Django tag inside a real Django process: settings changed by tests, failing user lookups,
odd tag arguments, and a project without the request context processor."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from connect_testkit.scripts import clean_environ

APPS = Path(__file__).parent / "apps"
KEY = "django-test-identity-key"


def run_in_django(tmp_path: Path, code: str, **env: str | None) -> subprocess.CompletedProcess[str]:
    """Runs `code` after the test site's start-up; an `env` value of None unsets a variable."""
    variables = {
        "PYTHONPATH": str(APPS),
        "DB_PATH": str(tmp_path / "db.sqlite3"),
        "CONNECT_PAGEVIEWS_TOKEN": "pv_django",
        "CONNECT_PAGEVIEWS_IDENTITY_KEY": KEY,
        **env,
    }
    environ = clean_environ(**{k: v for k, v in variables.items() if v is not None})
    script = "import django_site\n" + textwrap.dedent(code)
    result = subprocess.run(
        [sys.executable, "-c", script], env=environ, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


RENDER = """
    import json
    from django.template import engines
    from django.test import RequestFactory

    def render(source, request=None):
        template = engines["django"].from_string("{% load connect_pageviews %}" + source)
        request = request or RequestFactory().get("/")
        return template.render({}, request)
"""


def test_override_settings_reaches_the_tag(tmp_path: Path) -> None:
    result = run_in_django(
        tmp_path,
        RENDER
        + """
    from django.test import override_settings
    with override_settings(CONNECT_PAGEVIEWS_TOKEN="pv_overridden"):
        inside = render("{% connect_pageviews %}")
    print(json.dumps([inside, render("{% connect_pageviews %}")]))
    """,
        CONNECT_PAGEVIEWS_TOKEN=None,  # the environment would win over Django's settings
    )
    inside, after = json.loads(result.stdout)
    assert 'data-token="pv_overridden"' in inside
    assert after == ""


def test_a_user_lookup_that_raises_still_renders_the_page(tmp_path: Path) -> None:
    result = run_in_django(
        tmp_path,
        RENDER
        + """
    from django.utils.functional import SimpleLazyObject
    from django.test import RequestFactory

    def session_gone():
        raise RuntimeError("the session backend is down")

    request = RequestFactory().get("/")
    request.user = SimpleLazyObject(session_gone)
    print(json.dumps(render("<p>page</p>{% connect_pageviews %}", request)))
    """,
    )
    html = json.loads(result.stdout)
    assert html.startswith("<p>page</p><script") and 'data-identity=""' in html
    assert "finding the signed-in user failed" in result.stderr


def test_a_nonce_argument_of_any_type_renders(tmp_path: Path) -> None:
    result = run_in_django(
        tmp_path, RENDER + '    print(json.dumps(render("{% connect_pageviews nonce=1 %}")))'
    )
    assert 'nonce="1"' in json.loads(result.stdout)


def test_the_root_route_is_slash(tmp_path: Path) -> None:
    result = run_in_django(
        tmp_path,
        RENDER
        + """
    from django.urls import ResolverMatch
    request = RequestFactory().get("/")
    request.resolver_match = ResolverMatch(lambda r: None, (), {}, route="")
    print(json.dumps(render("{% connect_pageviews %}", request)))
    """,
    )
    assert 'data-route="/"' in json.loads(result.stdout)


def test_without_the_request_context_processor_start_up_says_so_once(tmp_path: Path) -> None:
    result = run_in_django(tmp_path, "", WITHOUT_REQUEST_PROCESSOR="1")
    assert result.stderr.count("context_processors.request is not in TEMPLATES") == 1
    quiet = run_in_django(tmp_path, "")
    assert "context_processors.request" not in quiet.stderr


def test_the_system_check_warns_when_the_secret_is_missing(tmp_path: Path) -> None:
    check = "from django.core.management import call_command\ncall_command('check')\n"
    missing = run_in_django(tmp_path, check, CONNECT_PAGEVIEWS_IDENTITY_KEY=None)
    assert "(connect.secret_key_missing)" in missing.stderr
    assert "CONNECT_SECRET_KEY or CONNECT_PAGEVIEWS_IDENTITY_KEY is not" in missing.stderr
    assert "connect.secret_key_missing" not in run_in_django(tmp_path, check).stderr
    renamed = run_in_django(
        tmp_path, check, CONNECT_PAGEVIEWS_IDENTITY_KEY=None, CONNECT_SECRET_KEY=KEY
    )
    assert "connect.secret_key_missing" not in renamed.stderr
