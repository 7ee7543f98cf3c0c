"""Identity token v1, against the shared test vectors and an independent decryption."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from connect_pageviews.identity import InvalidIdentityToken, decrypt_identity, encrypt_identity

VECTORS_PATH = Path(__file__).parents[3].parent / "shared" / "test-vectors" / "identity-v1.json"


def vectors() -> dict[str, Any]:
    if not VECTORS_PATH.exists():
        pytest.fail(f"the shared test vectors are missing: expected {VECTORS_PATH}")
    loaded: dict[str, Any] = json.loads(VECTORS_PATH.read_text())
    return loaded


VALID = vectors()["valid"]
INVALID = vectors()["invalid"]


def independently_decrypted(token: str, secret: str) -> str:
    raw = base64.urlsafe_b64decode(token)
    key = hashlib.sha256(secret.encode()).digest()
    return AESGCM(key).decrypt(raw[:12], raw[12:], None).decode()


@pytest.mark.parametrize("vector", VALID, ids=[v["user_id"] for v in VALID])
def test_valid_vectors_decrypt_and_encrypt_exactly(vector: dict[str, str]) -> None:
    assert decrypt_identity(vector["token"], vector["secret"]) == vector["user_id"]
    nonce = bytes.fromhex(vector["nonce_hex"])
    assert encrypt_identity(vector["user_id"], vector["secret"], nonce=nonce) == vector["token"]


@pytest.mark.parametrize("vector", INVALID, ids=[v["why"] for v in INVALID])
def test_invalid_vectors_are_rejected_with_one_exception_type(vector: dict[str, str]) -> None:
    with pytest.raises(InvalidIdentityToken):
        decrypt_identity(vector["token"], vector["secret"])


@pytest.mark.parametrize(
    "token", ["AAEC\u00e9", "====", "A", "AAECAwQFBgcICQoLeWCjalfbi2XR2iOQEthlBY7K" * 3]
)
def test_other_garbage_is_rejected_the_same_way(token: str) -> None:
    with pytest.raises(InvalidIdentityToken):
        decrypt_identity(token, "endpoint-identity-secret")


def test_tokens_never_repeat() -> None:
    tokens = {encrypt_identity(42, "k") for _ in range(200)}
    assert len(tokens) == 200
    for token in tokens:
        assert independently_decrypted(token, "k") == "42"


def test_key_rotation_first_authenticating_key_wins() -> None:
    token = encrypt_identity("user-7", "old-key")
    assert decrypt_identity(token, ["new-key", "old-key"]) == "user-7"
    with pytest.raises(InvalidIdentityToken):
        decrypt_identity(token, ["new-key", "other"])
    with pytest.raises(InvalidIdentityToken):
        decrypt_identity(token, [])


def test_user_ids_are_stringified() -> None:
    assert decrypt_identity(encrypt_identity(7, "k"), "k") == "7"
    assert decrypt_identity(encrypt_identity("ünï", "k"), "k") == "ünï"
