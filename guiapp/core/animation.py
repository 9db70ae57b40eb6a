"""Frame plans for animations: the walk along one direction and the morph between two seeds.

A plan is plain data about the face (seed, truncation, class, edits) and how each frame
differs; :func:`plan_latents` turns frames ``[start, stop)`` of it into per-layer latents
with the same functions a single render uses (:mod:`guiapp.core.render`), so a frame is
pixel for pixel the image :func:`~guiapp.core.render.render_image` gives for its latent.
:func:`render_frames` renders a plan in batches (the models' ``synthesize`` takes a batch
of latents), reporting progress and stopping when cancelled.

- Walk: direction ``index`` goes from ``lo`` to ``hi`` in ``frames`` steps (and back, without
  repeating the ends, when ``bounce``: a seamless loop). It follows the strip rule
  (:func:`guiapp.core.render.strip_latents`; across sets with a ``workspace``,
  :func:`~guiapp.core.render.workspace_strip_latents`): the direction's own edit is replaced
  by each frame's alpha on its layers; the other edits are held when ``hold_edits``. The
  face may be a seed or a projected latent (``Face.latent``).
- Morph: from seed ``seed`` to ``seed_b`` in ``frames`` steps. ``space="z"`` interpolates
  the Gaussian z by spherical interpolation (slerp; a straight line between two Gaussian
  samples passes through improbable, low-norm latents, so faces wash out mid-way), then maps
  and truncates each frame; ``space="w"`` interpolates the truncated per-layer latents
  linearly. The current edits (of every set, with a ``workspace``) are applied to every
  frame. The ends are the two seeds' images exactly.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from guiapp.core.animation_limits import DEFAULT_BATCH, MAX_FRAMES, MIN_FRAMES, MORPH_SPACES
from guiapp.core.edits import apply_edits, apply_workspace_edits, check_workspace
from guiapp.core.models.base import GeneratorModel
from guiapp.core.progress import CancelToken, Checkpoint, ProgressFn
from guiapp.core.render import (
    base_latents,
    check_model_directions,
    face_noise,
    latent_face,
    strip_edits,
    synthesize_face,
    to_uint8,
    workspace_strip_latents,
)
from guiapp.core.seeds import check_seed
from guiapp.core.types import MAX_ABS_ALPHA, DirectionSet, Edit, LayerRange, ProjectedLatent
from guiapp.core.workspace import Workspace

__all__ = ["DEFAULT_BATCH", "MAX_FRAMES", "MIN_FRAMES", "MORPH_SPACES", "Face", "MorphPlan",
           "WalkPlan", "check_plan", "frame_count", "plan_latents", "render_all",
           "render_frames", "slerp", "walk_plan"]


@dataclass(frozen=True)
class Face:
    """The face every frame starts from: seed (or a projected ``latent``) and the latent
    controls."""

    seed: int
    truncation: float = 1.0
    cutoff: int | None = None
    class_index: int | None = None
    noise_mode: str = "const"
    latent: ProjectedLatent | None = None


@dataclass(frozen=True)
class WalkPlan:
    """Direction ``index`` of ``direction_set`` from ``lo`` to ``hi`` in ``frames`` steps.
    With a ``workspace``, ``direction_set`` is its set ``set_id`` (None: the selected one)
    and ``edits`` are ignored: the workspace's edits of every set are the ones held."""

    face: Face
    direction_set: DirectionSet
    index: int
    lo: float
    hi: float
    frames: int
    edits: tuple[Edit, ...] = ()
    hold_edits: bool = True
    bounce: bool = True
    layers: LayerRange | None = None
    workspace: Workspace | None = None
    set_id: int | None = None

    @property
    def alphas(self) -> tuple[float, ...]:
        """One alpha per frame of the file (the way back included)."""
        return bounce_values(np.linspace(self.lo, self.hi, self.frames), self.bounce)


