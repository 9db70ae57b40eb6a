"""PNG metadata (version 2) of an image rendered from a workspace request: every edit
with its set, every set it uses, and the face (a seed or a latent).

Keys beyond version 1's (:mod:`guiapp.core.image_metadata`): ``face`` (``{"seed": n}`` or
``{"latent": {...}}``, the latent's values included, so the image can be re-rendered);
``sets``, the sets the image uses in order (``set`` its number from 1, as the CLI's
``--edit SET:INDEX=ALPHA`` counts them, ``name``, ``method``, ``space``, ``count``,
``sha256``, ``file``); each edit's ``set`` / ``set_name``; the strip's or grid's ``set``.
``seed`` stays (null for a latent face) and ``directions`` is the first set's record,
so readers of version 1 still find what they know.

An image of a seed with edits of at most one set is written as version 1 (the window's
and the CLI's one-set images stay identical, and older readers open them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from guiapp import __version__
from guiapp.core.image_metadata import (
    _alphas,
    _layers,
    _need,
    build_metadata,
    direction_set_sha256,
)
from guiapp.core.types import DirectionSet, Edit, GridSpec, RenderRequest, StripSpec
from guiapp.core.upscale import upscale
from guiapp.core.workspace import NamedSet, Workspace
from guiapp.core.workspace_io import face_from_json, face_to_json

if TYPE_CHECKING:
    from guiapp.core.models.base import GeneratorModel

METADATA_VERSION = 2


def _used_sets(ws: Workspace, output_set: int | None) -> list[NamedSet]:
    """The sets an image depends on: those with an edit, and the strip's or grid's."""
    return [s for s in ws.sets if ws.edits_for(s.set_id) or s.set_id == output_set]


def metadata_for_request(
    req: RenderRequest, *, model_ref: str, model_name: str, model_sha256: str, num_ws: int,
    files: Mapping[int, str] | None = None, scale: int = 1, resample: str = "nearest",
    labels: Workspace | None = None,
) -> dict[str, Any]:
    """The metadata of one saved image of ``req``; checks every edit against its set and
    the model's layers, and records the layers each edit really touches. ``files``: set
    id -> the direction file it came from; ``labels``: a newer workspace whose labels
    (typed since the render) are recorded."""
    from guiapp.core.edits import edit_layers
    from guiapp.core.render import request_workspace

    ws = request_workspace(req)
    spec = req.output
    out_set = None if spec is None else (spec.set_id if spec.set_id is not None
                                          else ws.selected)
    if spec is not None and out_set is None:
        raise ValueError("strips and grids need a direction set")
    used = _used_sets(ws, out_set)
    if len(used) <= 1 and req.latent is None:  # version 1 says it all: write that
        return _one_set_metadata(req, ws, used[0] if used else None, model_ref=model_ref,
                                 model_name=model_name, model_sha256=model_sha256,
                                 num_ws=num_ws, files=files, scale=scale, resample=resample,
                                 labels=labels)
    number = {s.set_id: n + 1 for n, s in enumerate(used)}

    def touched(ds: DirectionSet, index: int, layers: Any) -> list[int]:
        r = edit_layers(ds, Edit(index, 0.0, layers), num_ws)
        return [r.start, r.stop]

    def label(set_id: int, index: int) -> str:
        src = labels if labels is not None and set_id in labels.ids else ws
        return src.get(set_id).directions.direction(index).label

    sets = [{"set": number[s.set_id], "name": s.name, "method": s.directions.method,
             "space": s.directions.space, "count": len(s.directions),
             "sha256": direction_set_sha256(s.directions),
             "file": (files or {}).get(s.set_id)} for s in used]
    edits = []
    for s in used:
        for e in ws.edits_for(s.set_id):
            edits.append({"set": number[s.set_id], "set_name": s.name,
                          "index": e.direction_index, "alpha": float(e.alpha),
                          "layers": touched(s.directions, e.direction_index, e.layers),
                          "label": label(s.set_id, e.direction_index)})
    meta: dict[str, Any] = {
        "metadata_version": METADATA_VERSION, "app_version": __version__,
        "kind": "image" if spec is None else "strip" if isinstance(spec, StripSpec) else "grid",
        "model": model_ref, "model_name": model_name, "model_sha256": model_sha256,
        **_face(req), "truncation": float(req.truncation),
        "truncation_cutoff": req.truncation_cutoff, "class_index": int(req.class_index or 0),
        "noise_mode": req.noise_mode, "directions": sets[0] if sets else None,
        "sets": sets, "edits": edits, "scale": int(scale), "resample": resample,
    }
    if spec is not None:
        assert out_set is not None
        meta[meta["kind"]] = _output_json(ws, out_set, number[out_set], spec, touched)
    return meta


def _one_set_metadata(req: RenderRequest, ws: Workspace, used: NamedSet | None, *,
                      files: Mapping[int, str] | None, labels: Workspace | None,
                      **model: Any) -> dict[str, Any]:
    """Version 1 metadata (:func:`build_metadata`) of a seed's image with at most one set."""
    spec, ds = req.output, used.directions if used else None
    strip = grid = None
    if isinstance(spec, StripSpec):
        strip = StripSpec(spec.index, spec.alphas, spec.layers)
    elif isinstance(spec, GridSpec):
        grid = GridSpec(spec.indices, spec.alphas, spec.layers)
    names = None
    if used is not None and labels is not None and used.set_id in labels.ids:
        newer = labels.get(used.set_id).directions
        names = [d.label for d in newer.directions] if len(newer) == len(ds) else None
    return build_metadata(
        seed=req.seed, truncation=req.truncation, truncation_cutoff=req.truncation_cutoff,
        class_index=int(req.class_index or 0), noise_mode=req.noise_mode, direction_set=ds,
        edits=ws.edits_for(used.set_id) if used else (),
        directions_file=(files or {}).get(used.set_id) if used else None,
        strip=strip, grid=grid, labels=names, **model)


