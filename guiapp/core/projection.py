"""Find the latent whose image reproduces a photo (GAN inversion by optimisation).

Two recipes, by the generator's kind:

- **z** (single-latent generators: DCGAN, PGGAN, BigGAN): a gradient descent on z is easily
  trapped, so many seeded z are scored first and the best :attr:`ProjectionSettings.restarts`
  optimised together for the first fifth of the steps; the best of them goes on alone. z is
  kept on the sphere of radius sqrt(z_dim), where a Gaussian prior's samples lie, so the
  result stays a face the generator knows (no far-out latent that only matches pixels).
- **w / w+** (style-based models), NVIDIA's projector (Karras et al. 2020, StyleGAN2 sec. 5):
  start from w_avg, Adam with a learning rate ramped up over the first 5 % and down (cosine)
  over the last 25 %, Gaussian noise on w of 5 % of w's spread, decayed quadratically to 0
  at 75 % of the steps. w+ optimises one w per layer: it reconstructs better and edits worse
  (the latent leaves the region the directions were found in).

Noise maps (models with noise inputs, StyleGAN2): optimised with w, as NVIDIA's projector
does: they start as seeded unit Gaussians, take Adam steps with w, are renormalised to zero
mean and unit variance after each step, and pay a multi-scale autocorrelation penalty
(:func:`noise_regularizer`, weight :data:`NOISE_REG_WEIGHT`) that keeps them noise rather
than a second copy of the photo. The face keeps them (:attr:`ProjectedLatent.noise`), and
every later render of it uses them, so the image shown at the end is exactly the one the
session renders. ``ProjectionSettings(noise=False)`` keeps the file's fixed noise.

The loss is :class:`~guiapp.core.projection_loss.ReconstructionLoss`. ``progress`` and
``cancel`` as everywhere in the core; cancelling returns the best latent found so far.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from guiapp.core.models.base import GeneratorModel
from guiapp.core.progress import Cancelled, CancelToken, Checkpoint, ProgressFn
from guiapp.core.projection_loss import ReconstructionLoss, image_uint8, psnr
from guiapp.core.types import ProjectedLatent

PreviewFn = Callable[[int, np.ndarray], None]
"""``on_preview(step, image)``: the current reconstruction, (H, W, 3) uint8."""

MAX_STEPS = 100_000
W_STATS_SAMPLES = 10_000
LR_RAMPUP, LR_RAMPDOWN, NOISE_RAMP, NOISE_FACTOR = 0.05, 0.25, 0.75, 0.05
NOISE_REG_WEIGHT = 1e5
"""Weight of the noise maps' autocorrelation penalty (NVIDIA's ``regularize_noise_weight``)."""


@dataclass(frozen=True)
class ProjectionSettings:
    """How to project. ``space`` "auto" picks "w" with a mapping network, else "z"."""

    space: str = "auto"
    steps: int = 300
    restarts: int = 4
    candidates: int = 64
    learning_rate: float = 0.1
    perceptual: str = "alex"
    pixel_weight: float = 1.0
    seed: int = 0
    preview_every: int = 10
    class_index: int | None = None
    noise: bool = True
    """Optimise the model's noise maps with w (style-based models that have noise inputs)."""

    def resolved_space(self, model: GeneratorModel) -> str:
        """The space to optimise in for ``model``; ValueError if the model has none such."""
        if self.space == "auto":
            return model.latent_space
        if self.space not in ("z", "w", "w+"):
            raise ValueError(f"space must be z, w or w+, not {self.space!r}")
        if self.space != "z" and model.latent_space != "w":
            raise ValueError(f"this model has no mapping network: it projects into z, "
                             f"not {self.space}")
        if self.space == "z" and model.latent_space == "w":
            raise ValueError("a style-based model projects into w or w+ (z is not invertible "
                             "through its mapping network)")
        return self.space

    def check(self) -> None:
        if not 1 <= self.steps <= MAX_STEPS:
            raise ValueError(f"steps must be in 1..{MAX_STEPS}, not {self.steps}")
        if self.restarts < 1 or self.candidates < self.restarts:
            raise ValueError("restarts must be >= 1 and candidates >= restarts")


@dataclass(frozen=True)
class ProjectionResult:
    """The projected face and how well it matches: ``image`` is its render (H, W, 3)
    uint8; ``losses`` the loss at each step done; ``cancelled`` when stopped early."""

    latent: ProjectedLatent
    image: np.ndarray
    losses: np.ndarray
    steps_done: int
    cancelled: bool
    psnr: float
    lpips: float


