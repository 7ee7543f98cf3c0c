"""Connect's settings as Plain itself shows and checks them: declared once per package, secrets
masked, and `plain preflight` warning when page views cannot be attributed."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from connect_integration.examples import APPS, EXAMPLES
from connect_integration.postgres import postgres_server
from connect_testkit.scripts import clean_environ

SECRETS = {
    "PLAIN_CONNECT_EXPORT_TOKEN": "tok-plain-settings-secret",
    # plain.connect 0.5's name and 0.6's for one setting: both declared, both masked.
    "PLAIN_CONNECT_PAGEVIEWS_IDENTITY_KEY": "plain-settings-identity-key",
    "PLAIN_CONNECT_SECRET_KEY": "plain-settings-identity-key",
}


def test_plain_lists_every_connect_setting_and_masks_the_secrets() -> None:
    if "plain" not in EXAMPLES:
        pytest.skip("Plain needs Python 3.13+: integration/bin/setup makes .venv-plain")
    python = EXAMPLES["plain"].python
    result = subprocess.run(
        [python, "-m", "plain", "settings", "list"],
        cwd=APPS / "plain",
        env=clean_environ(PLAIN_POSTGRES_URL="postgres://unused@127.0.0.1:9/unused", **SECRETS),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    rows = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    for variable, value in SECRETS.items():
        name = variable.removeprefix("PLAIN_")
        assert variable in rows[name] and "********" in rows[name]
        assert value not in result.stdout
    assert "CONNECT_EXPORT_URL" in rows and "CONNECT_PAGEVIEWS_URL" in rows
    assert "CONNECT_PAGEVIEWS_PUBLIC_TOKEN" in rows and "CONNECT_PAGEVIEWS_TOKEN" in rows
    # Both packages read it; Plain takes a setting's declaration once.
    assert "CONNECT_CLOUD_URL" in rows


def preflight_ids(database_url: str, **env: str) -> set[str]:
    result = subprocess.run(
        [EXAMPLES["plain"].python, "-m", "plain", "preflight", "--format", "json"],
        cwd=APPS / "plain",
        env=clean_environ(DATABASE_URL=database_url, **env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    report = json.loads(result.stdout)
    return {issue["id"] for check in report["checks"] for issue in check.get("issues", [])}


def test_plain_preflight_warns_when_the_secret_is_missing() -> None:
    if "plain" not in EXAMPLES:
        pytest.skip("Plain needs Python 3.13+: integration/bin/setup makes .venv-plain")
    token = {"PLAIN_CONNECT_PAGEVIEWS_PUBLIC_TOKEN": "pv_preflight"}
    with postgres_server() as database_url:
        assert "connect.secret_key_missing" in preflight_ids(database_url, **token)
        secret = {"PLAIN_CONNECT_SECRET_KEY": "a-preflight-secret-key"}
        assert "connect.secret_key_missing" not in preflight_ids(database_url, **token, **secret)


def test_settings_that_take_several_values_take_a_list_in_plain(tmp_path: Path) -> None:
    if "plain" not in EXAMPLES:
        pytest.skip("Plain needs Python 3.13+: integration/bin/setup makes .venv-plain")
    (tmp_path / "listed_settings.py").write_text(
        "from app.settings import *  # noqa: F403\n"
        'CONNECT_EXCLUDED_PATHS = ["/health", "/static/"]\n'
        'CONNECT_SCRUB_KEEP = ["state"]\n'
        'CONNECT_TRACE_PROPAGATION_TARGETS = ["loopback", ".example.com"]\n'
    )
    result = subprocess.run(
        [EXAMPLES["plain"].python, "-m", "plain", "settings", "list"],
        cwd=APPS / "plain",
        env=clean_environ(
            PLAIN_POSTGRES_URL="postgres://unused@127.0.0.1:9/unused",
            PLAIN_SETTINGS_MODULE="listed_settings",
            PYTHONPATH=f"{tmp_path}:{APPS / 'plain'}",
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "['/health', '/static/']" in result.stdout
