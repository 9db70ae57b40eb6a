"""Sessions as versioned JSON: the model, seed, truncation, direction set, labels and edits.

The direction set is embedded (vectors as lists of floats; a LatentCLR direction model's
weights as base64 float32 under ``"model_arrays"``) so a session file is complete on its
own. Writes are atomic (see :mod:`guiapp.core.io`).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import numpy as np

from guiapp import __version__
from guiapp.core.io import (
    FileFormatError,
    atomic_write,
    conditional_arrays,
    direction_set_from_arrays,
    direction_set_meta,
)
from guiapp.core.types import DirectionSet, Edit, LayerRange, Session

SESSION_FORMAT = "guiapp.session"
SESSION_VERSION = 1


def direction_set_to_json(ds: DirectionSet) -> dict[str, Any]:
    data: dict[str, Any] = {
        "vectors": ds.vectors.tolist(),
        "scores": ds.scores.tolist(),
        "meta": direction_set_meta(ds),
    }
    arrays = conditional_arrays(ds)
    if arrays:
        data["model_arrays"] = {
            name: {
                "shape": list(arr.shape),
                "float32_le_base64": base64.b64encode(arr.astype("<f4").tobytes()).decode(),
            }
            for name, arr in arrays.items()
        }
    return data


def _arrays_from_json(data: dict[str, Any]) -> dict[str, np.ndarray]:
    return {
        name: np.frombuffer(base64.b64decode(a["float32_le_base64"]), "<f4").reshape(a["shape"])
        for name, a in (data.get("model_arrays") or {}).items()
    }


def direction_set_from_json(data: dict[str, Any], source: str) -> DirectionSet:
    try:
        vectors = np.asarray(data["vectors"], np.float32)
        scores = np.asarray(data["scores"], np.float64)
        meta = data["meta"]
        model_arrays = _arrays_from_json(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise FileFormatError(f"{source}: damaged direction set ({exc})") from None
    if vectors.size == 0:
        vectors = vectors.reshape(0, 0)
    return direction_set_from_arrays(vectors, scores, meta, source, model_arrays)


def session_to_json(session: Session, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    ds = session.direction_set
    return {
        "format": SESSION_FORMAT,
        "version": SESSION_VERSION,
        "app_version": __version__,
        "model_ref": session.model_ref,
        "model_sha256": ds.model_id if ds else None,
        "seed": session.seed,
        "truncation": session.truncation,
        "truncation_cutoff": session.truncation_cutoff,
        "class_index": session.class_index,
        "noise_mode": session.noise_mode,
        "direction_set": direction_set_to_json(ds) if ds else None,
        "edits": [
            {
                "index": e.direction_index,
                "alpha": e.alpha,
                "layers": None if e.layers is None else [e.layers.start, e.layers.stop],
            }
            for e in session.edits
        ],
        "extra": extra or {},
    }


def session_from_json(data: Any, source: str = "session") -> tuple[Session, dict[str, Any]]:
    """The session and its ``extra`` dict (UI state such as the selected direction)."""
    if not isinstance(data, dict) or data.get("format") != SESSION_FORMAT:
        raise FileFormatError(f"{source}: not a guiapp session file")
    if not isinstance(data.get("version"), int) or data["version"] > SESSION_VERSION:
        raise FileFormatError(f"{source}: made by a newer guiapp (version {data.get('version')})")
    try:
        ds = data.get("direction_set")
        direction_set = direction_set_from_json(ds, source) if ds else None
        edits = tuple(
            Edit(
                int(e["index"]),
                float(e["alpha"]),
                None if e.get("layers") is None else LayerRange(*map(int, e["layers"])),
            )
            for e in data.get("edits", [])
        )
        if direction_set is not None:
            for e in edits:
                direction_set.direction(e.direction_index)
        elif edits:
            raise ValueError("edits without a direction set")
        session = Session(
            model_ref=str(data["model_ref"]),
            seed=int(data.get("seed", 0)),
            truncation=float(data.get("truncation", 1.0)),
            noise_mode=str(data.get("noise_mode", "const")),
            direction_set=direction_set,
            edits=edits,
            truncation_cutoff=_optional_int(data.get("truncation_cutoff")),
            class_index=int(data.get("class_index", 0)),
        )
        if session.class_index < 0 or (session.truncation_cutoff or 0) < 0:
            raise ValueError("negative class index or truncation cutoff")
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise FileFormatError(f"{source}: damaged session ({exc})") from None
    return session, dict(data.get("extra") or {})


def save_session(path: str | Path, session: Session, extra: dict[str, Any] | None = None) -> None:
    text = json.dumps(session_to_json(session, extra), indent=1)
    atomic_write(path, lambda fh: fh.write(text.encode("utf-8")))


def load_session(path: str | Path) -> tuple[Session, dict[str, Any]]:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileFormatError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FileFormatError(f"{path.name}: not a guiapp session file ({exc})") from None
    return session_from_json(data, path.name)


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)
