"""Users' regular expressions: split from one string, and refused when they can backtrack badly.

Scrubbing runs these patterns against names that clients choose. Python's engine backtracks, so
a repeated group that itself repeats or alternates (`(a+)+`, `(a|ab)*`) takes exponential time
on a short hostile name while holding the GIL, and many repetitions in a row take polynomial time
of a high degree. Such patterns are refused at start-up; what remains is at worst cubic, and the
scrubber bounds the text it runs on.
"""

from __future__ import annotations

import re

# Measured on a 256-character name: two `[a-z]*` in a row take 0.4 ms, three 0.1 s, four 8 s.
MOST_REPETITIONS = 2
_REPEAT = re.compile(r"\{(\d*)(?:(,)(\d*))?\}")
_OPEN = "([{"
_CLOSE = {")": "(", "]": "[", "}": "{"}


def split(text: str) -> list[str]:
    """Comma-separated patterns; a comma inside (), [] or {} belongs to its pattern."""
    items: list[str] = []
    depth = 0
    start = index = 0
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 1
        elif char in _OPEN:
            depth += 1
        elif char in _CLOSE and depth:
            depth -= 1
        elif char == "," and not depth:
            items.append(text[start:index])
            start = index + 1
        index += 1
    items.append(text[start:])
    return [item.strip() for item in items if item.strip()]


def backtracking_risk(pattern: str) -> str | None:
    """Why `pattern` can take exponential time, or None."""
    # For each open group: whether it holds a quantifier or an alternation.
    groups: list[bool] = []
    closed: bool | None = None  # the group that just closed, when one did
    repetitions = 0
    index = 0
    while index < len(pattern):
        char = pattern[index]
        just_closed, closed = closed, None
        if char == "\\":
            if pattern[index + 1 : index + 2] in tuple("123456789"):
                return "it uses a backreference"
            index += 2
            continue
        if char == "[":
            index = _class_end(pattern, index)
            continue
        if char == "(":
            if pattern.startswith("(?P=", index):
                return "it uses a backreference"
            groups.append(False)
            index += 1
            if pattern.startswith("?", index):
                index = _group_prefix_end(pattern, index)
            continue
        if char == ")":
            closed = groups.pop() if groups else False
            if groups:
                groups[-1] = groups[-1] or closed
        elif char == "|":
            if groups:
                groups[-1] = True
        elif char in "*+?" or _REPEAT.match(pattern, index):
            repeat = _REPEAT.match(pattern, index)
            least = int(repeat.group(1) or 0) if repeat else 0
            most = repeat.group(3) if repeat and repeat.group(2) else str(least)
            varies = char in "*+?" or (repeat is not None and (not most or int(most) != least))
            if just_closed and (varies or least > 1):
                return "a repeated group repeats or alternates inside"
            repetitions += varies
            if repetitions > MOST_REPETITIONS:
                return f"it has more than {MOST_REPETITIONS} quantifiers (*, +, ? or {{m,n}})"
            if groups:
                groups[-1] = True
            index = repeat.end() if repeat else index + 1
            if pattern[index : index + 1] in ("?", "+"):
                index += 1
            continue
        index += 1
    return None


def _class_end(pattern: str, index: int) -> int:
    index += 1
    if pattern.startswith("^", index):
        index += 1
    if pattern.startswith("]", index):
        index += 1
    while index < len(pattern) and pattern[index] != "]":
        index += 2 if pattern[index] == "\\" else 1
    return index + 1


def _group_prefix_end(pattern: str, index: int) -> int:
    """Past `?:`, `?=`, `?!`, `?<=`, `?<!`, `?P<name>`, `?<name>` and inline flags."""
    if pattern.startswith(("?<=", "?<!"), index):
        return index + 3
    if pattern.startswith(("?P<", "?<"), index):
        return pattern.find(">", index) + 1 or len(pattern)
    return index + 2
