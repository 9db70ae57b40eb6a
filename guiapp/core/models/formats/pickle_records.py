"""The plain-data stand-ins the restricted unpickler builds for NVIDIA network objects.

A :class:`PersistentRecord` is one PyTorch network of an NVIDIA pickle (class name, the
recorded ``__dict__``, the stored source as inert text); a :class:`TFNetworkRecord` is one
``dnnlib.tflib.network.Network`` of a TensorFlow pickle. Their child records are walked
iteratively with a visited set and a node limit, so a file whose records form a loop or
list one child many times (a DAG that doubles at every level) is refused at once instead
of recursing forever or expanding exponentially.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from guiapp.core.errors import ModelLoadError


class FileRefusal(pickle.UnpicklingError):
    """Something in the file was refused while unpickling; the message is complete and
    plain (callers put the file name in front of it)."""


MAX_RECORDS = 20_000
"""Network objects in one file; NVIDIA's largest generators have a few hundred."""
MAX_DEPTH = 64


def _walk(root: Any, children: Any, what: str) -> Iterator[tuple[str, Any]]:
    """``(dotted name, record)`` for ``root`` and every record below it, depth first.

    Raises ModelLoadError when a record is reached twice (a loop or a shared child), the
    nesting is deeper than MAX_DEPTH or there are more than MAX_RECORDS records.
    """
    seen = {id(root)}
    stack: list[tuple[str, Any, int]] = [("", root, 0)]
    count = 0
    while stack:
        prefix, record, depth = stack.pop()
        count += 1
        if count > MAX_RECORDS:
            raise ModelLoadError(f"the file holds more than {MAX_RECORDS} {what} records")
        if depth > MAX_DEPTH:
            raise ModelLoadError(f"the {what} records are nested more than {MAX_DEPTH} deep")
        yield prefix, record
        for key, child in reversed(list(children(record).items())):
            if id(child) in seen:
                raise ModelLoadError(
                    f"{what} record {prefix + key!r} is reached twice: the records form a "
                    "loop or share a child, which no real network does"
                )
            seen.add(id(child))
            stack.append((f"{prefix}{key}.", child, depth + 1))


def _str_keyed(value: Any, where: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ModelLoadError(f"malformed network record: {where} is a {type(value).__name__}, "
                             "not a dict")
    bad = [k for k in value if not isinstance(k, str)]
    if bad:
        raise ModelLoadError(f"malformed network record: {where} has a key {bad[0]!r} that is "
                             "not a name")
    return value


class PersistentRecord:
    """One network object of an NVIDIA pickle: its class name and recorded ``__dict__``.

    ``module_src`` is kept as text for inspection only; it is never executed.
    """

    def __init__(self, class_name: str, state: dict, module_src: str = "") -> None:
        self.class_name, self.state, self.module_src = class_name, state, module_src

    def __repr__(self) -> str:
        return f"PersistentRecord({self.class_name!r})"

    @property
    def init_kwargs(self) -> dict:
        kwargs = self.state.get("_init_kwargs")
        return dict(kwargs) if isinstance(kwargs, dict) else {}

    @property
    def modules(self) -> dict[str, PersistentRecord]:
        mods = _str_keyed(self.state.get("_modules"), f"{self.class_name}._modules")
        return {k: v for k, v in mods.items() if isinstance(v, PersistentRecord)}

    def walk(self) -> Iterator[tuple[str, PersistentRecord]]:
        """This record and every one below it, with dotted prefixes (``"synthesis.b4."``)."""
        return _walk(self, lambda r: r.modules, "network")

    def tensors(self, prefix: str = "") -> dict[str, torch.Tensor]:
        """Flat ``state_dict``-style mapping of every parameter and buffer below this one."""
        out = {}
        for sub, record in self.walk():
            for group in ("_parameters", "_buffers"):
                values = _str_keyed(record.state.get(group), f"{record.class_name}.{group}")
                for key, value in values.items():
                    if isinstance(value, torch.Tensor):
                        out[prefix + sub + key] = value
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
        return str(self.state.get("name", ""))[:200]

    @property
    def version(self) -> int:
        version = self.state.get("version", 0)
        return version if type(version) is int else 0

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
        return {k: v for k, v in comps.items() if isinstance(k, str)
                and isinstance(v, TFNetworkRecord)}

    def walk(self) -> Iterator[tuple[str, TFNetworkRecord]]:
        """This network and its components, with prefixes ``"synthesis."``."""
        return _walk(self, lambda r: r.components, "TensorFlow network")

    @property
    def variables(self) -> list[tuple[str, np.ndarray]]:
        """The network's own ``(name, array)`` pairs (malformed entries are dropped)."""
        out = []
        items = self.state.get("variables")
        for item in items if isinstance(items, list | tuple) else ():
            if isinstance(item, tuple | list) and len(item) == 2:
                name, value = item
                if isinstance(name, str) and isinstance(value, np.ndarray | np.generic):
                    out.append((name, np.asarray(value)))
        return out
