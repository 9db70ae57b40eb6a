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
    """What a load job returns: the model, its live renderer and the devices torch sees."""

    ref: str
    model: Any
    renderer: Any
    devices: list[str]


def load_model_job(ref: str, device: str) -> Job:
    def job(progress: ProgressFn, cancel: CancelToken, on_partial: Callable) -> LoadedModel:
        progress(0.1, f"Loading {ref}")
        from guiapp.core.devices import available_devices
        from guiapp.core.live_render import LiveRenderer
        from guiapp.core.models.registry import load_model

        devices = available_devices()
        model = load_model(ref, device if device in devices else "cpu")
        cancel.raise_if_cancelled()
        progress(1.0, "Model loaded")
        return LoadedModel(ref, model, LiveRenderer(model), devices)

    return job


def discover_job(model: Any, method: str, params: dict[str, Any]) -> Job:
    def job(progress: ProgressFn, cancel: CancelToken, on_partial: Callable) -> Any:
        from guiapp.core.methods import run_method

        given = {key: value for key, value in params.items() if value is not None}
        return run_method(model, method, given, progress=progress, cancel=cancel,
                          on_partial=on_partial)

    return job


def grid_job(model: Any, request: Any, indices: list[int], layers: list[Any], path: str,
             metadata: dict[str, Any]) -> Job:
    """Render directions ``indices`` (row n on ``layers[n]``) x the request's strip alphas
    with core's ``render_grid`` (the strip rule the window's strip and the CLI use) and save
    the PNG."""

    def job(progress: ProgressFn, cancel: CancelToken, on_partial: Callable) -> str:
        from guiapp.core.image_metadata import save_image_png
        from guiapp.core.render import render_grid

        image = render_grid(model, request.seed, request.direction_set, indices,
                            request.strip_alphas, request.truncation, request.edits,
                            request.noise_mode, cutoff=request.truncation_cutoff,
                            class_index=request.class_index, layers=layers,
                            progress=lambda f, m: progress(0.95 * f, m), cancel=cancel)
        save_image_png(path, image, metadata)
        progress(1.0, f"Saved {path}")
        return path

    return job
