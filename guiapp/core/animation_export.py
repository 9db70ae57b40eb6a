"""Render a frame plan straight into an animation file, batch by batch (the window's job and
``guiapp-cli render --animate/--morph`` both call :func:`save_animation`).

Frames stream from the renderer into the writer, so an MP4 never holds more than one batch
in memory. Everything that can be refused (suffix, fps, PyAV, the plan) is refused before
the first frame is rendered; a cancel or failure mid-way leaves no file (see
:mod:`guiapp.core.video`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from guiapp.core.animation import DEFAULT_BATCH, Plan, check_plan, frame_count, render_frames
from guiapp.core.models.base import GeneratorModel
from guiapp.core.progress import CancelToken, Checkpoint, ProgressFn
from guiapp.core.video import (
    check_animation_target,
    check_frame_budget,
    open_animation,
    output_shape,
)


@dataclass(frozen=True)
class SavedAnimation:
    """What was written: where, in which format, frames, frame size and rate."""

    path: Path
    format: str
    frames: int
    height: int
    width: int
    fps: float

    def describe(self) -> str:
        return (f"saved {self.frames} frames ({self.width}x{self.height}, {self.fps:g} fps) "
                f"to {self.path}")


def save_animation(
    path: str | Path,
    model: GeneratorModel,
    plan: Plan,
    fps: float,
    *,
    size: int | None = None,
    batch_size: int = DEFAULT_BATCH,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> SavedAnimation:
    """Render ``plan`` with ``model`` into ``path`` (format by suffix) at ``fps``.

    ``size`` resizes the frames' longer side first (see :func:`guiapp.core.video.fit_frame`).
    ``progress`` goes from 0 to 1 over the frames; Cancelled when ``cancel`` is set.
    """
    path = Path(path)
    fmt = check_animation_target(path, fps)
    check_plan(model, plan)
    height, width = output_shape(model.resolution, model.resolution, fmt, size)
    check_frame_budget(fmt, frame_count(plan), height, width)
    checkpoint = Checkpoint(progress, cancel)
    with open_animation(path, fps, size) as write:
        for batch in render_frames(model, plan, batch_size=batch_size,
                                   progress=lambda f, m: checkpoint(0.98 * f, m), cancel=cancel):
            height, width = output_shape(*batch.shape[1:3], fmt, size)
            write(batch)
        checkpoint(0.99, f"Writing {path.name}")
    checkpoint(1.0, f"Saved {path}")
    return SavedAnimation(path, fmt, frame_count(plan), height, width, float(fps))
