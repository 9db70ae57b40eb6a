"""The JSON of a session's parts (format v2, see :mod:`guiapp.core.session_io`): embedded
direction sets, the face (a seed or a projected latent), and the workspace's sets and
edits. Every reader checks type and range and raises ValueError / FileFormatError naming
the field, so the loader turns any damage into one sentence naming the file.

Arrays (a LatentCLR direction model's weights, a latent) are base64 little-endian float32
with their shape, so a session is one self-contained text file.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

from guiapp.core import json_fields as jf
from guiapp.core.direction_meta import (
    MAX_DIM,
    MAX_DIRECTIONS,
    MAX_LAYERS,
    conditional_arrays,
    direction_set_from_arrays,
    direction_set_meta,
    layer_range,
)
from guiapp.core.safe_files import FileFormatError
from guiapp.core.seeds import SEED_MAX
from guiapp.core.types import MAX_ABS_ALPHA, DirectionSet, Edit, ProjectedLatent
from guiapp.core.workspace import Face, NamedSet, SetEdit, Workspace

MAX_TEXT_BYTES = 512 << 20
MAX_EDITS = 10_000
MAX_SETS = 1_000
MAX_SET_ID = 1 << 30
MAX_NAME = 1_000
MAX_NOISE_MAPS = 64
MAX_NOISE_VALUES = 4096 * 4096


def _layers_json(edit: Edit) -> list[int] | None:
    return None if edit.layers is None else [edit.layers.start, edit.layers.stop]


# -- arrays ---------------------------------------------------------------------------------


def array_to_json(arr: np.ndarray) -> dict[str, Any]:
    return {"shape": list(arr.shape),
            "float32_le_base64": base64.b64encode(arr.astype("<f4").tobytes()).decode()}


def array_from_json(value: Any, what: str, max_size: int) -> np.ndarray:
    """A checked shape and exactly that many float32 values (finite or not: callers
    check what they need)."""
    a = jf.as_dict(value, what)
    shape = [jf.as_int(n, f"{what} shape", 0, max_size)
             for n in jf.as_list(a["shape"], f"{what} shape", max_len=8)]
    if int(np.prod(shape, dtype=object)) > max_size:
        raise ValueError(f"{what} has more than {max_size} values")
    raw = base64.b64decode(jf.as_str(a["float32_le_base64"], what, MAX_TEXT_BYTES),
                           validate=True)
    if len(raw) != 4 * int(np.prod(shape, dtype=object)):
        raise ValueError(f"{what} holds {len(raw)} bytes, not its shape's")
    return np.frombuffer(raw, "<f4").reshape(shape).astype(np.float32)


# -- direction sets -------------------------------------------------------------------------


def direction_set_to_json(ds: DirectionSet) -> dict[str, Any]:
    data: dict[str, Any] = {
        "vectors": ds.vectors.tolist(),
        "scores": ds.scores.tolist(),
        "meta": direction_set_meta(ds),
    }
    arrays = conditional_arrays(ds)
    if arrays:
        data["model_arrays"] = {name: array_to_json(arr) for name, arr in arrays.items()}
    return data


def direction_set_from_json(data: Any, source: str) -> DirectionSet:
    try:
        data = jf.as_dict(data, "direction set")
        vectors = jf.as_list(data["vectors"], "vectors", max_len=MAX_DIRECTIONS)
        with np.errstate(over="ignore", invalid="ignore"):  # overflow shows as non-finite
            vectors = np.asarray(vectors, np.float32)
            scores = np.asarray(jf.as_list(data["scores"], "scores"), np.float64)
        meta = data["meta"]
        model_arrays = {
            name: array_from_json(a, f"model array {name}", MAX_DIM * MAX_DIRECTIONS)
            for name, a in jf.as_dict(data.get("model_arrays") or {}, "model arrays").items()}
    except KeyError as exc:
        raise FileFormatError(f"{source}: damaged direction set (no {exc} entry)") from None
    except (TypeError, ValueError, OverflowError) as exc:  # binascii.Error is a ValueError
        raise FileFormatError(f"{source}: damaged direction set ({exc})") from None
    if vectors.size == 0:
        vectors = vectors.reshape(0, 0)
    return direction_set_from_arrays(vectors, scores, meta, source, model_arrays)


# -- the face -------------------------------------------------------------------------------


def face_to_json(face: Face) -> dict[str, Any]:
    """``{"seed": n}`` or ``{"latent": {space, source, sha256, shape, float32_le_base64}}``
    (plus ``noise``, a list of arrays, when the face has its own noise maps)."""
    if isinstance(face, ProjectedLatent):
        latent = {"space": face.space, "source": face.source, "sha256": face.sha256,
                  **array_to_json(face.array)}
        if face.noise is not None:
            latent["noise"] = [array_to_json(n) for n in face.noise]
        return {"seed": None, "latent": latent}
    return {"seed": int(face)}


def latent_from_json(value: Any, what: str = "latent") -> ProjectedLatent:
    d = jf.as_dict(value, what)
    arr = array_from_json(d, what, MAX_LAYERS * MAX_DIM)
    noise = None
    if d.get("noise") is not None:  # sessions before noise maps have none
        noise = tuple(array_from_json(n, f"{what} noise map {i + 1}", MAX_NOISE_VALUES)
                      for i, n in enumerate(jf.as_list(d["noise"], f"{what} noise",
                                                       max_len=MAX_NOISE_MAPS)))
    return ProjectedLatent(jf.as_str(d.get("space"), f"{what} space", 10), arr,
                           jf.as_str(d.get("source", ""), f"{what} source", 4096),
                           jf.as_str(d.get("sha256", ""), f"{what} sha256", 128), noise)


def face_from_json(data: dict[str, Any]) -> Face:
    """The face of a session dict: its ``latent`` when present, else its ``seed``."""
    if data.get("latent") is not None:
        return latent_from_json(data["latent"])
    return jf.as_int(data.get("seed", 0), "seed", 0, SEED_MAX)


# -- edits and sets -------------------------------------------------------------------------


def edit_to_json(edit: Edit) -> dict[str, Any]:
    return {"index": edit.direction_index, "alpha": edit.alpha, "layers": _layers_json(edit)}


def edit_from_json(value: Any, i: int) -> Edit:
    e = jf.as_dict(value, f"edit {i}")
    return Edit(
        jf.as_int(e["index"], f"edit {i} index", 0, MAX_DIRECTIONS),
        jf.as_float(e["alpha"], f"edit {i} alpha", MAX_ABS_ALPHA),
        layer_range(e.get("layers"), f"edit {i} layers"),
    )


def workspace_to_json(ws: Workspace) -> dict[str, Any]:
    """The ``sets``, ``selected_set``, ``next_set_id`` and ``edits`` (each with ``set``)
    entries of a v2 session."""
    return {
        "sets": [{"id": s.set_id, "name": s.name,
                  "direction_set": direction_set_to_json(s.directions)} for s in ws.sets],
        "selected_set": ws.selected,
        "next_set_id": ws.next_id,
        "edits": [{"set": e.set_id, **edit_to_json(e.edit)} for e in ws.edits],
    }


def workspace_from_json(data: dict[str, Any], source: str) -> Workspace:
    """A v2 session's workspace; FileFormatError from an embedded set, ValueError /
    KeyError / IndexError for the caller to word."""
    sets = []
    for n, entry in enumerate(jf.as_list(data.get("sets", []), "sets", max_len=MAX_SETS)):
        entry = jf.as_dict(entry, f"set {n + 1}")
        sets.append(NamedSet(
            jf.as_int(entry["id"], f"set {n + 1} id", 1, MAX_SET_ID),
            jf.as_str(entry["name"], f"set {n + 1} name", MAX_NAME),
            direction_set_from_json(entry["direction_set"], source)))
    edits = []
    for i, e in enumerate(jf.as_list(data.get("edits", []), "edits", max_len=MAX_EDITS)):
        set_id = jf.as_int(jf.as_dict(e, f"edit {i}")["set"], f"edit {i} set", 1, MAX_SET_ID)
        edits.append(SetEdit(set_id, edit_from_json(e, i)))
    top = max((s.set_id for s in sets), default=0)
    next_id = jf.as_int(data.get("next_set_id", top + 1), "next set id", top + 1,
                        MAX_SET_ID + 1)
    selected = data.get("selected_set")
    if selected is not None:
        selected = jf.as_int(selected, "the selected set", 1, MAX_SET_ID)
    return Workspace(tuple(sets), tuple(edits), selected, next_id)
