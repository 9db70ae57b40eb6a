"""What directions do to images, for many sets at once on the same seeds: the mean image
change of each direction (to compare sets of different latent spaces by effect) and the
distinctness / consistency figures of :mod:`guiapp.core.direction_metrics`.

The unedited images of the seeds are synthesized once per batch and shared by every set,
so a table of several sets costs one synthesis per seed and direction, plus one per seed.
Results are kept per set (its sha256, the model, seeds, count and step) for the process's
life, up to :data:`CACHE_SIZE` sets: a table recomputed after one more run measures only
the new set (and the random baseline once).
Each direction moves every seed ``step`` latent units (``Edit(k, step / unit_scale)``), as
:func:`guiapp.core.direction_metrics.measure` does; the figures equal its own.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from guiapp.core.compare_spaces import compare_only
from guiapp.core.direction_metrics import (
    BATCH,
    DEFAULT_STEP,
    EPS,
    DirectionMetrics,
    consistency,
    distinctness,
    seed_latents,
)
from guiapp.core.edits import apply_edits, check_compatible
from guiapp.core.models.base import GeneratorModel
from guiapp.core.progress import CancelToken, Checkpoint, ProgressFn
from guiapp.core.types import Direction, DirectionSet, Edit

CACHE_SIZE = 32
_cache: OrderedDict[tuple, SetEffects] = OrderedDict()
_cache_lock = threading.Lock()


def _key(model: GeneratorModel, ds: DirectionSet, seeds: Sequence[int], count: int,
         step: float, batch: int) -> tuple:
    from guiapp.core.image_metadata import direction_set_sha256

    return (model.model_id, str(model.device), getattr(model, "class_index", None),
            direction_set_sha256(ds), tuple(seeds), count, float(step), batch,
            bf16_images(model.device))


def _cached(key: tuple) -> SetEffects | None:
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    return None


def _remember(key: tuple, effects: SetEffects) -> None:
    with _cache_lock:
        _cache[key] = effects
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)


@dataclass(frozen=True)
class SetEffects:
    """``means``: (count, P) float64 mean image change of each measured direction;
    ``metrics``: the set's distinctness and consistency on the same seeds."""

    means: np.ndarray
    metrics: DirectionMetrics


def random_directions(model: GeneratorModel, count: int, seed: int = 0) -> DirectionSet:
    """``count`` seeded random unit directions in the model's latent space: the baseline
    any method should beat."""
    vectors = np.random.RandomState(seed).randn(count, model.latent_dim)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    directions = tuple(Direction(v.astype(np.float32), 0.0) for v in vectors)
    return DirectionSet("random", model.latent_space, model.model_id, {"seed": seed},
                        directions)


def _check_space(model: GeneratorModel, ds: DirectionSet) -> None:
    """A set in the model's edit space, or (to compare by effect) in z of a model that
    maps z to w."""
    if ds.space == "z" and model.latent_space == "w":
        if not compare_only(ds, model.z_dim, model.w_dim):
            raise ValueError(f"these z directions ({ds.dim}-D) do not fit this model's z "
                             f"({model.z_dim}-D)")
        return
    check_compatible(ds, model.latent_space, model.latent_dim)


def _edited(model: GeneratorModel, ds: DirectionSet, k: int, step: float, ws: torch.Tensor,
            zs: torch.Tensor) -> torch.Tensor:
    """The latents of a batch moved ``step`` latent units along direction ``k`` (a z
    direction on a w model moves z, then maps it)."""
    d = ds.direction(k)
    if ds.space != model.latent_space:
        moved = zs + step * torch.from_numpy(d.vector).to(zs.device, zs.dtype)
        with torch.inference_mode():
            return model.map_for_class(moved, None)
    return apply_edits(ws, ds, [Edit(k, step / d.unit_scale)])


def bf16_images(device: torch.device) -> bool:
    """Whether the table's images are rendered in bfloat16: on a CPU with native bfloat16
    (AVX-512 BF16 / AMX, through oneDNN) it halves the table's time, and the figures it
    reports (means of cosines over thousands of image changes) move by about 2e-4 (measured
    on the built-in model, 256 seeds). Elsewhere float32, where bfloat16 would be emulated
    and slower. ``GUIAPP_COMPARE_FLOAT32=1`` forces float32."""
    if device.type != "cpu" or os.environ.get("GUIAPP_COMPARE_FLOAT32") == "1":
        return False
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def _images(model: GeneratorModel, ws: torch.Tensor) -> torch.Tensor:
    """(N, P) float32 images clamped to [-1, 1] as shown: a fresh tensor, safe to change
    in place (no float64 copy: the sums below accumulate in float64 instead)."""
    with torch.inference_mode(), torch.autocast(
            "cpu", dtype=torch.bfloat16, enabled=bf16_images(model.device)):
        return model.synthesize(ws).flatten(1).float().clamp(-1, 1)


