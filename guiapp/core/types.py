"""Plain data the user can save: frozen dataclasses holding numpy arrays, never tensors.

Layer ranges are half-open ``[start, stop)`` in code and shown inclusive (``start-(stop-1)``)
to users, as GANSpace does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

# What a run reports beside its directions; importable from here with the other plain data.
from guiapp.core.run_results import Ranking as Ranking
from guiapp.core.run_results import RunStatus as RunStatus
from guiapp.core.run_results import TrainingCurve as TrainingCurve
from guiapp.core.run_results import TrainingStep as TrainingStep
from guiapp.core.run_results import plot_record

MAX_ABS_ALPHA = 1000.0
"""Largest slider amount an edit may have: far past any useful edit (sliders reach a few
units), small enough that latents stay finite and the UI's integer sliders can show it."""
MAX_UNIT_SCALE = 1e6
MAX_ABS_TRUNCATION = 100.0


@dataclass(frozen=True)
class LayerRange:
    """The per-layer latents ``ws[start:stop]`` an edit touches (half-open)."""

    start: int
    stop: int

    def __post_init__(self) -> None:
        if self.start < 0 or self.stop <= self.start:
            raise ValueError(f"bad layer range [{self.start}, {self.stop})")

    @classmethod
    def all(cls, num_ws: int) -> LayerRange:
        return cls(0, num_ws)

    @classmethod
    def parse_inclusive(cls, text: str) -> LayerRange:
        """Parse ``"2-5"`` (layers 2 to 5 inclusive) or ``"3"`` (layer 3 alone)."""
        parts = text.strip().split("-")
        try:
            if len(parts) == 1:
                first = last = int(parts[0])
            elif len(parts) == 2:
                first, last = int(parts[0]), int(parts[1])
            else:
                raise ValueError
        except ValueError:
            raise ValueError(f"layer range {text!r} is not START-END (inclusive)") from None
        if first < 0 or last < first:
            raise ValueError(f"layer range {text!r} must have 0 <= START <= END")
        return cls(first, last + 1)

    def inclusive_text(self) -> str:
        return f"{self.start}-{self.stop - 1}"

    def check(self, num_ws: int) -> None:
        if self.stop > num_ws:
            raise ValueError(
                f"layer range {self.inclusive_text()} is outside this model's layers 0-{num_ws - 1}"
            )


@dataclass(frozen=True)
class Direction:
    """One discovered direction.

    ``vector`` is a unit vector (D,) in the space named by its set; ``unit_scale`` turns
    slider units into latent units (GANSpace: sigma of the projections; SeFa: 1).
    """

    vector: np.ndarray
    score: float
    unit_scale: float = 1.0
    label: str = ""
    default_layers: LayerRange | None = None
    notes: str = ""

    def __post_init__(self) -> None:
        if not (math.isfinite(self.unit_scale) and abs(self.unit_scale) <= MAX_UNIT_SCALE):
            raise ValueError(
                f"unit scale must be a finite number up to {MAX_UNIT_SCALE:g}, "
                f"not {self.unit_scale!r}"
            )


