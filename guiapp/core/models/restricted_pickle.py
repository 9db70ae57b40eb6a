"""A restricted unpickler for NVIDIA network pickles: rebuilds tensors and plain state
from an allow-list and refuses every other global, so no code from the file runs.

NVIDIA's PyTorch snapshots (stylegan2-ada-pytorch, Karras et al. 2020, "Training
Generative Adversarial Networks with Limited Data"; the stylegan3 repository) store each
network as a call to ``torch_utils.persistence._reconstruct_persistent_obj(meta)``, with
``meta = {type, version, module_src, class_name, state}``; NVIDIA's loader executes
``module_src``. Here that call returns a :class:`PersistentRecord` (class name, the
object's recorded ``__dict__``, the source as inert text) after auditing the source text
(:mod:`guiapp.core.models.source_audit`).

Allowed globals: tensor and parameter rebuilding (storages are nested legacy
``torch.save`` blobs, read with ``torch.load(weights_only=True)``), ``torch.Size``,
``OrderedDict``, sets, protocol-2 byte strings, numpy arrays, dtypes and scalars, and
``dnnlib.EasyDict`` read as a dict, and NVIDIA's TensorFlow ``dnnlib.tflib.network.Network``
read as a :class:`TFNetworkRecord` (its pickled state only: the stored build source stays
inert text, see :mod:`guiapp.core.models.tf_pickle`). Anything else (``os.system``,
``builtins.eval``, ...) raises :class:`RefusedPickle` before it is called.
"""

from __future__ import annotations

import codecs
import io
import pickle
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np
import torch

from guiapp.core.models.source_audit import audit_source

TORCH_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
"""First object of a legacy (pre-zip) ``torch.save`` file, which is also a pickle."""


class RefusedPickle(pickle.UnpicklingError):
    """The pickle asked for something outside the allow-list; nothing was run."""


@dataclass
class PersistentRecord:
    """One network object of an NVIDIA pickle: its class name and recorded ``__dict__``.

    ``module_src`` is kept as text for inspection only; it is never executed.
    """

    class_name: str
    state: dict
    module_src: str = ""

    @property
    def init_kwargs(self) -> dict:
        kwargs = self.state.get("_init_kwargs")
        return dict(kwargs) if isinstance(kwargs, dict) else {}

    @property
    def modules(self) -> dict[str, PersistentRecord]:
        mods = self.state.get("_modules") or {}
        return {k: v for k, v in mods.items() if isinstance(v, PersistentRecord)}

    def tensors(self, prefix: str = "") -> dict[str, torch.Tensor]:
        """Flat ``state_dict``-style mapping of every parameter and buffer below this one."""
        out = {}
        for group in ("_parameters", "_buffers"):
            for key, value in (self.state.get(group) or {}).items():
                if isinstance(value, torch.Tensor):
                    out[prefix + key] = value
        for key, child in self.modules.items():
            out.update(child.tensors(f"{prefix}{key}."))
        return out


class TFNetworkRecord:
    """One ``dnnlib.tflib.network.Network`` of a TensorFlow StyleGAN pickle, as plain data.

    NVIDIA's ``Network.__setstate__`` executes ``build_module_src`` to rebuild the graph;
    this stand-in only keeps the state dict (``version``, ``name``, ``static_kwargs``,
    ``components``, ``build_module_src``, ``build_func_name``, ``variables``, ...).
    """

    state: dict

    def __new__(cls, *_: Any) -> TFNetworkRecord:
        # Unpickling calls __new__ (NEWOBJ) and then __setstate__ (BUILD), never __init__.
        obj = super().__new__(cls)
        obj.state = {}
        return obj

    def __setstate__(self, state: Any) -> None:
        if not isinstance(state, dict):
            raise pickle.UnpicklingError("malformed TensorFlow network record")
        self.state = state

    @property
    def name(self) -> str:
        return str(self.state.get("name", ""))

    @property
    def version(self) -> int:
        version = self.state.get("version", 0)
        return version if isinstance(version, int) else 0

    @property
    def build_func_name(self) -> str:
        name = self.state.get("build_func_name")
        return name if isinstance(name, str) else ""

    @property
    def static_kwargs(self) -> dict:
        kwargs = self.state.get("static_kwargs")
        return dict(kwargs) if isinstance(kwargs, dict) else {}

    @property
    def components(self) -> dict[str, TFNetworkRecord]:
        comps = self.state.get("components")
        if not isinstance(comps, dict):
            return {}
        return {k: v for k, v in comps.items() if isinstance(v, TFNetworkRecord)}

    @property
    def variables(self) -> list[tuple[str, np.ndarray]]:
        """The network's own ``(name, array)`` pairs (malformed entries are dropped)."""
        out = []
        for item in self.state.get("variables") or ():
            if isinstance(item, tuple | list) and len(item) == 2:
                name, value = item
                if isinstance(name, str) and isinstance(value, np.ndarray | np.generic):
                    out.append((name, np.asarray(value)))
        return out


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
            f"refused to load: the code stored with network {meta.get('class_name')!r} "
            f"{reason}, a sign of a hostile file (guiapp never runs stored code)"
        )
    return PersistentRecord(str(meta.get("class_name", "")), meta["state"], src)