def lr_at(t: float, base: float) -> float:
    """NVIDIA's schedule: cosine ramp-down over the last 25 %, linear ramp-up over 5 %."""
    ramp = min(1.0, (1.0 - t) / LR_RAMPDOWN)
    ramp = 0.5 - 0.5 * math.cos(ramp * math.pi)
    return base * ramp * min(1.0, t / LR_RAMPUP)


def w_stats(model: GeneratorModel, samples: int = W_STATS_SAMPLES, seed: int = 123,
            class_index: int | None = None) -> tuple[torch.Tensor, float]:
    """(w_avg (w_dim,), w_std): mean of sampled w and their RMS distance to it."""
    z = torch.from_numpy(np.random.RandomState(seed).randn(samples, model.z_dim))
    total, square, count = None, 0.0, 0
    ws = []
    with torch.no_grad():
        for chunk in z.float().to(model.device).split(1000):
            w = model.map_for_class(chunk, class_index)[:, 0].double()
            ws.append(w)
            total = w.sum(0) if total is None else total + w.sum(0)
            count += w.shape[0]
        avg = total / count
        for w in ws:
            square += float((w - avg).square().sum())
    return avg.float(), math.sqrt(square / count)


def noise_regularizer(maps: list[torch.Tensor]) -> torch.Tensor:
    """NVIDIA's noise penalty: the squared autocorrelation at a one-pixel shift, along x
    and y, of each map and of its 2x average-pooled versions down to 8 px. Zero for ideal
    white noise; large when the maps hold image structure."""
    total = torch.zeros((), device=maps[0].device if maps else "cpu")
    for m in maps:
        x = m[None, None]
        while True:
            total = total + (x * torch.roll(x, 1, dims=3)).mean().square()
            total = total + (x * torch.roll(x, 1, dims=2)).mean().square()
            if x.shape[2] <= 8:
                break
            x = F.avg_pool2d(x, 2)
    return total


def _start_noise(model: GeneratorModel, seed: int) -> list[torch.Tensor]:
    """Seeded unit Gaussian maps, one per noise input, as leaf tensors to optimise."""
    gen = torch.Generator(device="cpu").manual_seed(seed + 1)
    return [torch.randn(shape, generator=gen).to(model.device).requires_grad_(True)
            for shape in model.noise_shapes()]


class _Search:
    """The loop state shared by both recipes: the best latent so far, checkpoints."""

    def __init__(self, model: GeneratorModel, loss: ReconstructionLoss, settings:
                 ProjectionSettings, check: Checkpoint, on_preview: PreviewFn | None) -> None:
        self.model, self.loss, self.settings = model, loss, settings
        self.check, self.on_preview = check, on_preview
        self.best_loss = math.inf
        self.best_ws: torch.Tensor | None = None
        self.best_latent: np.ndarray | None = None
        self.best_noise: list[torch.Tensor] | None = None
        self.losses: list[float] = []

    def step_done(self, step: int, ws: torch.Tensor, latent: torch.Tensor,
                  losses: torch.Tensor, images: torch.Tensor,
                  noise: list[torch.Tensor] | None = None) -> None:
        i = int(torch.argmin(losses))
        value = float(losses[i].detach())
        self.losses.append(value)
        if value < self.best_loss:
            self.best_loss = value
            self.best_ws = ws[i : i + 1].detach().clone()
            self.best_latent = latent[i].detach().cpu().numpy().astype(np.float32)
            self.best_noise = None if noise is None else [n.detach().clone() for n in noise]
        every = max(1, self.settings.preview_every)
        if self.on_preview is not None and (step % every == 0 or step == self.settings.steps):
            self.on_preview(step, image_uint8(images[i : i + 1])[0])
        self.check(step / self.settings.steps,
                   f"step {step}/{self.settings.steps}, loss {value:.4f}")


