from __future__ import annotations

import logging

import pytest

from connect_otel.settings import TABLE, ConfigurationError, Settings, resolve


def test_defaults_match_the_design() -> None:
    settings = resolve(environ={})
    assert settings.export_enabled is True
    assert settings.export_url == "https://ingest.plainframework.com"
    assert settings.export_token == ""
    assert settings.trace_sample_rate == 1.0
    assert settings.export_logs is True
    assert settings.log_level == logging.INFO
    assert not settings.active


def test_every_setting_reads_both_environment_prefixes() -> None:
    for setting in TABLE.settings:
        assert f"CONNECT_{setting.name}" in setting.env_names
        assert f"PLAIN_CONNECT_{setting.name}" in setting.env_names


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("EXPORT_ENABLED", "false", False),
        ("EXPORT_ENABLED", "On", True),
        ("EXPORT_URL", "http://collector:4318/", "http://collector:4318"),
        ("EXPORT_TOKEN", " tok-123 ", "tok-123"),
        ("TRACE_SAMPLE_RATE", "0.25", 0.25),
        ("EXPORT_LOGS", "0", False),
        ("LOG_LEVEL", "warning", logging.WARNING),
        ("LOG_LEVEL", "15", 15),
        ("SERVICE_NAME", "shop", "shop"),
        ("SERVICE_VERSION", "1.2.3", "1.2.3"),
        ("ENVIRONMENT", "staging", "staging"),
        ("EXCLUDED_PATHS", "/up, /internal/", ("/up", "/internal/")),
        ("METRICS_INTERVAL", "5", 5.0),
        ("EXPORT_TIMEOUT", "2.5", 2.5),
    ],
)
def test_environment_values_are_parsed(name: str, raw: str, expected: object) -> None:
    settings = resolve(environ={f"CONNECT_{name}": raw})
    assert getattr(settings, name.lower()) == expected


@pytest.mark.parametrize(
    ("name", "bad", "accepted"),
    [
        ("trace_sample_rate", 1.5, "from 0 to 1"),
        ("trace_sample_rate", "half", "from 0 to 1"),
        ("log_level", "LOUD", "level name"),
        ("log_level", -1, "level name"),
        ("export_url", "ingest.example.com", "http:// or https://"),
        ("export_url", "ftp://ingest.example.com", "http:// or https://"),
        ("export_url", "http://user:pass@ingest.example.com", "no credentials"),
        ("export_url", "http://ingest.example.com\r\n", "control characters"),
        ("export_url", "http://ingest.example.com:43a8", "port"),
        ("export_url", "http://ingest example.com", "spaces"),
        ("export_url", "http://ingest.example.com/#x", "fragment"),
        ("export_url", "http://ingest.example.com?", "query"),
        ("export_token", "abc\ndef", "without spaces or line breaks"),
        ("export_token", "abc def", "without spaces or line breaks"),
        ("export_enabled", "maybe", "true or false"),
        ("excluded_paths", "health", "starting with '/'"),
        ("metrics_interval", 0, "from 1 to 86400 seconds"),
        ("metrics_interval", 1e-9, "from 1 to 86400 seconds"),
        ("export_timeout", 1e-9, "from 0.5 to 300 seconds"),
        ("trace_sample_rate", 10**400, "from 0 to 1"),
        ("metrics_interval", 10**400, "from 1 to 86400"),
        ("service_name", "two\nlines", "single line"),
        ("service_name", "bell\x07", "control characters"),
        ("service_name", "caf\udce9", "cannot be encoded as UTF-8"),
    ],
)
def test_bad_values_name_the_setting_and_what_it_accepts(
    name: str, bad: object, accepted: str
) -> None:
    with pytest.raises(ConfigurationError) as raised:
        resolve({name: bad}, environ={})
    message = str(raised.value)
    assert f"CONNECT_{name.upper()}" in message
    assert accepted in message


def test_bad_environment_value_names_the_variable() -> None:
    with pytest.raises(ConfigurationError, match="PLAIN_CONNECT_TRACE_SAMPLE_RATE"):
        resolve(environ={"PLAIN_CONNECT_TRACE_SAMPLE_RATE": "2"})


