"""Which libraries Connect traces, decided in-process (the real spans are in integration/tests)."""

from __future__ import annotations

import logging
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import ClassVar

import pytest

from connect_otel._instrumentations import DRIVERS, LIBRARIES, Library, instrument, plan

# Present here: a library that is installed with its "instrumentation", one installed without,
# and one that is not installed at all. Standard modules stand in for both sides.
WITH = Library("with", "json", "logging", "Logger")
WITHOUT = Library("without", "csv", "no_such_instrumentation", "Instrumentor")
ABSENT = Library("absent", "no_such_library", "logging", "Logger")
STDLIB = Library("stdlib", "csv", "no_such_instrumentation", "Instrumentor", stdlib=True)
FAKES = (WITH, WITHOUT, ABSENT, STDLIB)


def names(libraries: list[Library]) -> list[str]:
    return [library.name for library in libraries]


def test_auto_traces_what_is_installed_and_names_nothing_the_app_has_not_imported() -> None:
    chosen = plan(("auto",), FAKES)
    assert names(chosen.traced) == ["with"]
    # Installed is not imported: the exporter's own requests must not be advice to the app.
    assert names(chosen.missing) == []
    assert names(chosen.uninstrumented) == ["without"]  # the standard module is not nagged about
    assert chosen.describe() == "tracing with"


@pytest.fixture
def app_module(tmp_path: Path) -> Iterator[ModuleType]:
    """A module of the app's own code: its file lies outside the interpreter's directories."""
    module = ModuleType("shop_views")
    module.__file__ = str(tmp_path / "shop_views.py")
    sys.modules[module.__name__] = module
    yield module
    del sys.modules[module.__name__]


def test_a_library_the_app_imported_before_start_up_is_named_with_its_extra(
    app_module: ModuleType,
) -> None:
    # A module no code of this repository imports: the whole test run is "app code" here.
    import colorsys

    used = Library("used", "colorsys", "no_such_instrumentation", "Instrumentor")
    chosen = instrument(("auto",), {}, (used,), imported_before={"colorsys"})
    assert chosen.missing == []  # imported, but by no module of the app's
    app_module.to_hsv = colorsys.rgb_to_hsv
    chosen = instrument(("auto",), {}, (used,), imported_before={"colorsys"})
    assert chosen.describe() == "tracing no libraries; not traced: used (add connect-otel[used])"


def test_a_library_only_installed_code_imported_before_start_up_is_not_named(
    app_module: ModuleType,
) -> None:
    # `fastapi run` imports httpx before the app: in the interpreter, not in the app's code.
    used_by_the_standard_library_only = Library("quiet", "fnmatch", "no_such", "Instrumentor")
    import glob  # noqa: F401  (glob imports fnmatch)

    chosen = instrument(("auto",), {}, (used_by_the_standard_library_only,), {"fnmatch"})
    assert chosen.missing == []


def import_fresh(module: str, importer: str) -> None:
    """Imports `module` for the first time from code whose module is named `importer`."""
    sys.modules.pop(module, None)
    exec(f"import {module}", {"__name__": importer})


def test_a_library_the_app_imports_later_is_named_then(caplog: pytest.LogCaptureFixture) -> None:
    later = Library("later", "colorsys", "no_such_instrumentation", "Instrumentor")
    sys.modules.pop("colorsys", None)
    with caplog.at_level(logging.INFO, "connect_otel"):
        chosen = instrument(("auto",), {}, (later,))
        assert chosen.describe() == "tracing no libraries" and caplog.records == []
        import_fresh("colorsys", "app.views")
    assert names(chosen.missing) == ["later"]
    assert [r.getMessage() for r in caplog.records] == [
        "Connect is not tracing later, which the app imports (add connect-otel[later])"
    ]


@pytest.mark.parametrize("importer", ["opentelemetry.exporter.otlp", "connect_otel._pipeline"])
def test_connects_own_imports_are_not_the_apps(
    importer: str, caplog: pytest.LogCaptureFixture
) -> None:
    own = Library("own", "colorsys", "no_such_instrumentation", "Instrumentor")
    sys.modules.pop("colorsys", None)
    with caplog.at_level(logging.INFO, "connect_otel"):
        chosen = instrument(("auto",), {}, (own,))
        import_fresh("colorsys", importer)
    assert chosen.missing == [] and caplog.records == []


def installed_code(name: str) -> str:
    """A file name in the interpreter's site-packages, as a library's or a tool's code has."""
    return str(Path(sysconfig.get_paths()["purelib"]) / name.replace(".", "/")) + ".py"


