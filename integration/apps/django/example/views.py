from __future__ import annotations

import logging
from pathlib import Path

from django.contrib.auth import authenticate, login
from django.contrib.auth.models import User
from django.core.exceptions import BadRequest, PermissionDenied
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt

log = logging.getLogger("django_example.views")
SPA_JS = (Path(__file__).parents[2] / "shared" / "spa.js").read_text()


def page(request: HttpRequest, title: str, body: str, support: bool = False) -> HttpResponse:
    return render(request, "page.html", {"title": title, "body": body, "support": support})


def home(request: HttpRequest) -> HttpResponse:
    who = request.user.get_username() if request.user.is_authenticated else "stranger"
    return page(request, "Home", f"<h1>Hello, {who}</h1>")


def item(request: HttpRequest, item_id: int) -> HttpResponse:
    return page(request, f"Item {item_id}", f"<p>item {item_id}</p>")


def database(request: HttpRequest) -> HttpResponse:
    return page(request, "Database", f"<p>{User.objects.count()} users</p>")


def log_something(request: HttpRequest) -> HttpResponse:
    log.info("an informative line from inside a request")
    return page(request, "Logged", "<p>logged</p>")


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("the example route that always fails")


def spa(request: HttpRequest) -> HttpResponse:
    links = "".join(
        f'<a data-nav href="/spa/{name}" data-title="App {name}">{name}</a> '
        for name in ("inbox", "settings")
    )
    return page(request, "App", f"<p>{links}</p><script>{SPA_JS}</script>")


@csrf_exempt  # the example keeps its form minimal
def login_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        user = authenticate(
            request,
            username=request.POST.get("username", ""),
            password=request.POST.get("password", ""),
        )
        if user is not None:
            login(request, user)
            return HttpResponseRedirect("/")
    form = (
        '<form method="post"><input name="username"><input name="password" type="password">'
        "<button>Log in</button></form>"
    )
    return page(request, "Log in", form)


def reset(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    return page(request, "Reset", "<h1>Choose a new password</h1>")


def support(request: HttpRequest) -> HttpResponse:
    return page(request, "Support", "<h1>Write to us</h1>", support=True)


def health(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


REFUSALS: dict[int, type[Exception]] = {400: BadRequest, 403: PermissionDenied, 404: Http404}


def refuse(request: HttpRequest, status: int) -> HttpResponse:
    """Answers 400, 403 or 404 the way views usually do: by raising Django's exception."""
    raise REFUSALS[status](f"refused with {status}")


def create_demo_user() -> None:
    """ada / lovelace, with a fixed id the tests look for."""
    if not User.objects.filter(username="ada").exists():
        User.objects.create_user(id=7302, username="ada", password="lovelace")
    connection.close()
