"""guiapp's own model file: safetensors weights whose ``__metadata__`` names the
architecture (``guiapp_format``; today only ``guiapp-dcgan``, the built-in model's)."""

from __future__ import annotations

import json
from pathlib import Path

from safetensors import SafetensorError
from safetensors.torch import load as safetensors_load

from guiapp.core.models.base import GeneratorModel, ModelLoadError
from guiapp.core.models.dcgan.adapter import FORMAT as DCGAN_FORMAT
from guiapp.core.models.dcgan.adapter import DCGANModel
from guiapp.core.models.dcgan.checks import check_dcgan_meta, check_dcgan_tensors
from guiapp.core.models.formats.sniff import shown_name

MAX_SAFETENSORS_HEADER = 100 * 2**20
"""safetensors refuses headers over 100 MB itself; checked here before reading one."""


def load_guiapp_safetensors(path: Path, name: str, model_id: str) -> GeneratorModel:
    """The model of a guiapp safetensors file; one-line ModelLoadError for anything else."""
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
