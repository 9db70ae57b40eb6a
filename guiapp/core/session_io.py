"""Sessions as versioned JSON: the model, the face, the latent controls, and the workspace
of direction sets with their labels and the edits across them.

Format 2 (written): ``sets`` (each an id, a name and an embedded direction set),
``selected_set``, ``next_set_id``, ``edits`` (each naming its ``set`` id), the face as
``seed`` or ``latent`` (:mod:`guiapp.core.workspace_io`). Format 1 (one embedded
``direction_set`` and its edits) still opens, as a one-set workspace. Direction sets are
embedded (vectors as lists of floats; a LatentCLR direction model's weights as base64
float32 under ``"model_arrays"``) so a session file is complete on its own. Writes are
atomic (see :mod:`guiapp.core.safe_files`).

Reading trusts nothing: the file must be a regular file under :data:`MAX_SESSION_BYTES`
(a FIFO or ``/dev/zero`` is refused before a byte is read), the JSON may not hold more
than :data:`MAX_JSON_ITEMS` values, and every field is checked for type and range, so a
hostile or damaged session is one FileFormatError naming the file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from guiapp import __version__
from guiapp.core import json_fields as jf
from guiapp.core.safe_files import FileFormatError, atomic_write, read_limited
from guiapp.core.types import MAX_ABS_TRUNCATION, Session
from guiapp.core.workspace import Workspace, WorkspaceSession
from guiapp.core.workspace_io import (
    MAX_EDITS,
    direction_set_from_json,
    direction_set_to_json,
    edit_from_json,
    face_from_json,
    face_to_json,
    workspace_from_json,
    workspace_to_json,
)

__all__ = ["SESSION_VERSION", "direction_set_from_json", "direction_set_to_json",
           "load_session", "load_workspace_session", "save_session", "session_from_json",
           "session_to_json", "workspace_session_from_json", "workspace_session_to_json"]

SESSION_FORMAT = "guiapp.session"
SESSION_VERSION = 2
MAX_SESSION_BYTES = 512 << 20
MAX_JSON_ITEMS = 16_000_000
"""Commas and colons in a session's text bound how many Python objects parsing makes."""
MAX_CLASSES = 1 << 20


def workspace_session_to_json(session: WorkspaceSession,
                              extra: dict[str, Any] | None = None) -> dict[str, Any]:
    ws = session.workspace
    sel = ws.selected_set or (ws.sets[0] if ws.sets else None)
    return {
        "format": SESSION_FORMAT,
        "version": SESSION_VERSION,
        "app_version": __version__,
        "model_ref": session.model_ref,
        "model_sha256": sel.directions.model_id if sel else None,
        **face_to_json(session.face),
        "truncation": session.truncation,
        "truncation_cutoff": session.truncation_cutoff,
        "class_index": session.class_index,
        "noise_mode": session.noise_mode,
        **workspace_to_json(ws),
        "extra": extra or {},
    }


def session_to_json(session: Session | WorkspaceSession,
                    extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The v2 JSON of a session (a one-set :class:`Session` is a one-set workspace)."""
    if isinstance(session, Session):
        session = WorkspaceSession.from_session(session)
    return workspace_session_to_json(session, extra)


def _check_header(data: Any, source: str) -> int:
    if not isinstance(data, dict) or data.get("format") != SESSION_FORMAT:
        raise FileFormatError(f"{source}: not a guiapp session file")
    jf.check_version(data.get("version"), SESSION_VERSION, source, "session")
    return data["version"]


def _v1_workspace(data: dict[str, Any], source: str) -> Workspace:
    """Format 1: one embedded ``direction_set`` (or null) and its edits."""
    ds = data.get("direction_set")
    direction_set = direction_set_from_json(ds, source) if ds is not None else None
    edits = tuple(edit_from_json(e, i) for i, e in enumerate(
        jf.as_list(data.get("edits", []), "edits", max_len=MAX_EDITS)))
    if direction_set is not None:
        for e in edits:
            direction_set.direction(e.direction_index)
    return Workspace.single(direction_set, edits)


def workspace_session_from_json(data: Any, source: str = "session"
                                ) -> tuple[WorkspaceSession, dict[str, Any]]:
    """The whole session (any version) and its ``extra`` dict (UI state such as the
    selected direction)."""
    version = _check_header(data, source)
    try:
        workspace = (_v1_workspace(data, source) if version == 1
                     else workspace_from_json(data, source))
        cutoff = data.get("truncation_cutoff")
        session = WorkspaceSession(
            model_ref=jf.as_str(data["model_ref"], "model reference", 4096),
            face=face_from_json(data),
            truncation=jf.as_float(data.get("truncation", 1.0), "truncation",
                                   MAX_ABS_TRUNCATION),
            noise_mode=jf.as_str(data.get("noise_mode", "const"), "noise mode", 100),
            workspace=workspace,
            truncation_cutoff=None if cutoff is None else jf.as_int(
                cutoff, "truncation cutoff", 0, 1 << 16),
            class_index=jf.as_int(data.get("class_index", 0), "class index", 0, MAX_CLASSES),
        )
        extra = jf.plain(jf.as_dict(data.get("extra") or {}, "extra"), "extra")
        if "selected" in extra:
            jf.as_int(extra["selected"], "the selected direction", -1, 1 << 16)
    except FileFormatError:
        raise  # the embedded direction set's own message, naming the file
    except KeyError as exc:
        raise FileFormatError(f"{source}: damaged session (no {exc} entry)") from None
    except (TypeError, ValueError, IndexError, OverflowError) as exc:
        raise FileFormatError(f"{source}: damaged session ({exc})") from None
    return session, dict(extra)


def session_from_json(data: Any, source: str = "session") -> tuple[Session, dict[str, Any]]:
    """The one-set view (the selected set and its edits) and the ``extra`` dict."""
    session, extra = workspace_session_from_json(data, source)
    return session.to_session(), extra


def save_session(path: str | Path, session: Session | WorkspaceSession,
                 extra: dict[str, Any] | None = None) -> None:
    """Write ``session`` as format 2, atomically (a failed save leaves the old file)."""
    text = json.dumps(session_to_json(session, extra), indent=1)
    atomic_write(path, lambda fh: fh.write(text.encode("utf-8")))


def load_session(path: str | Path) -> tuple[Session, dict[str, Any]]:
    """The one-set view of a session file (see :func:`load_workspace_session`)."""
    session, extra = load_workspace_session(path)
    return session.to_session(), extra


def load_workspace_session(path: str | Path) -> tuple[WorkspaceSession, dict[str, Any]]:
    """Read and check a session file of any version; FileFormatError names the file and
    says why."""
    path = Path(path)
    data = read_limited(path, "session", MAX_SESSION_BYTES)
    try:
        if data.count(b",") + data.count(b":") > MAX_JSON_ITEMS:
            raise ValueError(f"more than {MAX_JSON_ITEMS} values")
        parsed = jf.parse_json(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise FileFormatError(f"{path.name}: not a guiapp session file ({exc})") from None
    del data
    return workspace_session_from_json(parsed, path.name)
