"""Route-aware redaction of paths, for every framework's route syntax."""

from __future__ import annotations

import pytest

from connect_otel._route_redaction import REDACTED, RouteRedactor
from connect_otel._scrubbing import Scrubber

R = REDACTED


@pytest.fixture
def redactor() -> RouteRedactor:
    return RouteRedactor(Scrubber().parameter_is_secret)


CASES = [
    # Django's auth views, as Connect names their route (with a leading slash).
    ("/accounts/reset/<uidb64>/<token>/", "/accounts/reset/MQ/c4x-9f1e/",
     f"/accounts/reset/{R}/{R}/"),
    ("/accounts/reset/<uidb64>/set-password/", "/accounts/reset/MQ/set-password/",
     f"/accounts/reset/{R}/set-password/"),
    ("/activate/<str:activation_key>/", "/activate/abc123/", f"/activate/{R}/"),
    # Flask, with converter arguments; Plain has Django's syntax.
    ("/reset/<string(length=40):token>", "/reset/" + "a" * 40, f"/reset/{R}"),
    ("/books/<int:book_id>/", "/books/7/", "/books/7/"),
    # Starlette and FastAPI.
    ("/api/v1/password-recovery/{email}", "/api/v1/password-recovery/admin@example.com",
     f"/api/v1/password-recovery/{R}"),
    ("/files/{secret:path}", "/files/a/b/c", f"/files/{R}"),
    ("/items/{item_id}", "/items/42", "/items/42"),
    # Django's re_path with named groups.
    (r"/^reset/(?P<uidb64>[0-9A-Za-z_\-]+)/(?P<token>.+)/$", "/reset/MQ/tok-en/",
     f"/reset/{R}/{R}/"),
]  # fmt: skip


@pytest.mark.parametrize(("route", "path", "expected"), CASES)
def test_secret_route_parameters_are_redacted(
    redactor: RouteRedactor, route: str, path: str, expected: str
) -> None:
    assert redactor.path(route, path) == expected


def test_a_path_the_route_does_not_match_is_left_alone(redactor: RouteRedactor) -> None:
    assert redactor.path("/reset/<token>/", "/other/thing/") == "/other/thing/"
    assert redactor.path(None, "/reset/abc/") == "/reset/abc/"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/users/alice@example.com/", f"/users/{R}/"),
        ("/users/alice%40example.com/", f"/users/{R}/"),
        ("/search?q=bob@example.org&page=2", f"/search?q={R}&page=2"),
        ("/about/@handle", "/about/@handle"),
        ("/plain/path", "/plain/path"),
    ],
)
def test_email_addresses_are_personal_data_wherever_they_stand(
    redactor: RouteRedactor, text: str, expected: str
) -> None:
    assert redactor.path(None, text) == expected


def test_emails_are_kept_when_asked(redactor: RouteRedactor) -> None:
    keeping = RouteRedactor(Scrubber().parameter_is_secret, emails=False)
    assert keeping.path(None, "/users/alice@example.com/") == "/users/alice@example.com/"
    assert keeping.path("/reset/<token>/", "/reset/abc/") == f"/reset/{R}/"
