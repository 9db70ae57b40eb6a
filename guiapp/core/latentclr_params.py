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
PREFERRED_LAYERS = ("b4.conv1", "block0", "generator.layers.0")
"""Default target layers, first found wins: StyleGAN2's first 4x4 conv output (the paper's
choice), the built-in DCGAN's first block, BigGAN's first block (LatentCLR's official
BigGAN configuration); other models use their first feature layer
after StyleGAN3's ``input`` (its Fourier features, which w moves only by rotating and
shifting them)."""


def default_layer(feature_layers: Sequence[str]) -> str | None:
    """The target layer a run uses when none is chosen, or None if there are no layers."""
    for preferred in PREFERRED_LAYERS:
        if preferred in feature_layers:
            return preferred
    synthesis = [name for name in feature_layers if name != "input"]
    return (synthesis or list(feature_layers) or [None])[0]


@dataclass(frozen=True)
class Params:
    """LatentCLR settings: the official ones, except a short schedule for a CPU.

    ``k`` directions trained on batches of ``batch`` latents. ``model_type``: ``"global"``,
    ``"linear"`` or ``"nonlinear"`` (``depth`` linear layers, 3 in the official code).
    ``lr``, ``weight_decay``: Adam's, multiplied by 0.2 at 10% and 50% of the iterations
    (global directions start as unit vectors, see
    :class:`~guiapp.core.direction_models.GlobalDirections`). ``tau``: temperature.
    ``alpha``: the training edit size in latent units. ``loss``: ``"official"`` (the
    official code's variant, the default there too) or ``"paper"`` (see
    :func:`~guiapp.core.methods.latentclr_train.contrastive_loss`).

    How the defaults were chosen (``python -m benchmarks.tune_latentclr``, built-in model,
    top 10 directions measured on 256 seeds as in ``benchmarks/compare_methods.py``;
    random directions: consistency 0.180, distinctness 0.401): the official 10000
    iterations take over an hour on a CPU, so ``iterations`` is 600 (a few minutes on 2
    cores). At the official lr 1e-3 and alpha 0.1 those 600 iterations leave the
    directions near their random start (mean |cos| 0.90 with it; consistency 0.141,
    distinctness 0.318), and alpha 1 or 3 alone help little (0.158 / 0.364, 0.195 /
    0.429). With ``lr`` 1e-2, ten times the official rate for a schedule 17 times shorter
    (the same order of total step, 600 * 1e-2 vs 10000 * 1e-3), and alpha 3 (the size of
    a typical slider edit), the paper's loss reaches 0.244 / 0.451 and the official
    variant 0.351 / 0.321: between SeFa (0.326) and GANSpace (0.388) in consistency and
    the most distinct of the three, in
    460 s on one loaded core. Those are the defaults. The official variant counts ``d``
    and ``-d`` as the same effect, so some of the K directions repeat others (14 of 32
    here); :func:`~guiapp.core.methods.latentclr.rank` puts them last, with a note.
    ``layer``: target feature layer (None: ``b4.conv1`` on StyleGAN2, ``block0`` on the
    built-in DCGAN, else the first after StyleGAN3's ``input``; see :func:`default_layer`).
    ``layers``: the w layers the directions move, for style-based models (None: all).
    ``steps``: Euler steps per edit for linear and non-linear directions when editing.
    ``keep_best_on_cancel``: on cancel, return the directions with
    the lowest running-mean loss so far instead of raising
    :class:`~guiapp.core.progress.Cancelled`. ``eval_samples``: held-out latents for the
    scores; ``report_every``: iterations between ``on_partial`` reports.
    """

    k: int = 32
    batch: int = 32
    model_type: str = "global"
    depth: int = 3
    iterations: int = 600
    lr: float = 1e-2
    weight_decay: float = 1e-3
    tau: float = 0.5
    alpha: float = 3.0
    layer: str | None = None
    layers: LayerRange | None = None
    loss: str = "official"
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
