"""What a method reports besides its directions: the ranking it sorted them by, a training
curve, how the run ended, and the steps it reports while it runs.

Plain frozen dataclasses (no torch, no Qt), produced by :mod:`guiapp.core.methods` and read
by the window and the CLI. Files keep the layout they always had: a ``plot`` JSON object
(``{"kind", "values", "baseline", "y_label", "loss", "accuracy", "iterations",
"iterations_done", "cancelled"}``, each key only where it applies), written by
:func:`plot_record` and read back by :func:`from_plot_record`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

RANKING_KINDS = {
    "explained_variance": ("Explained variance (%)", "{:.3g} % of the variance"),
    "eigenvalues": ("Eigenvalue", "eigenvalue {:.4g}"),
    "latentclr": ("Score", "score {:.4g}"),
}
"""kind -> (axis label, how one value reads in a sentence)."""


@dataclass(frozen=True)
class Ranking:
    """What the directions are ranked by, one value per direction in order (it may hold
    more: SeFa keeps every eigenvalue when only the top ones are kept as directions).

    ``kind``: ``"explained_variance"`` (GANSpace: ratios, 0-1), ``"eigenvalues"`` (SeFa)
    or ``"latentclr"``; ``baseline``: the same measure along random directions (GANSpace),
    so values above it carry structure; ``y_label``: the axis label, "" for the kind's.
    """

    kind: str
    values: tuple[float, ...]
    baseline: float | None = None
    y_label: str = ""

    @property
    def axis_label(self) -> str:
        return self.y_label or RANKING_KINDS.get(self.kind, ("Score", ""))[0]

    @property
    def percent(self) -> bool:
        """True when the values are shares of a whole, shown in %."""
        return self.kind == "explained_variance"


@dataclass(frozen=True)
class TrainingCurve:
    """A trained method's history: mean loss and accuracy (a fraction) per report."""

    iterations: tuple[int, ...]
    loss: tuple[float, ...]
    accuracy: tuple[float, ...] = ()


@dataclass(frozen=True)
class RunStatus:
    """How the run that made a set ended: finished, or cancelled after
    ``iterations_done`` iterations (its best directions so far were kept)."""

    cancelled: bool = False
    iterations_done: int | None = None  # None: not an iterative method

    def describe(self, kept: int) -> str:
        """What the status bar says about a run that kept ``kept`` directions."""
        if self.cancelled:
            return (f"Cancelled after {self.iterations_done or 0} iterations: kept the best "
                    f"{kept} directions so far")
        return f"Found {kept} directions"


@dataclass(frozen=True)
class TrainingStep:
    """A training method's report while it runs (every few iterations)."""

    iteration: int
    loss: float
    accuracy: float
    lr: float = 0.0


def plot_record(ranking: Ranking | None, training: TrainingCurve | None,
                status: RunStatus | None) -> dict[str, Any]:
    """The stored ``plot`` object (the layout direction files and sessions have always had)."""
    out: dict[str, Any] = {}
    if ranking is not None:
        out["kind"] = ranking.kind
        out["values"] = list(ranking.values)
        if ranking.baseline is not None:
            out["baseline"] = ranking.baseline
        if ranking.y_label:
            out["y_label"] = ranking.y_label
    if training is not None:
        out["loss"] = list(training.loss)
        out["accuracy"] = list(training.accuracy)
        out["iterations"] = list(training.iterations)
    if status is not None and status.iterations_done is not None:
        out["iterations_done"] = status.iterations_done
        out["cancelled"] = status.cancelled
    elif status is not None and status.cancelled:
        out["cancelled"] = True
    return out


def from_plot_record(
    plot: dict[str, Any],
) -> tuple[Ranking | None, TrainingCurve | None, RunStatus | None]:
    """The typed results of a stored ``plot`` object whose fields are checked already
    (:mod:`guiapp.core.direction_meta`); missing parts are None."""
    ranking = None
    if "values" in plot or "kind" in plot:
        baseline = plot.get("baseline")
        ranking = Ranking(str(plot.get("kind", "")),
                          tuple(float(v) for v in plot.get("values") or ()),
                          None if baseline is None else float(baseline),
                          str(plot.get("y_label") or ""))
    training = None
    if "loss" in plot:
        loss = tuple(float(v) for v in plot["loss"] or ())
        iterations = plot.get("iterations") or range(1, len(loss) + 1)
        training = TrainingCurve(tuple(int(i) for i in iterations), loss,
                                 tuple(float(v) for v in plot.get("accuracy") or ()))
    status = None
    if "iterations_done" in plot or "cancelled" in plot:
        done = plot.get("iterations_done")
        status = RunStatus(bool(plot.get("cancelled", False)),
                           None if done is None else int(done))
    return ranking, training, status
