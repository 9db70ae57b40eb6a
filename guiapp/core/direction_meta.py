"""A direction set's JSON metadata: written from a DirectionSet, read back with every field
checked for type and range before the set is rebuilt.

Shared by direction files (:mod:`guiapp.core.io`) and sessions
(:mod:`guiapp.core.session_io`). Any problem is one FileFormatError naming the source.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from guiapp import __version__
from guiapp.core import json_fields as jf
from guiapp.core.run_results import Ranking, RunStatus, TrainingCurve, from_plot_record
from guiapp.core.safe_files import FileFormatError
from guiapp.core.types import MAX_UNIT_SCALE, Direction, DirectionSet, LayerRange

DIRECTIONS_FORMAT = "guiapp.directions"
DIRECTIONS_VERSION = 2
MODEL_PREFIX = "model."
MAX_DIRECTIONS = 1 << 16
MAX_DIM = 1 << 16
MAX_LAYERS = 1 << 10


def _layers_json(layers: LayerRange | None) -> list[int] | None:
    return None if layers is None else [layers.start, layers.stop]


def direction_set_meta(ds: DirectionSet) -> dict[str, Any]:
    meta = {
        "format": DIRECTIONS_FORMAT,
        "version": 1 if ds.conditional is None else 2,
        "app_version": __version__,
        "method": ds.method,
        "space": ds.space,
        "model_sha256": ds.model_id,
        "params": ds.params,
        "labels": [d.label for d in ds.directions],
        "layer_ranges": [_layers_json(d.default_layers) for d in ds.directions],
        "unit_scales": [float(d.unit_scale) for d in ds.directions],
        "notes": [d.notes for d in ds.directions],
        "plot": ds.plot,  # ranking, training curve, run status: the stored layout
    }
    if ds.conditional is not None:
        meta["conditional"] = ds.conditional.spec()
    return meta


def conditional_arrays(ds: DirectionSet) -> dict[str, np.ndarray]:
    """``model.<parameter>`` -> float32 array of the set's direction model ({} if none)."""
    if ds.conditional is None:
        return {}
    return {MODEL_PREFIX + name: arr for name, arr in ds.conditional.arrays().items()}


def layer_range(value: Any, what: str) -> LayerRange | None:
    """A stored half-open ``[start, stop]`` (or null) as a LayerRange."""
    if value is None:
        return None
    start, stop = jf.as_list(value, what, 2)
    return LayerRange(jf.as_int(start, what, 0, MAX_LAYERS), jf.as_int(stop, what, 1, MAX_LAYERS))


def _plot(value: Any) -> tuple[Ranking | None, TrainingCurve | None, RunStatus | None]:
    """The stored ``plot`` object as typed results, every field read checked first."""
    plot = jf.plain(jf.as_dict(value or {}, "plot"), "plot")
    if plot.get("values") is not None:
        for v in jf.as_list(plot["values"], "plot values"):
            jf.as_float(v, "a plot value")
    for key in ("loss", "accuracy"):  # numbers; a diverged run's NaN loss still opens
        if plot.get(key) is not None:
            for v in jf.as_list(plot[key], f"plot {key}"):
                if type(v) not in (int, float):
                    raise ValueError(f"a {key} value must be a number, not {jf.describe(v)}")
    if plot.get("iterations") is not None:
        for v in jf.as_list(plot["iterations"], "plot iterations"):
            jf.as_int(v, "an iteration", 0, 1 << 62)
    if plot.get("baseline") is not None:
        jf.as_float(plot["baseline"], "the plot baseline")
    for key in ("kind", "y_label"):
        if plot.get(key) is not None:
            jf.as_str(plot[key], f"plot {key}", 200)
    if plot.get("iterations_done") is not None:
        jf.as_int(plot["iterations_done"], "iterations done", 0, 1 << 62)
    if plot.get("cancelled") is not None and not isinstance(plot["cancelled"], bool):
        raise ValueError("plot cancelled is not true or false")
    return from_plot_record(plot)




def _directions(vectors: np.ndarray, scores: np.ndarray, meta: dict[str, Any]) -> tuple:
    if vectors.ndim != 2 or scores.ndim != 1:
        raise ValueError("vectors must be (K, D) and scores (K,)")
    k, dim = vectors.shape
    if k > MAX_DIRECTIONS or dim > MAX_DIM or (k and not dim):
        raise ValueError(f"{k} directions of {dim}-D is outside what guiapp supports")
    if scores.shape != (k,):
        raise ValueError("array lengths disagree")
    if not (np.isfinite(vectors).all() and np.isfinite(scores).all()):
        raise ValueError("non-finite values")
    labels = jf.as_list(meta["labels"], "labels", k)
    ranges = jf.as_list(meta["layer_ranges"], "layer ranges", k)
    scales = jf.as_list(meta["unit_scales"], "unit scales", k)
    notes = meta.get("notes")
    notes = [""] * k if notes is None else jf.as_list(notes, "notes", k)
    out = []
    for i in range(k):
        scale = jf.as_float(scales[i], f"unit scale {i}", MAX_UNIT_SCALE)
        out.append(Direction(
            vector=vectors[i],
            score=float(scores[i]),
            unit_scale=scale,
            label="" if labels[i] is None else jf.as_str(labels[i], f"label {i}", 10_000),
            default_layers=layer_range(ranges[i], f"layer range {i}"),
            notes="" if notes[i] is None else jf.as_str(notes[i], f"notes {i}"),
        ))
    return tuple(out)


def direction_set_from_arrays(
    vectors: np.ndarray,
    scores: np.ndarray,
    meta: Any,
    source: str = "direction set",
    model_arrays: dict[str, np.ndarray] | None = None,
) -> DirectionSet:
    """Rebuild and validate a DirectionSet from its stored arrays and metadata.

    ``model_arrays``: the ``model.<parameter>`` arrays of a direction model, needed when
    ``meta`` has a ``"conditional"`` entry.
    """
    if not isinstance(meta, dict) or meta.get("format") != DIRECTIONS_FORMAT:
        raise FileFormatError(f"{source}: not a guiapp direction set")
    jf.check_version(meta.get("version", 1), DIRECTIONS_VERSION, source, "direction set")
    try:
        model_id = meta.get("model_sha256")
        return DirectionSet(
            method=jf.as_str(meta["method"], "method", 100),
            space=jf.as_str(meta["space"], "space", 10),
            model_id="" if model_id is None else jf.as_str(model_id, "model sha256", 200),
            params=jf.plain(jf.as_dict(meta.get("params", {}), "params"), "params"),
            directions=_directions(vectors, scores, meta),
            **dict(zip(("ranking", "training", "status"), _plot(meta.get("plot")), strict=True)),
            conditional=_conditional(meta.get("conditional"), model_arrays or {}),
        )
    except KeyError as exc:
        raise FileFormatError(f"{source}: damaged direction set (no {exc} entry)") from None
    except (TypeError, ValueError, OverflowError) as exc:
        raise FileFormatError(f"{source}: damaged direction set ({exc})") from None


def _conditional(spec: Any, model_arrays: dict[str, np.ndarray]) -> Any:
    """The direction model described by ``spec`` (None: plain directions)."""
    if spec is None:
        return None
    if not isinstance(spec, dict):
        raise ValueError("bad direction model description")
    from guiapp.core.direction_models import conditional_from_arrays  # torch: only if needed

    n = len(MODEL_PREFIX)
    return conditional_from_arrays(spec, {k[n:]: v for k, v in model_arrays.items()})
