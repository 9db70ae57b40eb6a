"""Read a ``torch.save`` file (zip or legacy) into plain objects and tensors, through the
restricted unpickler: no ``torch.load``, no code from the file, no unchecked size."""

from __future__ import annotations

from pathlib import Path

from guiapp.core.models.base import ModelLoadError
from guiapp.core.models.formats.restricted_pickle import FileRefusal, torch_unpickler
from guiapp.core.models.formats.torch_files import load_legacy, load_zip


def read_torch_file(path: Path) -> object:
    """The object a ``torch.save`` file (zip or legacy) holds, read through the restricted
    unpickler (:mod:`guiapp.core.models.formats.torch_files`); one-line ModelLoadError otherwise."""
    try:
        with open(path, "rb") as fh:
            is_zip = fh.read(4) == b"PK\x03\x04"
            fh.seek(0)
            if not is_zip:
                return load_legacy(fh, torch_unpickler)
        return load_zip(path, torch_unpickler)
    except FileRefusal as exc:
        raise ModelLoadError(f"{path.name}: {exc}") from None
    except MemoryError:
        raise ModelLoadError(
            f"{path.name}: the torch file needs more memory than it can use"
        ) from None
    except Exception as exc:  # a corrupt stream fails in many ways
        first = (str(exc).splitlines() or [""])[0][:200]
        raise ModelLoadError(
            f"{path.name}: corrupt or truncated torch file ({type(exc).__name__}: {first})"
        ) from None
