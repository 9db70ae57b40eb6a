"""Direction-discovery methods: one module per method, one public entry each.

- :mod:`guiapp.core.methods.ganspace`: GANSpace (Härkönen et al., NeurIPS 2020), PCA of
  sampled activations or w, regressed back to z for single-latent generators.
- :mod:`guiapp.core.methods.sefa`: SeFa (Shen & Zhou, CVPR 2021), closed-form
  factorisation of the weights that read the latent.

Every module exposes a frozen ``Params`` dataclass and ``discover(model, params, *,
progress=None, cancel=None, on_partial=None) -> DirectionSet``. This package adds the
name-based entry the CLI and the workers use: :func:`make_params` turns a plain dict (from
the command line, a dialog or a saved file) into a method's ``Params`` with one-line
errors, and :func:`run_method` runs a method by name.

Parameter values in the dict may be given as their own type or as text: integers as
``int`` or ``"123"``; numbers as ``float`` or ``"1e-3"``; flags as ``bool`` or
``"true"``/``"false"``; layer ranges as a :class:`~guiapp.core.types.LayerRange`, as
``"2-5"`` (inclusive, as shown to users) or as ``[2, 6]`` (half-open, as stored in files).
A value of ``None`` means "the method's default". The parameter names shared by the
methods (``k``, ``samples``, ``seed``, ``layers``) are accepted with ``None`` by a method
that does not use them, so a caller may pass its shared options unconditionally; any other
name a method does not know is an error.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Callable, Sequence
from typing import Any

from guiapp.core.methods import ganspace, latentclr, sefa
from guiapp.core.models.base import GeneratorModel
from guiapp.core.progress import CancelToken, ProgressFn
from guiapp.core.types import DirectionSet, LayerRange

METHOD_NAMES: tuple[str, ...] = ("ganspace", "sefa", "latentclr")
SHARED_PARAMS: tuple[str, ...] = ("k", "samples", "seed", "layers")

_MODULES: dict[str, types.ModuleType] = {
    "ganspace": ganspace, "sefa": sefa, "latentclr": latentclr,
}


def method_module(method: str) -> types.ModuleType:
    """The module implementing ``method`` (one of :data:`METHOD_NAMES`)."""
    try:
        return _MODULES[method]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown method {method!r}; choose from {', '.join(METHOD_NAMES)}"
        ) from None


def make_params(method: str, params: dict[str, Any] | None = None) -> Any:
    """Build ``method``'s frozen ``Params`` from a plain dict.

    Parameters
    ----------
    method
        One of :data:`METHOD_NAMES`.
    params
        Parameter name -> value; missing names and ``None`` values take the defaults.

    Returns
    -------
    The method's ``Params`` dataclass instance (``sefa.Params`` or ``ganspace.Params``).

    Raises
    ------
    ValueError
        With one line naming the method and the parameter, for an unknown method, an
        unknown parameter or a value of the wrong type or out of range.
    """
    cls = method_module(method).Params
    hints = typing.get_type_hints(cls)
    known = [f.name for f in dataclasses.fields(cls)]
    kwargs: dict[str, Any] = {}
    for name, value in (params or {}).items():
        if name not in known:
            if value is None and name in SHARED_PARAMS:
                continue
            raise ValueError(f"{method} has no parameter {name!r}; it takes {', '.join(known)}")
        if value is None:
            continue
        kwargs[name] = _coerce(method, name, value, hints[name])
    try:
        return cls(**kwargs)
    except ValueError as exc:
        raise ValueError(f"{method}: {exc}") from None


def run_method(
    model: GeneratorModel,
    method: str,
    params: dict[str, Any] | None = None,
    *,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    on_partial: Callable[[Any], None] | None = None,
) -> DirectionSet:
    """Run ``method`` on ``model`` with ``params`` (see :func:`make_params`).

    Raises :class:`~guiapp.core.progress.Cancelled` when ``cancel`` is set, and
    ``ValueError`` for parameters that do not fit the method or the model.
    """
    module = method_module(method)
    return module.discover(
        model,
        make_params(method, params),
        progress=progress,
        cancel=cancel,
        on_partial=on_partial,
    )


def _coerce(method: str, name: str, value: Any, hint: Any) -> Any:
    """``value`` converted to the (non-None) type named by ``hint``."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    target = args[0] if args else hint
    try:
        if target is bool:
            return _as_bool(value)
        if target is int:
            return _as_int(value)
        if target is float:
            return _as_float(value)
        if target is LayerRange:
            return _as_layer_range(value)
        if target is str:
            if not isinstance(value, str):
                raise ValueError
            return value
    except ValueError as exc:
        detail = f" ({exc})" if str(exc) else ""
        raise ValueError(
            f"{method} parameter {name!r} must be {_describe(target)}, not {value!r}{detail}"
        ) from None
    raise TypeError(f"no conversion for parameter type {target!r}")  # a programming error


def _as_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return int(value.strip().replace("_", ""))
    raise ValueError


def _as_float(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError
    result = float(value.strip()) if isinstance(value, str) else float(value)
    if not math.isfinite(result):
        raise ValueError
    return result


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError


def _as_layer_range(value: Any) -> LayerRange:
    if isinstance(value, LayerRange):
        return value
    if isinstance(value, str):
        return LayerRange.parse_inclusive(value)
    if isinstance(value, Sequence) and len(value) == 2:
        return LayerRange(_as_int(value[0]), _as_int(value[1]))
    raise ValueError


def _describe(target: Any) -> str:
    if target is int:
        return "an integer"
    if target is float:
        return "a number"
    if target is bool:
        return "true or false"
    if target is LayerRange:
        return "a layer range such as '2-5' (inclusive)"
    return "text"