class _Sums:
    """Running sums of one set's measured directions over the seed batches: the changes
    and their unit vectors ((K, P) float64), ``sum |u|^2`` and the change norms."""

    def __init__(self, count: int, pixels: int) -> None:
        self.change = np.zeros((count, pixels))
        self.unit = np.zeros((count, pixels))
        self.squares = np.zeros(count)
        self.norms = np.zeros(count)

    def add(self, k: int, change: torch.Tensor) -> None:
        """Add the (N, P) float32 changes of direction ``k``; ``change`` is consumed
        (divided in place into its unit vectors)."""
        with torch.inference_mode():
            self.change[k] += change.sum(0, dtype=torch.float64).numpy()
            size = change.norm(dim=1)
            change.div_(size.clamp_min(EPS)[:, None])
            self.unit[k] += change.sum(0, dtype=torch.float64).numpy()
            size64 = size.double()
            # |u|^2 is 1, or (|c| / EPS)^2 for a change below EPS: no pass over the pixels
            self.squares[k] += float(((size64 / size64.clamp_min(EPS)) ** 2).sum())
            self.norms[k] += float(size64.sum())


def set_effects(
    model: GeneratorModel,
    sets: Sequence[DirectionSet],
    seeds: Sequence[int],
    count: int = 10,
    step: float = DEFAULT_STEP,
    *,
    batch: int = BATCH,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> list[SetEffects]:
    """The effects of the top ``min(count, len(set))`` directions of every set.

    Parameters
    ----------
    model
        The generator; every set must be in its latent space.
    sets
        Direction sets (each with at least one direction).
    seeds
        At least 2 seeds, the same for every set.
    count, step, batch
        As :func:`guiapp.core.direction_metrics.measure`.
    progress, cancel
        Told of each direction measured; checked before each synthesis.
    """
    seeds = [int(s) for s in seeds]
    if len(seeds) < 2:
        raise ValueError(f"need at least 2 seeds, not {len(seeds)}")
    if not (np.isfinite(step) and step > 0):
        raise ValueError(f"step must be a positive number, not {step}")
    counts = []
    for ds in sets:
        _check_space(model, ds)
        if not len(ds):
            raise ValueError(f"the {ds.method} set has no directions")
        scales = [ds.direction(k).unit_scale for k in range(min(count, len(ds)))]
        if not all(np.isfinite(u) and u > 0 for u in scales):
            raise ValueError(f"unit scales must be positive numbers, not {scales}")
        counts.append(len(scales))
    keys = [_key(model, ds, seeds, k, step, batch) for ds, k in zip(sets, counts, strict=True)]
    known = [_cached(key) for key in keys]
    todo = [n for n, hit in enumerate(known) if hit is None]
    fresh = _measure(model, [sets[n] for n in todo], [counts[n] for n in todo], seeds, step,
                     batch, Checkpoint(progress, cancel)) if todo else []
    for n, effects in zip(todo, fresh, strict=True):
        _remember(keys[n], effects)
        known[n] = effects
    if not todo:
        Checkpoint(progress, cancel)(1.0, "Measured")
    return [k for k in known if k is not None]


def _measure(model: GeneratorModel, sets: Sequence[DirectionSet], counts: Sequence[int],
             seeds: list[int], step: float, batch: int, checkpoint: Checkpoint
             ) -> list[SetEffects]:
    """Measure ``sets`` (top ``counts``) on ``seeds``, sharing the unedited images."""
    total = sum(counts) * len(range(0, len(seeds), batch))
    done = 0
    latents = seed_latents(model, seeds)
    zs = torch.from_numpy(np.stack([model.sample_z(1, s)[0] for s in seeds])).to(
        model.device, torch.float32)
    sums: list[_Sums] = []
    for start in range(0, len(seeds), batch):
        checkpoint(done / max(total, 1), "Measuring directions")
        ws = latents[start : start + batch]
        base = _images(model, ws)
        if start == 0:
            sums = [_Sums(k, base.shape[1]) for k in counts]
        for n, ds in enumerate(sets):
            for k in range(counts[n]):
                checkpoint(done / max(total, 1),
                           f"Measuring {ds.method} direction {k + 1} of {counts[n]}")
                edited = _edited(model, ds, k, step, ws, zs[start : start + batch])
                with torch.inference_mode():
                    sums[n].add(k, _images(model, edited).sub_(base))
                done += 1
    checkpoint(1.0, "Measured")
    out = []
    for n, k in enumerate(counts):
        acc = sums[n]
        means = acc.change / len(seeds)
        per = tuple(consistency(acc.unit[i], acc.squares[i], len(seeds)) for i in range(k))
        out.append(SetEffects(means, DirectionMetrics(
            distinctness=distinctness(means), consistency=float(np.mean(per)),
            per_direction=per, change_norm=tuple(float(v / len(seeds)) for v in acc.norms),
            count=k, seeds=len(seeds), step=float(step))))
    return out
