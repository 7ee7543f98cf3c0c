"""connect-pageviews: page-view analytics with a template tag, a tiny beacon and encrypted
attribution to the signed-in user. See README.md."""

from importlib.metadata import version

from connect_pageviews.identity import InvalidIdentityToken, decrypt_identity, encrypt_identity
from connect_pageviews.settings import ConfigurationError, PageviewsSettings, resolve
from connect_pageviews.tag import render_tag

__version__ = version("connect-pageviews")

__all__ = [
    "ConfigurationError",
    "InvalidIdentityToken",
    "PageviewsSettings",
    "__version__",
    "decrypt_identity",
    "encrypt_identity",
    "render_tag",
    "resolve",
]
