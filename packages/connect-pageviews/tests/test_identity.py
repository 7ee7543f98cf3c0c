"""Identity token v1, against the shared test vectors and an independent decryption."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from connect_pageviews.identity import (
    MAX_USER_ID_BYTES,
    InvalidIdentityToken,
    decrypt_identity,
    encrypt_identity,
)

# The published format contract, kept byte-identical to the copy the ingest side tests against.
VECTORS_PATH = Path(__file__).parent / "vectors" / "identity-v1.json"


def vectors() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(VECTORS_PATH.read_text())
    return loaded


KEY = "identity-test-key-16"
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
    tokens = {encrypt_identity(42, KEY) for _ in range(200)}
    assert len(tokens) == 200
    for token in tokens:
        assert independently_decrypted(token, KEY) == "42"


def test_key_rotation_first_authenticating_key_wins() -> None:
    token = encrypt_identity("user-7", "old-identity-key-1")
    assert decrypt_identity(token, ["new-identity-key-2", "old-identity-key-1"]) == "user-7"
    with pytest.raises(InvalidIdentityToken):
        decrypt_identity(token, ["new-identity-key-2", "other"])
    with pytest.raises(InvalidIdentityToken):
        decrypt_identity(token, [])


def test_user_ids_are_stringified() -> None:
    assert decrypt_identity(encrypt_identity(7, KEY), KEY) == "7"
    assert decrypt_identity(encrypt_identity("ünï", KEY), KEY) == "ünï"


def test_bytes_ids_are_their_utf8_text_not_their_repr() -> None:
    assert decrypt_identity(encrypt_identity(b"42", KEY), KEY) == "42"
    assert decrypt_identity(encrypt_identity(bytearray("ünï", "utf-8"), KEY), KEY) == "ünï"
    with pytest.raises(ValueError, match="not UTF-8"):
        encrypt_identity(b"\xff\xfe", KEY)


def test_ids_that_cannot_be_utf8_are_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match="lone surrogate"):
        encrypt_identity("user\udcff", KEY)


def test_the_longest_id_makes_a_token_that_decrypts_and_a_longer_one_is_refused() -> None:
    longest = "é" * (MAX_USER_ID_BYTES // 2)
    assert decrypt_identity(encrypt_identity(longest, KEY), KEY) == longest
    with pytest.raises(ValueError, match=f"{MAX_USER_ID_BYTES + 1} bytes"):
        encrypt_identity("x" * (MAX_USER_ID_BYTES + 1), KEY)


def test_an_overlong_token_is_refused_as_overlong() -> None:
    with pytest.raises(InvalidIdentityToken, match="longer than 4096 characters"):
        decrypt_identity("A" * 4100, KEY)


GOOD = VALID[2]["token"]  # padded: "...L8qo="
SECRET = VALID[2]["secret"]


@pytest.mark.parametrize(
    "variant",
    [
        GOOD.replace("_", "/"),  # the standard alphabet
        GOOD[:10] + "\n" + GOOD[10:],
        GOOD + "\n",
        GOOD[:10] + "\x00" + GOOD[10:],
        GOOD + "=",
        GOOD + "==",
        GOOD + "AAAA",
        GOOD + "garbage",
        " " + GOOD,
        GOOD[:-2] + "p=",  # same bytes, non-zero unused bits
    ],
)
def test_one_token_has_exactly_one_encoding(variant: str) -> None:
    assert decrypt_identity(GOOD, SECRET) == "7"
    with pytest.raises(InvalidIdentityToken):
        decrypt_identity(variant, SECRET)


def test_the_unpadded_form_is_accepted_too() -> None:
    assert decrypt_identity(GOOD.rstrip("="), SECRET) == "7"


@pytest.mark.parametrize("token", [None, 42, b"AAAA", ["x"], "x" * 100_000, "\udcff"])
def test_tokens_of_any_type_raise_only_the_one_error(token: object) -> None:
    with pytest.raises(InvalidIdentityToken):
        decrypt_identity(token, SECRET)  # type: ignore[arg-type]


def test_random_mutations_raise_nothing_but_the_one_error() -> None:
    import random

    rng = random.Random(1234)
    alphabet = "ABCxyz019-_+/=\n\x00é"
    for _ in range(2000):
        chars = list(GOOD)
        for _ in range(rng.randint(1, 4)):
            position = rng.randrange(len(chars) + 1)
            action = rng.choice(("insert", "replace", "delete"))
            if action == "insert":
                chars.insert(position, rng.choice(alphabet))
            elif chars and position < len(chars):
                if action == "replace":
                    chars[position] = rng.choice(alphabet)
                else:
                    del chars[position]
        mutated = "".join(chars)
        with contextlib.suppress(InvalidIdentityToken):
            assert decrypt_identity(mutated, SECRET) == "7"


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda bad: encrypt_identity(1, bad), "key"),
        (lambda bad: decrypt_identity(GOOD, bad), "keys"),
        (lambda bad: decrypt_identity(GOOD, [SECRET, bad]), "keys"),
    ],
)
@pytest.mark.parametrize("bad", [None, b"bytes-key-16-chars", 42, [["nested"]]])
def test_keys_of_the_wrong_type_raise_one_clear_type_error(
    call: Any, argument: str, bad: object
) -> None:
    with pytest.raises(TypeError, match=argument):
        call(bad)


def test_a_key_that_cannot_be_encoded_is_named() -> None:
    with pytest.raises(ValueError, match="key holds characters that cannot be encoded"):
        encrypt_identity(1, "identity-key-caf\udce9")
