"""Is a render request the one already on its way? Then the window need not ask again.

A change often says so twice: a new set arrives, and its selected row changes with it;
each used to send the worker another render of the same image, and on two cores that
render took the processor from the window while it drew the new set.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np


def same_data(a: Any, b: Any) -> bool:
    """True when ``a`` and ``b`` surely describe the same render: equal plain values,
    field by field through dataclasses and tuples; arrays and other objects only when
    they are the same object (so the check never compares arrays element by element, and
    a doubt means "render again")."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return all(same_data(getattr(a, f.name), getattr(b, f.name))
                   for f in dataclasses.fields(a))
    if isinstance(a, tuple | list):
        return len(a) == len(b) and all(same_data(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, int | float | str | bool | bytes):
        return a == b
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_data(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray):
        return False  # another array object: not worth comparing here
    return False


class LastRequest:
    """The newest request sent, to skip sending it again while it is current."""

    def __init__(self) -> None:
        self._sent: tuple[Any, Any] | None = None

    def is_current(self, renderer: Any, request: Any) -> bool:
        sent = self._sent
        return sent is not None and sent[0] is renderer and same_data(sent[1], request)

    def sent(self, renderer: Any, request: Any) -> None:
        self._sent = (renderer, request)

    def forget(self) -> None:
        """The next request is sent whatever it is (a render failed, the queue restarted)."""
        self._sent = None
