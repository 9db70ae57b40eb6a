"""A restricted unpickler for NVIDIA network pickles and torch files: rebuilds tensors and
plain state from an allow-list and refuses every other global, so no code from the file runs.

NVIDIA's PyTorch snapshots (stylegan2-ada-pytorch, Karras et al. 2020, "Training
Generative Adversarial Networks with Limited Data"; the stylegan3 repository) store each
network as a call to ``torch_utils.persistence._reconstruct_persistent_obj(meta)``, with
``meta = {type, version, module_src, class_name, state}``; NVIDIA's loader executes
``module_src``. Here that call returns a :class:`PersistentRecord` (class name, the
object's recorded ``__dict__``, the source as inert text) after auditing the source text
(:mod:`guiapp.core.models.formats.source_audit`).

Allowed globals: tensor and parameter rebuilding (storages are nested legacy
``torch.save`` blobs, read by :mod:`guiapp.core.models.formats.torch_files`), ``torch.Size``,
``OrderedDict``, sets, protocol-2 byte strings, plain numeric numpy arrays, dtypes and
scalars (:mod:`guiapp.core.models.formats.pickle_numpy`), ``dnnlib.EasyDict`` read as a dict, and
NVIDIA's TensorFlow ``dnnlib.tflib.network.Network`` read as a :class:`TFNetworkRecord`.
Anything else (``os.system``, ``builtins.eval``, ...) raises :class:`RefusedPickle` before
it is called.

The unpickler is Python's own pure-Python one, so the memo is a dict (a 12-byte pickle with
a memo index of 2**32 allocates nothing), every read is bounded by the bytes the file has,
and BUILD is applied only to the stand-ins above and to checked numpy state.
"""

from __future__ import annotations

import _compat_pickle
import codecs
import io
import os
import pickle
from collections import OrderedDict
from typing import Any, BinaryIO, ClassVar

import numpy as np

from guiapp.core.models.formats import pickle_numpy, torch_files
from guiapp.core.models.formats.pickle_records import FileRefusal, PersistentRecord, TFNetworkRecord
from guiapp.core.models.formats.source_audit import audit_source
from guiapp.core.models.formats.torch_files import TORCH_LEGACY_MAGIC

__all__ = [
    "ALLOWED_GLOBALS",
    "TORCH_GLOBALS",
    "TORCH_LEGACY_MAGIC",
    "FileRefusal",
    "PersistentRecord",
    "RefusedPickle",
    "RestrictedUnpickler",
    "TFNetworkRecord",
    "restricted_load",
]


class RefusedPickle(FileRefusal):
    """The pickle asked for something outside the allow-list; nothing was run."""


class _EasyDict(dict):
    """``dnnlib.EasyDict`` read as a plain dict (attribute access is not needed)."""

    def __setstate__(self, state: Any) -> None:
        if isinstance(state, dict):
            self.update(state)


def _reconstruct_persistent_obj(meta: Any) -> PersistentRecord:
    if not isinstance(meta, dict) or not isinstance(meta.get("state"), dict):
        raise pickle.UnpicklingError("malformed network record")
    src = meta.get("module_src")
    src = src if isinstance(src, str) else ""
    reason = audit_source(src)
    if reason is not None:
        raise RefusedPickle(
            f"refused to load: the code stored with network {str(meta.get('class_name'))[:80]!r} "
            f"{reason}, a sign of a hostile file (guiapp never runs stored code)"
        )
    return PersistentRecord(str(meta.get("class_name", ""))[:200], meta["state"], src)


def _load_storage(data: Any) -> torch_files.Storage:
    """``torch.storage._load_from_bytes``: a nested legacy ``torch.save`` of one storage."""
    if not isinstance(data, bytes):
        raise pickle.UnpicklingError("malformed tensor storage")
    storage = torch_files.load_legacy(io.BytesIO(data), _storage_unpickler)
    if not isinstance(storage, torch_files.Storage):
        raise pickle.UnpicklingError("malformed tensor storage")
    return storage


def _latin1_encode(text: Any, encoding: str = "utf-8") -> bytes:
    # Protocol-2 pickles store bytes as _codecs.encode(str, 'latin1').
    if encoding not in ("latin1", "latin-1") or not isinstance(text, str):
        raise pickle.UnpicklingError("unexpected text encoding in pickle")
    return codecs.encode(text, "latin1")