def test_unknown_keyword_is_an_error_listing_the_known_ones() -> None:
    with pytest.raises(ConfigurationError, match=r"export_tokn.*export_token"):
        resolve({"export_tokn": "x"}, environ={})


def test_keywords_in_upper_case_are_the_same_settings() -> None:
    assert resolve({"EXPORT_TOKEN": "t", "Trace_Sample_Rate": 0.5}, environ={}).active
    assert resolve({"TRACE_SAMPLE_RATE": 0.5}, environ={}).trace_sample_rate == 0.5


def test_a_rejected_token_is_never_printed_and_the_repr_masks_it() -> None:
    for source in ({"overrides": {"export_token": "my real secret"}}, {}):
        environ = {} if source else {"CONNECT_EXPORT_TOKEN": "my real secret"}
        with pytest.raises(ConfigurationError) as raised:
            resolve(source.get("overrides"), environ=environ)
        assert "my real secret" not in str(raised.value)
    settings = resolve({"export_token": "tok-abc-123"}, environ={})
    assert "tok-abc-123" not in repr(settings) and "export_token='********'" in repr(settings)


def test_a_url_with_credentials_is_refused_without_printing_them() -> None:
    with pytest.raises(ConfigurationError) as raised:
        resolve(environ={"CONNECT_EXPORT_URL": "http://user:hunter2@ingest.example.com"})
    assert "hunter2" not in str(raised.value) and "CONNECT_EXPORT_URL" in str(raised.value)


def test_precedence_keyword_then_environment_then_framework_then_default() -> None:
    def token(**sources: dict[str, str]) -> str:
        return resolve(
            sources.get("overrides"),
            framework=sources.get("framework"),
            framework_defaults=sources.get("framework_defaults"),
            environ=sources.get("environ", {}),
        ).export_token

    framework = {"CONNECT_EXPORT_TOKEN": "from-framework"}
    environ = {"PLAIN_CONNECT_EXPORT_TOKEN": "from-plain-env", "CONNECT_EXPORT_TOKEN": "from-env"}
    assert token() == ""
    assert token(framework=framework) == "from-framework"
    assert token(framework=framework, environ={"PLAIN_CONNECT_EXPORT_TOKEN": "p"}) == "p"
    assert token(framework=framework, environ=environ) == "from-env"
    assert token(overrides={"export_token": "kw"}, framework=framework, environ=environ) == "kw"


def test_service_name_precedence_includes_the_standard_variable_and_the_framework() -> None:
    defaults = {"SERVICE_NAME": "app-name"}
    assert resolve(framework_defaults=defaults, environ={}).service_name == "app-name"
    configured = {"CONNECT_SERVICE_NAME": "configured"}
    assert resolve(framework=configured, framework_defaults=defaults, environ={}).service_name == (
        "configured"
    )
    otel = {"OTEL_SERVICE_NAME": "otel-name"}
    assert resolve(framework=configured, environ=otel).service_name == "otel-name"
    both = {"OTEL_SERVICE_NAME": "otel-name", "CONNECT_SERVICE_NAME": "connect-name"}
    assert resolve(environ=both).service_name == "connect-name"


def test_framework_value_of_none_falls_through_to_the_default() -> None:
    assert resolve(framework={"CONNECT_TRACE_SAMPLE_RATE": None}, environ={}).trace_sample_rate == 1


def test_token_is_active_only_with_export_enabled() -> None:
    assert resolve({"export_token": "t"}, environ={}).active
    assert not resolve({"export_token": "t", "export_enabled": False}, environ={}).active


def excluded(paths: tuple[str, ...]) -> Settings:
    return resolve({"excluded_paths": paths}, environ={})


def test_excluded_paths_are_exact_unless_they_end_in_a_slash() -> None:
    settings = excluded(("/health", "/static/"))
    assert settings.path_is_excluded("/health")
    assert not settings.path_is_excluded("/healthcheck-report")
    assert settings.path_is_excluded("/static/app.css")
    assert not settings.path_is_excluded("/statistics")


def test_readme_settings_table_is_the_generated_one() -> None:
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    start = readme.index("<!-- settings-table")
    table = readme[readme.index("\n", start) + 1 : readme.index("<!-- /settings-table -->")]
    assert table.strip() == TABLE.markdown(), "run `connect-otel settings --markdown`"