@dataclass(frozen=True)
class DirectionSet:
    """A ranked list of directions found by one method on one model.

    What the run reported beside the directions (:mod:`guiapp.core.run_results`):
    ``ranking``, what the directions are ranked by (GANSpace's explained-variance ratios
    and their random baseline, SeFa's eigenvalues, LatentCLR's scores); ``training``, a
    trained method's loss and accuracy curve; ``status``, whether the run finished or was
    cancelled (and after how many iterations). None where a method has no such thing.

    ``conditional``: None for plain directions. For latent-dependent directions (LatentCLR
    linear and non-linear models) an object with ``k`` and ``dim`` (the set's count and
    dimension) and ``move(index, latents, amount) -> latents`` ((M, D) tensors), e.g.
    :class:`guiapp.core.direction_models.ConditionalDirections`; edits then evaluate the
    direction at the current latent, and each ``vector`` is only its mean direction.
    """

    method: str
    space: str
    model_id: str
    params: dict[str, Any]
    directions: tuple[Direction, ...]
    ranking: Ranking | None = None
    training: TrainingCurve | None = None
    status: RunStatus | None = None
    conditional: Any | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.space not in ("z", "w"):
            raise ValueError(f"space must be 'z' or 'w', not {self.space!r}")
        for name, kind in (("ranking", Ranking), ("training", TrainingCurve),
                           ("status", RunStatus)):
            if not isinstance(getattr(self, name), kind | None):
                raise TypeError(f"{name} must be a {kind.__name__} or None, "
                                f"not {type(getattr(self, name)).__name__}")
        cond = self.conditional
        if cond is not None and (cond.k, cond.dim) != (len(self.directions), self.dim):
            raise ValueError(
                f"the direction model has {cond.k} directions of {cond.dim}-D, "
                f"the set {len(self.directions)} of {self.dim}-D"
            )

    def __len__(self) -> int:
        return len(self.directions)

    @property
    def plot(self) -> dict[str, Any]:
        """``ranking``, ``training`` and ``status`` in the layout files store them (the
        ``plot`` object of direction files and sessions); read-only."""
        return plot_record(self.ranking, self.training, self.status)

    @property
    def cancelled(self) -> bool:
        """True for the best directions of a run that was cancelled before its end."""
        return self.status is not None and self.status.cancelled

    @property
    def dim(self) -> int:
        return int(self.directions[0].vector.shape[0]) if self.directions else 0

    @property
    def vectors(self) -> np.ndarray:
        """(K, D) float32 unit rows."""
        if not self.directions:
            return np.zeros((0, 0), np.float32)
        return np.stack([d.vector for d in self.directions]).astype(np.float32)

    @property
    def scores(self) -> np.ndarray:
        return np.array([d.score for d in self.directions], np.float64)

    def direction(self, index: int) -> Direction:
        if not 0 <= index < len(self.directions):
            raise IndexError(
                f"direction index {index} is out of range: this set has "
                f"{len(self.directions)} directions (0-{len(self.directions) - 1})"
            )
        return self.directions[index]

    def with_direction(self, index: int, **changes: Any) -> DirectionSet:
        """A copy with direction ``index`` changed (e.g. ``label="smile"``)."""
        updated = replace(self.direction(index), **changes)
        dirs = list(self.directions)
        dirs[index] = updated
        return replace(self, directions=tuple(dirs))

    def with_label(self, index: int, label: str) -> DirectionSet:
        return self.with_direction(index, label=label)


@dataclass(frozen=True)
class Edit:
    """Move along direction ``direction_index`` by ``alpha`` slider units on ``layers``.

    ``layers=None`` means the direction's default layers, else every layer.
    """

    direction_index: int
    alpha: float
    layers: LayerRange | None = None

    def __post_init__(self) -> None:
        if not math.isfinite(self.alpha):
            raise ValueError(f"alpha must be a finite number, not {self.alpha!r}")
        if abs(self.alpha) > MAX_ABS_ALPHA:
            raise ValueError(
                f"alpha must be between -{MAX_ABS_ALPHA:g} and {MAX_ABS_ALPHA:g}, "
                f"not {self.alpha:g}"
            )


LATENT_SPACES = ("z", "w", "w+")


@dataclass(frozen=True)
class ProjectedLatent:
    """A face given by its latent instead of a seed: a projected photo, or a latent that
    another tool wrote (pSp, e4e and PTI write w or w+).

    ``array`` is (z_dim,) for "z", (w_dim,) for "w" and (num_ws, w_dim) for "w+".
    ``source`` names where it came from (the photo's file name); ``sha256`` is the photo's
    digest, so a saved image can say which photo it edits. ``noise``: the face's own noise
    maps, one (R, R) float32 array per noise input of the model (a style-based model's
    projection optimises them; every render of the face then uses them in place of the
    file's fixed noise); None: the file's noise.
    """

    space: str
    array: np.ndarray
    source: str = ""
    sha256: str = ""
    noise: tuple[np.ndarray, ...] | None = None

    def __post_init__(self) -> None:
        if self.space not in LATENT_SPACES:
            raise ValueError(f"latent space must be one of {', '.join(LATENT_SPACES)}, "
                             f"not {self.space!r}")
        want = 2 if self.space == "w+" else 1
        if self.array.ndim != want:
            raise ValueError(f"a {self.space} latent has {want} dimension(s), "
                             f"not shape {tuple(self.array.shape)}")
        if not np.all(np.isfinite(self.array)):
            raise ValueError("the latent holds a value that is not a finite number")
        if self.noise is not None:
            maps = tuple(np.asarray(n, np.float32) for n in self.noise)
            for n in maps:
                if n.ndim != 2 or n.shape[0] != n.shape[1] or n.size == 0:
                    raise ValueError(f"a noise map is (R, R), not shape {tuple(n.shape)}")
                if not np.all(np.isfinite(n)):
                    raise ValueError("a noise map holds a value that is not a finite number")
            object.__setattr__(self, "noise", maps)

    def check_noise(self, shapes: Sequence[tuple[int, int]]) -> None:
        """ValueError unless the noise maps (if any) are one per input of ``shapes``."""
        if self.noise is None:
            return
        have = tuple(n.shape for n in self.noise)
        if have != tuple(tuple(s) for s in shapes):
            sizes = (f"its noise inputs are {', '.join(str(s[0]) for s in shapes)} px"
                     if shapes else "it has no noise inputs")
            raise ValueError(f"the latent carries {len(have)} noise maps "
                             f"({', '.join(str(s[0]) for s in have)} px) made for another "
                             f"model: {sizes}")


