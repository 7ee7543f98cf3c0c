"""The packages as users install them: each wheel alone in a clean virtual environment."""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
import textwrap
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from connect_testkit.receiver import Receiver
from connect_testkit.scripts import clean_environ

ROOT = Path(__file__).parents[2]
BUNDLE = "connect_pageviews/static/connect_pageviews/pageviews.js"


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
    for package in ("connect-config", "connect-otel", "connect-pageviews"):
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
