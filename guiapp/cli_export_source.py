"""Where a ``guiapp-cli render`` export (``--animate``, ``--morph``, ``--seeds``) gets its
model, face, direction sets and edits: the ``--directions`` files with ``--edit
[SET:]INDEX=ALPHA`` values (numbered sets, as a plain render takes them), or a saved
``--session FILE`` (its model unless MODEL is given, its face and latent controls, every
set and edit). Either way the export renders a :class:`~guiapp.core.workspace.Workspace`,
so the edits of every set add up in every frame and image.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from guiapp.cli_render import (
    EXPORT_MODES,
    build_workspace,
    check_session_args,
    check_set_numbers,
    face_truncation,
    set_number,
)


@dataclass(frozen=True)
class ExportSource:
    """The loaded model and what the export renders: ``files`` maps a set id to the
    direction file it came from (empty for a session's sets)."""

    model: Any
    model_ref: str
    face: Any  # guiapp.core.animation.Face
    workspace: Any  # guiapp.core.workspace.Workspace
    files: dict[int, str]

    def walk_set(self, number: int | None, index: int) -> int:
        """The id of the set ``--animate [SET:]INDEX`` walks: set SET, else the session's
        selected set (the first file's without a session)."""
        ws = self.workspace
        if not ws.ids:
            raise ValueError("--animate needs a direction set (--directions FILE, or a "
                             "session that has one)")
        text = f"{number}:{index}" if number is not None else str(index)
        place = set_number(number, len(ws), f"--animate {text}")
        if place is not None:
            return ws.ids[place]
        return ws.selected if ws.selected is not None else ws.ids[0]

    def request(self, seed: int | None = None) -> Any:
        """The render request of one image of the export (seed ``seed`` for ``--seeds``)."""
        from guiapp.core.types import RenderRequest

        face = self.face
        return RenderRequest(seed=face.seed if seed is None else seed,
                             latent=face.latent if seed is None else None,
                             truncation=face.truncation, truncation_cutoff=face.cutoff,
                             class_index=face.class_index, noise_mode=face.noise_mode,
                             workspace=self.workspace)

    def metadata(self, seed: int | None = None) -> dict[str, Any]:
        """The PNG metadata of that image: a plain ``render`` of it writes the same."""
        from guiapp.core.workspace_metadata import metadata_for_request

        model = self.model
        return metadata_for_request(self.request(seed), model_ref=self.model_ref,
                                    model_name=model.name, model_sha256=model.model_id,
                                    num_ws=model.num_ws, files=self.files)


def check_source_args(args: argparse.Namespace) -> None:
    """Refusals that need no file read: a session's conflicting options, set numbers."""
    if args.session is not None:
        check_session_args(args, allowed=EXPORT_MODES)
        return
    if args.model is None:
        raise ValueError("render needs MODEL (or --session FILE)")
    check_set_numbers(args)


def load_source(args: argparse.Namespace) -> ExportSource:
    """Load the model and the sets (or the session) the export renders."""
    from guiapp.core.animation import Face
    from guiapp.core.io import load_direction_set
    from guiapp.core.models.registry import load_model

    if args.session is not None:
        from guiapp.core.session_io import load_workspace_session

        session, _extra = load_workspace_session(args.session)
        model_ref = args.model or session.model_ref
        face = Face(session.seed or 0, session.truncation, session.truncation_cutoff,
                    session.class_index, session.noise_mode, session.latent)
        return ExportSource(load_model(model_ref, args.device), model_ref, face,
                            session.workspace, {})
    files = args.direction_files
    sets = [load_direction_set(f) for f in files]
    model = load_model(args.model, args.device)
    workspace = build_workspace(model, sets, files, args.set_edits)
    psi, cutoff = face_truncation(args, model)
    face = Face(args.seed if args.seed is not None else 0, psi, cutoff, args.class_index)
    names = {i: Path(f).name for i, f in zip(workspace.ids, files, strict=True)}
    return ExportSource(model, args.model, face, workspace, names)
