"""Find and open generators: built-in models by name, user files by their content.

A model reference is ``builtin:NAME`` (or a bare built-in ``NAME``) or a file path. The
format is detected from the first bytes, never from the extension, and no loader executes
code from the file.
"""

from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as safetensors_load

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
from guiapp.core.models.dcgan import DCGANModel, check_dcgan_meta, check_dcgan_tensors

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


MAX_SAFETENSORS_HEADER = 100 * 2**20
"""safetensors refuses headers over 100 MB itself; checked here before reading one."""


def shown_name(path: Path | str) -> str:
    """The file's name as it can be printed: bytes that are not UTF-8 become U+FFFD."""
    return _printable(Path(path).name)


def _printable(text: str) -> str:
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def check_regular_file(path: Path, ref: str) -> None:
    """Refuse a missing path, a folder, a FIFO, a device or a symlink loop before opening
    it (opening a FIFO would wait for a writer; a device never ends)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            raise ModelLoadError(f"{ref}: is a symbolic link to a missing file") from None
        raise ModelLoadError(f"{ref}: no such file") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ModelLoadError(f"{ref}: is a loop of symbolic links, not a file") from None
        raise ModelLoadError(f"{ref}: cannot be opened ({exc.strerror})") from None
    if stat.S_ISDIR(info.st_mode):
        raise ModelLoadError(f"{ref}: is a folder, not a file; give a model file")
    if not stat.S_ISREG(info.st_mode):
        kind = ("a FIFO (named pipe)" if stat.S_ISFIFO(info.st_mode)
                else "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode)
                else "a socket" if stat.S_ISSOCK(info.st_mode) else "not a regular file")
        raise ModelLoadError(f"{ref}: is {kind}, not a model file; guiapp reads regular files only")


def sniff_format(path: Path) -> str:
    """``"safetensors"``, ``"zip"`` (torch.save), ``"pickle"`` or ``"unknown"``."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            return "unknown"
        head = fh.read(16)
        size = os.fstat(fh.fileno()).st_size
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
    shown = shown_name(path)
    data = path.read_bytes()
    header_len = int.from_bytes(data[:8], "little")
    if header_len > min(MAX_SAFETENSORS_HEADER, len(data) - 8):
        raise ModelLoadError(f"{shown}: corrupt or truncated safetensors file (header size)")
    try:
        header = json.loads(data[8 : 8 + header_len])
    except (ValueError, RecursionError):
        raise ModelLoadError(
            f"{shown}: corrupt safetensors file (its header is not valid JSON)"
        ) from None
    meta = header.get("__metadata__") if isinstance(header, dict) else None
    meta = dict(meta) if isinstance(meta, dict) else {}
    fmt = meta.get("guiapp_format")
    if fmt != DCGAN_FORMAT:
        raise ModelLoadError(
            f"{shown}: safetensors file without guiapp model metadata "
            f"(format {str(fmt)[:40]!r}); it holds weights but no architecture"
        )
    if not all(isinstance(v, str) for v in meta.values()):
        raise ModelLoadError(f"{shown}: corrupt safetensors metadata (values must be text)")
    check_dcgan_meta(meta)
    try:
        tensors = safetensors_load(data)
    except (SafetensorError, ValueError, RuntimeError) as exc:
        first = (str(exc).splitlines() or [""])[0][:200]
        raise ModelLoadError(f"{shown}: corrupt or truncated safetensors file ({first})") from None
    del data
    check_dcgan_tensors(tensors, meta)
    return DCGANModel(tensors, meta, name=name, model_id=model_id)


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
    check_regular_file(path, _printable(ref))
    return path, _printable(path.stem), False


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
        text = _printable(" ".join(str(exc).split()))
        raise ModelLoadError(text if shown in text else f"{shown}: {text}") from None
    except MemoryError:
        raise ModelLoadError(f"{shown}: opening it needs more memory than guiapp may use") from None
    except RecursionError:
        raise ModelLoadError(f"{shown}: its structure is nested too deeply to be a model") from None
    except OSError as exc:
        raise ModelLoadError(f"{shown}: cannot be read ({exc.strerror or exc})") from None
    except Exception as exc:  # the one error path: a loader's surprise is still one line
        first = _printable((str(exc).splitlines() or [""])[0][:200])
        raise ModelLoadError(
            f"{shown}: not a model guiapp can open ({type(exc).__name__}: {first})"
        ) from None


def _open(path: Path, name: str) -> GeneratorModel:
    fmt = sniff_format(path)
    model_id = file_sha256(path)
    if fmt == "safetensors":
        return _load_safetensors(path, name, model_id)
    if fmt == "pickle":
        from guiapp.core.models.nvidia_pickle import load_nvidia_pickle

        return load_nvidia_pickle(path, name, model_id)
    if fmt == "zip":
        from guiapp.core.models.rosinality import load_rosinality

        return load_rosinality(path, name, model_id)
    raise ModelLoadError(f"{shown_name(path)}: not a model file guiapp can read")
