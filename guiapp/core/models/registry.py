"""Find and open generators: built-in models by name, user files by their content.

A model reference is ``builtin:NAME`` (or a bare built-in ``NAME``) or a file path. The
format is detected from the first bytes, never from the extension, and no loader executes
code from the file.
"""

from __future__ import annotations

from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open

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
from guiapp.core.models.dcgan import FORMAT as DCGAN_FORMAT
from guiapp.core.models.dcgan import DCGANModel, check_dcgan_meta

__all__ = [
    "DEFAULT_MODEL",
    "BuiltinModel",
    "builtin_models",
    "file_sha256",
    "find_builtin",
    "load_model",
    "resources_dir",
    "sniff_format",
]


def sniff_format(path: Path) -> str:
    """``"safetensors"``, ``"zip"`` (torch.save), ``"pickle"`` or ``"unknown"``."""
    with open(path, "rb") as fh:
        head = fh.read(16)
    size = path.stat().st_size
    if len(head) >= 10:
        header_len = int.from_bytes(head[:8], "little")
        if 2 <= header_len <= size - 8 and head[8:9] == b"{":
            return "safetensors"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return "pickle"
    return "unknown"


def _load_safetensors(path: Path, name: str, model_id: str) -> GeneratorModel:
    try:
        with safe_open(str(path), framework="pt") as fh:
            meta = dict(fh.metadata() or {})
            fmt = meta.get("guiapp_format")
            if fmt != DCGAN_FORMAT:
                raise ModelLoadError(
                    f"{path.name}: safetensors file without guiapp model metadata "
                    f"(format {fmt!r}); it holds weights but no architecture"
                )
            check_dcgan_meta(meta)
            tensors = {key: fh.get_tensor(key) for key in fh.keys()}  # noqa: SIM118
    except SafetensorError as exc:
        raise ModelLoadError(
            f"{path.name}: corrupt or truncated safetensors file ({exc})"
        ) from None
    return DCGANModel(tensors, meta, name=name, model_id=model_id)


def load_model(ref: str, device: str | torch.device = "cpu") -> GeneratorModel:
    """Open ``ref`` (``builtin:NAME`` or a path) on ``device`` (see :mod:`devices`).

    Raises
    ------
    ModelLoadError
        With a one-line reason: missing file, unknown built-in, unsupported or corrupt file.
    ValueError
        When ``device`` is not one this machine has.
    """
    device = prepare_device(device)
    is_builtin_ref = ref.startswith(BUILTIN_PREFIX) or not Path(ref).expanduser().exists()
    builtin = find_builtin(ref) if is_builtin_ref else None
    if builtin is not None:
        path, name = builtin.weights, builtin.name
        if not path.is_file():
            raise ModelLoadError(f"built-in model {name!r} has no weights file at {path}")
    elif ref.startswith(BUILTIN_PREFIX):
        names = ", ".join(m.name for m in builtin_models())
        raise ModelLoadError(f"no built-in model {ref[len(BUILTIN_PREFIX) :]!r} (have: {names})")
    else:
        path = Path(ref).expanduser()
        name = path.stem
        if not path.exists():
            raise ModelLoadError(f"{ref}: no such file")
        if not path.is_file():
            raise ModelLoadError(f"{ref}: not a file")
    fmt = sniff_format(path)
    model_id = file_sha256(path)
    if fmt == "safetensors":
        model = _load_safetensors(path, name, model_id)
    elif fmt == "pickle":
        from guiapp.core.models.nvidia_pickle import load_nvidia_pickle

        model = load_nvidia_pickle(path, name, model_id)
    elif fmt == "zip":
        from guiapp.core.models.rosinality import load_rosinality

        model = load_rosinality(path, name, model_id)
    else:
        raise ModelLoadError(f"{path.name}: not a model file guiapp can read")
    return model.to(device)
