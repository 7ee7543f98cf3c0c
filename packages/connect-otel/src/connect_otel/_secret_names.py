"""Which names are secret, by the one word list both the scrubber and the beacon are built from.

`secret_words.json` says the rule; connect-js builds the same rule into the page-view beacon,
and a test runs both over the same names. Matching splits a name into words and looks each up in
a set: linear in the name's length, whatever the name.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

_LIST = json.loads((Path(__file__).parent / "secret_words.json").read_text("utf-8"))
SECRET: frozenset[str] = frozenset(_LIST["secret"].split())
DESCRIBING: frozenset[str] = frozenset(_LIST["describing"].split())
COUNTING: frozenset[str] = frozenset(_LIST["counting"].split())
PARAMETERS: frozenset[str] = frozenset(_LIST["parameters"].split())
ROUTE: frozenset[str] = frozenset(_LIST["route"].split())
# The longest entry, in words: `access_key_id`.
LONGEST = max(entry.count("_") + 1 for entry in SECRET)

_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_CAMEL_AFTER_DIGITS = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SEPARATORS = re.compile(r"[^a-z]+")
_SEPARATORS_BUT_DIGITS = re.compile(r"[^a-z0-9]+")


def split_words(name: str) -> list[str]:
    """The list's words: `X-Amz-Signature` -> x amz signature, `apiKey2` -> api key."""
    return [word for word in _SEPARATORS.split(_CAMEL.sub("_", name).lower()) if word]


def words(name: str) -> str:
    """Words and digits joined by `_`, as extra patterns see them: `apiKey2` -> `api_key2`."""
    parts = _SEPARATORS_BUT_DIGITS.split(_CAMEL_AFTER_DIGITS.sub("_", name).lower())
    return "_".join(part for part in parts if part)


def has_secret_word(split: Sequence[str]) -> bool:
    for start in range(len(split)):
        for length in range(min(LONGEST, len(split) - start), 0, -1):
            if "_".join(split[start : start + length]) in SECRET:
                after = split[start + length] if start + length < len(split) else ""
                before = split[start - 1] if start else ""
                if after not in DESCRIBING and before not in COUNTING:
                    return True
                break
    return False


def is_secret_parameter_name(split: Sequence[str]) -> bool:
    return has_secret_word(split) or "_".join(split) in PARAMETERS
