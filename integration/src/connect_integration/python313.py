"""Where the Python 3.13+ environment is (Plain needs 3.13), and the interpreter it is made from.

integration/bin/setup runs this file with the system's python3 before any environment exists,
so it uses the standard library only:

    python3 integration/src/connect_integration/python313.py    # prints an interpreter, or exits 1
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
# Made by integration/bin/setup from the same lock as .venv.
ENVIRONMENT = ROOT / ".venv-plain"
ENVIRONMENT_PYTHON = ENVIRONMENT / "bin" / "python"


def environment_python() -> str | None:
    """The environment's interpreter, once setup has made it."""
    return str(ENVIRONMENT_PYTHON) if ENVIRONMENT_PYTHON.exists() else None


def environment_version() -> str:
    """Which Python the Plain runs use, e.g. `Python 3.13.0` (3.14 when one is installed)."""
    python = environment_python()
    if python is None:
        return "Python 3.13+"
    ran = subprocess.run(
        [python, "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
    )
    return f"Python {ran.stdout.strip() or '3.13+'}"


def _candidates() -> list[str]:
    found = [path for name in ("python3.14", "python3.13") if (path := shutil.which(name))]
    pyenv_root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    for version in ("3.14", "3.13"):
        found += [
            str(p / "bin" / "python") for p in sorted(pyenv_root.glob(f"versions/{version}*"))
        ]
    return found


def find_interpreter() -> str | None:
    """A Python >= 3.13 on PATH or among pyenv's versions, to make the environment from."""
    for candidate in _candidates():
        check = [candidate, "-c", "import sys; sys.exit(sys.version_info < (3, 13))"]
        # pyenv's shims are on PATH for every version and fail, noisily, for one not selected.
        ran = subprocess.run(check, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if ran.returncode == 0:
            return candidate
    return None


if __name__ == "__main__":
    interpreter = find_interpreter()
    if interpreter is None:
        sys.exit(1)
    print(interpreter)
