"""Typed, bounded reads of values parsed from a user's JSON (sessions, direction metadata).

``json.loads`` hands back whatever the file says: a seed of ``1e999`` (infinity), a string
where a number belongs, a 5000-digit integer, ``true`` for 1, lists nested thousands deep.
These readers accept exactly the type and range a field needs and raise ValueError with
the field's name otherwise, so a loader can turn any of them into one "damaged file"
sentence. :func:`parse_json` makes the parser's own failures (depth, digit limits) plain
ValueErrors too.
"""

from __future__ import annotations

import json
import math
from typing import Any

from guiapp.core.safe_files import FileFormatError

MAX_DEPTH = 32


def parse_json(text: str | bytes) -> Any:
    """``json.loads`` whose every failure (syntax, nesting depth, huge integers) is a
    ValueError."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as exc:  # includes the int digit limit
        raise ValueError(" ".join(str(exc).split())[:200]) from None


def as_int(value: Any, what: str, lo: int, hi: int) -> int:
    """A JSON integer (not a bool or float) with ``lo <= value <= hi``."""
    if type(value) is not int:
        raise ValueError(f"{what} must be a whole number, not {describe(value)}")
    if not lo <= value <= hi:
        raise ValueError(f"{what} must be {lo} to {hi}, not {describe(value)}")
    return value


def as_float(value: Any, what: str, limit: float = math.inf) -> float:
    """A finite JSON number (int or float, not a bool) with ``|value| <= limit``."""
    if type(value) not in (int, float):
        raise ValueError(f"{what} must be a number, not {describe(value)}")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number) or abs(number) > limit:
        bound = "" if limit == math.inf else f" between -{limit:g} and {limit:g}"
        raise ValueError(f"{what} must be a finite number{bound}, not {describe(value)}")
    return number


def as_str(value: Any, what: str, max_len: int = 1 << 20) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what} must be text, not {describe(value)}")
    if len(value) > max_len:
        raise ValueError(f"{what} is longer than {max_len} characters")
    return value


def as_list(value: Any, what: str, length: int | None = None, max_len: int = 1 << 20) -> list:
    """A JSON list; of exactly ``length`` items when given."""
    if not isinstance(value, list):
        raise ValueError(f"{what} must be a list, not {describe(value)}")
    if length is not None and len(value) != length:
        raise ValueError(f"{what} has {len(value)} entries, expected {length}")
    if len(value) > max_len:
        raise ValueError(f"{what} has more than {max_len} entries")
    return value


def as_dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{what} must be an object, not {describe(value)}")
    return value


def plain(value: Any, what: str, max_depth: int = MAX_DEPTH) -> Any:
    """``value`` if it is JSON data nested at most ``max_depth`` deep with finite numbers,
    so it can be saved again and shown without surprises."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > max_depth:
            raise ValueError(f"{what} is nested more than {max_depth} deep")
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
        elif isinstance(item, float) and not math.isfinite(item):
            raise ValueError(f"{what} holds a non-finite number")
        elif not (item is None or isinstance(item, (str, int, float))):
            raise ValueError(f"{what} holds {describe(item)}")
    return value


def describe(value: Any) -> str:
    """A short description of a bad value for a message."""
    if isinstance(value, (dict, list)):
        return "a list" if isinstance(value, list) else "an object"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**12:
        return f"a {len(str(abs(value)))}-digit number"
    text = json.dumps(value) if isinstance(value, (str, bool)) or value is None else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_version(version: Any, current: int, source: str, what: str) -> None:
    """A file's format version: a positive whole number no newer than ``current``.

    ``what`` names the format in messages ("direction set", "session")."""
    if type(version) is not int or version < 1:
        raise FileFormatError(
            f"{source}: damaged {what} (version {describe(version)} is not a positive whole "
            "number)"
        )
    if version > current:
        raise FileFormatError(f"{source}: made by a newer guiapp (version {version})")
