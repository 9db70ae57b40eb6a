"""LatentCLR's contrastive loss and training loop (used by :mod:`.latentclr`).

Yüksel et al., "LatentCLR: A Contrastive Learning Approach for Unsupervised Discovery of
Interpretable Directions", ICCV 2021. The loss is implemented as in the paper and, as an
option, as in the official code (catlab-team/latentclr); :func:`contrastive_loss` documents
the difference.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import torch

from guiapp.core.direction_models import DirectionModel, build_direction_model
from guiapp.core.latentclr_params import LOSSES
from guiapp.core.methods.latentclr_memory import free_memory, plan_step
from guiapp.core.models.base import GeneratorModel
from guiapp.core.progress import Cancelled, CancelToken, Checkpoint, ProgressFn
from guiapp.core.types import LayerRange, TrainingStep

if TYPE_CHECKING:
    from guiapp.core.latentclr_params import Params

EMA_DECAY = 0.9
"""Decay of the running-mean loss that picks the best model for keep-best-on-cancel."""


class _Gram(torch.autograd.Function):
    """``f @ f.T`` with a one-product backward, ``(g + g.T) @ f`` (autograd does two)."""

    @staticmethod
    def forward(ctx: Any, f: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(f)
        return f @ f.T

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:
        (f,) = ctx.saved_tensors
        return (grad + grad.T) @ f


def contrastive_loss(
    diffs: torch.Tensor, k: int, tau: float, variant: str = "paper"
) -> tuple[torch.Tensor, torch.Tensor]:
    """LatentCLR's contrastive loss on feature differences.

    Parameters
    ----------
    diffs
        (K * N, F) feature differences, direction-major: rows ``k*N .. (k+1)*N - 1`` are
        direction k on the N latents. Only their directions matter (cosine similarity).
    k
        K, the number of directions (>= 2); N = rows / K (>= 2).
    tau
        Temperature.
    variant
        ``"paper"``: for anchor ``f_i^k``, with ``s`` the cosine similarity,
        ``l = -log( sum_{j != i} exp(s(f_i^k, f_j^k) / tau)
        / sum_{l != k} sum_j exp(s(f_i^k, f_j^l) / tau) )``, the negatives alone in the
        denominator (the paper's eq.); averaged over the K * N anchors (the paper sums
        them, a constant factor). ``"official"``: the official code's ``ContrastiveLoss``
        (abs=True, reduce="mean"): the similarity is ``|s|`` (a direction and its opposite
        count as the same), the exponent is ``|s| * tau`` (multiplied, so tau=0.5 is a
        temperature of 2), and the sums are means (positives over N-1, negatives over
        (K-1)*N, which shifts the loss by the constant ``log((K-1)N/(N-1))``).

    Returns
    -------
    loss
        Scalar tensor (differentiable).
    accuracy
        Scalar tensor: the fraction of anchors whose mean positive term ``exp(.)``
        exceeds their mean negative term (the official code's accuracy), in the variant's
        own similarity.
    """
    rows = diffs.shape[0]
    n = rows // k
    if k < 2 or n < 2 or n * k != rows:
        raise ValueError(f"need K >= 2 directions of N >= 2 rows each, got {rows} rows, K={k}")
    f = diffs / diffs.norm(dim=1, keepdim=True).clamp_min(1e-12)
    sim = _Gram.apply(f)
    group = torch.arange(k, device=diffs.device).repeat_interleave(n)
    same = group[:, None] == group[None, :]
    pos_mask = same & ~torch.eye(rows, dtype=torch.bool, device=diffs.device)
    neg_mask = ~same
    if variant == "paper":
        logits = sim / tau
        pos = torch.logsumexp(logits.masked_fill(~pos_mask, -math.inf), dim=1)
        neg = torch.logsumexp(logits.masked_fill(~neg_mask, -math.inf), dim=1)
        loss = (neg - pos).mean()
        mean_pos, mean_neg = pos - math.log(n - 1), neg - math.log((k - 1) * n)
    elif variant == "official":
        e = torch.exp(sim.abs() * tau)
        mean_pos = (e * pos_mask).sum(dim=1) / (n - 1)
        mean_neg = (e * neg_mask).sum(dim=1) / ((k - 1) * n)
        loss = -torch.log(mean_pos / mean_neg).mean()
    else:
        raise ValueError(f"loss must be one of {', '.join(LOSSES)}, not {variant!r}")
    accuracy = (mean_pos > mean_neg).float().mean()
    return loss, accuracy


def place(ws: torch.Tensor, edited: torch.Tensor, layers: LayerRange | None) -> torch.Tensor:
    """(N, L, D) latents and (K, N, D) edited w -> (K, N, L, D) with ``edited`` on
    ``layers`` (None: every layer) and ``ws`` elsewhere."""
    k, (n, num_ws, d) = edited.shape[0], ws.shape
    moved = edited[:, :, None, :].expand(k, n, num_ws, d)
    if layers is None or (layers.start == 0 and layers.stop >= num_ws):
        return moved
    mask = torch.zeros(num_ws, dtype=torch.bool, device=ws.device)
    mask[layers.start : layers.stop] = True
    return torch.where(mask[None, None, :, None], moved, ws[None])


@dataclass
class TrainResult:
    """A trained direction model and its history (one entry per ``on_partial`` report)."""

    model: DirectionModel
    iterations_done: int = 0
    cancelled: bool = False
    report_iterations: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)


def milestones(iterations: int) -> list[int]:
    """Iterations after which the learning rate is multiplied by 0.2: 10% and 50%."""
    return sorted({max(1, round(0.1 * iterations)), max(1, round(0.5 * iterations))})


def train(
    model: GeneratorModel,
    params: Params,
    layer: str,
    progress: ProgressFn | None,
    cancel: CancelToken | None,
    on_partial: Callable[[Any], None] | None,
) -> TrainResult:
    """Train ``params.model_type`` directions on ``model``'s ``layer`` (needs autograd on).

    Deterministic for ``params.seed``: the initialisation and every batch of latents come
    from one seeded ``torch.Generator``. ``cancel`` is checked before every iteration;
    ``progress`` gets a fraction and a message at each report.
    """
    check_cancel, report_progress = Checkpoint(None, cancel), Checkpoint(progress, None)
    gen = torch.Generator().manual_seed(params.seed)
    dim, device = model.latent_dim, model.device
    dmodel = build_direction_model(params.model_type, params.k, dim, params.depth, gen)
    dmodel = dmodel.to(device).train()
    opt = torch.optim.Adam(dmodel.parameters(), lr=params.lr, weight_decay=params.weight_decay)
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones(params.iterations), gamma=0.2)
    plan = plan_step(model, params.k, params.batch, layer, free_memory(device))
    if plan.chunk is not None:
        report_progress(0.0, f"LatentCLR: features in chunks of {plan.chunk} latents (memory)")
    result = TrainResult(dmodel)
    window: list[tuple[float, float]] = []
    ema, best_ema, best_state = math.inf, math.inf, None
    for i in range(params.iterations):
        try:
            check_cancel(i / params.iterations)
        except Cancelled:
            if not params.keep_best_on_cancel or best_state is None:
                raise
            dmodel.load_state_dict(best_state)
            result.cancelled = True
            break
        z = torch.randn(params.batch, model.z_dim, generator=gen).to(device)
        opt.zero_grad(set_to_none=True)
        loss_value, acc_value = _step(model, dmodel, z, params, layer, plan.chunk)
        ema = loss_value if i == 0 else EMA_DECAY * ema + (1 - EMA_DECAY) * loss_value
        if params.keep_best_on_cancel and ema < best_ema:  # the weights this loss was of
            best_ema = ema
            best_state = {k: v.detach().clone() for k, v in dmodel.state_dict().items()}
        opt.step()
        sched.step()
        result.iterations_done = i + 1
        window.append((loss_value, acc_value))
        if (i + 1) % params.report_every == 0 or i + 1 == params.iterations:
            _report(result, window, opt, on_partial)
            window = []
            report_progress(
                0.95 * (i + 1) / params.iterations,
                f"LatentCLR: iteration {i + 1}/{params.iterations}, loss {result.loss[-1]:.4f}",
            )
    return result


def _report(
    result: TrainResult,
    window: list[tuple[float, float]],
    opt: torch.optim.Optimizer,
    on_partial: Callable[[Any], None] | None,
) -> None:
    loss = sum(w[0] for w in window) / len(window)
    acc = sum(w[1] for w in window) / len(window)
    result.report_iterations.append(result.iterations_done)
    result.loss.append(loss)
    result.accuracy.append(acc)
    if on_partial is not None:
        on_partial(TrainingStep(result.iterations_done, float(loss), float(acc),
                                float(opt.param_groups[0]["lr"])))


def _step(
    model: GeneratorModel,
    dmodel: DirectionModel,
    z: torch.Tensor,
    params: Params,
    layer: str,
    chunk: int | None,
) -> tuple[float, float]:
    """Loss and accuracy of one batch (N latents, each edited along all K directions), with
    their gradients left in ``dmodel``'s parameters; ``chunk``: see :func:`_chunked_backward`."""
    with torch.no_grad():
        ws = model.map(z)  # (N, L, D)
        base = model.features(ws, layer)  # (N, F)
    w = ws[:, 0 if params.layers is None else params.layers.start]
    edited = w[None] + params.alpha * dmodel(w)  # (K, N, D)
    k, n = edited.shape[:2]
    moved = place(ws, edited, params.layers).reshape(k * n, *ws.shape[1:])
    if chunk is not None:
        return _chunked_backward(model, moved, base, k, params, layer, chunk)
    diffs = model.features(moved, layer).reshape(k, n, -1) - base[None]
    loss, acc = contrastive_loss(diffs.reshape(k * n, -1), k, params.tau, params.loss)
    loss.backward()
    return loss.item(), acc.item()


def _chunked_backward(
    model: GeneratorModel,
    moved: torch.Tensor,
    base: torch.Tensor,
    k: int,
    params: Params,
    layer: str,
    chunk: int,
) -> tuple[float, float]:
    """The step's loss and gradients with autograd holding ``chunk`` latents' activations
    at a time: features of every edited latent without autograd, the loss's gradient in
    those features, then each chunk's features again with autograd, given its share."""
    leaf = moved.detach().requires_grad_(True)
    parts = leaf.split(chunk)
    with torch.no_grad():
        feats = torch.cat([model.features(part, layer) for part in parts])
    n = moved.shape[0] // k
    diffs = (feats.reshape(k, n, -1) - base[None]).reshape(k * n, -1).requires_grad_(True)
    loss, acc = contrastive_loss(diffs, k, params.tau, params.loss)
    loss.backward()
    assert diffs.grad is not None
    for part, grad in zip(parts, diffs.grad.split(chunk), strict=True):
        model.features(part, layer).backward(grad)
    moved.backward(leaf.grad)
    return loss.item(), acc.item()
