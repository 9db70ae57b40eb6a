"""Hostile pickle building blocks: globals that would run code (each writes a sentinel
file if it ever runs), numpy dtypes with hostile layouts, raw opcode streams."""

from __future__ import annotations

import builtins
import os
import pickle
import subprocess
from pathlib import Path
from typing import Any

import numpy as np


class Reduce:
    """Pickles as ``func(*args)`` (optionally followed by BUILD ``state``)."""

    def __init__(self, func: Any, args: tuple, state: Any = None) -> None:
        self.func, self.args, self.state = func, args, state

    def __reduce__(self) -> tuple:
        if self.state is None:
            return (self.func, self.args)
        return (self.func, self.args, self.state)


def code_payloads(sentinel: Path) -> dict[str, Reduce]:
    """Globals an attacker would call; every one creates ``sentinel`` if it runs."""
    s = str(sentinel)
    return {
        "os_system": Reduce(os.system, (f"touch {s}",)),
        "builtins_eval": Reduce(builtins.eval, (f"open({s!r}, 'w')",)),
        "builtins_exec": Reduce(builtins.exec, (f"open({s!r}, 'w').close()",)),
        "builtins_open": Reduce(builtins.open, (s, "w")),
        "subprocess_call": Reduce(subprocess.call, (["touch", s],)),
        "pickle_loads": Reduce(pickle.loads, (pickle.dumps(Reduce(os.system, (f"touch {s}",))),)),
        "getattr_chain": Reduce(builtins.getattr, (Reduce(builtins.__import__, ("os",)), "system")),
        "import_os": Reduce(builtins.__import__, ("os",)),
    }


class _DtypeStub:
    """Pickles as ``numpy.dtype(spec, False, True)`` with an arbitrary BUILD state."""

    def __init__(self, spec: str, state: tuple) -> None:
        self.spec, self.state = spec, state

    def __reduce__(self) -> tuple:
        return (np.dtype, (self.spec, False, True), self.state)


def _reconstruct() -> Any:
    try:
        from numpy._core.multiarray import _reconstruct as rec  # numpy >= 2
    except ImportError:  # pragma: no cover - numpy 1
        from numpy.core.multiarray import _reconstruct as rec
    return rec


class ArrayStub:
    """Pickles as numpy does an array, with any dtype state, shape and raw bytes."""

    def __init__(self, dtype: Any, shape: tuple, raw: bytes) -> None:
        self.dtype, self.shape, self.raw = dtype, shape, raw

    def __reduce__(self) -> tuple:
        state = (1, self.shape, self.dtype, False, self.raw)
        return (_reconstruct(), (np.ndarray, (0,), b"b"), state)


def hostile_arrays() -> dict[str, ArrayStub]:
    """numpy arrays whose dtype or state reads or writes past the buffer if trusted."""
    f8 = np.dtype("f8")
    far = _DtypeStub("V8", (3, "|", None, ("a",), {"a": (f8, 2**40)}, 8, 1, 16))
    wide = _DtypeStub("V4", (3, "|", None, ("a",), {"a": (np.dtype("f8"), 0)}, 4, 1, 16))
    neg = _DtypeStub("V8", (3, "|", None, ("a",), {"a": (f8, -(2**40))}, 8, 1, 16))
    big_elsize = _DtypeStub("f4", (3, "<", None, None, None, 2**40, 1, 0))
    return {
        "dtype_field_far_offset": ArrayStub(far, (4,), b"\0" * 32),
        "dtype_field_wider_than_item": ArrayStub(wide, (4,), b"\0" * 16),
        "dtype_field_negative_offset": ArrayStub(neg, (4,), b"\0" * 32),
        "dtype_huge_elsize": ArrayStub(big_elsize, (4,), b"\0" * 16),
        "dtype_object": ArrayStub(np.dtype("O"), (1,), b"\0" * 8),
        "array_short_buffer": ArrayStub(np.dtype("f4"), (1000, 1000), b"\0" * 16),
        "array_negative_shape": ArrayStub(np.dtype("f4"), (-1, 4), b"\0" * 16),
        "array_huge_shape": ArrayStub(np.dtype("f4"), (2**31, 2**31), b"\0" * 16),
        "dtype_big_endian": ArrayStub(_DtypeStub("f4", (3, ">", None, None, None, -1, -1, 0)),
                                      (4, 4), b"\0" * 64),
    }


def raw_pickles() -> dict[str, bytes]:
    """Tiny hand-written opcode streams that blow up a naive unpickler."""
    huge = (2**32 - 1).to_bytes(4, "little")
    return {
        "memo_put_huge_index": b"\x80\x04N" + b"r" + huge + b".",
        "memo_get_huge_index": b"\x80\x04" + b"j" + huge + b".",
        "binbytes8_huge_length": b"\x80\x04\x8e" + (2**62).to_bytes(8, "little") + b"x.",
        "binunicode8_huge": b"\x80\x04\x8d" + (2**62).to_bytes(8, "little") + b"x.",
        "frame_huge": b"\x80\x04\x95" + (2**62).to_bytes(8, "little") + b"N.",
        "long4_huge": b"\x80\x04\x8b" + (2**31 - 1).to_bytes(4, "little") + b"\x01.",
        "empty_proto": b"\x80\x04",
        "stop_only": b"\x80\x04.",
        "deep_lists": b"\x80\x04" + b"]" * 200_000 + b"." ,
        "many_marks": b"\x80\x04" + b"(" * 500_000 + b"N.",
    }
