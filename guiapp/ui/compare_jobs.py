"""The compare view's jobs, run in the TaskRunner (progress bar, Cancel). Core is imported
inside each job: the window starts without torch."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from guiapp.core.progress import CancelToken, ProgressFn
from guiapp.core.types import DirectionSet, RenderRequest, StripSpec

Job = Callable[[ProgressFn, CancelToken, Callable[[object], None]], Any]


def compare_job(model: Any, a: DirectionSet, b: DirectionSet, seeds: int) -> Job:
    """|cos| between the sets' directions: by vectors in one space, else by the mean image
    change over ``seeds`` seeds (:func:`guiapp.core.compare.compare_sets`)."""

    def job(progress: ProgressFn, cancel: CancelToken, on_partial: Callable) -> Any:
        from guiapp.core.compare import compare_sets

        return compare_sets(a, b, model, seeds=seeds, progress=progress, cancel=cancel)

    return job


def pair_strips_job(model: Any, request: RenderRequest, pair: tuple[tuple[int, int], ...]
                    ) -> Job:
    """The strips of (set id, direction) pairs on the request's face, each holding the
    other edits of the workspace, as the window's own strip does (a z set on a model that
    edits w moves the face's z: :func:`guiapp.core.compare_strips.z_strip`)."""

    def job(progress: ProgressFn, cancel: CancelToken, on_partial: Callable) -> Any:
        from guiapp.core.compare_spaces import compare_only
        from guiapp.core.compare_strips import z_strip
        from guiapp.core.render import render_request

        out = []
        for n, (set_id, index) in enumerate(pair):
            progress(n / len(pair), f"Rendering strip {n + 1} of {len(pair)}")
            cancel.raise_if_cancelled()
            ds = request.workspace.get(set_id).directions
            if compare_only(ds, model.z_dim, model.w_dim):
                out.append(z_strip(model, request, ds, index))
                continue
            spec = StripSpec(index, tuple(request.strip_alphas), None, set_id)
            out.append(render_request(model, replace(request, output=spec), cancel=cancel))
        return tuple(out)

    return job


def metrics_job(model: Any, sets: Sequence[tuple[str, DirectionSet]], seeds: int) -> Job:
    """Distinctness and consistency of every set on the same seeds, with the random
    baseline (:func:`guiapp.core.compare.metrics_table`)."""

    def job(progress: ProgressFn, cancel: CancelToken, on_partial: Callable) -> Any:
        from guiapp.core.compare import metrics_table

        return metrics_table(model, list(sets), seeds=seeds, progress=progress, cancel=cancel)

    return job
