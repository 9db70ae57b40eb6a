"""``guiapp-cli render``: one image, a strip along one direction, or a grid of directions x
alphas, saved as a PNG with the metadata of :mod:`guiapp.core.image_metadata` (the same
schema and strip rule as the window's). Several ``--directions`` files make a workspace of
sets (numbered from 1) whose edits add up; ``--session FILE`` renders a saved session as
the window shows it. Both go through :func:`guiapp.core.render.render_request`. The exports
(``--animate [SET:]INDEX``, ``--morph``, ``--seeds``; :mod:`guiapp.cli_export`) take the
same sets, edits and sessions.

Modules that import torch are imported inside the command.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from guiapp.cli_args import PROG, SetEdit
from guiapp.core.image_metadata import save_image_png
from guiapp.core.io import load_direction_set
from guiapp.core.types import GridSpec, RenderRequest, StripSpec
from guiapp.core.upscale import upscale
from guiapp.core.workspace import Workspace


def _warn(message: str) -> None:
    print(f"{PROG}: warning: {message}", file=sys.stderr)


def check_output(path: Path, suffix: str | tuple[str, ...] | None = None) -> None:
    """Refuse an output path we cannot write before doing long work for it (``suffix``:
    the ending, or the endings, the name must have)."""
    suffixes = (suffix,) if isinstance(suffix, str) else suffix
    if suffixes and path.suffix.lower() not in suffixes:
        raise ValueError(f"{path}: the output name must end in {' or '.join(suffixes)}")
    if path.is_dir():
        raise ValueError(f"{path}: is a folder; give a file name for the output")
    if not path.parent.is_dir():
        raise ValueError(f"{path}: folder {path.parent} does not exist")


def normalize_render_args(args: argparse.Namespace) -> None:
    """Keep every set's options (``direction_files``, ``set_edits``, ``strip_spec``,
    ``grid_spec``) and give the one-set view to the command built on ``render``'s
    options that takes one set (``--latent``): ``directions`` the first file, ``edit`` its edits,
    ``strip`` / ``grid`` its index / indices."""
    files = list(args.directions or [])
    args.direction_files, args.directions = files, files[0] if files else None
    args.set_edits = list(args.edit or [])
    args.edit = [e.edit for e in args.set_edits if (e.set_number or 1) == 1]
    args.strip_spec, args.grid_spec = args.strip, args.grid
    args.strip = None if args.strip is None else args.strip[1]
    args.grid = None if args.grid is None else args.grid[1]
    args.truncation_given = args.truncation is not None  # else the model's default applies
    if args.truncation is None:
        args.truncation = 1.0


EXPORT_MODES = ("animate", "morph", "seeds")


def cmd_render(args: argparse.Namespace) -> int:
    """Render one image, a strip along one direction, or a grid of directions x alphas."""
    normalize_render_args(args)
    exporting = any(getattr(args, name, None) is not None for name in EXPORT_MODES)
    if args.session is not None and not exporting:
        return render_session(args)
    from guiapp.cli_export import run_export  # hook: export
    from guiapp.cli_project import run_latent_render  # hook: project
    from guiapp.core.models.registry import load_model

    if (code := run_latent_render(args)) is not None:  # hook: project (--latent FILE)
        return code
    if (code := run_export(args)) is not None:  # hook: export (--animate, --morph, --seeds)
        return code
    out = Path(args.output)
    check_output(out, ".png")
    files = args.direction_files
    if args.model is None:
        raise ValueError("render needs MODEL (or --session FILE)")
    if args.seed is None:
        raise ValueError("render needs --seed N (or --session FILE)")
    if (args.strip is not None or args.grid is not None) and not files:
        raise ValueError("--strip and --grid need --directions FILE")
    if args.layers is not None and args.strip is None:
        raise ValueError("--layers goes with --strip (use INDEX=ALPHA@START-END for --edit)")
    check_set_numbers(args)
    sets = [load_direction_set(f) for f in files]
    model = load_model(args.model, args.device)
    workspace = build_workspace(model, sets, files, args.set_edits)
    psi, cutoff = face_truncation(args, model)
    req = RenderRequest(seed=args.seed, truncation=psi,
                        truncation_cutoff=cutoff, class_index=args.class_index,
                        workspace=workspace, output=output_spec(args, workspace, workspace.ids[0]
                                                            if workspace.ids else None))
    files_by_id = {i: Path(f).name for i, f in zip(workspace.ids, files, strict=True)}
    image = _render_and_save(args, model, req, args.model, files_by_id)
    print(f"saved {image.shape[1]}x{image.shape[0]} image to {out}")
    return 0


def set_number(number: int | None, count: int, what: str) -> int | None:
    """The 0-based place of a 1-based set number (None: not given), checked."""
    if number is None:
        return None
    if number > count:
        raise ValueError(f"{what}: names set {number}, but there are only {count} direction "
                         f"set(s)")
    return number - 1


def face_truncation(args: argparse.Namespace, model) -> tuple[float, int | None]:
    """``--truncation`` and ``--truncation-cutoff``, or the model's own default when
    neither is given."""
    psi, cutoff = args.truncation, args.truncation_cutoff
    if not args.truncation_given and cutoff is None:
        psi, cutoff = model.default_truncation
    return psi, cutoff


def check_set_numbers(args: argparse.Namespace) -> None:
    """Every ``--edit SET:`` names one of the ``--directions`` files (before any loading)."""
    if args.set_edits and not args.direction_files:
        raise ValueError("--edit needs --directions FILE")
    for e in args.set_edits:
        set_number(e.set_number, len(args.direction_files), f"--edit {e.text}")


def build_workspace(model, sets, files, set_edits: list[SetEdit]) -> Workspace:
    """A workspace of ``sets`` (in order) with the edits, each checked against the model."""
    from guiapp.core.edits import check_compatible

    ws = Workspace()
    for path, ds in zip(files, sets, strict=True):
        try:
            check_compatible(ds, model.latent_space, model.latent_dim)
        except ValueError as exc:
            raise ValueError(f"{Path(path).name}: {exc}") from None
        if ds.model_id and ds.model_id != model.model_id:
            _warn(f"{Path(path).name}: these directions were found on another model file "
                  "(sha256 differs)")
        ws = ws.add_set(ds, num_ws=model.num_ws, select=not ws.ids)[0]
    for n, set_id in enumerate(ws.ids):
        edits = [e.edit for e in set_edits if (e.set_number or 1) == n + 1]
        ws = ws.with_set_edits(set_id, ws.edits_for(set_id) + tuple(edits))
    return ws


def output_spec(args: argparse.Namespace, ws: Workspace, default: int | None
            ) -> StripSpec | GridSpec | None:
    """The strip or grid asked for, of set SET (else ``default``'s)."""
    if args.strip_spec is None and args.grid_spec is None:
        return None
    number = (args.strip_spec or args.grid_spec)[0]
    place = set_number(number, len(ws), "--strip" if args.strip_spec else "--grid")
    set_id = ws.ids[place] if place is not None else default
    if set_id is None:
        raise ValueError("--strip and --grid need a direction set")
    if args.strip_spec is not None:
        return StripSpec(args.strip_spec[1], tuple(args.alphas), args.layers, set_id)
    indices = args.grid_spec[1] or list(range(len(ws.get(set_id).directions)))
    if not indices:
        raise ValueError("the direction set is empty: nothing to put in a grid")
    return GridSpec(tuple(indices), tuple(args.alphas), set_id=set_id)


def _render_and_save(args: argparse.Namespace, model, req: RenderRequest, model_ref: str,
                     files: dict[int, str]):
    """Check, render, upscale and save; the metadata is built first (it checks every
    edit and index before any rendering)."""
    from guiapp.core.render import render_request
    from guiapp.core.workspace_metadata import metadata_for_request

    meta = metadata_for_request(req, model_ref=model_ref, model_name=model.name,
                                model_sha256=model.model_id, num_ws=model.num_ws, files=files,
                                scale=args.scale, resample=args.resample)
    image = upscale(render_request(model, req), args.scale, args.resample)
    save_image_png(Path(args.output), image, meta)
    return image


SESSION_CONFLICTS = ("directions", "set_edits", "seed", "truncation_given",
                     "truncation_cutoff", "class_index", "latent", "animate", "morph", "seeds")


def check_session_args(args: argparse.Namespace, allowed: tuple[str, ...] = ()) -> None:
    """Refuse the options a session gives (face, sets, edits), but ``allowed``."""
    given = [name for name in SESSION_CONFLICTS if name not in allowed and
             getattr(args, name, None) not in (None, False, [])]
    if given:
        option = "--" + given[0].replace("set_edits", "edit").replace(
            "_given", "").replace("_", "-")
        raise ValueError(f"--session gives the face, sets and edits: leave out {option}")


def render_session(args: argparse.Namespace) -> int:
    """``render --session FILE -o out.png``: the window's image of a saved session (its
    model unless MODEL is given, face, latent controls, every set and edit); with --strip
    or --grid, of the selected set unless SET: names one."""
    from guiapp.core.models.registry import load_model
    from guiapp.core.session_io import load_workspace_session

    check_session_args(args)
    out = Path(args.output)
    check_output(out, ".png")
    session, _extra = load_workspace_session(args.session)
    model_ref = args.model or session.model_ref
    model = load_model(model_ref, args.device)
    ws = session.workspace
    req = RenderRequest(seed=session.seed or 0, latent=session.latent,
                        truncation=session.truncation, noise_mode=session.noise_mode,
                        truncation_cutoff=session.truncation_cutoff,
                        class_index=session.class_index, workspace=ws,
                        output=output_spec(args, ws, ws.selected))
    image = _render_and_save(args, model, req, model_ref, {})
    print(f"saved {image.shape[1]}x{image.shape[0]} image of session "
          f"{Path(args.session).name} to {out}")
    return 0