def _load_storage(data: bytes) -> Any:
    if not isinstance(data, bytes):
        raise pickle.UnpicklingError("malformed tensor storage")
    try:
        storage = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise RefusedPickle(
            "refused to load: a tensor in the file asks to run code (weights-only check failed)"
        ) from None
    if not isinstance(storage, torch.TypedStorage | torch.UntypedStorage):
        raise pickle.UnpicklingError("malformed tensor storage")
    return storage


def _rebuild_tensor(storage: Any, offset: int, size: tuple, stride: tuple, *_: Any) -> Any:
    if not isinstance(storage, torch.TypedStorage | torch.UntypedStorage):
        raise pickle.UnpicklingError("malformed tensor")
    return torch._utils._rebuild_tensor(storage, offset, tuple(size), tuple(stride))


def _rebuild_parameter(data: Any, *_: Any) -> Any:
    if not isinstance(data, torch.Tensor):
        raise pickle.UnpicklingError("malformed parameter")
    return data


def _latin1_encode(text: str, encoding: str = "utf-8") -> bytes:
    # Protocol-2 pickles store bytes as _codecs.encode(str, 'latin1').
    if encoding not in ("latin1", "latin-1") or not isinstance(text, str):
        raise pickle.UnpicklingError("unexpected text encoding in pickle")
    return codecs.encode(text, "latin1")


def _numpy_globals() -> dict[str, Any]:
    allowed: dict[str, Any] = {"numpy.ndarray": np.ndarray, "numpy.dtype": np.dtype}
    for core in ("numpy.core.multiarray", "numpy._core.multiarray"):
        allowed[f"{core}._reconstruct"] = _np_reconstruct
        allowed[f"{core}.scalar"] = _np_scalar
    for numeric in ("numpy.core.numeric", "numpy._core.numeric"):
        allowed[f"{numeric}._frombuffer"] = _np_frombuffer  # protocol 5
    return allowed


def _np_reconstruct(subtype: Any, shape: Any, dtype: Any) -> np.ndarray:
    if subtype is not np.ndarray:
        raise pickle.UnpicklingError("unexpected array type in pickle")
    return np.ndarray.__new__(np.ndarray, shape, dtype)


def _np_scalar(dtype: Any, data: bytes | None = None) -> Any:
    if not isinstance(dtype, np.dtype) or dtype.hasobject or not isinstance(data, bytes):
        raise pickle.UnpicklingError("unexpected numpy scalar in pickle")
    return np.frombuffer(data, dtype=dtype, count=1)[0]


def _np_frombuffer(buf: Any, dtype: Any, shape: Any, order: str) -> np.ndarray:
    if not isinstance(dtype, np.dtype) or dtype.hasobject or order not in ("C", "F"):
        raise pickle.UnpicklingError("unexpected numpy array in pickle")
    return np.frombuffer(buf, dtype=dtype).reshape(shape, order=order).copy()


ALLOWED_GLOBALS: dict[str, Any] = {
    "torch._utils._rebuild_tensor": _rebuild_tensor,
    "torch._utils._rebuild_tensor_v2": _rebuild_tensor,
    "torch._utils._rebuild_parameter": _rebuild_parameter,
    "torch._utils._rebuild_parameter_with_state": _rebuild_parameter,
    "torch.storage._load_from_bytes": _load_storage,
    "torch.Size": torch.Size,
    "collections.OrderedDict": OrderedDict,
    "builtins.set": set,
    "builtins.frozenset": frozenset,
    "__builtin__.set": set,
    "__builtin__.frozenset": frozenset,
    "_codecs.encode": _latin1_encode,
    "dnnlib.EasyDict": _EasyDict,
    "dnnlib.util.EasyDict": _EasyDict,
    "torch_utils.persistence._reconstruct_persistent_obj": _reconstruct_persistent_obj,
    "dnnlib.tflib.network.Network": TFNetworkRecord,
    **_numpy_globals(),
}
_ALIASES = {"posix": "os", "nt": "os", "__builtin__": "builtins"}


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickler that resolves only :data:`ALLOWED_GLOBALS` and refuses everything else."""

    def find_class(self, module: str, name: str) -> Any:
        found = ALLOWED_GLOBALS.get(f"{module}.{name}")
        if found is not None:
            return found
        if module.startswith("dnnlib.tflib"):
            raise RefusedPickle(
                f"refused to load: the TensorFlow StyleGAN pickle asks for {module}.{name} "
                "(only its Network objects are read)"
            )
        shown = f"{_ALIASES.get(module, module)}.{name}"
        raise RefusedPickle(f"refused to load: the file asks to run {shown}")

    def persistent_load(self, pid: Any) -> Any:
        raise RefusedPickle("refused to load: the file uses pickle persistent ids")


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
