"""Long jobs the window hands to the TaskRunner. Each runs in the worker thread and imports
the core (and so torch) lazily, keeping torch out of the window's start-up path."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from guiapp.core.progress import CancelToken, ProgressFn

Job = Callable[[ProgressFn, CancelToken, Callable[[object], None]], Any]


@dataclass(frozen=True)
class LoadedModel:
    """What a load job returns: the model, its live renderer, the devices torch sees as
    (device id, display name) pairs, and why the model is not on the device asked for
    (empty when it is)."""

    ref: str
    model: Any
    renderer: Any
    devices: list[tuple[str, str]]
    device_note: str = ""


def load_model_job(ref: str, device: str) -> Job:
    """Load ``ref`` on ``device``; a remembered device this machine lacks (a GPU that is
    gone) falls back to the CPU, and the result says so."""

    def job(progress: ProgressFn, cancel: CancelToken, on_partial: Callable) -> LoadedModel:
        progress(0.1, f"Loading {ref}")
        from guiapp.core.devices import device_choices, resolve_device
        from guiapp.core.live_render import LiveRenderer
        from guiapp.core.models.registry import load_model

        note, where = "", device
        try:
            resolve_device(device)
        except ValueError as exc:
            note, where = f"{exc}: running on the CPU", "cpu"
        model = load_model(ref, where)
        cancel.raise_if_cancelled()
        progress(0.8, "Preparing drag previews")  # hook: pggan-preview
        model.prepare_previews()
        cancel.raise_if_cancelled()
        progress(1.0, "Model loaded")
        return LoadedModel(ref, model, LiveRenderer(model), device_choices(), note)

    return job


def discover_job(model: Any, method: str, params: dict[str, Any],
                 class_index: int | None = None) -> Job:
    """Run ``method``; a conditional generator samples class ``class_index``. The class is
    set on the model here, in the worker that owns discovery, never from the GUI thread
    (the window's renders name their class in each request, so they never read it)."""

    def job(progress: ProgressFn, cancel: CancelToken, on_partial: Callable) -> Any:
        from guiapp.core.methods import run_method

        if class_index is not None and getattr(model, "c_dim", 0):
            model.class_index = class_index

        given = {key: value for key, value in params.items() if value is not None}
        return run_method(model, method, given, progress=progress, cancel=cancel,
                          on_partial=on_partial)

    return job


def grid_job(model: Any, request: Any, path: str, metadata: dict[str, Any]) -> Job:
    """Render ``request`` (its ``output`` a GridSpec: directions x the strip's alphas, each
    row on its own layers, every other set's edits held) with core's ``render_request``,
    the function the CLI uses, and save the PNG."""

    def job(progress: ProgressFn, cancel: CancelToken, on_partial: Callable) -> str:
        from guiapp.core.image_metadata import save_image_png
        from guiapp.core.render import render_request

        image = render_request(model, request, progress=lambda f, m: progress(0.95 * f, m),
                               cancel=cancel)
        save_image_png(path, image, metadata)
        progress(1.0, f"Saved {path}")
        return path

    return job
