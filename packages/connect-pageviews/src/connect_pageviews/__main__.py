"""`python -m connect_pageviews csp`: what a Content-Security-Policy needs for the beacon.
`python -m connect_pageviews settings [--markdown]`: every setting, its default and variables."""

from __future__ import annotations

import sys
from urllib.parse import urlsplit

from connect_pageviews.bundle import inline_script_hash, integrity
from connect_pageviews.settings import TABLE, ConfigurationError, resolve

USAGE = "usage: python -m connect_pageviews csp | settings [--markdown]"


def main(argv: list[str]) -> int:
    if argv[:1] == ["settings"] and argv[1:] in ([], ["--markdown"]):
        print(TABLE.markdown() if argv[1:] else TABLE.listing())
        return 0
    if argv != ["csp"]:
        print(USAGE, file=sys.stderr)
        return 2
    try:
        settings = resolve()
    except ConfigurationError as error:
        print(error, file=sys.stderr)
        return 2
    beacon = urlsplit(settings.pageviews_url)
    print(f"connect-src {beacon.scheme}://{beacon.netloc}")
    print(f"script-src for the inline bundle (CONNECT_PAGEVIEWS_INLINE): {inline_script_hash()}")
    print(f"integrity of the served bundle: {integrity()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
