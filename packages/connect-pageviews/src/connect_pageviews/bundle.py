"""The committed beacon bundle, and the hashes that let a strict page trust it."""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from importlib.resources import files

STATIC_PATH = "connect_pageviews/pageviews.js"


@cache
def bundle_bytes() -> bytes:
    return (files("connect_pageviews") / "static" / STATIC_PATH).read_bytes()


@cache
def integrity() -> str:
    """The Subresource Integrity value of the served file, for the tag's `integrity`."""
    return "sha384-" + base64.b64encode(hashlib.sha384(bundle_bytes()).digest()).decode()


@cache
def inline_script_hash() -> str:
    """The CSP `script-src` source that allows the inline bundle: `'sha256-...'`."""
    digest = base64.b64encode(hashlib.sha256(bundle_bytes()).digest()).decode()
    return f"'sha256-{digest}'"
