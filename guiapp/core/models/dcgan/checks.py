"""Checks of a guiapp DCGAN safetensors file's metadata and tensors, before anything is
built (block count, batch-norm epsilon, a chain of 4x4 transposed convolutions)."""

from __future__ import annotations

import math

import torch

from guiapp.core.models.base import ModelLoadError
from guiapp.core.models.formats import limits


def check_dcgan_meta(meta: dict[str, str]) -> None:
    """Reject a safetensors file that does not describe a DCGAN we can build."""
    try:
        blocks = int(meta["num_blocks"])
    except (KeyError, ValueError):
        raise ModelLoadError("DCGAN weights file has no valid 'num_blocks' metadata") from None
    if not 2 <= blocks <= 10:
        raise ModelLoadError(f"DCGAN weights file has an unsupported block count {blocks}")
    try:
        eps = float(meta.get("bn_eps", "1e-5"))
    except ValueError:
        eps = math.nan
    if not (math.isfinite(eps) and 0 < eps <= 1):
        raise ModelLoadError(f"DCGAN weights file has an unsupported bn_eps {meta['bn_eps']!r}")


def check_dcgan_tensors(tensors: dict[str, torch.Tensor], meta: dict[str, str]) -> None:
    """Every tensor the network needs, nothing else, of the shapes the architecture implies
    (transposed 4x4 convolutions chained by their channels), floating point, finite, and
    non-negative batch-norm variances; checked before anything is built."""
    n = int(meta["num_blocks"])
    bn = ("weight", "bias", "running_mean", "running_var")
    want = {f"conv{i}.weight" for i in range(n)} | {
        f"bn{i}.{p}" for i in range(n - 1) for p in bn
    }
    missing, extra = sorted(want - set(tensors)), sorted(set(tensors) - want)
    if missing or extra:
        parts = [f"{label}: {', '.join(keys[:3])}" for label, keys in
                 (("missing", missing), ("unexpected", extra)) if keys]
        raise ModelLoadError("DCGAN weights do not fit the network (" + "; ".join(parts) + ")")
    for key, t in tensors.items():
        if not t.is_floating_point():
            raise ModelLoadError(f"DCGAN weight {key!r} is {t.dtype}, not floating point")
    prev = None
    for i in range(n):
        shape = tuple(tensors[f"conv{i}.weight"].shape)
        if len(shape) != 4 or shape[2:] != (4, 4) or (prev is not None and shape[0] != prev):
            raise ModelLoadError(f"DCGAN weight 'conv{i}.weight' has shape {shape}, which does "
                                 "not fit a chain of 4x4 transposed convolutions")
        if not (1 <= shape[0] <= limits.MAX_CHANNELS and 1 <= shape[1] <= limits.MAX_CHANNELS):
            raise ModelLoadError(f"DCGAN weight 'conv{i}.weight' has shape {shape}")
        if i < n - 1:
            for p in bn:
                if tuple(tensors[f"bn{i}.{p}"].shape) != (shape[1],):
                    raise ModelLoadError(f"DCGAN weight 'bn{i}.{p}' does not have {shape[1]} "
                                         "values, one per channel")
            if bool((tensors[f"bn{i}.running_var"] < 0).any()):
                raise ModelLoadError(f"DCGAN weight 'bn{i}.running_var' has negative variances")
        prev = shape[1]
    if not 1 <= prev <= limits.MAX_IMG_CHANNELS:
        raise ModelLoadError(f"the DCGAN's last layer gives {prev} image channels")
    limits.check_finite(tensors)
