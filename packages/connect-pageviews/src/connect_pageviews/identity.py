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
import re
from collections.abc import Sequence
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_SIZE = 12
TAG_SIZE = 16


# Exactly base64url: whole 4-character groups, the last one padded with "=" or left unpadded.
# Anything else (the standard alphabet's "+/", white space, NUL, extra "=", bytes after the
# padding) would let one token be written many ways, so it is refused.
_BASE64URL = re.compile(r"(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2}(?:==)?|[A-Za-z0-9_-]{3}=?)?")
# Tokens are short; a bound keeps a hostile megabyte string from costing a decode.
_MAX_TOKEN_LENGTH = 4096


class InvalidIdentityToken(ValueError):
    """The token is malformed, was tampered with, or no given key authenticates it."""


def _key_bytes(key: object, argument: str) -> bytes:
    if not isinstance(key, str):
        raise TypeError(f"{argument} must be a str, not {type(key).__name__}")
    try:
        return key.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{argument} holds characters that cannot be encoded as UTF-8") from None


@lru_cache(maxsize=16)
def _cipher(secret: str) -> AESGCM:
    return AESGCM(hashlib.sha256(_key_bytes(secret, "key")).digest())


def encrypt_identity(user_id: object, key: str, *, nonce: bytes | None = None) -> str:
    """Encrypts `str(user_id)` under `key`. `nonce` exists for fixed-nonce test vectors only:
    a repeated nonce under one key breaks AES-GCM, so leave it to the default."""
    _key_bytes(key, "key")
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
    candidates = _keys(keys)
    if (
        not isinstance(token, str)
        or len(token) > _MAX_TOKEN_LENGTH
        or not _BASE64URL.fullmatch(token)
    ):
        raise InvalidIdentityToken("not base64url")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise InvalidIdentityToken("not base64url") from None
    # The unused low bits of the last character must be zero: one encoding per token.
    if base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=") != token.rstrip("="):
        raise InvalidIdentityToken("not the canonical base64url of its bytes")
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


def _keys(keys: object) -> list[str]:
    if isinstance(keys, str):
        candidates: list[object] = [keys]
    elif isinstance(keys, (list, tuple)):
        candidates = list(keys)
    else:
        raise TypeError(f"keys must be a str or a sequence of str, not {type(keys).__name__}")
    for key in candidates:
        _key_bytes(key, "keys")
    return [key for key in candidates if isinstance(key, str)]
