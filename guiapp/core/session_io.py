"""Sessions as versioned JSON: the model, seed, truncation, direction set, labels and edits.

The direction set is embedded (vectors as lists of floats; a LatentCLR direction model's
weights as base64 float32 under ``"model_arrays"``) so a session file is complete on its
own. Writes are atomic (see :mod:`guiapp.core.safe_files`).

Reading trusts nothing: the file must be a regular file under :data:`MAX_SESSION_BYTES`
(a FIFO or ``/dev/zero`` is refused before a byte is read), the JSON may not hold more
than :data:`MAX_JSON_ITEMS` values, and every field is checked for type and range, so a
hostile or damaged session is one FileFormatError naming the file.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import numpy as np

from guiapp import __version__
from guiapp.core import json_fields as jf
from guiapp.core.direction_meta import (
    MAX_DIM,
    MAX_DIRECTIONS,
    conditional_arrays,
    direction_set_from_arrays,
    direction_set_meta,
    layer_range,
)
from guiapp.core.safe_files import FileFormatError, atomic_write, read_limited
from guiapp.core.seeds import SEED_MAX
from guiapp.core.types import (
    MAX_ABS_ALPHA,
    MAX_ABS_TRUNCATION,
    DirectionSet,
    Edit,
    Session,
)

SESSION_FORMAT = "guiapp.session"
SESSION_VERSION = 1
MAX_SESSION_BYTES = 512 << 20
MAX_JSON_ITEMS = 16_000_000
"""Commas and colons in a session's text bound how many Python objects parsing makes."""
MAX_EDITS = 10_000
MAX_CLASSES = 1 << 20


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
    """The direction model's arrays: each a checked shape and exactly that many floats."""
    out = {}
    for name, a in jf.as_dict(data.get("model_arrays") or {}, "model arrays").items():
        a = jf.as_dict(a, f"model array {name}")
        shape = [jf.as_int(n, f"model array {name} shape", 0, MAX_DIM * MAX_DIRECTIONS)
                 for n in jf.as_list(a["shape"], f"model array {name} shape", max_len=8)]
        text = jf.as_str(a["float32_le_base64"], f"model array {name}", MAX_SESSION_BYTES)
        raw = base64.b64decode(text, validate=True)
        if len(raw) != 4 * int(np.prod(shape, dtype=object)):
            raise ValueError(f"model array {name} holds {len(raw)} bytes, not its shape's")
        out[name] = np.frombuffer(raw, "<f4").reshape(shape)
    return out


def direction_set_from_json(data: Any, source: str) -> DirectionSet:
    try:
        data = jf.as_dict(data, "direction set")
        vectors = jf.as_list(data["vectors"], "vectors", max_len=MAX_DIRECTIONS)
        with np.errstate(over="ignore", invalid="ignore"):  # overflow shows as non-finite
            vectors = np.asarray(vectors, np.float32)
            scores = np.asarray(jf.as_list(data["scores"], "scores"), np.float64)
        meta = data["meta"]
        model_arrays = _arrays_from_json(data)
    except KeyError as exc:
        raise FileFormatError(f"{source}: damaged direction set (no {exc} entry)") from None
    except (TypeError, ValueError, OverflowError) as exc:  # binascii.Error is a ValueError
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


def _edit(value: Any, i: int) -> Edit:
    e = jf.as_dict(value, f"edit {i}")
    return Edit(
        jf.as_int(e["index"], f"edit {i} index", 0, MAX_DIRECTIONS),
        jf.as_float(e["alpha"], f"edit {i} alpha", MAX_ABS_ALPHA),
        layer_range(e.get("layers"), f"edit {i} layers"),
    )


def _check_header(data: Any, source: str) -> None:
    if not isinstance(data, dict) or data.get("format") != SESSION_FORMAT:
        raise FileFormatError(f"{source}: not a guiapp session file")
    jf.check_version(data.get("version"), SESSION_VERSION, source, "session")


def session_from_json(data: Any, source: str = "session") -> tuple[Session, dict[str, Any]]:
    """The session and its ``extra`` dict (UI state such as the selected direction)."""
    _check_header(data, source)
    try:
        ds = data.get("direction_set")
        direction_set = direction_set_from_json(ds, source) if ds is not None else None
        edits = tuple(
            _edit(e, i)
            for i, e in enumerate(jf.as_list(data.get("edits", []), "edits", max_len=MAX_EDITS))
        )
        if direction_set is not None:
            for e in edits:
                direction_set.direction(e.direction_index)
        elif edits:
            raise ValueError("edits without a direction set")
        cutoff = data.get("truncation_cutoff")
        session = Session(
            model_ref=jf.as_str(data["model_ref"], "model reference", 4096),
            seed=jf.as_int(data.get("seed", 0), "seed", 0, SEED_MAX),
            truncation=jf.as_float(data.get("truncation", 1.0), "truncation",
                                   MAX_ABS_TRUNCATION),
            noise_mode=jf.as_str(data.get("noise_mode", "const"), "noise mode", 100),
            direction_set=direction_set,
            edits=edits,
            truncation_cutoff=None if cutoff is None else jf.as_int(
                cutoff, "truncation cutoff", 0, 1 << 16),
            class_index=jf.as_int(data.get("class_index", 0), "class index", 0, MAX_CLASSES),
        )
        extra = jf.plain(jf.as_dict(data.get("extra") or {}, "extra"), "extra")
        if "selected" in extra:
            jf.as_int(extra["selected"], "the selected direction", -1, MAX_DIRECTIONS)
    except FileFormatError:
        raise  # the embedded direction set's own message, naming the file
    except KeyError as exc:
        raise FileFormatError(f"{source}: damaged session (no {exc} entry)") from None
    except (TypeError, ValueError, IndexError, OverflowError) as exc:
        raise FileFormatError(f"{source}: damaged session ({exc})") from None
    return session, dict(extra)


def save_session(path: str | Path, session: Session, extra: dict[str, Any] | None = None) -> None:
    text = json.dumps(session_to_json(session, extra), indent=1)
    atomic_write(path, lambda fh: fh.write(text.encode("utf-8")))


def load_session(path: str | Path) -> tuple[Session, dict[str, Any]]:
    """Read and check a session file; FileFormatError names the file and says why."""
    path = Path(path)
    data = read_limited(path, "session", MAX_SESSION_BYTES)
    try:
        if data.count(b",") + data.count(b":") > MAX_JSON_ITEMS:
            raise ValueError(f"more than {MAX_JSON_ITEMS} values")
        parsed = jf.parse_json(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise FileFormatError(f"{path.name}: not a guiapp session file ({exc})") from None
    del data
    return session_from_json(parsed, path.name)
