"""`{% connect_pageviews %}` for Jinja2 (Flask, FastAPI/Starlette, any Jinja app), and the
support form's `{% connect_support_fields %}` and `connect_support_url("<id>")`.

Add the extension `connect_pageviews.jinja.PageviewsExtension` and render templates with
`request` in the context: it reads the settings from the environment and embeds the bundle
inline. `connect_pageviews.flask.init_app` and `connect_pageviews.starlette.init_app` add it
for you, with the framework's settings, and serve the bundle as a static file.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, nodes
from jinja2.ext import Extension
from jinja2.parser import Parser
from jinja2.runtime import Context
from markupsafe import Markup

from connect_pageviews._request import ScriptSource, support_fields_for_request, tag_for_request
from connect_pageviews._startup import announce
from connect_pageviews.settings import PageviewsSettings, resolve
from connect_pageviews.support import support_url


class PageviewsExtension(Extension):
    tags = {"connect_pageviews", "connect_support_fields"}  # noqa: RUF012 (Jinja reads it as declared)

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        self.settings = self.initial_settings()
        self.script_src: ScriptSource | None = None
        environment.globals["connect_support_url"] = self._support_url
        announce(self.settings)

    def initial_settings(self) -> PageviewsSettings:
        """The settings before an integration applies its own: the environment's."""
        return resolve()

    def default_user_lookup(self, request: Any) -> object:
        """The signed-in user's id when no CONNECT_PAGEVIEWS_USER_ID is set: Flask-Login's."""
        return _flask_login_user_id(request)

    def apply(self, settings: PageviewsSettings, script_src: ScriptSource | None) -> None:
        """An integration's validated settings and static URL (at start-up only)."""
        self.settings = settings
        self.script_src = script_src
        announce(settings)

    def parse(self, parser: Parser) -> nodes.Node:
        token = next(parser.stream)
        lineno = token.lineno
        if token.value == "connect_support_fields":
            fields = self.call_method("_support_fields", [nodes.ContextReference()], lineno=lineno)
            return nodes.Output([fields], lineno=lineno)
        keywords: list[nodes.Keyword] = []
        while parser.stream.current.type != "block_end":
            if keywords:
                parser.stream.expect("comma")
            name = parser.stream.expect("name").value
            parser.stream.expect("assign")
            keywords.append(nodes.Keyword(name, parser.parse_expression()))
        call = self.call_method("_render", [nodes.ContextReference()], keywords, lineno=lineno)
        return nodes.Output([call], lineno=lineno)

    def _render(self, context: Context, nonce: object = None) -> Markup:
        settings = self.settings
        html = tag_for_request(
            settings,
            context.get("request"),
            user_lookup=self.default_user_lookup,
            script_src=self.script_src,
            nonce=nonce,
        )
        return Markup(html)  # every value in it is escaped by render_tag

    def _support_fields(self, context: Context) -> Markup:
        html = support_fields_for_request(
            self.settings, context.get("request"), user_lookup=self.default_user_lookup
        )
        return Markup(html)  # every value in it is escaped by render_support_fields

    def _support_url(self, endpoint_id: str) -> str:
        return support_url(self.settings.cloud_url, endpoint_id)


def extension_of(environment: Environment) -> PageviewsExtension:
    """The environment's page-view extension, added if it is missing."""
    if PageviewsExtension.identifier not in environment.extensions:
        environment.add_extension(PageviewsExtension)
    found = environment.extensions[PageviewsExtension.identifier]
    assert isinstance(found, PageviewsExtension)
    return found


def _flask_login_user_id(request: Any) -> object:
    try:
        from flask import has_request_context
        from flask_login import current_user
    except ImportError:
        return None
    if not has_request_context() or current_user is None:
        return None
    return current_user.get_id() if current_user.is_authenticated else None