_CONTAINERS: dict[str, Any] = {
    "builtins.set": set,
    "builtins.frozenset": frozenset,
    "__builtin__.set": set,
    "__builtin__.frozenset": frozenset,
    "_codecs.encode": _latin1_encode,
}
TORCH_GLOBALS: dict[str, Any] = {
    **torch_files.tensor_globals(),
    **_CONTAINERS,
    "argparse.Namespace": torch_files.NamespaceRecord,
}
"""What a ``torch.save`` checkpoint (rosinality) may use: tensors, containers, its args."""
ALLOWED_GLOBALS: dict[str, Any] = {
    **torch_files.tensor_globals(),
    **_CONTAINERS,
    "torch.storage._load_from_bytes": _load_storage,
    "dnnlib.EasyDict": _EasyDict,
    "dnnlib.util.EasyDict": _EasyDict,
    "torch_utils.persistence._reconstruct_persistent_obj": _reconstruct_persistent_obj,
    "dnnlib.tflib.network.Network": TFNetworkRecord,
    "tfutil.Network": TFNetworkRecord,  # hook: pggan (progressive_growing_of_gans pickles)
    **pickle_numpy.numpy_globals(),
}
"""What an NVIDIA network pickle may use."""
_ALIASES = {"posix": "os", "nt": "os", "__builtin__": "builtins"}
_BUILDABLE = (TFNetworkRecord, _EasyDict, torch_files.NamespaceRecord)


class _Bounded:
    """A read-only view of ``fh`` whose reads never ask for more than the file holds."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh
        here = fh.tell()
        self.end = fh.seek(0, os.SEEK_END)
        fh.seek(here)

    def read(self, n: int = -1) -> bytes:
        left = self.end - self.fh.tell()
        return self.fh.read(left if n is None or n < 0 else min(n, left))

    def readline(self, *_: Any) -> bytes:
        return self.fh.readline(max(self.end - self.fh.tell(), 0))

    def readinto(self, buf: Any) -> int:
        view = memoryview(buf)
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)


class RestrictedUnpickler(pickle._Unpickler):
    """Unpickler that resolves only ``allowed`` globals and refuses everything else."""

    dispatch: ClassVar[dict] = dict(pickle._Unpickler.dispatch)

    def __init__(
        self,
        fh: BinaryIO,
        allowed: dict[str, Any] | None = None,
        persistent_load: Any = None,
        what: str = "file",
    ) -> None:
        super().__init__(_Bounded(fh))
        self._allowed = ALLOWED_GLOBALS if allowed is None else allowed
        self._persistent = persistent_load
        self._what = what

    def find_class(self, module: str, name: str) -> Any:
        if not isinstance(module, str) or not isinstance(name, str):
            raise pickle.UnpicklingError("malformed global")
        if self.proto < 3 and self.fix_imports:  # Python 2 names, as pickle maps them
            if (module, name) in _compat_pickle.NAME_MAPPING:
                module, name = _compat_pickle.NAME_MAPPING[(module, name)]
            elif module in _compat_pickle.IMPORT_MAPPING:
                module = _compat_pickle.IMPORT_MAPPING[module]
        found = self._allowed.get(f"{module}.{name}")
        if found is not None:
            return found
        if module.startswith("dnnlib.tflib"):
            raise RefusedPickle(
                f"refused to load: the TensorFlow StyleGAN pickle asks for {module}.{name} "
                "(only its Network objects are read)"
            )
        shown = f"{_ALIASES.get(module, module)}.{name}"[:120]
        if self._allowed is TORCH_GLOBALS:
            raise RefusedPickle(
                "refused to load: the file holds Python objects beyond weights, and loading "
                f"them could run code (it asks for {shown})"
            )
        raise RefusedPickle(f"refused to load: the {self._what} asks to run {shown}")

    def persistent_load(self, pid: Any) -> Any:
        if self._persistent is None:
            raise RefusedPickle(f"refused to load: the {self._what} uses pickle persistent ids")
        return self._persistent(pid)

    def load_build(self) -> None:
        state = self.stack.pop()
        inst = self.stack[-1]
        if isinstance(inst, np.dtype):
            pickle_numpy.check_dtype_state(inst, state)
        elif isinstance(inst, np.ndarray):
            pickle_numpy.set_array_state(inst, state)
        elif isinstance(inst, _BUILDABLE):
            inst.__setstate__(state)
        elif type(inst) is OrderedDict and isinstance(state, dict) and set(state) <= {"_metadata"}:
            pass  # hook: biggan: a module.state_dict()'s `_metadata` (module versions), unused
        else:
            raise pickle.UnpicklingError(f"malformed pickle: cannot set the state of "
                                         f"{type(inst).__name__}")

    dispatch[pickle.BUILD[0]] = load_build


def _storage_unpickler(fh: BinaryIO, persistent_load: Any) -> RestrictedUnpickler:
    return RestrictedUnpickler(fh, torch_files.storage_globals(), persistent_load,
                               "tensor storage")


def torch_unpickler(fh: BinaryIO, persistent_load: Any) -> RestrictedUnpickler:
    """The unpickler :mod:`torch_files` uses for a checkpoint's object part."""
    return RestrictedUnpickler(fh, TORCH_GLOBALS, persistent_load, "file")


def restricted_load(fh: BinaryIO) -> Any:
    """Unpickle one object from ``fh`` through :class:`RestrictedUnpickler`.

    Raises
    ------
    RefusedPickle
        When the file asks for a global outside the allow-list (nothing of it runs).
    pickle.UnpicklingError, EOFError, ValueError, ...
        When the file is corrupt or truncated.
    """
    return RestrictedUnpickler(fh).load()
