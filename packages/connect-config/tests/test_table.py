"""A table resolves by precedence, names a bad setting, and never shows a secret."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from connect_config import ConfigurationError, Setting, SettingsBase, SettingsTable
from connect_config import parsers as p


@dataclass(frozen=True, repr=False)
class Example(SettingsBase):
    api_token: str
    rate: float
    name: str


TABLE = SettingsTable(
    "example",
    (
        Setting("API_TOKEN", p.token, "", "A secret.", secret=True),
        Setting("RATE", p.ranged(0.0, 1.0), 1.0, "A rate.", kind=float),
        Setting("NAME", p.line, "", "A name.", extra_env=("OTEL_SERVICE_NAME",)),
    ),
    Example,
)


def test_precedence_keyword_environment_framework_framework_default_default() -> None:
    def name(**sources: dict[str, str]) -> str:
        return TABLE.resolve(
            sources.get("keywords"),
            sources.get("framework"),
            sources.get("framework_defaults"),
            sources.get("environ", {}),
        ).name

    assert name() == ""
    assert name(framework_defaults={"NAME": "app"}) == "app"
    assert name(framework={"CONNECT_NAME": "fw"}, framework_defaults={"NAME": "app"}) == "fw"
    assert name(framework={"CONNECT_NAME": "fw"}, environ={"OTEL_SERVICE_NAME": "otel"}) == "otel"
    environ = {"OTEL_SERVICE_NAME": "otel", "PLAIN_CONNECT_NAME": "plain"}
    assert name(environ=environ) == "plain"
    assert name(environ={**environ, "CONNECT_NAME": "connect"}) == "connect"
    assert name(keywords={"name": "kw"}, environ={"CONNECT_NAME": "connect"}) == "kw"


def test_keywords_are_accepted_in_any_case() -> None:
    assert TABLE.resolve({"API_TOKEN": "t"}, environ={}).api_token == "t"
    assert TABLE.resolve({"Rate": 0.5}, environ={}).rate == 0.5


def test_an_unknown_keyword_is_an_error_with_the_closest_name() -> None:
    with pytest.raises(ConfigurationError, match=r"'api_tokn'.*did you mean api_token"):
        TABLE.resolve({"api_tokn": "x"}, environ={})


def test_a_keyword_given_twice_in_two_cases_is_an_error() -> None:
    with pytest.raises(ConfigurationError, match="given twice"):
        TABLE.resolve({"rate": 0.1, "RATE": 0.2}, environ={})


def test_a_bad_value_names_the_setting_its_source_and_what_it_accepts() -> None:
    with pytest.raises(ConfigurationError) as raised:
        TABLE.resolve(environ={"PLAIN_CONNECT_RATE": "1.5"})
    message = str(raised.value)
    assert "environment variable PLAIN_CONNECT_RATE = '1.5'" in message
    assert "CONNECT_RATE" in message and "a number from 0 to 1" in message


def test_overflowing_numbers_get_the_settings_error() -> None:
    with pytest.raises(ConfigurationError, match="CONNECT_RATE"):
        TABLE.resolve({"rate": 10**400}, environ={})


@pytest.mark.parametrize(
    ("keywords", "environ"),
    [({"api_token": "my real secret"}, {}), (None, {"CONNECT_API_TOKEN": "my real secret"})],
)
def test_a_rejected_secret_is_never_shown(
    keywords: dict[str, object] | None, environ: dict[str, str]
) -> None:
    with pytest.raises(ConfigurationError) as raised:
        TABLE.resolve(keywords, environ=environ)
    assert "my real secret" not in str(raised.value)
    assert "CONNECT_API_TOKEN" in str(raised.value) and "********" in str(raised.value)


def test_values_that_cannot_be_encoded_are_refused_for_every_setting() -> None:
    odd = "caf\udce9"  # what os.environ holds for the byte 0xE9 of a Latin-1 value
    for setting in TABLE.settings:
        with pytest.raises(ConfigurationError, match="cannot be encoded as UTF-8"):
            TABLE.resolve(environ={setting.env_names[0]: odd})


def test_the_repr_masks_secrets_and_shows_the_rest() -> None:
    resolved = TABLE.resolve({"api_token": "my-real-secret", "name": "shop"}, environ={})
    assert "my-real-secret" not in repr(resolved)
    assert "api_token='********'" in repr(resolved) and "name='shop'" in repr(resolved)
    assert "api_token=''" in repr(TABLE.resolve(environ={}))


def test_framework_values_read_every_setting_through_the_lookup() -> None:
    config = {"CONNECT_RATE": 0.5, "CONNECT_UNRELATED": 1}
    assert TABLE.framework_values(config.get) == {
        "CONNECT_API_TOKEN": None,
        "CONNECT_RATE": 0.5,
        "CONNECT_NAME": None,
    }


def test_a_table_refuses_a_dataclass_that_does_not_match_it() -> None:
    with pytest.raises(TypeError, match="differ from the table"):
        SettingsTable("bad", TABLE.settings[:1], Example)


def test_markdown_lists_every_setting_with_what_it_accepts() -> None:
    table = TABLE.markdown()
    assert "| `CONNECT_RATE` | `1.0` | a number from 0 to 1 |" in table
    assert "Secret: never shown" in table.splitlines()[2]


@dataclass(frozen=True, repr=False)
class Renamed(SettingsBase):
    identity_key: str
    public_token: str


RENAMED = SettingsTable(
    "renamed",
    (
        Setting("IDENTITY_KEY", p.line, "", "Renamed once.", secret=True, aliases=("SECRET_KEY",)),
        Setting("PUBLIC_TOKEN", p.token, "", "Renamed twice.", aliases=("NEW_TOKEN", "MID_TOKEN")),
    ),
    Renamed,
)


@pytest.mark.parametrize(
    "sources",
    [
        {"keywords": {"secret_key": "s"}},
        {"keywords": {"IDENTITY_KEY": "s"}},
        {"environ": {"CONNECT_SECRET_KEY": "s"}},
        {"environ": {"PLAIN_CONNECT_SECRET_KEY": "s"}},
        {"environ": {"CONNECT_IDENTITY_KEY": "s"}},
        {"framework": {"CONNECT_SECRET_KEY": "s"}},
        {"framework": {"CONNECT_IDENTITY_KEY": "s"}},
    ],
)
def test_every_name_of_a_setting_is_read_everywhere(sources: dict[str, dict[str, str]]) -> None:
    resolved = RENAMED.resolve(
        sources.get("keywords"), sources.get("framework"), None, sources.get("environ", {})
    )
    assert resolved.identity_key == "s"


def test_two_names_with_different_values_name_both() -> None:
    with pytest.raises(ConfigurationError) as raised:
        RENAMED.resolve(
            framework={"CONNECT_IDENTITY_KEY": "s3cr3t-1"},
            environ={"CONNECT_SECRET_KEY": "s3cr3t-2"},
        )
    message = str(raised.value)
    assert "environment variable CONNECT_SECRET_KEY" in message
    assert "setting CONNECT_IDENTITY_KEY" in message
    assert "s3cr3t" not in message, "a secret is never shown"
    with pytest.raises(ConfigurationError, match=r"mid_token and keyword argument public_token"):
        RENAMED.resolve({"mid_token": "a", "public_token": "b"}, environ={})


def test_two_names_with_the_same_value_agree() -> None:
    environ = {"CONNECT_SECRET_KEY": "same", "PLAIN_CONNECT_IDENTITY_KEY": "same"}
    assert RENAMED.resolve(environ=environ).identity_key == "same"


def test_one_name_in_two_places_keeps_the_usual_precedence() -> None:
    resolved = RENAMED.resolve(
        framework={"CONNECT_SECRET_KEY": "settings"}, environ={"CONNECT_SECRET_KEY": "env"}
    )
    assert resolved.identity_key == "env"


def test_every_name_is_documented_and_read_from_frameworks() -> None:
    table = RENAMED.markdown()
    assert "`CONNECT_NEW_TOKEN`<br>`CONNECT_MID_TOKEN`<br>`CONNECT_PUBLIC_TOKEN`" in table
    assert "Preferred name: `CONNECT_NEW_TOKEN`" in table
    assert "`PLAIN_CONNECT_MID_TOKEN`" in table
    read = RENAMED.framework_values(lambda name: name.lower())
    assert set(read) == {
        "CONNECT_SECRET_KEY", "CONNECT_IDENTITY_KEY",
        "CONNECT_NEW_TOKEN", "CONNECT_MID_TOKEN", "CONNECT_PUBLIC_TOKEN",
    }  # fmt: skip
