"""Seeded latents in batches, and the ``w`` or activations they give, for GANSpace.

Härkönen, Hertzmann, Lehtinen & Paris, "GANSpace: Discovering Interpretable GAN
Controls", NeurIPS 2020.

Latents are drawn batch after batch from ONE ``RandomState(seed)``, so sample ``i`` of a
run is ``model.sample_z(n, seed)[i]`` whatever the batch size. Every generator reports
progress through a :data:`Tick` once per batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence

import numpy as np
import torch

from guiapp.core.models.base import GeneratorModel

Tick = Callable[[float, str], None]
"""``tick(fraction_of_this_stage, message)``: report progress and raise when cancelled."""


def latent_batches(
    seed: int | Sequence[int], n: int, z_dim: int, batch_size: int
) -> Iterator[np.ndarray]:
    """Yield (b, z_dim) float64 latents, ``n`` in all, drawn in turn from ONE
    ``RandomState(seed)``; concatenated they equal ``RandomState(seed).randn(n, z_dim)``."""
    rng = np.random.RandomState(seed)
    for start in range(0, n, batch_size):
        yield rng.randn(min(batch_size, n - start), z_dim)


def _latents_to_torch(model: GeneratorModel, z: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(z).to(model.device, torch.float32)


def w_batches(
    model: GeneratorModel, z_batches: Iterable[np.ndarray], tick: Tick, n: int
) -> Iterator[torch.Tensor]:
    """Yield (b, w_dim) float32 CPU tensors ``model.map(z)[:, 0]`` (before truncation)."""
    done = 0
    for z in z_batches:
        tick(done / n, f"sampling w {done}/{n}")
        yield model.map(_latents_to_torch(model, z))[:, 0, :].float().cpu()
        done += z.shape[0]
    tick(1.0, f"sampling w {n}/{n}")


def feature_batches(
    model: GeneratorModel, layer: str, z_batches: Iterable[np.ndarray], tick: Tick, n: int
) -> Iterator[tuple[np.ndarray, torch.Tensor]]:
    """Yield ``(z, features)``: (b, z_dim) latents and (b, D) float32 CPU activations."""
    done = 0
    for z in z_batches:
        tick(done / n, f"sampling activations {done}/{n}")
        ws = model.map(_latents_to_torch(model, z))
        yield z, model.features(ws, layer).float().cpu()
        done += z.shape[0]
    tick(1.0, f"sampling activations {n}/{n}")
