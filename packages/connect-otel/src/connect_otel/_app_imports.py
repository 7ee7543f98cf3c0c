"""Whether the app's own code uses a library, as opposed to a library, a server's command-line
tool, OpenTelemetry or Connect: the app's code is what lies outside the interpreter's standard
library, site-packages and scripts directories.

Connect names a library it cannot trace only when the app's code imports it: the OTLP exporter
itself imports requests, and `fastapi run` imports httpx before the app is loaded.
"""

from __future__ import annotations

import site
import sys
import sysconfig
from collections.abc import Collection
from functools import cache
from types import BuiltinFunctionType, FrameType, FunctionType, ModuleType

# Frames between an import statement and a post-import hook.
_IMPORT_MACHINERY = frozenset({"importlib", "wrapt", "_frozen_importlib"})
# Installed code too, though an editable install of Connect lives outside site-packages.
_CONNECT = frozenset({"opentelemetry", "connect_otel"})


def import_is_the_apps() -> bool:
    """Whether the import now finishing was made by the app's own code, called from a
    post-import hook."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        package = name.split(".")[0]
        if package in _IMPORT_MACHINERY or name.startswith("connect_otel._instrumentations"):
            frame = frame.f_back
            continue
        return package not in _CONNECT and not is_installed(frame.f_code.co_filename)
    return False


def used_by_app_code(packages: Collection[str]) -> set[str]:
    """Which of `packages` (top-level names) a module of the app's own code holds: the package,
    one of its modules, or something defined in one."""
    used: set[str] = set()
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None)
        name = getattr(module, "__name__", "")
        if not isinstance(file, str) or is_installed(file) or name.split(".")[0] in _CONNECT:
            continue
        for value in list(vars(module).values()):
            owner = _defined_in(value).split(".")[0]
            if owner in packages:
                used.add(owner)
    return used


def _defined_in(value: object) -> str:
    # The type's module for instances: reading an attribute could run the app's __getattr__.
    if isinstance(value, ModuleType):
        return value.__name__
    if isinstance(value, (type, FunctionType, BuiltinFunctionType)):
        return str(value.__module__)
    return str(type(value).__module__)


def is_installed(filename: str) -> bool:
    return filename.startswith("<frozen") or filename.startswith(_installed_roots())


@cache
def _installed_roots() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    roots = [paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib", "scripts")]
    roots += [*site.getsitepackages(), site.getusersitepackages()]
    return tuple(root.rstrip("/") + "/" for root in roots)
