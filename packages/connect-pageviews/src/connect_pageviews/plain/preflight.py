"""`plain preflight`'s warning when page views cannot be attributed."""

from __future__ import annotations

from plain.preflight import PreflightCheck, PreflightResult, register_check

from connect_pageviews._secret_check import CHECK_ID, secret_key_missing
from connect_pageviews.plain.extension import plain_settings


@register_check(CHECK_ID)
class SecretKeyMissing(PreflightCheck):
    def run(self) -> list[PreflightResult]:
        problem = secret_key_missing(plain_settings())
        return [] if problem is None else [PreflightResult(fix=problem, id=CHECK_ID, warning=True)]
