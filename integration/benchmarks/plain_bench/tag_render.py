"""Render time of `{% connect_pageviews %}` with an identity token, through Plain's own Jinja
environment, for the tag of whichever package BENCH_SETUP installs (plain.connect 0.5.0 or
connect_pageviews.plain). Prints microseconds per render.

    BENCH_SETUP=reference python tag_render.py 5000
"""

import os
import sys
import time
from types import SimpleNamespace

import plain.runtime


def main(renders: int) -> float:
    os.environ.setdefault("PLAIN_CONNECT_PAGEVIEWS_TOKEN", "pv_bench")
    os.environ.setdefault("PLAIN_CONNECT_PAGEVIEWS_IDENTITY_KEY", "bench-identity-key")
    plain.runtime.setup()
    # Only importable once Plain is set up.
    from plain.auth.requests import set_request_user
    from plain.templates.jinja import environment
    from plain.test import RequestFactory

    template = environment.from_string("{% connect_pageviews %}")
    request = RequestFactory().get("/items/42")
    request.resolver_match = SimpleNamespace(route="items/<int:item_id>")
    set_request_user(request, SimpleNamespace(id=7301))
    html = template.render({"request": request})
    assert "data-identity=" in html and 'data-identity=""' not in html, html[:300]
    for _ in range(renders // 10):  # warm-up
        template.render({"request": request})
    started = time.perf_counter()
    for _ in range(renders):
        template.render({"request": request})
    return (time.perf_counter() - started) / renders * 1e6


if __name__ == "__main__":
    print(f"{main(int(sys.argv[1])):.2f}")
