"""`{% connect_pageviews %}` for Jinja2 (Flask, FastAPI/Starlette, any Jinja app).

Add the extension `connect_pageviews.jinja.PageviewsExtension` and render templates with
`request` in the context. `connect_pageviews.flask.init_app` and
`connect_pageviews.starlette.install` do both and serve the bundle; elsewhere the bundle is
embedded inline unless `environment.connect_pageviews_script_src` says where it is served.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Any

from jinja2 import Environment, nodes
from jinja2.ext import Extension
from jinja2.parser import Parser
from jinja2.runtime import Context
from markupsafe import Markup

from connect_pageviews._startup import announce
from connect_pageviews.settings import PageviewsSettings, resolve
from connect_pageviews.tag import render_tag

logger = logging.getLogger("connect_pageviews")

ScriptSource = Callable[[Any], "str | None"]
UserId = Callable[[Any], object]


class PageviewsExtension(Extension):
    tags = {"connect_pageviews"}  # noqa: RUF012 (Jinja reads it as declared on Extension)

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.extend(
            connect_pageviews_script_src=None,
            connect_pageviews_user_id=None,
        )
        configure(environment, self.initial_settings())

    def initial_settings(self) -> PageviewsSettings:
        """The settings before an integration configures its own (the environment's)."""
        return resolve()

    def parse(self, parser: Parser) -> nodes.Node:
        lineno = next(parser.stream).lineno
        keywords: list[nodes.Keyword] = []
        while parser.stream.current.type != "block_end":
            if keywords:
                parser.stream.expect("comma")
            name = parser.stream.expect("name").value
            parser.stream.expect("assign")
            keywords.append(nodes.Keyword(name, parser.parse_expression()))
        call = self.call_method("_render", [nodes.ContextReference()], keywords, lineno=lineno)
        return nodes.Output([call], lineno=lineno)

    def _render(self, context: Context, nonce: str | None = None) -> Markup:
        environment: Any = self.environment
        settings: PageviewsSettings = environment.connect_pageviews_settings
        if not settings.enabled:
            return Markup("")
        request = context.get("request")
        script_src: ScriptSource | None = environment.connect_pageviews_script_src
        user_id: UserId = environment.connect_pageviews_user_id or _flask_login_user_id
        html = render_tag(
            settings,
            script_src=script_src(request) if script_src and request is not None else None,
            user_id=_user_id_or_none(user_id, request),
            route=_route(request),
            nonce=nonce if nonce is not None else _request_nonce(request),
        )
        return Markup(html)  # every value in it is escaped by render_tag


def configure(
    environment: Environment,
    settings: PageviewsSettings,
    script_src: ScriptSource | None = None,
) -> None:
    """Applies validated settings to an environment that has the extension (start-up only)."""
    # Environment.extend only adds missing attributes; these replace the extension's defaults.
    environment.connect_pageviews_settings = settings  # type: ignore[attr-defined]
    lookup = settings.pageviews_user_id
    environment.connect_pageviews_user_id = (  # type: ignore[attr-defined]
        _import(lookup) if isinstance(lookup, str) and lookup else lookup or None
    )
    if script_src is not None:
        environment.connect_pageviews_script_src = script_src  # type: ignore[attr-defined]
    announce(settings)


def _import(dotted: str) -> UserId:
    module, _, name = dotted.replace(":", ".").rpartition(".")
    function: UserId = getattr(importlib.import_module(module), name)
    return function


def _user_id_or_none(user_id: UserId, request: Any) -> object:
    if request is None:
        return None
    try:
        return user_id(request)
    except Exception:
        # The page must render even when the app's user lookup fails: counted, not attributed.
        logger.exception("connect_pageviews: finding the signed-in user failed")
        return None


def _flask_login_user_id(request: Any) -> object:
    try:
        from flask import has_request_context
        from flask_login import current_user
    except ImportError:
        return None
    if not has_request_context() or current_user is None:
        return None
    return current_user.get_id() if current_user.is_authenticated else None


def _request_nonce(request: Any) -> str | None:
    # A lazy nonce (django-csp style) is falsy until read: test for presence, not truth.
    found = getattr(request, "csp_nonce", None)
    return None if found is None else str(found)


def _route(request: Any) -> str | None:
    match = getattr(request, "resolver_match", None)  # Plain
    if match is not None and getattr(match, "route", None):
        return str(match.route)
    rule = getattr(request, "url_rule", None)  # Flask
    if rule is not None:
        return str(rule.rule)
    scope = getattr(request, "scope", None)  # Starlette
    route = scope.get("route") if isinstance(scope, dict) else None
    path = getattr(route, "path", None)
    return str(path) if path else None
