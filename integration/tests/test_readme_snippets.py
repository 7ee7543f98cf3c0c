"""The set-up lines the READMEs show are the ones the example apps use, so neither drifts."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
READMES = {
    "connect-otel": (ROOT / "packages/connect-otel/README.md").read_text(),
    "connect-pageviews": (ROOT / "packages/connect-pageviews/README.md").read_text(),
}
APPS = ROOT / "integration/apps"

# framework -> (the app's file, [(README, the line it shows)])
SNIPPETS = {
    "flask": (
        "flask/app.py",
        [
            ("connect-otel", "connect_otel.flask.init_app(app)"),
            ("connect-pageviews", "connect_pageviews.flask.init_app(app)"),
        ],
    ),
    "fastapi": (
        "fastapi/app.py",
        [
            ("connect-otel", "connect_otel.starlette.init_app(app)"),
            ("connect-pageviews", "connect_pageviews.starlette.init_app(app, templates"),
        ],
    ),
    "django": (
        "django/example/settings.py",
        [
            ("connect-otel", '"connect_otel.django"'),
            ("connect-pageviews", '"connect_pageviews.django"'),
        ],
    ),
    "plain": (
        "plain/app/settings.py",
        [
            ("connect-otel", '"connect_otel.plain"'),
            ("connect-pageviews", '"connect_pageviews.plain"'),
        ],
    ),
}


@pytest.mark.parametrize("framework", sorted(SNIPPETS))
def test_readme_set_up_lines_are_the_example_apps(framework: str) -> None:
    app_file, lines = SNIPPETS[framework]
    source = (APPS / app_file).read_text()
    for readme, line in lines:
        assert line in READMES[readme], f"{readme}'s README no longer shows {line}"
        assert line in source, f"the {framework} example no longer does {line}"


def test_the_tag_in_each_template_is_the_one_the_readme_shows() -> None:
    assert "{% load connect_pageviews %}{% connect_pageviews %}" in READMES["connect-pageviews"]
    django = (APPS / "django/example/templates/page.html").read_text()
    assert "{% load connect_pageviews %}{% connect_pageviews %}" in django
    for jinja_page in ("flask/app.py", "fastapi/app.py", "plain/app/templates/page.html"):
        assert "{% connect_pageviews %}" in (APPS / jinja_page).read_text()