@dataclass(frozen=True)
class MorphPlan:
    """From ``face.seed`` to ``seed_b`` in ``frames`` steps, interpolated in ``space``; the
    ``workspace``'s edits (when given) or ``edits`` on every frame."""

    face: Face
    seed_b: int
    frames: int
    space: str = "z"
    direction_set: DirectionSet | None = None
    edits: tuple[Edit, ...] = ()
    bounce: bool = False
    workspace: Workspace | None = None

    @property
    def times(self) -> tuple[float, ...]:
        """One interpolation time in [0, 1] per frame of the file."""
        return bounce_values(np.linspace(0.0, 1.0, self.frames), self.bounce)


Plan = WalkPlan | MorphPlan


def bounce_values(values: np.ndarray, bounce: bool) -> tuple[float, ...]:
    """``values``, then (``bounce``) back again without repeating either end, so a looping
    player shows each value once per cycle: ``[0, 1, 2]`` -> ``[0, 1, 2, 1]``."""
    out = [float(v) for v in values]
    return tuple(out + out[-2:0:-1]) if bounce else tuple(out)


def frame_count(plan: Plan) -> int:
    """Frames in the file ``plan`` makes."""
    return len(plan.alphas) if isinstance(plan, WalkPlan) else len(plan.times)


def check_plan(model: GeneratorModel, plan: Plan) -> None:
    """Raise ValueError (IndexError for a direction index) with a one-line reason before
    any rendering when ``plan`` cannot be rendered with ``model``."""
    if not MIN_FRAMES <= plan.frames <= MAX_FRAMES:
        raise ValueError(f"an animation has {MIN_FRAMES} to {MAX_FRAMES} frames, "
                         f"not {plan.frames}")
    if plan.face.latent is None:
        check_seed(plan.face.seed)
    elif isinstance(plan, MorphPlan):
        raise ValueError("a morph goes from seed to seed; this face is a projected latent")
    check_model_directions(model, plan.direction_set)
    if plan.workspace is not None:
        check_workspace(plan.workspace, model.latent_space, model.latent_dim)
        if isinstance(plan, WalkPlan):
            set_id = plan.set_id if plan.set_id is not None else plan.workspace.selected
            if set_id is None:
                raise ValueError("the walk needs a direction set")
            plan.workspace.get(set_id).directions.direction(plan.index)
    if isinstance(plan, WalkPlan):
        plan.direction_set.direction(plan.index)
        for value in (plan.lo, plan.hi):
            if not np.isfinite(value) or abs(value) > MAX_ABS_ALPHA:
                raise ValueError(f"walk alphas must be finite and within ±{MAX_ABS_ALPHA:g}, "
                                 f"not {value}")
        if plan.layers is not None:
            plan.layers.check(model.num_ws)
    else:
        check_seed(plan.seed_b, "second seed")
        if plan.space not in MORPH_SPACES:
            raise ValueError(f"a morph interpolates in z or w, not {plan.space!r}")
    for edit in plan.edits:
        if plan.direction_set is None:
            raise ValueError("edits need a direction set")
        plan.direction_set.direction(edit.direction_index)


def slerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """Spherical interpolation from ``a`` (t=0, returned as it is) to ``b`` (t=1), float64;
    falls back to a straight line when the two are (anti)parallel."""
    if t == 0.0:
        return a
    if t == 1.0:
        return b
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    cos = float(np.clip(np.dot(a / na, b / nb), -1.0, 1.0))
    omega = np.arccos(cos)
    if np.sin(omega) < 1e-6:
        return (1.0 - t) * a + t * b
    return (np.sin((1.0 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)


def _face_latents(model: GeneratorModel, face: Face) -> torch.Tensor:
    if face.latent is not None:
        return latent_face(model, face.latent, face.truncation, cutoff=face.cutoff,
                           class_index=face.class_index)
    return base_latents(model, face.seed, face.truncation, cutoff=face.cutoff,
                        class_index=face.class_index)


def _walk_latents(model: GeneratorModel, plan: WalkPlan, start: int, stop: int) -> torch.Tensor:
    base = _face_latents(model, plan.face)
    if plan.workspace is not None:
        work = plan.workspace
        set_id = plan.set_id if plan.set_id is not None else work.selected
        if set_id is None:
            raise ValueError("the walk needs a direction set")
        own = work.edit_of(set_id, plan.index)
        layers = plan.layers if plan.layers is not None else own.layers if own else None
        held = work if plan.hold_edits else work.clear_edits()
        return workspace_strip_latents(base, held, set_id, plan.index,
                                       plan.alphas[start:stop], layers)
    others, layers = strip_edits(plan.edits, plan.index, plan.layers)
    held = apply_edits(base, plan.direction_set, others if plan.hold_edits else ())
    return torch.cat([apply_edits(held, plan.direction_set, [Edit(plan.index, a, layers)])
                      for a in plan.alphas[start:stop]])


def _morph_latents(model: GeneratorModel, plan: MorphPlan, start: int,
                   stop: int) -> torch.Tensor:
    face, times = plan.face, plan.times[start:stop]
    if plan.space == "z":
        za, zb = model.sample_z(1, face.seed)[0], model.sample_z(1, plan.seed_b)[0]
        z = np.stack([slerp(za, zb, t) for t in times])
        z_t = torch.from_numpy(z).to(model.device, torch.float32)
        with torch.inference_mode():
            ws = model.truncate(model.map_for_class(z_t, face.class_index), face.truncation,
                                face.cutoff)
    else:
        wa, wb = (base_latents(model, s, face.truncation, cutoff=face.cutoff,
                               class_index=face.class_index) for s in (face.seed, plan.seed_b))
        ws = torch.cat([wa if t == 0.0 else wb if t == 1.0 else (1.0 - t) * wa + t * wb
                        for t in times])
    if plan.workspace is not None:
        return apply_workspace_edits(ws, plan.workspace)
    return apply_edits(ws, plan.direction_set, plan.edits)


def plan_latents(model: GeneratorModel, plan: Plan, start: int = 0,
                 stop: int | None = None) -> torch.Tensor:
    """(stop - start, num_ws, D) latents of frames ``[start, stop)`` of ``plan``."""
    stop = frame_count(plan) if stop is None else stop
    if isinstance(plan, WalkPlan):
        return _walk_latents(model, plan, start, stop)
    return _morph_latents(model, plan, start, stop)


def render_frames(
    model: GeneratorModel,
    plan: Plan,
    *,
    batch_size: int = DEFAULT_BATCH,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> Iterator[np.ndarray]:
    """Yield the frames of ``plan`` as (B, H, W, 3) uint8 batches of at most ``batch_size``.

    ``progress`` hears of each batch; ``cancel`` is checked before each one (Cancelled).
    """
    check_plan(model, plan)
    if batch_size < 1:
        raise ValueError(f"batch size must be 1 or more, not {batch_size}")
    checkpoint = Checkpoint(progress, cancel)
    total = frame_count(plan)
    for start in range(0, total, batch_size):
        checkpoint(start / total, f"Rendering frame {start + 1} of {total}")
        ws = plan_latents(model, plan, start, min(start + batch_size, total))
        with torch.inference_mode():
            noise = face_noise(model, plan.face.latent)  # hook: photo-noise (its own maps)
            yield to_uint8(synthesize_face(model, ws, plan.face.noise_mode, noise))
    checkpoint(1.0, f"Rendered {total} frames")


def render_all(model: GeneratorModel, plan: Plan, batch_size: int = DEFAULT_BATCH) -> np.ndarray:
    """Every frame of ``plan``, (F, H, W, 3) uint8 (for tests and small previews)."""
    return np.concatenate(list(render_frames(model, plan, batch_size=batch_size)))


def walk_plan(face: Face, direction_set: DirectionSet, index: int, amplitude: float,
              frames: int, edits: Sequence[Edit] = (), **options: object) -> WalkPlan:
    """The walk from ``-amplitude`` to ``+amplitude`` (the window's form)."""
    return WalkPlan(face, direction_set, index, -abs(amplitude), abs(amplitude), frames,
                    tuple(edits), **options)  # type: ignore[arg-type]