def _project_z(search: _Search) -> None:
    model, s = search.model, search.settings
    dim = model.z_dim
    radius = math.sqrt(dim)
    cand = torch.from_numpy(np.random.RandomState(s.seed).randn(s.candidates, dim)).float()
    cand = (cand * (radius / cand.norm(dim=1, keepdim=True))).to(model.device)
    scores = []
    with torch.no_grad():
        for chunk in cand.split(16):
            scores.append(search.loss(model.synthesize(model.map_for_class(chunk, s.class_index))))
            search.check(0.0, "scoring starting points")
    order = torch.argsort(torch.cat(scores))[: s.restarts]
    z = cand[order].clone().requires_grad_(True)
    opt = torch.optim.Adam([z], lr=s.learning_rate, betas=(0.9, 0.999))
    joint = max(1, s.steps // 5) if s.restarts > 1 else 0
    for step in range(1, s.steps + 1):
        t = (step - 1) / s.steps
        for group in opt.param_groups:
            group["lr"] = lr_at(t, s.learning_rate)
        ws = model.map_for_class(z, s.class_index)
        images = model.synthesize(ws)
        losses = search.loss(images)
        search.step_done(step, ws, z, losses, images)
        opt.zero_grad(set_to_none=True)
        losses.sum().backward()
        opt.step()
        with torch.no_grad():
            z.mul_(radius / z.norm(dim=1, keepdim=True))
        if step == joint and z.shape[0] > 1:
            keep = int(torch.argmin(losses))
            z = z[keep : keep + 1].detach().clone().requires_grad_(True)
            opt = torch.optim.Adam([z], lr=s.learning_rate, betas=(0.9, 0.999))


def _project_w(search: _Search, plus: bool) -> None:
    model, s = search.model, search.settings
    w_avg, w_std = w_stats(model, class_index=s.class_index)
    start = w_avg.to(model.device)[None]
    if plus:
        start = start[:, None].repeat(1, model.num_ws, 1)
    w = start.clone().requires_grad_(True)
    maps = _start_noise(model, s.seed) if s.noise else []
    opt = torch.optim.Adam([w, *maps], lr=s.learning_rate, betas=(0.9, 0.999))
    gen = torch.Generator(device="cpu").manual_seed(s.seed)
    for step in range(1, s.steps + 1):
        t = (step - 1) / s.steps
        noise_scale = w_std * NOISE_FACTOR * max(0.0, 1.0 - t / NOISE_RAMP) ** 2
        for group in opt.param_groups:
            group["lr"] = lr_at(t, s.learning_rate)
        noisy = w + torch.randn(w.shape, generator=gen).to(w.device) * noise_scale
        ws = noisy if plus else noisy[:, None].expand(-1, model.num_ws, -1)
        images = (model.synthesize(ws, noise_mode="const", noise=maps) if maps
                  else model.synthesize(ws, noise_mode="const"))
        losses = search.loss(images)
        search.step_done(step, ws, noisy[0:1] if plus else noisy, losses, images,
                         maps or None)
        opt.zero_grad(set_to_none=True)
        total = losses.sum()
        if maps:
            total = total + NOISE_REG_WEIGHT * noise_regularizer(maps)
        total.backward()
        opt.step()
        with torch.no_grad():
            for m in maps:  # back to zero mean, unit variance (NVIDIA's projector)
                m.sub_(m.mean()).mul_(m.square().mean().rsqrt())


def project(
    model: GeneratorModel,
    target: np.ndarray,
    settings: ProjectionSettings = ProjectionSettings(),
    *,
    source: str = "",
    sha256: str = "",
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    on_preview: PreviewFn | None = None,
) -> ProjectionResult:
    """Project ``target`` ((R, R, 3) uint8 at the model's resolution) into ``model``.

    ``source`` and ``sha256`` name the photo (they travel in the returned latent).
    Cancelling keeps the best latent found so far (``cancelled`` is then True); a cancel
    before the first step raises :class:`~guiapp.core.progress.Cancelled`.
    """
    settings.check()
    space = settings.resolved_space(model)
    res = model.resolution
    if target.shape != (res, res, 3) or target.dtype != np.uint8:
        raise ValueError(f"the target must be ({res}, {res}, 3) uint8 for this model, "
                         f"not {target.shape} {target.dtype}")
    check = Checkpoint(progress, cancel)
    loss = ReconstructionLoss(target, net=settings.perceptual,
                              pixel_weight=settings.pixel_weight, device=model.device)
    search = _Search(model, loss, settings, check, on_preview)
    cancelled = False
    with torch.inference_mode(False), torch.enable_grad():
        try:
            if space == "z":
                _project_z(search)
            else:
                _project_w(search, plus=space == "w+")
        except Cancelled:
            if search.best_ws is None:
                raise
            cancelled = True
    assert search.best_ws is not None and search.best_latent is not None
    best_noise = search.best_noise
    with torch.no_grad():
        images = (model.synthesize(search.best_ws, noise_mode="const", noise=best_noise)
                  if best_noise else model.synthesize(search.best_ws, noise_mode="const"))
        distance = float(loss.perceptual(images)[0])
    image = image_uint8(images)[0]
    noise = None if not best_noise else tuple(
        n.cpu().numpy().astype(np.float32) for n in best_noise)
    latent = ProjectedLatent(space, search.best_latent.reshape(
        (model.num_ws, model.latent_dim) if space == "w+" else (-1,)), source, sha256, noise)
    return ProjectionResult(latent, image, np.asarray(search.losses, np.float32),
                            len(search.losses), cancelled, psnr(image, target), distance)
