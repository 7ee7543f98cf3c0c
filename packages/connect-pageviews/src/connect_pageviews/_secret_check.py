"""The one warning every framework gives when page views cannot be attributed: the page-view
token is set but the secret is not (plain.connect 0.6's `connect.secret_key_missing`)."""

from __future__ import annotations

from connect_pageviews.settings import TABLE, PageviewsSettings

CHECK_ID = "connect.secret_key_missing"


def secret_key_missing(settings: PageviewsSettings) -> str | None:
    """What is wrong, or None when attribution can work (or page views are off)."""
    if not settings.enabled or settings.pageviews_identity_key:
        return None
    token, key = (TABLE.setting(name) for name in ("pageviews_token", "pageviews_identity_key"))
    return (
        f"{' or '.join(token.framework_names)} is set but {' or '.join(key.framework_names)} is "
        "not: page views are counted, but none will be attributed to signed-in users, and "
        "support forms are sent without render tokens"
    )