@dataclass(frozen=True)
class Session:
    """Everything needed to reproduce what the user sees."""

    model_ref: str
    seed: int = 0
    truncation: float = 1.0
    noise_mode: str = "const"
    direction_set: DirectionSet | None = None
    edits: tuple[Edit, ...] = ()
    truncation_cutoff: int | None = None  # truncate only the first N per-layer latents
    class_index: int = 0  # the class of a conditional generator

    def with_edits(self, edits: Sequence[Edit]) -> Session:
        return replace(self, edits=tuple(edits))


@dataclass(frozen=True)
class StripSpec:
    """A strip along direction ``index`` of set ``set_id`` (None: the single or selected
    set) over ``alphas``; ``layers`` None: the strip rule's choice (see
    :func:`guiapp.core.render.strip_edits`)."""

    index: int
    alphas: tuple[float, ...]
    layers: LayerRange | None = None
    set_id: int | None = None


@dataclass(frozen=True)
class GridSpec:
    """Rows ``indices`` (of set ``set_id``, None: the single or selected set) x columns
    ``alphas``; ``layers`` one range (or None) per row."""

    indices: tuple[int, ...]
    alphas: tuple[float, ...]
    layers: tuple[LayerRange | None, ...] | None = None
    set_id: int | None = None


STRIP_ALPHAS = (-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0)


@dataclass(frozen=True)
class RenderRequest:
    """What to render, as plain data (no torch needed to build one): the face, the latent
    controls, the edits, and the output (image, strip or grid).

    The face: ``latent`` (a :class:`ProjectedLatent`) when given, else ``seed``.
    The edits: ``workspace`` (a :class:`guiapp.core.workspace.Workspace`: every set and its
    edits, combined) when given, else the single-set shorthand ``direction_set`` +
    ``edits``. ``class_index`` is the class of a conditional generator (None: the model's
    default); it travels here, nothing sets it on the model.

    ``output``: None renders the image; a :class:`StripSpec` or :class:`GridSpec` renders
    that instead (:func:`guiapp.core.render.render_request`). ``strip_index`` (>= 0) asks
    the live renderer for a preview strip beside the image, of set ``strip_set`` (None:
    the selected set). ``preview``: a quick, lower-resolution image while a slider moves;
    send the same request with ``preview=False`` when it stops.
    """

    seed: int = 0
    truncation: float = 1.0
    direction_set: DirectionSet | None = None
    edits: tuple[Edit, ...] = ()
    noise_mode: str = "const"
    want_original: bool = True
    strip_index: int = -1
    strip_alphas: tuple[float, ...] = STRIP_ALPHAS
    strip_layers: LayerRange | None = None
    preview: bool = False
    truncation_cutoff: int | None = None
    class_index: int | None = None
    latent: ProjectedLatent | None = None
    workspace: Any | None = None  # a guiapp.core.workspace.Workspace
    strip_set: int | None = None
    output: StripSpec | GridSpec | None = None


@dataclass(frozen=True)
class ModelInfo:
    """What the UI and the CLI show about a model."""

    name: str
    format: str
    resolution: int
    z_dim: int
    w_dim: int | None
    num_ws: int
    model_id: str
    c_dim: int = 0
    class_names: tuple[str, ...] = ()  # hook: biggan (names of the c_dim classes, in order)
