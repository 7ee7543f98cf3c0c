"""Connect's settings as Plain itself shows them: declared once per package, secrets masked."""

from __future__ import annotations

import subprocess

import pytest

from connect_integration.examples import APPS, EXAMPLES
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