def _face(req: RenderRequest) -> dict[str, Any]:
    face = face_to_json(req.latent if req.latent is not None else int(req.seed))
    return {"seed": face["seed"], "face": face}


def _output_json(ws: Workspace, set_id: int, number: int, spec: StripSpec | GridSpec,
                 touched: Any) -> dict[str, Any]:
    ds = ws.get(set_id).directions
    own = {e.direction_index: e.layers for e in ws.edits_for(set_id)}
    if isinstance(spec, StripSpec):
        layers = spec.layers if spec.layers is not None else own.get(spec.index)
        return {"set": number, "index": spec.index, "alphas": [float(a) for a in spec.alphas],
                "layers": touched(ds, spec.index, layers)}
    rows = spec.layers if spec.layers is not None else (None,) * len(spec.indices)
    if len(rows) != len(spec.indices):
        raise ValueError(f"a grid of {len(spec.indices)} rows needs as many layer ranges")
    return {"set": number, "indices": [int(i) for i in spec.indices],
            "alphas": [float(a) for a in spec.alphas],
            "layers": [touched(ds, i, r if r is not None else own.get(i))
                       for i, r in zip(spec.indices, rows, strict=True)]}


def request_from_metadata(meta: dict[str, Any], sets: Sequence[DirectionSet]) -> RenderRequest:
    """The request a version 2 image was rendered from, given its sets in the order it
    lists them (their sha256 must match)."""
    recorded = _need(meta, "sets", list)
    if len(sets) != len(recorded):
        raise ValueError(f"this image uses {len(recorded)} direction set(s): give "
                         f"{len(recorded)}, not {len(sets)}")
    ws = Workspace()
    for n, (ds, rec) in enumerate(zip(sets, recorded, strict=True)):
        if not isinstance(rec, dict) or rec.get("sha256") != direction_set_sha256(ds):
            raise ValueError(f"direction set {n + 1} is not the one the image was made with")
        ws = ws.add_set(ds, str(rec.get("name") or f"set {n + 1}"))[0]
    ids = ws.ids

    def set_id(value: Any, what: str) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= len(ids):
            raise ValueError(f"image metadata: {what} names set {value!r}, not 1-{len(ids)}")
        return ids[value - 1]

    for n, e in enumerate(_need(meta, "edits", list)):
        if not isinstance(e, dict):
            raise ValueError(f"image metadata: edit {n} is not an object")
        ws = ws.set_edit(set_id(e.get("set"), f"edit {n}"), _need(e, "index", int),
                         float(_need(e, "alpha", int | float)), _layers(e.get("layers"),
                                                                        f"edit {n}"))
    face = face_from_json(_need(meta, "face", dict))
    cutoff = meta.get("truncation_cutoff")
    if cutoff is not None and not isinstance(cutoff, int):
        raise ValueError(f"image metadata: truncation_cutoff {cutoff!r} is not a number")
    kind, output = meta.get("kind", "image"), None
    if kind in ("strip", "grid"):
        spec = _need(meta, kind, dict)
        sid = set_id(spec.get("set"), kind)
        if kind == "strip":
            output = StripSpec(_need(spec, "index", int), tuple(_alphas(spec, "strip")),
                               _layers(spec.get("layers"), "strip"), sid)
        else:
            output = GridSpec(tuple(_need(spec, "indices", list)), tuple(_alphas(spec, "grid")),
                              tuple(_layers(r, "grid row") for r in _need(spec, "layers", list)),
                              sid)
    elif kind != "image":
        raise ValueError(f"image metadata: kind {kind!r} is not image, strip or grid")
    return RenderRequest(
        seed=face if isinstance(face, int) else 0, latent=None if isinstance(face, int)
        else face, truncation=float(_need(meta, "truncation", int | float)),
        noise_mode=_need(meta, "noise_mode", str), truncation_cutoff=cutoff,
        class_index=_need(meta, "class_index", int), workspace=ws, output=output)


def render_from_workspace_metadata(meta: dict[str, Any], model: GeneratorModel,
                                   sets: Sequence[DirectionSet]):
    """The pixels of the version 2 image ``meta`` describes, (H, W, 3) uint8."""
    from guiapp.core.render import render_request

    if _need(meta, "model_sha256", str) != model.model_id:
        raise ValueError(f"this image was made with model sha256 {meta['model_sha256'][:12]}…, "
                         f"not this model ({model.model_id[:12]}…)")
    image = render_request(model, request_from_metadata(meta, sets))
    return upscale(image, _need(meta, "scale", int), _need(meta, "resample", str))
