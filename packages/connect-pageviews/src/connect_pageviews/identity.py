"""Identity token v1: the signed-in user's id, encrypted so that only the page-view endpoint
(which holds the same secret) can read it.

    token = base64url(nonce[12] || AES-256-GCM ciphertext || tag[16]), with '=' padding
    key   = SHA-256(UTF-8 secret); plaintext = UTF-8 str(user_id); no associated data

A fresh random nonce per token means a token never repeats, so two page views cannot be linked
by their token alone, and the raw id never appears in the HTML.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Sequence
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_SIZE = 12
TAG_SIZE = 16


class InvalidIdentityToken(ValueError):
    """The token is malformed, was tampered with, or no given key authenticates it."""


@lru_cache(maxsize=16)
def _cipher(secret: str) -> AESGCM:
    return AESGCM(hashlib.sha256(secret.encode("utf-8")).digest())


def encrypt_identity(user_id: object, key: str, *, nonce: bytes | None = None) -> str:
    """Encrypts `str(user_id)` under `key`. `nonce` exists for fixed-nonce test vectors only:
    a repeated nonce under one key breaks AES-GCM, so leave it to the default."""
    if not key:
        raise ValueError("an identity key is required")
    nonce = os.urandom(NONCE_SIZE) if nonce is None else nonce
    if len(nonce) != NONCE_SIZE:
        raise ValueError(f"the nonce must be {NONCE_SIZE} bytes")
    sealed = _cipher(key).encrypt(nonce, str(user_id).encode("utf-8"), None)
    return base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def decrypt_identity(token: str, keys: str | Sequence[str]) -> str:
    """Returns the user id in `token`. With several keys (rotation), the first that
    authenticates wins. Raises `InvalidIdentityToken` for anything else, and only that."""
    candidates = [keys] if isinstance(keys, str) else list(keys)
    try:
        raw = base64.urlsafe_b64decode(token.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError, AttributeError):
        raise InvalidIdentityToken("not base64url") from None
    if len(raw) < NONCE_SIZE + TAG_SIZE:
        raise InvalidIdentityToken("too short to hold a nonce and a tag")
    nonce, sealed = raw[:NONCE_SIZE], raw[NONCE_SIZE:]
    for key in candidates:
        if not key:
            continue
        try:
            plaintext = _cipher(key).decrypt(nonce, sealed, None)
        except InvalidTag:
            continue
        try:
            return plaintext.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidIdentityToken("the plaintext is not UTF-8") from None
    raise InvalidIdentityToken("no key authenticates this token")
