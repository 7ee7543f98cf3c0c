"""A package's settings, declared once: resolution, validation, masking and documentation.

Precedence, highest first: keyword arguments (the setting's name in any case), environment
variables (`CONNECT_<NAME>`, then `PLAIN_CONNECT_<NAME>`, then any standard variable listed for
the setting), the framework's settings (`CONNECT_<NAME>`), framework-derived defaults (an app's
name or version), the default.

A setting may have other names (`aliases`: the names plain.connect used in other releases),
accepted everywhere its own name is. The first of them is the preferred name. Two names of one
setting given different values, wherever each comes from, is an error that names both.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from connect_config.parsers import MASK, Parser

ENV_PREFIXES = ("CONNECT_", "PLAIN_CONNECT_")
# What a framework's settings file may hold for a setting that takes several values.
TEXT_OR_LIST: Any = str | list[str]


class ConfigurationError(ValueError):
    """A setting has a value Connect cannot use. Raised at start-up, never inside a request."""


@dataclass(frozen=True)
class Setting:
    name: str  # without the prefix: EXPORT_TOKEN
    parser: Parser[Any]
    default: object  # as a user would write it; parsed like any other value
    doc: str
    secret: bool = False
    extra_env: tuple[str, ...] = ()
    # The type a framework's settings file holds it as (Plain checks settings against it):
    # a type, or `TEXT_OR_LIST` for settings that take a list or a comma-separated string.
    kind: Any = str
    # Other names of the same setting (without the prefix); the first is the preferred name.
    aliases: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return self.name.lower()

    @property
    def names(self) -> tuple[str, ...]:
        """Every name of the setting, the preferred one first."""
        return (*self.aliases, self.name)

    @property
    def framework_name(self) -> str:
        return "CONNECT_" + self.names[0]

    @property
    def framework_names(self) -> tuple[str, ...]:
        return tuple("CONNECT_" + name for name in self.names)

    @property
    def env_names(self) -> tuple[str, ...]:
        return self.name_env_names(self.names[0]) + tuple(
            env for name in self.names[1:] for env in self.name_env_names(name)
        )

    def name_env_names(self, name: str) -> tuple[str, ...]:
        """The environment variables of one of its names; standard ones go with the setting's
        own name."""
        extra = self.extra_env if name == self.name else ()
        return tuple(prefix + name for prefix in ENV_PREFIXES) + extra

    def shown(self, value: object) -> str:
        """The value as messages and reprs may show it: secrets are masked."""
        if self.secret and value not in ("", None):
            return repr(MASK)
        return self.parser.show(value)


class SettingsBase:
    """Base of a package's settings dataclass: its repr never shows a secret."""

    __secret_fields__: ClassVar[frozenset[str]] = frozenset()

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{field.name}={MASK!r}"
            if field.name in self.__secret_fields__ and getattr(self, field.name)
            else f"{field.name}={getattr(self, field.name)!r}"
            for field in dataclasses.fields(self)  # type: ignore[arg-type]
        )
        return f"{type(self).__name__}({shown})"


S = TypeVar("S", bound=SettingsBase)


