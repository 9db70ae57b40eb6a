"""Seeded latents in batches, and the ``w`` or activations they give, for GANSpace.

Härkönen, Hertzmann, Lehtinen & Paris, "GANSpace: Discovering Interpretable GAN
Controls", NeurIPS 2020.

:func:`latent_batches` draws batch after batch from ONE ``RandomState(seed)``, so sample
``i`` of a run is ``model.sample_z(n, seed)[i]`` whatever the batch size (the z-space
estimator's regression relies on it). :func:`fast_latent_batches` is the stream of the
exact PCA in w, where only a seeded, reproducible stream matters and NumPy's float64
``randn`` was a quarter of the sampling time: float32 draws of one seeded
``torch.Generator``, about four times faster. Every generator reports progress through a
:data:`Tick` once per batch.
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


Z_CHUNK = 4096
"""Rows per draw of :func:`fast_latent_batches` (whole draws keep the stream independent
of the batch size)."""


def fast_latent_batches(seed: int, n: int, z_dim: int, batch_size: int) -> Iterator[torch.Tensor]:
    """Yield (b, z_dim) float32 CPU latents, ``n`` in all, standard normal.

    The stream: ``torch.randn(Z_CHUNK, z_dim)`` again and again from ONE
    ``torch.Generator().manual_seed(seed)``; sample ``i`` is row ``i % Z_CHUNK`` of draw
    ``i // Z_CHUNK`` whatever ``batch_size``. The same seed gives the same latents (with
    the same torch), not those of ``model.sample_z``.
    """
    gen = torch.Generator().manual_seed(seed)
    pending, drawn = torch.empty(0, z_dim), 0
    for start in range(0, n, batch_size):
        b = min(batch_size, n - start)
        parts = [pending]
        while sum(len(p) for p in parts) < b:
            chunk = torch.randn(Z_CHUNK, z_dim, generator=gen)[: n - drawn]
            drawn += len(chunk)
            parts.append(chunk)
        rows = parts[0] if len(parts) == 1 else torch.cat([p for p in parts if len(p)])
        yield rows[:b]
        pending = rows[b:]


def _latents_to_torch(model: GeneratorModel, z: np.ndarray | torch.Tensor) -> torch.Tensor:
    return torch.as_tensor(z).to(model.device, torch.float32)


def w_batches(
    model: GeneratorModel, z_batches: Iterable[np.ndarray | torch.Tensor], tick: Tick, n: int
) -> Iterator[torch.Tensor]:
    """Yield (b, w_dim) float32 CPU tensors ``model.map(z)[:, 0]`` (before truncation),
    through ``model.map_w`` (one w per latent, no copies per layer)."""
    map_w = model.map_w  # declared on GeneratorModel
    done = 0
    for z in z_batches:
        tick(done / n, f"sampling w {done}/{n}")
        yield map_w(_latents_to_torch(model, z)).float().cpu()
        done += z.shape[0]
    tick(1.0, f"sampling w {n}/{n}")


def sampled_w(
    model: GeneratorModel, seed: int, n: int, batch_size: int, tick: Tick
) -> Iterator[torch.Tensor]:
    """GANSpace's w in batches: :func:`w_batches` of :func:`fast_latent_batches`."""
    return w_batches(model, fast_latent_batches(seed, n, model.z_dim, batch_size), tick, n)


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