def test_a_library_or_tool_importing_it_is_not_the_app() -> None:
    # requests importing urllib3, fastapi-cli importing httpx: installed code, not the app's.
    imported = Library("imported", "colorsys", "no_such_instrumentation", "Instrumentor")
    for importer, missing in (("fastapi_cli.cli", []), ("shop_views", ["imported"])):
        sys.modules.pop("colorsys", None)
        chosen = instrument(("auto",), {}, (imported,))
        filename = installed_code(importer) if missing == [] else "/srv/shop/shop_views.py"
        exec(compile("import colorsys", filename, "exec"), {"__name__": importer})
        assert names(chosen.missing) == missing, importer


def test_a_list_traces_only_those_and_names_each_that_cannot_be() -> None:
    chosen = plan(("absent", "stdlib"), FAKES)
    assert names(chosen.traced) == ["absent"]
    assert names(chosen.missing) == ["stdlib"]


def test_none_traces_nothing() -> None:
    assert plan((), FAKES).traced == [] and plan((), FAKES).missing == []
    assert plan((), FAKES).describe() == "tracing no libraries"


def test_one_database_layer_drivers_by_default_sqlalchemy_when_named() -> None:
    auto = names(plan(("auto",)).traced)
    assert "sqlalchemy" not in auto and "sqlite3" in auto
    # Standard modules stand in for a SQLAlchemy whose instrumentation takes its version.
    layers = tuple(Library(name, "json", "json", "I") for name in ("sqlalchemy", *DRIVERS))
    both = names(plan(("sqlalchemy", *DRIVERS), layers).traced)
    assert both == ["sqlalchemy"]


def test_libraries_the_framework_traces_itself_are_left_alone() -> None:
    # Plain traces its own queries: with auto or a list, the drivers' spans would double them.
    for chosen in (("auto",), ("psycopg", "requests")):
        traced = names(plan(chosen, skip=DRIVERS).traced)
        assert not set(DRIVERS) & set(traced) and "requests" in traced


def test_every_library_has_an_extra_of_its_name() -> None:
    from importlib.metadata import metadata

    extras = set(metadata("connect-otel").get_all("Provides-Extra") or [])
    assert {library.name for library in LIBRARIES} <= extras


def test_an_instrumentation_that_fails_is_logged_once_and_skipped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken = Library("broken", "json", "logging", "NoSuchInstrumentor")
    ran: list[str] = []
    with caplog.at_level(logging.WARNING, "connect_otel"):
        result = instrument(("broken",), {"broken": lambda: ran.append("after")}, (broken,))
    assert result.traced == [] and ran == []
    assert [r.getMessage() for r in caplog.records] == [
        "Connect could not instrument broken; the app and every other library are traced as usual"
    ]


class RecordingInstrumentor:
    """Stands in for a contrib instrumentor: notes when Connect turns it on."""

    calls: ClassVar[list[str]] = []
    is_instrumented_by_opentelemetry = False

    def instrument(self, **options: object) -> None:
        RecordingInstrumentor.calls.append("instrumented")
        self.is_instrumented_by_opentelemetry = True


def test_a_library_is_instrumented_once_the_app_imports_it_not_before() -> None:
    # Importing every installed library at start-up would load what the app never uses.
    sys.modules.pop("colorsys", None)
    lazy = Library("lazy", "colorsys", __name__, "RecordingInstrumentor")
    ran: list[str] = []
    RecordingInstrumentor.calls.clear()
    result = instrument(("lazy",), {"lazy": lambda: ran.append("after")}, (lazy,))
    assert names(result.traced) == ["lazy"]
    assert "colorsys" not in sys.modules and RecordingInstrumentor.calls == [] and ran == []
    import colorsys  # noqa: F401  (the app's import)

    assert RecordingInstrumentor.calls == ["instrumented"] and ran == ["after"]


def test_a_library_already_imported_is_instrumented_at_once() -> None:
    ready = Library("ready", "json", __name__, "RecordingInstrumentor")
    RecordingInstrumentor.calls.clear()
    instrument(("ready",), {}, (ready,))
    assert RecordingInstrumentor.calls == ["instrumented"]


def test_a_version_its_instrumentation_refuses_is_never_called_traced() -> None:
    # The lock holds SQLAlchemy 2.1 and a contrib instrumentation that declares <2.1, so it
    # would instrument nothing; when the contrib catches up, this test needs a new example.
    chosen = plan(("sqlalchemy",))
    assert [library.name for library, _ in chosen.refused] == ["sqlalchemy"]
    assert "sqlalchemy" not in [library.name for library in chosen.traced]
    (why,) = [why for _, why in chosen.refused]
    assert why.startswith("its instrumentation supports sqlalchemy<2.1") and "is installed" in why
    # Its queries are traced one layer down instead, at the drivers.
    assert {"sqlite3", "psycopg"} <= {library.name for library in chosen.traced}
    assert "not traced: sqlalchemy (its instrumentation supports" in chosen.describe()
