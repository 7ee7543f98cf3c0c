from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from plain.auth import get_request_user, login
from plain.http import RedirectResponse, Response
from plain.http.exceptions import (
    BadRequestError400,
    ForbiddenError403,
    HTTPException,
    NotFoundError404,
)
from plain.templates.views import TemplateView
from plain.views import View

from app.jobs import GreetJob
from app.users.models import User

log = logging.getLogger("app")
SPA_JS = (Path(__file__).parents[2] / "shared" / "spa.js").read_text()


class PageView(TemplateView):
    template_name = "page.html"
    title = ""
    support = False

    def body(self) -> str:
        return ""

    def get_template_context(self) -> dict[str, Any]:
        body = self.body()  # may set the title
        context = {"title": self.title, "body": body, "support": self.support}
        return {**super().get_template_context(), **context}


class HomeView(PageView):
    title = "Home"

    def body(self) -> str:
        user = get_request_user(self.request)
        return f"<h1>Hello, {user.username if user else 'stranger'}</h1>"


class ItemView(PageView):
    def body(self) -> str:
        self.title = f"Item {self.url_kwargs['item_id']}"
        return f"<p>item {self.url_kwargs['item_id']}</p>"


class DatabaseView(PageView):
    title = "Database"

    def body(self) -> str:
        return f"<p>{User.query.count()} users</p>"


class LogView(PageView):
    title = "Logged"

    def body(self) -> str:
        log.info("an informative line from inside a request")
        return "<p>logged</p>"


class BoomView(View):
    def get(self) -> Response:
        raise RuntimeError("the example route that always fails")


class SpaView(PageView):
    title = "App"

    def body(self) -> str:
        links = "".join(
            f'<a data-nav href="/spa/{name}" data-title="App {name}">{name}</a> '
            for name in ("inbox", "settings")
        )
        return f"<p>{links}</p><script>{SPA_JS}</script>"


class LoginView(PageView):
    title = "Log in"

    def body(self) -> str:
        return (
            '<form method="post"><input name="username"><input name="password" '
            'type="password"><button>Log in</button></form>'
        )

    def post(self) -> Response:
        user = User.query.filter(
            username=self.request.form_data.get("username", ""),
            password=self.request.form_data.get("password", ""),
        ).first()
        if user is None:
            return self.get()
        login(self.request, user)
        return RedirectResponse("/", status_code=303)


class ResetView(PageView):
    title = "Reset"

    def body(self) -> str:
        return "<h1>Choose a new password</h1>"


class SupportView(PageView):
    title = "Support"
    support = True

    def body(self) -> str:
        return "<h1>Write to us</h1>"

    def get(self) -> Response:
        response = super().get()
        # Plain's default Referrer-Policy, same-origin, makes the browser send `Origin: null`
        # with a cross-origin form post, and the support endpoint refuses those.
        response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        return response


class HealthView(View):
    def get(self) -> Response:
        return Response("ok")


class JobView(View):
    def get(self) -> Response:
        GreetJob("ada").run_in_worker()
        return Response("queued")


REFUSALS: dict[int, type[HTTPException]] = {
    400: BadRequestError400,
    403: ForbiddenError403,
    404: NotFoundError404,
}


class RefuseView(View):
    """Answers 400, 403 or 404 the way views usually do: by raising the framework's exception."""

    def get(self) -> Response:
        raise REFUSALS[self.url_kwargs["status"]]()
