"""LatentCLR direction models: K global, linear or non-linear directions in the latent space.

Yüksel et al., "LatentCLR: A Contrastive Learning Approach for Unsupervised Discovery of
Interpretable Directions", ICCV 2021. Each model maps latents (M, D) to K raw directions
(K, M, D); an edit moves a latent by ``alpha * d_k(w) / |d_k(w)|``.

- :class:`GlobalDirections`: K free vectors (the same direction at every latent).
- :class:`LinearDirections`: K bias-free linear maps, ``d_k(w) = W_k w``.
- :class:`NonlinearDirections`: K MLPs of ``depth`` linear layers with ReLU between them,
  biases on the hidden layers and none on the last (as the official code). The official
  MLPs also have BatchNorm between the layers; ours do not, so that ``d_k(w)`` of one
  latent never depends on the others in its batch and is the same in training and editing.

The K networks are stored stacked (one tensor per layer, K first) and run as one batched
matrix product. :class:`ConditionalDirections` is the frozen, exported form a
:class:`~guiapp.core.types.DirectionSet` carries for the linear and non-linear models: it
moves latents along direction k (optionally in ``steps`` small Euler steps, re-evaluating
the direction at each) and turns into plain numpy arrays plus a JSON spec for files.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from guiapp.core.cancel_scope import check_cancelled
from guiapp.core.latentclr_params import MODEL_TYPES

EPS = 1e-12
MAX_STEPS = 1000
"""Euler steps per edit a stored direction model may ask for (the window offers 1-100)."""
MAX_K = 1 << 12
MAX_DIM = 1 << 14


def _init(
    generator: torch.Generator | None, shape: Sequence[int], bound: float | None = None
) -> nn.Parameter:
    """Zeros without ``generator``; else N(0, 1) (``bound`` None) or U(-bound, bound)."""
    if generator is None:
        data = torch.zeros(*shape)
    elif bound is None:
        data = torch.randn(*shape, generator=generator)
    else:
        data = (torch.rand(*shape, generator=generator) * 2 - 1) * bound
    return nn.Parameter(data)


def unit_rows(x: torch.Tensor) -> torch.Tensor:
    """``x / |x|`` along the last axis (zero rows stay zero)."""
    return x / x.norm(dim=-1, keepdim=True).clamp_min(EPS)


class DirectionModel(nn.Module):
    """Base: ``raw(latents)`` (M, D) -> (K, M, D); ``raw_one(k, latents)`` -> (M, D)."""

    kind: str
    depth: int = 1

    def __init__(self, k: int, dim: int) -> None:
        super().__init__()
        self.k, self.dim = k, dim

    def raw(self, latents: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def raw_one(self, index: int, latents: torch.Tensor) -> torch.Tensor:
        return self.raw(latents)[index]

    def forward(self, latents: torch.Tensor) -> torch.Tensor:
        """(M, D) -> (K, M, D) unit directions at each latent."""
        return unit_rows(self.raw(latents))

    def reorder(self, order: Sequence[int]) -> None:
        """Permute the K directions in place: new direction i is old ``order[i]``."""
        index = torch.as_tensor(list(order), dtype=torch.long)
        with torch.no_grad():
            for p in self.parameters():
                p.data = p.data.index_select(0, index.to(p.device)).contiguous()


class GlobalDirections(DirectionModel):
    """K free vectors, initialised as N(0, 1) rows scaled to unit length.

    The official ``Fixed`` model keeps the N(0, 1) rows (length ~ sqrt(D)). Adam moves each
    entry by about ``lr`` per step, so a row of length r turns by about ``lr * sqrt(D) / r``
    radians: unit rows learn sqrt(D) times faster (10x for D = 100) than the official ones
    at the same learning rate, which is what lets a short CPU run get anywhere at the
    official lr. The edit uses only ``d / |d|``, so the scale changes nothing else.
    """

    kind = "global"

    def __init__(self, k: int, dim: int, generator: torch.Generator | None = None) -> None:
        super().__init__(k, dim)
        self.vectors = _init(generator, (k, dim))
        with torch.no_grad():
            self.vectors.copy_(unit_rows(self.vectors))

    def raw(self, latents: torch.Tensor) -> torch.Tensor:
        return self.vectors[:, None, :].expand(-1, latents.shape[0], -1)

    def raw_one(self, index: int, latents: torch.Tensor) -> torch.Tensor:
        return self.vectors[index].expand(latents.shape[0], -1)


class LinearDirections(DirectionModel):
    """K bias-free linear maps ``d_k(w) = W_k w``; ``weight`` is (K, D, D)."""

    kind = "linear"

    def __init__(self, k: int, dim: int, generator: torch.Generator | None = None) -> None:
        super().__init__(k, dim)
        # nn.Linear's default initialisation range
        self.weight = _init(generator, (k, dim, dim), 1.0 / math.sqrt(dim))

    def raw(self, latents: torch.Tensor) -> torch.Tensor:
        return torch.einsum("kod,md->kmo", self.weight, latents)

    def raw_one(self, index: int, latents: torch.Tensor) -> torch.Tensor:
        return latents @ self.weight[index].T


class NonlinearDirections(DirectionModel):
    """K MLPs: ``depth`` layers (K, D, D); ReLU and bias on all but the last layer."""

    kind = "nonlinear"

    def __init__(
        self, k: int, dim: int, depth: int = 3, generator: torch.Generator | None = None
    ) -> None:
        super().__init__(k, dim)
        if depth < 1:
            raise ValueError(f"depth must be at least 1, not {depth}")
        self.depth = depth
        bound = 1.0 / math.sqrt(dim)
        self.weights = nn.ParameterList(
            [_init(generator, (k, dim, dim), bound) for _ in range(depth)]
        )
        self.biases = nn.ParameterList(
            [_init(generator, (k, 1, dim), bound) for _ in range(depth - 1)]
        )

    @staticmethod
    def _run(
        x: torch.Tensor, weights: list[torch.Tensor], biases: list[torch.Tensor]
    ) -> torch.Tensor:
        for i, weight in enumerate(weights):
            x = x @ weight.transpose(-1, -2)
            if i < len(biases):
                x = torch.relu(x + biases[i])
        return x

    def raw(self, latents: torch.Tensor) -> torch.Tensor:
        x = latents[None].expand(self.k, -1, -1)
        return self._run(x, list(self.weights), list(self.biases))

    def raw_one(self, index: int, latents: torch.Tensor) -> torch.Tensor:
        return self._run(latents, [w[index] for w in self.weights], [b[index] for b in self.biases])


def build_direction_model(
    kind: str, k: int, dim: int, depth: int = 3, generator: torch.Generator | None = None
) -> DirectionModel:
    """A new direction model; ``generator`` seeds its initialisation (None: all zeros, to be
    filled by ``load_state_dict``)."""
    if kind == "global":
        return GlobalDirections(k, dim, generator)
    if kind == "linear":
        return LinearDirections(k, dim, generator)
    if kind == "nonlinear":
        return NonlinearDirections(k, dim, depth, generator)
    raise ValueError(f"model type must be one of {', '.join(MODEL_TYPES)}, not {kind!r}")


class ConditionalDirections:
    """Frozen latent-dependent directions, as a direction set carries them.

    Parameters
    ----------
    model
        A trained :class:`LinearDirections` or :class:`NonlinearDirections` (copied to CPU
        float32 and frozen here).
    steps
        Euler steps per edit: moving by ``amount`` takes ``steps`` steps of
        ``amount / steps``, each along the unit direction at the current latent. 1 is the
        paper's edit ``w + amount * d(w) / |d(w)|``.
    """

    def __init__(self, model: DirectionModel, steps: int = 1) -> None:
        if steps < 1:
            raise ValueError(f"steps must be at least 1, not {steps}")
        self.model = model.to("cpu", torch.float32).eval().requires_grad_(False)
        self.steps = int(steps)
        self._device_copies: dict[tuple[torch.device, torch.dtype], DirectionModel] = {}

    @property
    def k(self) -> int:
        return self.model.k

    @property
    def dim(self) -> int:
        return self.model.dim

    def _on(self, device: torch.device, dtype: torch.dtype) -> DirectionModel:
        if (device, dtype) == (torch.device("cpu"), torch.float32):
            return self.model
        key = (device, dtype)
        if key not in self._device_copies:
            copy = build_direction_model(self.model.kind, self.k, self.dim, self.model.depth)
            copy.load_state_dict(self.model.state_dict())
            self._device_copies[key] = copy.to(device, dtype).eval().requires_grad_(False)
        return self._device_copies[key]

    def direction(self, index: int, latents: torch.Tensor) -> torch.Tensor:
        """(M, D) -> (M, D) unit direction ``index`` at each latent."""
        with torch.no_grad():
            model = self._on(latents.device, latents.dtype)
            return unit_rows(model.raw_one(index, latents))

    def move(self, index: int, latents: torch.Tensor, amount: float) -> torch.Tensor:
        """(M, D) latents moved by ``amount`` latent units along direction ``index``."""
        if amount == 0.0:
            return latents
        step = amount / self.steps
        with torch.no_grad():
            for _ in range(self.steps):
                check_cancelled()  # a render stops when its window closes
                latents = latents + step * self.direction(index, latents)
        return latents

    def spec(self) -> dict[str, Any]:
        """JSON-ready architecture (:func:`conditional_from_arrays` rebuilds from it)."""
        return {
            "kind": self.model.kind,
            "k": self.k,
            "dim": self.dim,
            "depth": self.model.depth,
            "steps": self.steps,
        }

    def arrays(self) -> dict[str, np.ndarray]:
        """Parameter name -> float32 array (K first), e.g. ``weight`` (K, D, D)."""
        return {
            name: t.detach().cpu().numpy().astype(np.float32)
            for name, t in self.model.state_dict().items()
        }

    def with_steps(self, steps: int) -> ConditionalDirections:
        """The same directions integrated in ``steps`` Euler steps per edit."""
        return ConditionalDirections(self.model, steps)


def parameter_shapes(kind: str, k: int, dim: int, depth: int = 3) -> dict[str, tuple[int, ...]]:
    """Name -> shape of a direction model's parameters (as in its ``state_dict``)."""
    if kind == "global":
        return {"vectors": (k, dim)}
    if kind == "linear":
        return {"weight": (k, dim, dim)}
    shapes = {f"weights.{i}": (k, dim, dim) for i in range(depth)}
    shapes.update({f"biases.{i}": (k, 1, dim) for i in range(depth - 1)})
    return shapes


