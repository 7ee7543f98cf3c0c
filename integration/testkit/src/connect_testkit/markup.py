"""Reading the page-view tag and the support form's fields back out of rendered HTML: the one
parser the tests share."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Page:
    # Each <script>'s attributes; a bare attribute (`async`) has the value "".
    scripts: list[dict[str, str]] = field(default_factory=list)
    # Each <input>'s attributes, likewise.
    inputs: list[dict[str, str]] = field(default_factory=list)
    # The text between tags (an inline script's body among it).
    text: list[str] = field(default_factory=list)
    # Every other element's tag name, in order: markup that escaped an attribute shows here.
    other_tags: list[str] = field(default_factory=list)


def parse(html: str) -> Page:
    page = Page()

    class Reader(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "script":
                page.scripts.append({name: value or "" for name, value in attrs})
            elif tag == "input":
                page.inputs.append({name: value or "" for name, value in attrs})
            else:
                page.other_tags.append(tag)

        def handle_data(self, data: str) -> None:
            page.text.append(data)

    Reader().feed(html)
    return page


def script_attributes(html: str) -> list[dict[str, str]]:
    """The attributes of each `<script>` in `html`."""
    return parse(html).scripts


def shows(html: str, value: str) -> bool:
    """Whether `value` stands in `html` as a whole token: a user id's digits may also turn up
    inside a random port, a token or an id, which is not the page showing it."""
    return re.search(rf"(?<![\w-]){re.escape(value)}(?![\w-])", html) is not None
