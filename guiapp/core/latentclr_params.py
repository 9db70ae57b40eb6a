"""LatentCLR's settings, without torch, so the window can show their defaults at start-up.

Yüksel et al., "LatentCLR: A Contrastive Learning Approach for Unsupervised Discovery of
Interpretable Directions", ICCV 2021 (official code: catlab-team/latentclr).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from guiapp.core.types import LayerRange

MODEL_TYPES = ("global", "linear", "nonlinear")
LOSSES = ("paper", "official")
PREFERRED_LAYERS = ("b4.conv1", "block0")
"""Default target layers, first found wins: StyleGAN2's first 4x4 conv output (the paper's
choice), the built-in DCGAN's first block; other models use their first feature layer."""


def default_layer(feature_layers: Sequence[str]) -> str | None:
    """The target layer a run uses when none is chosen, or None if there are no layers."""
    for preferred in PREFERRED_LAYERS:
        if preferred in feature_layers:
            return preferred
    return feature_layers[0] if feature_layers else None


@dataclass(frozen=True)
class Params:
    """LatentCLR settings (defaults: the official ones, except ``iterations``).

    ``k`` directions trained on batches of ``batch`` latents. ``model_type``: ``"global"``,
    ``"linear"`` or ``"nonlinear"`` (``depth`` linear layers, 3 in the official code).
    ``iterations``: the official 10000 take over an hour on a CPU. On the built-in model
    the loss makes nearly all of its (small) decrease in the first ~100 iterations at the
    full learning rate; 600 iterations are ~120 at full-rate equivalent (60 + 240 * 0.2 +
    300 * 0.04) and end on the same plateau as 1000, in ~5 minutes on 2 CPU cores
    (``benchmarks/bench_latentclr.py``). ``lr``, ``weight_decay``: Adam's, multiplied by
    0.2 at 10% and 50% of the iterations (global directions start as unit vectors, see
    :class:`~guiapp.core.direction_models.GlobalDirections`). ``tau``:
    temperature. ``alpha``: the training edit size in latent units (official: 0.1).
    ``layer``: target feature layer (None: ``b4.conv1`` on StyleGAN2, ``block0`` on the
    built-in DCGAN, else the model's first). ``layers``: the w layers the directions move,
    for style-based models (None: all). ``loss``: ``"paper"`` or ``"official"`` (see
    :func:`contrastive_loss`). ``steps``: Euler steps per edit for linear and non-linear
    directions when editing. ``keep_best_on_cancel``: on cancel, return the directions with
    the lowest running-mean loss so far instead of raising
    :class:`~guiapp.core.progress.Cancelled`. ``eval_samples``: held-out latents for the
    scores; ``report_every``: iterations between ``on_partial`` reports.
    """

    k: int = 32
    batch: int = 32
    model_type: str = "global"
    depth: int = 3
    iterations: int = 600
    lr: float = 1e-3
    weight_decay: float = 1e-3
    tau: float = 0.5
    alpha: float = 0.1
    layer: str | None = None
    layers: LayerRange | None = None
    loss: str = "paper"
    steps: int = 1
    keep_best_on_cancel: bool = False
    seed: int = 0
    eval_samples: int = 64
    report_every: int = 10

    def __post_init__(self) -> None:
        for name in ("k", "batch"):
            if getattr(self, name) < 2:
                raise ValueError(f"{name} must be at least 2, not {getattr(self, name)}")
        for name in ("depth", "iterations", "steps", "eval_samples", "report_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, not {getattr(self, name)}")
        for name in ("lr", "tau", "alpha"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number, not {value}")
        if not (math.isfinite(self.weight_decay) and self.weight_decay >= 0):
            raise ValueError(f"weight_decay must be >= 0, not {self.weight_decay}")
        if self.model_type not in MODEL_TYPES:
            raise ValueError(f"model_type must be one of {', '.join(MODEL_TYPES)}")
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {', '.join(LOSSES)}, not {self.loss!r}")
        if not 0 <= self.seed < 2**32:
            raise ValueError(f"seed must be in 0..{2**32 - 1}, not {self.seed}")