def _whole(value: Any, name: str, most: int) -> int:
    """A stored whole number 1 .. ``most`` (not a bool, float or string)."""
    if type(value) is not int or not 1 <= value <= most:
        raise ValueError(f"direction model {name} must be a whole number 1 to {most}")
    return value


def conditional_from_arrays(
    spec: dict[str, Any], arrays: dict[str, np.ndarray]
) -> ConditionalDirections:
    """Rebuild :class:`ConditionalDirections` from :meth:`~ConditionalDirections.spec` and
    :meth:`~ConditionalDirections.arrays`. Raises ValueError when they do not fit (checked
    before anything is allocated)."""
    try:
        kind = str(spec["kind"])
        k, dim = _whole(spec["k"], "k", MAX_K), _whole(spec["dim"], "dim", MAX_DIM)
        depth = _whole(spec.get("depth", 1), "depth", 16)
        steps = _whole(spec.get("steps", 1), "steps", MAX_STEPS)
    except KeyError as exc:
        raise ValueError(f"bad direction model description (no {exc})") from None
    if kind not in ("linear", "nonlinear"):
        raise ValueError(f"unsupported direction model {kind!r} (k={k}, dim={dim}, depth={depth})")
    shapes = parameter_shapes(kind, k, dim, depth)
    if set(arrays) != set(shapes):
        raise ValueError(f"direction model arrays {sorted(arrays)} != {sorted(shapes)}")
    state = {}
    for name, shape in shapes.items():
        arr = np.asarray(arrays[name])
        if arr.shape != shape or arr.dtype.kind not in "fiu" or not np.isfinite(arr).all():
            raise ValueError(f"direction model array {name!r} has a bad shape or values")
        state[name] = torch.from_numpy(arr.astype(np.float32))
    model = build_direction_model(kind, k, dim, depth)
    model.load_state_dict(state)
    return ConditionalDirections(model, steps)
