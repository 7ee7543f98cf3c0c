"""A package's settings, declared once: resolution, validation, masking and documentation.

Precedence, highest first: keyword arguments (the setting's name in any case), environment
variables (`CONNECT_<NAME>`, then `PLAIN_CONNECT_<NAME>`, then any standard variable listed for
the setting), the framework's settings (`CONNECT_<NAME>`), framework-derived defaults (an app's
name or version), the default.
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
    # The type a framework's settings file holds it as (Plain checks settings against it).
    kind: type = str

    @property
    def key(self) -> str:
        return self.name.lower()

    @property
    def framework_name(self) -> str:
        return "CONNECT_" + self.name

    @property
    def env_names(self) -> tuple[str, ...]:
        return tuple(prefix + self.name for prefix in ENV_PREFIXES) + self.extra_env

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
            source, raw = _lookup(setting, keywords, framework, framework_defaults, environ)
            values[setting.key] = _parse(setting, source, raw)
        return self.result(**values)

    def framework_values(self, lookup: Callable[[str], object]) -> dict[str, object]:
        """`CONNECT_<NAME>` -> value for each setting, read through a framework's `lookup`."""
        return {setting.framework_name: lookup(setting.framework_name) for setting in self.settings}

    def markdown(self) -> str:
        """The settings table of the package's README."""
        rows = [
            "| setting | default | accepts | environment | meaning |",
            "| --- | --- | --- | --- | --- |",
        ]
        for setting in self.settings:
            variables = ", ".join(f"`{name}`" for name in setting.env_names)
            secret = " Secret: never shown in messages." if setting.secret else ""
            rows.append(
                f"| `{setting.framework_name}` | `{setting.default!r}` | "
                f"{setting.parser.accepts} | {variables} | {setting.doc}{secret} |"
            )
        return "\n".join(rows)

    def listing(self) -> str:
        """The settings as a terminal shows them."""
        return "\n".join(
            f"{setting.framework_name} (default {setting.default!r})\n    {setting.doc}\n"
            f"    accepts: {setting.parser.accepts}\n"
            f"    environment: {', '.join(setting.env_names)}"
            for setting in self.settings
        )

    def _keywords(self, overrides: Mapping[str, object]) -> dict[str, tuple[str, object]]:
        keywords: dict[str, tuple[str, object]] = {}
        for given, value in overrides.items():
            key = given.lower()
            if key not in self._by_key:
                close = difflib.get_close_matches(key, list(self._by_key), n=1)
                hint = f"; did you mean {close[0]}?" if close else ""
                raise ConfigurationError(
                    f"{given!r} is not a {self.package} setting{hint} "
                    f"Known (in any case): {', '.join(self._by_key)}"
                )
            if key in keywords:
                raise ConfigurationError(f"{self.package} setting {key} is given twice")
            keywords[key] = (given, value)
        return keywords


def _lookup(
    setting: Setting,
    keywords: Mapping[str, tuple[str, object]],
    framework: Mapping[str, object],
    framework_defaults: Mapping[str, object],
    environ: Mapping[str, str],
) -> tuple[str, object]:
    if setting.key in keywords:
        given, value = keywords[setting.key]
        return f"keyword argument {given}", value
    for env_name in setting.env_names:
        if env_name in environ:
            return f"environment variable {env_name}", environ[env_name]
    if framework.get(setting.framework_name) is not None:
        return f"setting {setting.framework_name}", framework[setting.framework_name]
    if framework_defaults.get(setting.name) not in (None, ""):
        return f"framework default for {setting.framework_name}", framework_defaults[setting.name]
    return "default", setting.default


def _parse(setting: Setting, source: str, raw: object) -> object:
    reason = ""
    if _unencodable(raw):
        reason = "it holds characters that cannot be encoded as UTF-8"
    else:
        try:
            return setting.parser(raw)
        except ValueError as error:
            reason = str(error)
    because = f" ({reason})" if reason else ""
    raise ConfigurationError(
        f"{source} = {setting.shown(raw)} is not valid for {setting.framework_name}{because}: "
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