class SettingsTable(Generic[S]):
    """One package's settings and the dataclass they resolve into (one field per setting)."""

    def __init__(self, package: str, settings: Iterable[Setting], result: type[S]) -> None:
        self.package = package
        self.settings = tuple(settings)
        self.result = result
        self._by_key = {setting.key: setting for setting in self.settings}
        self._keyword_names = {
            name.lower(): setting for setting in self.settings for name in setting.names
        }
        declared = [field.name for field in dataclasses.fields(result)]  # type: ignore[arg-type]
        if declared != list(self._by_key):
            raise TypeError(f"{result.__name__} fields {declared} differ from the table")
        result.__secret_fields__ = frozenset(s.key for s in self.settings if s.secret)

    def resolve(
        self,
        overrides: Mapping[str, object] | None = None,
        framework: Mapping[str, object] | None = None,
        framework_defaults: Mapping[str, object] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> S:
        """Every setting by precedence, validated; `ConfigurationError` names a bad one.

        `overrides` are keyword arguments; `framework` maps `CONNECT_<NAME>` to the framework's
        configured values; `framework_defaults` maps `<NAME>` to what the framework knows.
        """
        keywords = self._keywords(overrides or {})
        environ = os.environ if environ is None else environ
        framework = framework or {}
        framework_defaults = framework_defaults or {}
        values: dict[str, Any] = {}
        for setting in self.settings:
            given = _given(setting, keywords, framework, environ)
            if given:
                name, source, raw = given[0]
            elif framework_defaults.get(setting.name) not in (None, ""):
                name = setting.names[0]
                source = f"framework default for {setting.framework_name}"
                raw = framework_defaults[setting.name]
            else:
                name, source, raw = setting.names[0], "default", setting.default
            values[setting.key] = _parse(setting, source, raw, name)
            _refuse_disagreeing_names(setting, given, values[setting.key])
        return self.result(**values)

    def setting(self, key: str) -> Setting:
        """The setting whose field is `key` (`export_token`)."""
        return self._by_key[key]

    def framework_values(self, lookup: Callable[[str], object]) -> dict[str, object]:
        """`CONNECT_<NAME>` -> value for each name of each setting, read through a framework's
        `lookup`."""
        return {name: lookup(name) for setting in self.settings for name in setting.framework_names}

    def markdown(self) -> str:
        """The settings table of the package's README."""
        rows = [
            "| setting | default | accepts | environment | meaning |",
            "| --- | --- | --- | --- | --- |",
        ]
        for setting in self.settings:
            names = "<br>".join(f"`{name}`" for name in setting.framework_names)
            variables = ", ".join(f"`{name}`" for name in setting.env_names)
            secret = " Secret: never shown in messages." if setting.secret else ""
            other = ""
            if setting.aliases:
                others = ", ".join(f"`{name}`" for name in setting.framework_names[1:])
                other = f" Preferred name: `{setting.framework_name}`; also read as {others}."
            rows.append(
                f"| {names} | `{setting.default!r}` | "
                f"{setting.parser.accepts} | {variables} | {setting.doc}{other}{secret} |"
            )
        return "\n".join(rows)

    def listing(self) -> str:
        """The settings as a terminal shows them."""
        return "\n".join(
            f"{' = '.join(setting.framework_names)} (default {setting.default!r})\n"
            f"    {setting.doc}\n"
            f"    accepts: {setting.parser.accepts}\n"
            f"    environment: {', '.join(setting.env_names)}"
            for setting in self.settings
        )

    def _keywords(self, overrides: Mapping[str, object]) -> dict[str, tuple[str, object]]:
        # Each name of a setting keeps its own entry, so that two names can be told apart.
        keywords: dict[str, tuple[str, object]] = {}
        for given, value in overrides.items():
            name = given.lower()
            if name not in self._keyword_names:
                close = difflib.get_close_matches(name, list(self._keyword_names), n=1)
                hint = f"; did you mean {close[0]}?" if close else ""
                raise ConfigurationError(
                    f"{given!r} is not a {self.package} setting{hint} "
                    f"Known (in any case): {', '.join(self._keyword_names)}"
                )
            if name in keywords:
                raise ConfigurationError(f"{self.package} setting {name} is given twice")
            keywords[name] = (given, value)
        return keywords


def _given(
    setting: Setting,
    keywords: Mapping[str, tuple[str, object]],
    framework: Mapping[str, object],
    environ: Mapping[str, str],
) -> list[tuple[str, str, object]]:
    """(name, source, value) wherever the setting is given, highest precedence first: keywords,
    the environment, the framework's settings; the names in order within each."""
    given: list[tuple[str, str, object]] = []
    for name in setting.names:
        if name.lower() in keywords:
            spelled, value = keywords[name.lower()]
            given.append((name, f"keyword argument {spelled}", value))
    for name in setting.names:
        for env_name in setting.name_env_names(name):
            if env_name in environ:
                given.append((name, f"environment variable {env_name}", environ[env_name]))
                break
    for name in setting.names:
        framework_name = "CONNECT_" + name
        if framework.get(framework_name) is not None:
            given.append((name, f"setting {framework_name}", framework[framework_name]))
    return given


def _refuse_disagreeing_names(
    setting: Setting, given: list[tuple[str, str, object]], value: object
) -> None:
    """Two names of one setting with different values: which one was meant is anyone's guess."""
    if not setting.aliases or not given:
        return
    chosen_name, chosen_source, _ = given[0]
    for name, source, raw in given[1:]:
        if name != chosen_name and _parse(setting, source, raw, name) != value:
            raise ConfigurationError(
                f"{chosen_source} and {source} are two names of one setting "
                f"({setting.framework_name}) with different values: set only one "
                f"(`{setting.framework_name}` is the preferred name)"
            )


def _parse(setting: Setting, source: str, raw: object, name: str) -> object:
    reason = ""
    if _unencodable(raw):
        reason = "it holds characters that cannot be encoded as UTF-8"
    else:
        try:
            return setting.parser(raw)
        except ValueError as error:
            reason = str(error)
    because = f" ({reason})" if reason else ""
    # Named as the user wrote it; a renamed setting's other names follow.
    names = ["CONNECT_" + name] + [n for n in setting.framework_names if n != "CONNECT_" + name]
    also = f" (also named {', '.join(names[1:])})" if len(names) > 1 else ""
    raise ConfigurationError(
        f"{source} = {setting.shown(raw)} is not valid for {names[0]}{also}{because}: "
        f"expected {setting.parser.accepts}"
    )


def _unencodable(raw: object) -> bool:
    # Odd bytes in the environment decode to lone surrogates, which no encoder will take.
    items = raw if isinstance(raw, (list, tuple)) else (raw,)
    for item in items:
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
    return False
