"""numpy arrays, dtypes and scalars inside pickles, rebuilt only as plain numbers.

numpy pickles an array as ``_reconstruct(ndarray, (0,), b'b')`` followed by a BUILD of
``(version, shape, dtype, is_fortran, raw bytes)``, and a dtype as ``dtype('f4', False,
True)`` followed by a BUILD of its byte order, fields and sizes. A hostile dtype state (a
field at a huge offset, a field wider than its item, an object dtype) makes numpy read or
write past the array's buffer. Here a dtype is only ever one of the plain numeric kinds in
native byte order, built fresh from its name; its pickled state is checked and never
applied, and an array's state is checked (shape, byte count) before numpy sees it.
"""

from __future__ import annotations

import math
import sys
from typing import Any

import numpy as np

from guiapp.core.models.formats.pickle_records import FileRefusal

PLAIN_DTYPES = frozenset(
    ("b1", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f2", "f4", "f8", "c8", "c16")
)
MAX_NDIM = 32
_NATIVE = "<" if sys.byteorder == "little" else ">"


class UnsafeArray(FileRefusal):
    """A numpy array or dtype in the file is not plain numbers in native layout."""


class NDArrayType:
    """Stand-in for the ``numpy.ndarray`` global: a marker, never called, so a pickle
    cannot allocate an array of a shape it chooses."""

    def __repr__(self) -> str:
        return "numpy.ndarray"


NDARRAY = NDArrayType()


def plain_dtype(spec: Any, align: Any = False, copy: Any = True) -> np.dtype:
    """``numpy.dtype(spec)`` for a plain numeric ``spec`` such as ``'f4'``; refuses the rest."""
    if isinstance(spec, bytes):
        spec = spec.decode("latin1")
    if not isinstance(spec, str) or spec.lstrip("<>=|") not in PLAIN_DTYPES:
        raise UnsafeArray(
            f"refused to load: a numpy array in the file has dtype {str(spec)[:40]!r}; "
            "only plain numbers are read"
        )
    dtype = np.dtype(spec.lstrip("<>=|"))
    return dtype


def check_dtype_state(dtype: np.dtype, state: Any) -> None:
    """Accept the BUILD state numpy writes for a plain dtype; refuse fields, sub-arrays,
    other byte orders and sizes that differ from the item size. The state is not applied."""
    if not isinstance(state, tuple) or len(state) not in (8, 9):
        raise UnsafeArray("refused to load: a numpy dtype in the file has a malformed state")
    order, subarray, names, fields, elsize = state[1], state[2], state[3], state[4], state[5]
    if subarray is not None or names is not None or fields is not None:
        raise UnsafeArray(
            "refused to load: a numpy dtype in the file has fields or sub-arrays; "
            "only plain numbers are read"
        )
    if order not in ("|", "=", _NATIVE):
        raise UnsafeArray(
            f"refused to load: a numpy array in the file is in byte order {order!r}, "
            "not this machine's"
        )
    if type(elsize) is not int or elsize not in (-1, 0, dtype.itemsize):
        raise UnsafeArray("refused to load: a numpy dtype in the file has a wrong item size")


def check_shape(shape: Any, what: str = "numpy array") -> tuple[int, ...]:
    """A tuple of non-negative ints of at most MAX_NDIM dimensions."""
    if not isinstance(shape, tuple | list) or len(shape) > MAX_NDIM:
        raise UnsafeArray(f"malformed {what} shape")
    out = []
    for n in shape:
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or not 0 <= n < 2**40:
            raise UnsafeArray(f"malformed {what} shape {tuple(shape)[:6]}")
        out.append(int(n))
    return tuple(out)


def set_array_state(array: np.ndarray, state: Any) -> None:
    """Fill a freshly reconstructed array from its pickled state, after checking it."""
    if not isinstance(state, tuple) or len(state) != 5:
        raise UnsafeArray("malformed numpy array state")
    version, shape, dtype, fortran, raw = state
    if not isinstance(dtype, np.dtype) or dtype.str.lstrip("<>=|") not in PLAIN_DTYPES:
        raise UnsafeArray("refused to load: a numpy array in the file is not plain numbers")
    if dtype.byteorder not in ("|", "="):
        raise UnsafeArray("refused to load: a numpy array in the file is not in native order")
    shape = check_shape(shape)
    if not isinstance(raw, bytes | bytearray) or not isinstance(fortran, bool):
        raise UnsafeArray("refused to load: a numpy array in the file holds objects, not numbers")
    want = math.prod(shape) * dtype.itemsize
    if len(raw) != want:
        raise UnsafeArray(
            f"malformed numpy array: shape {shape} needs {want} bytes, the file has {len(raw)}"
        )
    array.__setstate__((version, shape, dtype, fortran, bytes(raw)))


def reconstruct(subtype: Any, shape: Any, dtype: Any) -> np.ndarray:
    """``numpy.core.multiarray._reconstruct``: an empty array that BUILD then fills."""
    if subtype is not NDARRAY:
        raise UnsafeArray("unexpected array type in pickle")
    return np.ndarray.__new__(np.ndarray, (0,), np.uint8)


def scalar(dtype: Any, data: Any = None) -> Any:
    """``numpy.core.multiarray.scalar``: one plain number from its bytes."""
    if not isinstance(dtype, np.dtype) or dtype.str.lstrip("<>=|") not in PLAIN_DTYPES:
        raise UnsafeArray("refused to load: a numpy scalar in the file is not a plain number")
    if not isinstance(data, bytes) or len(data) != dtype.itemsize:
        raise UnsafeArray("malformed numpy scalar in pickle")
    return np.frombuffer(data, dtype=dtype, count=1)[0]


def frombuffer(buf: Any, dtype: Any, shape: Any, order: str) -> np.ndarray:
    """``numpy.core.numeric._frombuffer`` (protocol 5): a checked copy."""
    if not isinstance(dtype, np.dtype) or dtype.str.lstrip("<>=|") not in PLAIN_DTYPES:
        raise UnsafeArray("refused to load: a numpy array in the file is not plain numbers")
    shape = check_shape(shape)
    try:
        raw = memoryview(buf).cast("B")
    except TypeError:
        raise UnsafeArray("malformed numpy array buffer") from None
    if order not in ("C", "F") or len(raw) != math.prod(shape) * dtype.itemsize:
        raise UnsafeArray("malformed numpy array buffer")
    return np.frombuffer(raw, dtype=dtype).reshape(shape, order=order).copy()


def numpy_globals() -> dict[str, Any]:
    """The numpy names a pickle may use, mapped to the checked stand-ins above."""
    allowed: dict[str, Any] = {"numpy.ndarray": NDARRAY, "numpy.dtype": plain_dtype}
    for core in ("numpy.core.multiarray", "numpy._core.multiarray"):
        allowed[f"{core}._reconstruct"] = reconstruct
        allowed[f"{core}.scalar"] = scalar
    for numeric in ("numpy.core.numeric", "numpy._core.numeric"):
        allowed[f"{numeric}._frombuffer"] = frombuffer
    return allowed
