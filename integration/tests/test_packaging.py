"""The packages as users install them: each wheel alone in a clean virtual environment."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from connect_testkit.ports import free_port
from connect_testkit.receiver import Receiver
from connect_testkit.scripts import clean_environ
from connect_testkit.servers import run_server

ROOT = Path(__file__).parents[2]
BUNDLE = "connect_pageviews/static/connect_pageviews/pageviews.js"
PUBLISHED = ("connect-config", "connect-otel", "connect-pageviews")
READMES = [ROOT / "README.md", *(ROOT / "packages" / name / "README.md" for name in PUBLISHED)]
# The README's line for installing from a clone, before the packages are on PyPI.
FROM_A_CLONE = re.compile(r"^pip install \./packages/connect-config\b[^#\n]*", re.MULTILINE)


def uv(*args: str, cwd: Path = ROOT) -> str:
    executable = shutil.which("uv")
    assert executable, "uv is installed by integration/bin/setup"
    result = subprocess.run(
        [executable, *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    for package in PUBLISHED:
        uv("build", "--package", package, "--out-dir", str(out), "--quiet")
    return out


def artifact(dist: Path, pattern: str) -> Path:
    (found,) = dist.glob(pattern)
    return found


class Venv:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.python = path / "bin" / "python"

    def install(self, *requirements: str) -> None:
        uv("pip", "install", "--quiet", "--python", str(self.python), *requirements)

    def run(self, code: str, **env: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(self.python), "-c", textwrap.dedent(code)],
            env=clean_environ(**env),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result

    def importable(self, module: str) -> bool:
        found = self.run(
            f"import importlib.util; print(bool(importlib.util.find_spec({module!r})))"
        )
        return found.stdout.strip() == "True"


@pytest.fixture
def venv(tmp_path: Path) -> Iterator[Venv]:
    uv("venv", "--quiet", "--python", "python3", str(tmp_path / "venv"))
    yield Venv(tmp_path / "venv")


def test_connect_otel_alone_exports_without_web_or_crypto_packages(dist: Path, venv: Venv) -> None:
    # connect-config, their shared dependency, comes from the same build.
    venv.install(str(artifact(dist, "connect_otel-*.whl")), "--find-links", str(dist))
    for absent in ("cryptography", "jinja2", "django", "flask", "connect_pageviews"):
        assert not venv.importable(absent), f"{absent} came with connect-otel"
    with Receiver(token="t") as receiver:
        venv.run(
            """
            import connect_otel
            from opentelemetry import trace
            assert connect_otel.configure()
            with trace.get_tracer("alone").start_as_current_span("installed alone"):
                pass
            connect_otel.shutdown()
            """,
            CONNECT_EXPORT_URL=receiver.url,
            CONNECT_EXPORT_TOKEN="t",
        )
        assert [s.name for s in receiver.spans()] == ["installed alone"]


def test_every_artifact_is_typed_and_versioned(dist: Path) -> None:
    for wheel, module in (
        (artifact(dist, "connect_otel-*.whl"), "connect_otel"),
        (artifact(dist, "connect_pageviews-*.whl"), "connect_pageviews"),
        (artifact(dist, "connect_config-*.whl"), "connect_config"),
    ):
        names = zipfile.ZipFile(wheel).namelist()
        assert f"{module}/py.typed" in names
        assert not [name for name in names if "/tests/" in name or name.startswith("tests/")]


def test_beacon_bundle_is_in_the_wheel_and_the_sdist(dist: Path) -> None:
    wheel = zipfile.ZipFile(artifact(dist, "connect_pageviews-*.whl"))
    assert BUNDLE in wheel.namelist()
    source = (ROOT / "packages/connect-pageviews/src" / BUNDLE).read_bytes()
    assert wheel.read(BUNDLE) == source
    with tarfile.open(artifact(dist, "connect_pageviews-*.tar.gz")) as sdist:
        assert [n for n in sdist.getnames() if n.endswith("src/" + BUNDLE)]


def test_connect_pageviews_alone_renders_serves_and_encrypts_without_opentelemetry(
    dist: Path, venv: Venv
) -> None:
    venv.install(
        str(artifact(dist, "connect_pageviews-*.whl")) + "[jinja]", "--find-links", str(dist)
    )
    for absent in ("opentelemetry", "connect_otel", "django"):
        assert not venv.importable(absent), f"{absent} came with connect-pageviews"
    result = venv.run(
        """
        import json
        import jinja2
        from connect_pageviews import decrypt_identity, encrypt_identity, resolve
        from connect_pageviews.bundle import bundle_bytes
        from connect_pageviews.jinja import PageviewsExtension

        env = jinja2.Environment(extensions=[PageviewsExtension])
        tag = env.from_string("{% connect_pageviews %}").render()
        user = decrypt_identity(encrypt_identity(42, "k"), "k")
        print(json.dumps([tag, len(bundle_bytes()), user]))
        """,
        CONNECT_PAGEVIEWS_TOKEN="pv_alone",
    )
    tag, size, user = json.loads(result.stdout)
    assert tag.startswith('<script data-token="pv_alone"') and 'data-trace-id=""' in tag
    assert int(size) == (ROOT / "packages/connect-pageviews/src" / BUNDLE).stat().st_size
    assert user == "42"


class PipVenv(Venv):
    """A virtual environment made by `python -m venv`, installed into by its own pip."""

    @classmethod
    def create(cls, path: Path) -> PipVenv:
        subprocess.run([sys.executable, "-m", "venv", str(path)], check=True, timeout=120)
        venv = cls(path)
        # Older pips (23.2 to 25.0 tried) give up resolving the OpenTelemetry packages.
        venv.pip("install", "--quiet", "pip>=25.1")
        return venv

    def pip(self, *args: str, cwd: Path = ROOT) -> None:
        result = subprocess.run(
            [str(self.python), "-m", "pip", *args],
            cwd=cwd,
            env=clean_environ(),
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, result.stdout + result.stderr

    def run_line(self, line: str) -> None:
        """Runs a README's `pip install ...` line from the clone's root."""
        program, *args = shlex.split(line)
        assert program == "pip", line
        self.pip(*args)


def clone_install_lines() -> dict[Path, list[str]]:
    return {readme: FROM_A_CLONE.findall(readme.read_text()) for readme in READMES}


@pytest.fixture(scope="module")
def from_a_clone(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], PipVenv]:
    """A fresh environment per README line, each made once for the module."""
    made: dict[str, PipVenv] = {}

    def installed(line: str) -> PipVenv:
        if line not in made:
            made[line] = PipVenv.create(tmp_path_factory.mktemp("clone") / "venv")
            made[line].run_line(line)
        return made[line]

    return installed


def test_every_readme_installs_from_a_clone_with_plain_pip(
    from_a_clone: Callable[[str], PipVenv],
) -> None:
    lines = clone_install_lines()
    assert all(lines.values()), {readme.name: found for readme, found in lines.items()}
    for line in sorted({line.strip() for found in lines.values() for line in found}):
        venv = from_a_clone(line)
        for package in re.findall(r"\./packages/(connect-[a-z]+)", line):
            assert venv.importable(package.replace("-", "_")), f"{package} after {line}"
    # Building from the source directories leaves nothing behind in the clone.
    status = subprocess.run(
        ["git", "status", "--porcelain", "--ignored", "packages"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert not [row for row in status.stdout.splitlines() if "build/" in row or ".egg" in row]


def start_up_lines(venv: Venv, project: Path, *app_code: str) -> list[str]:
    """What Connect logs about itself while a Flask app starts under Flask's own server and
    serves one request."""
    start = """
        import flask
        import connect_otel.flask

        app = flask.Flask("blog")
        """
    (project / "blog.py").write_text(
        "\n".join(textwrap.dedent(part) for part in (start, *app_code))
        + "\nconnect_otel.flask.init_app(app)\n"
    )
    port = free_port()
    with Receiver(token="t") as receiver:
        argv = [str(venv.python), "-m", "flask", "--app", "blog", "run", "--port", str(port)]
        env = clean_environ(CONNECT_EXPORT_URL=receiver.url, CONNECT_EXPORT_TOKEN="t")
        with run_server(argv, env, port, cwd=project) as server:
            assert server.get("/")[0] == 200
            # Ctrl-C: the server returns and Connect's exit hook sends what is pending.
            assert server.stop(signal.SIGINT) == 0, server.output()
            console = server.output()
        # Connect's own lines are for the console, and never exported.
        assert not [log for log in receiver.logs() if "Connect is" in str(log.body)]
        return [line for line in console.splitlines() if line.startswith("Connect is")]


def connect_otel_check(venv: Venv, project: Path, *args: str) -> str:
    """What `connect-otel check` prints, run from the app's directory."""
    with Receiver(token="t") as receiver:
        result = subprocess.run(
            [str(venv.path / "bin" / "connect-otel"), "check", *args],
            cwd=project,
            env=clean_environ(CONNECT_EXPORT_URL=receiver.url, CONNECT_EXPORT_TOKEN="t"),
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_start_up_names_only_libraries_the_app_imports(
    from_a_clone: Callable[[str], PipVenv], tmp_path: Path
) -> None:
    # Connect and Flask alone: the exporter brings requests and urllib3; the app uses neither.
    (flask_line,) = {line for line in clone_install_lines()[ROOT / "README.md"] if "otel" in line}
    venv = from_a_clone(flask_line)
    venv.pip("install", "--quiet", "flask")  # the app's own dependency
    assert venv.importable("requests") and not venv.importable("httpx")
    view = """
        @app.get("/")
        def home():
            return "home"
        """
    (alone,) = start_up_lines(venv, tmp_path, view)
    assert "not traced" not in alone, alone

    (with_requests,) = start_up_lines(venv, tmp_path, "import requests", view)
    # urllib3 is requests' import, not the app's.
    assert with_requests.endswith("not traced: requests (add connect-otel[requests])")
    # The check without the app says what it can know; given the app, what the app imports.
    alone_check = connect_otel_check(venv, tmp_path)
    assert "not traced" not in alone_check
    assert "installed without their extra: requests, urllib3" in alone_check
    with_app = connect_otel_check(venv, tmp_path, "--app", "blog:app")
    assert "; not traced: requests (add connect-otel[requests])\n" in with_app
    assert "installed without their extra: urllib3;" in with_app

    # Installed and never imported (fastapi[standard] brings httpx): nothing to say. Imported by
    # a view after start-up: said then.
    venv.pip("install", "--quiet", "httpx")
    (installed_only,) = start_up_lines(venv, tmp_path, view)
    assert "not traced" not in installed_only, installed_only
    lazy_view = """
        @app.get("/")
        def home():
            import httpx
            return "home"
        """
    lines = start_up_lines(venv, tmp_path, lazy_view)
    assert lines[1:] == [
        "Connect is not tracing httpx, which the app imports (add connect-otel[httpx])"
    ]


def test_fastapi_run_does_not_make_its_own_httpx_the_apps(tmp_path: Path) -> None:
    # fastapi[standard] installs httpx, and `fastapi run` imports it before it loads the app.
    venv = PipVenv.create(tmp_path / "venv")
    venv.pip("install", "./packages/connect-config", "./packages/connect-otel[starlette]")
    venv.pip("install", "fastapi[standard]")
    assert not venv.importable("opentelemetry.instrumentation.httpx")
    (tmp_path / "main.py").write_text(
        textwrap.dedent(
            """
            import sys

            HTTPX_BEFORE_THE_APP = "httpx" in sys.modules

            from fastapi import FastAPI
            import connect_otel.starlette

            app = FastAPI(title="shop")
            connect_otel.starlette.init_app(app)

            @app.get("/")
            def home() -> dict[str, bool]:
                return {"httpx_before_the_app": HTTPX_BEFORE_THE_APP}
            """
        )
    )
    port = free_port()
    with Receiver(token="t") as receiver:
        argv = [str(venv.path / "bin" / "fastapi"), "run", "main.py", "--port", str(port)]
        env = clean_environ(CONNECT_EXPORT_URL=receiver.url, CONNECT_EXPORT_TOKEN="t")
        with run_server(argv, env, port, cwd=tmp_path) as server:
            assert server.get("/") == (200, b'{"httpx_before_the_app":true}')
            assert server.stop(signal.SIGINT) == 0, server.output()
            console = server.output()
        (started,) = [line for line in console.splitlines() if line.startswith("Connect is")]
    assert "not traced" not in str(started), started
