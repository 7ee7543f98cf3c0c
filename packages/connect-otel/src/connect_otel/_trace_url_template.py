"""`CONNECT_TRACE_URL`'s parser: a template with `{trace_id}` and optionally `{cloud_url}`
(`CONNECT_CLOUD_URL`), so that an app exporting to its own backend links to its own viewer."""

from __future__ import annotations

import string

from connect_config import parsers as p
from connect_config.parsers import Parser

FIELDS = ("cloud_url", "trace_id")
_EXAMPLE_TRACE_ID = "0af7651916cd43dd8448eb211c80319c"


def _template(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError
    text = value.strip()
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        raise ValueError("its braces do not pair up; a literal brace is written twice") from None
    fields = [field for _, field, _, _ in parsed if field is not None]
    unknown = [field for field in fields if field not in FIELDS]
    if unknown:
        raise ValueError(f"it names {{{unknown[0]}}}")
    if any(spec or conversion for _, field, spec, conversion in parsed if field is not None):
        raise ValueError("a field has a format or a conversion")
    if "trace_id" not in fields:
        raise ValueError("it has no {trace_id}")
    example = text.format(cloud_url="https://plainframework.com", trace_id=_EXAMPLE_TRACE_ID)
    # What comes out must be a URL a browser can open; its query and fragment are the viewer's.
    try:
        p.endpoint_url(example.split("?", 1)[0].split("#", 1)[0])
    except ValueError as error:
        raise ValueError(str(error) or "what it gives is not such a URL") from None
    return text


trace_url_template = Parser(
    _template,
    "a URL template with {trace_id} and optionally {cloud_url} (CONNECT_CLOUD_URL) that "
    'gives an http:// or https:// URL, e.g. "https://traces.example.com/trace/{trace_id}"',
    # A rejected template is quoted back without a password, as a rejected URL is.
    p.base_url.show,
)
