"""The autosaved last session, which must never be replaced by a poorer one.

Quitting right after start-up, without answering the offer to restore, once overwrote a
session of 50 labelled directions with an empty one. The rules:

- a session with real content (a direction set: labels, alphas and layer ranges live in
  it) is saved, and the file it replaces is kept as ``<name>.bak.json``;
- a session without one never overwrites anything: the previous file stays to be offered
  again, unless the user declined it, in which case it is set aside as the backup (not
  offered again, not lost).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from guiapp.core.io import atomic_write
from guiapp.core.session_io import save_session
from guiapp.core.types import Session


def backup_path(path: str | Path) -> Path:
    """``last_session.json`` -> ``last_session.bak.json``, beside it."""
    path = Path(path)
    return path.with_name(f"{path.stem}.bak{path.suffix}")


def has_content(session: Session) -> bool:
    """Whether ``session`` holds work worth restoring: a direction set (v1) or a
    workspace with at least one set (v2)."""
    workspace = getattr(session, "workspace", None)  # a v2 session
    return len(workspace) > 0 if workspace is not None else session.direction_set is not None


def _back_up(path: Path) -> None:
    with path.open("rb") as source:
        atomic_write(backup_path(path), lambda out: shutil.copyfileobj(source, out))


def autosave_session(path: str | Path, session: Session, extra: dict[str, Any] | None = None,
                     *, declined: bool = False) -> str:
    """Apply the rules above to ``path``; return what happened, in a few words.

    ``declined``: the user turned down restoring the file now at ``path``."""
    path = Path(path)
    if has_content(session):
        if path.is_file():
            _back_up(path)
        save_session(path, session, extra)
        return "saved"
    if declined and path.is_file():
        os.replace(path, backup_path(path))
        return "set aside the declined session"
    return "kept the previous session" if path.is_file() else "nothing to save"
