"""Find and open generators: built-in models by name, user files by their content.

A model reference is ``builtin:NAME`` (or a bare built-in ``NAME``) or a path. The format is
detected from the first bytes, never from the extension, and no loader executes code from
the file. Each container is read once into plain objects and tensors (``formats/``), then
offered to the readers registered for its kind, in order; the first that recognises it
builds the model. A family plugs in with one :func:`register_reader` line at the end of
this module (see ``/work/briefs/s5/models_layout.md`` and ``design.md``).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from guiapp.core.devices import prepare_device
from guiapp.core.models.base import GeneratorModel, ModelLoadError
from guiapp.core.models.catalog import (
    BUILTIN_PREFIX,
    DEFAULT_MODEL,
    BuiltinModel,
    builtin_models,
    file_sha256,
    find_builtin,
    resources_dir,
)
from guiapp.core.models.formats.sniff import (
    check_regular_file,
    printable,
    shown_name,
    sniff_format,
)

__all__ = [
    "DEFAULT_MODEL",
    "READER_KINDS",
    "BuiltinModel",
    "Source",
    "builtin_models",
    "file_sha256",
    "find_builtin",
    "load_model",
    "register_reader",
    "resources_dir",
    "sniff_format",
]


@dataclass(frozen=True)
class Source:
    """What a reader is told about the file besides its content."""

    path: Path
    """The file (or, for ``"folder"`` readers, the folder) being opened."""
    name: str
    """Display name of the model (the file's stem, or the built-in's name)."""
    model_id: str
    """sha256 of the file; ``""`` for a folder (its reader hashes its weights file)."""


Reader = Callable[[Any, Source], GeneratorModel | None]
"""``reader(obj, source)``: the model, or None when ``obj`` is not this reader's kind of
network (then the next reader is asked). Raise :class:`ModelLoadError` (one line) only
when ``obj`` is clearly yours but cannot be opened."""

READER_KINDS = {
    "folder": "a folder (obj: its Path), e.g. BigGAN's pytorch_model.bin + config.json",
    "torch": "the object of a torch.save file, zip or legacy (a dict, a state dict, ...)",
    "pickle": "the object of an NVIDIA PyTorch network pickle (PersistentRecord networks)",
    "tf": "the object of a TensorFlow network pickle (TFNetworkRecord networks)",
}
_PLUGINS: dict[str, list[str]] = {kind: [] for kind in READER_KINDS}
_LAST: dict[str, str] = {
    # Tried after every plug-in: these explain why a file of their kind is refused.
    "torch": "guiapp.core.models.formats.rosinality:read_checkpoint",
    "pickle": "guiapp.core.models.formats.nvidia_pickle:read_pickled_generator",
    "tf": "guiapp.core.models.formats.tf_pickle:read_tf_generator",
}


def register_reader(kind: str, target: str) -> None:
    """Offer every file of ``kind`` (a key of :data:`READER_KINDS`) to ``target``,
    ``"package.module:function"`` (a :data:`Reader`, imported on first use), before the
    built-in StyleGAN2/3 readers."""
    if kind not in READER_KINDS:
        raise ValueError(f"reader kind must be one of {', '.join(READER_KINDS)}, not {kind!r}")
    if target not in _PLUGINS[kind]:
        _PLUGINS[kind].append(target)


def _reader(target: str) -> Reader:
    module, _, func = target.partition(":")
    return getattr(importlib.import_module(module), func)


def read_with_plugins(kind: str, obj: Any, src: Source) -> GeneratorModel:
    """The model of the first reader of ``kind`` that recognises ``obj``."""
    targets = _PLUGINS[kind] + ([_LAST[kind]] if kind in _LAST else [])
    for target in targets:
        model = _reader(target)(obj, src)
        if model is not None:
            return model
    if kind == "folder":
        raise ModelLoadError(f"{shown_name(src.path)}: is a folder, not a file; give a model file")
    raise ModelLoadError(f"{shown_name(src.path)}: not a model file guiapp can read")


def _resolve(ref: str) -> tuple[Path, str, bool]:
    """``(path, display name, is_builtin)`` of a reference; one-line errors for bad ones."""
    if ref.startswith(BUILTIN_PREFIX):
        builtin = find_builtin(ref)
        if builtin is None:
            names = ", ".join(m.name for m in builtin_models())
            raise ModelLoadError(
                f"no built-in model {ref[len(BUILTIN_PREFIX) :]!r} (have: {names})"
            )
        return builtin.weights, builtin.name, True
    path = Path(ref).expanduser()
    if not os.path.lexists(path):
        builtin = find_builtin(ref)
        if builtin is not None:
            return builtin.weights, builtin.name, True
    check_regular_file(path, printable(ref), allow_folder=bool(_PLUGINS["folder"]))
    return path, printable(path.stem if path.is_file() else path.name), False


def load_model(ref: str, device: str | torch.device = "cpu") -> GeneratorModel:
    """Open ``ref`` (``builtin:NAME`` or a path) on ``device`` (see :mod:`devices`).

    Every failure of the file, whatever its cause, becomes one :class:`ModelLoadError`
    line that names the file; nothing else escapes (but a bad ``device``).

    Raises
    ------
    ModelLoadError
        With a one-line reason: missing file, unknown built-in, unsupported or corrupt file.
    ValueError
        When ``device`` is not one this machine has.
    """
    device = prepare_device(device)
    path, name, is_builtin = _resolve(ref)
    if is_builtin and not path.is_file():
        raise ModelLoadError(f"built-in model {name!r} has no weights file at {path}")
    shown = shown_name(path)
    try:
        return _open(path, name).to(device)
    except ModelLoadError as exc:
        text = printable(" ".join(str(exc).split()))
        raise ModelLoadError(text if shown in text else f"{shown}: {text}") from None
    except MemoryError:
        raise ModelLoadError(f"{shown}: opening it needs more memory than guiapp may use") from None
    except RecursionError:
        raise ModelLoadError(f"{shown}: its structure is nested too deeply to be a model") from None
    except OSError as exc:
        raise ModelLoadError(f"{shown}: cannot be read ({exc.strerror or exc})") from None
    except Exception as exc:  # the one error path: a loader's surprise is still one line
        first = printable((str(exc).splitlines() or [""])[0][:200])
        raise ModelLoadError(
            f"{shown}: not a model guiapp can open ({type(exc).__name__}: {first})"
        ) from None


def _open(path: Path, name: str) -> GeneratorModel:
    if path.is_dir():
        return read_with_plugins("folder", path, Source(path, name, ""))
    fmt = sniff_format(path)
    src = Source(path, name, file_sha256(path))
    if fmt == "safetensors":
        from guiapp.core.models.formats.guiapp_safetensors import load_guiapp_safetensors

        return load_guiapp_safetensors(path, name, src.model_id)
    if fmt == "pickle":
        from guiapp.core.models.formats.nvidia_pickle import read_pickle
        from guiapp.core.models.formats.tf_pickle import is_tf_data
        from guiapp.core.models.formats.torch_files import TORCH_LEGACY_MAGIC

        data = read_pickle(path)
        if type(data) is int and data == TORCH_LEGACY_MAGIC:
            from guiapp.core.models.formats.torch_checkpoint import read_torch_file

            return read_with_plugins("torch", read_torch_file(path), src)
        return read_with_plugins("tf" if is_tf_data(data) else "pickle", data, src)
    if fmt == "zip":
        from guiapp.core.models.formats.torch_checkpoint import read_torch_file

        return read_with_plugins("torch", read_torch_file(path), src)
    raise ModelLoadError(f"{shown_name(path)}: not a model file guiapp can read")


# -- readers of the other families (one line each; tried in this order) -------------------
register_reader("folder", "guiapp.core.models.biggan.reader:read_folder")  # hook: biggan
register_reader("torch", "guiapp.core.models.biggan.reader:read_state_dict")  # hook: biggan
register_reader("tf", "guiapp.core.models.stylegan1:read_tf")  # stylegan1 (before PGGAN:
# its reader takes every state-version-2 network, and G_style ones may be version 2 too)
register_reader("tf", "guiapp.core.models.pggan:read_tf")  # hook: pggan
register_reader("torch", "guiapp.core.models.pggan:read_torch")  # hook: pggan
register_reader(  # hook: genforce stylegan2 (H11c)
    "torch", "guiapp.core.models.formats.genforce_stylegan2:read_genforce_stylegan2")
register_reader("torch", "guiapp.core.models.stylegan1:read_torch")  # stylegan1
