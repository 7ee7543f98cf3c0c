"""Identity token v1: the signed-in user's id, encrypted so that only the page-view endpoint
(which holds the same secret) can read it.

    token = base64url(nonce[12] || AES-256-GCM ciphertext || tag[16]), with '=' padding
    key   = SHA-256(UTF-8 secret); plaintext = UTF-8 of the id's text; no associated data

An id's text is `str(user_id)`, except that bytes are read as UTF-8 text (`b"42"` is "42"). An
id whose text cannot be UTF-8 (a lone surrogate) or that is longer than `MAX_USER_ID_BYTES`
cannot be encrypted: `encrypt_identity` raises `ValueError` saying which, and the tag counts the
page view without its user.

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
MAX_TOKEN_LENGTH = 4096
# Ids are short (a primary key, a UUID, an e-mail address). The bound keeps each token under
# 1.5 KB of HTML and far inside what `decrypt_identity` accepts (4096 characters hold 3044 bytes).
MAX_USER_ID_BYTES = 1024


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


def user_id_text(user_id: object) -> str:
    """The text an id is encrypted as: `str(user_id)`, with bytes read as UTF-8 text.
    Raises `ValueError` (`UnicodeDecodeError`) for bytes that are not UTF-8."""
    if isinstance(user_id, (bytes, bytearray, memoryview)):
        return bytes(user_id).decode("utf-8")
    return str(user_id)


def _plaintext(user_id: object) -> bytes:
    try:
        plaintext = user_id_text(user_id).encode("utf-8")
    except UnicodeError:
        raise ValueError(
            "the user id holds characters that cannot be encoded as UTF-8 (a lone surrogate, "
            "or bytes that are not UTF-8 text)"
        ) from None
    if len(plaintext) > MAX_USER_ID_BYTES:
        raise ValueError(
            f"the user id is {len(plaintext)} bytes of UTF-8; at most {MAX_USER_ID_BYTES} are "
            "encrypted, so that every token stays small and readable by decrypt_identity"
        )
    return plaintext


def encrypt_identity(user_id: object, key: str, *, nonce: bytes | None = None) -> str:
    """Encrypts the id's text (`user_id_text`) under `key`; raises `ValueError` for an id that
    cannot be encrypted (see the module's docstring). `nonce` exists for fixed-nonce test
    vectors only: a repeated nonce under one key breaks AES-GCM, so leave it to the default."""
    _key_bytes(key, "key")
    if not key:
        raise ValueError("an identity key is required")
    nonce = os.urandom(NONCE_SIZE) if nonce is None else nonce
    if len(nonce) != NONCE_SIZE:
        raise ValueError(f"the nonce must be {NONCE_SIZE} bytes")
    sealed = _cipher(key).encrypt(nonce, _plaintext(user_id), None)
    return base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def decrypt_identity(token: str, keys: str | Sequence[str]) -> str:
    """Returns the user id in `token`. With several keys (rotation), the first that
    authenticates wins. Raises `InvalidIdentityToken` for anything else, and only that."""
    candidates = _keys(keys)
    if not isinstance(token, str):
        raise InvalidIdentityToken("not base64url")
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidIdentityToken(f"longer than {MAX_TOKEN_LENGTH} characters")
    if not _BASE64URL.fullmatch(token):
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
