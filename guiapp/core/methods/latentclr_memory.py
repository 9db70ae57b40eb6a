"""How much memory a LatentCLR step needs, and how to split it to fit the device.

A step backpropagates through the generator's features of K * N edited latents at once:
1024 at the defaults. At StyleGAN3-T's first layer (36 x 36 x 512) that is about 95 MB
per latent (measured peak of a 64-latent step: 6.2 GB), about 100 GB in all, which would
get the app killed. So the step
is planned first (:func:`plan_step`): the autograd memory per latent is measured on the
model (the tensors kept for backward by ``features`` on a few latents), and when the
whole batch does not fit in the memory the device has free, the features are computed
in chunks whose gradients are recomputed one chunk at a time (the same gradients, for
about one more forward pass). What cannot be chunked, the feature matrix and the
similarity matrix of the contrastive loss, must fit, or the step is refused with a
message that says what would.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from guiapp.core.models.base import GeneratorModel

USABLE_SHARE = 0.6
"""Plan to use at most this share of the memory the device has free."""
TRANSIENT_FACTOR = 1.5
"""Saved tensors plus what a forward pass holds for a moment (measured peak / saved)."""
FEATURE_COPIES = 5
"""Feature-sized (K*N, F) float32 matrices alive in a step: features, differences,
their normalised copy and two gradients."""
SIMILARITY_COPIES = 8
"""(K*N, K*N) float32 matrices of the loss: similarities, exponentials, masks, grads."""


@dataclass(frozen=True)
class StepPlan:
    """``chunk``: latents per backward chunk, None when the whole batch fits at once."""

    rows: int
    chunk: int | None
    bytes_per_latent: int
    fixed_bytes: int


def free_memory(device: torch.device) -> int | None:
    """Bytes the device can still give this process (None: unknown)."""
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        cached = torch.cuda.memory_reserved(device) - torch.cuda.memory_allocated(device)
        return int(free + cached)
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _saved_bytes(model: GeneratorModel, ws: torch.Tensor, layer: str) -> tuple[int, int]:
    """(bytes autograd keeps for backward, feature size) of ``features(ws, layer)``."""
    storages: dict[int, int] = {}

    def keep(t: torch.Tensor) -> torch.Tensor:
        storage = t.untyped_storage()
        storages[storage.data_ptr()] = storage.nbytes()
        return t

    ws = ws.detach().requires_grad_(True)
    with torch.autograd.graph.saved_tensors_hooks(keep, lambda t: t):
        feats = model.features(ws, layer)
    return sum(storages.values()), int(feats.shape[1])


def measure_bytes_per_latent(model: GeneratorModel, layer: str) -> tuple[int, int]:
    """(autograd bytes per edited latent, feature size), measured on 2 and 4 latents (a
    single latent can take another code path)."""
    z = torch.randn(4, model.z_dim, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        ws = model.map(z.to(model.device))
    with torch.inference_mode(False), torch.enable_grad():
        two, dim = _saved_bytes(model, ws[:2].clone(), layer)
        four, _ = _saved_bytes(model, ws.clone(), layer)
    return max(four - two, 0) // 2, dim


def _size(nbytes: int) -> str:
    return f"{nbytes / 2**30:.1f} GiB" if nbytes >= 2**30 else f"{nbytes / 2**20:.0f} MiB"


def plan_step(
    model: GeneratorModel, k: int, n: int, layer: str, free_bytes: int | None
) -> StepPlan:
    """How to run a step of ``k`` directions on ``n`` latents within ``free_bytes``.

    Raises ValueError when even chunked features cannot fit (the loss needs the whole
    (K*N, F) feature matrix and (K*N)^2 similarities).
    """
    rows = k * n
    per_latent, dim = measure_bytes_per_latent(model, layer)
    per_latent = int(per_latent * TRANSIENT_FACTOR)
    fixed = rows * dim * 4 * FEATURE_COPIES + rows * rows * 4 * SIMILARITY_COPIES
    if free_bytes is None:
        return StepPlan(rows, None, per_latent, fixed)
    budget = int(free_bytes * USABLE_SHARE) - fixed
    if budget < per_latent:
        raise ValueError(
            f"LatentCLR cannot fit in memory: {k} directions x {n} latents compare "
            f"{rows} features of size {dim} at layer {layer}, which needs "
            f"{_size(fixed + per_latent)}, and {_size(free_bytes)} is free; "
            f"use fewer directions or latents per batch, or an earlier layer"
        )
    chunk = budget // per_latent if per_latent else rows
    return StepPlan(rows, None if chunk >= rows else int(chunk), per_latent, fixed)
