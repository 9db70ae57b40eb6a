"""``guiapp-cli render`` for animations and batch export:

- ``--animate [SET:]INDEX --alphas LO,HI,FRAMES -o walk.mp4``: the walk along direction
  INDEX of set SET (default: the first ``--directions`` file, or the session's selected
  set) from LO to HI and back (``--no-bounce``: once), the other edits of every set held
  (``--no-hold-edits``: only the walk);
- ``--morph SEED2 --frames N -o morph.gif``: from ``--seed`` to SEED2, slerp in z
  (``--morph-space w``: a straight line in w); ``--bounce`` comes back;
- ``--seeds 0-99,120 -o out/{seed}.png``: the edits over many seeds, one PNG each (with the
  metadata a plain ``render`` of that seed writes); an output name without ``{seed}``
  makes one grid image instead (``--columns``).

Like a plain render they take several ``--directions`` files with ``--edit
SET:INDEX=ALPHA`` edits, or ``--session FILE`` for the model, face and edits
(:mod:`guiapp.cli_export_source`).

The options are added to the render command by :func:`add_export_options`; :func:`run_export`
runs first in ``cmd_render`` and returns None when the command is a plain render. Every
refusal (format, PyAV, frames, names) comes before the model is loaded; nothing is written
on failure.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from guiapp.cli_args import _arg_type, parse_finite, parse_index, parse_seed, parse_set_index
from guiapp.cli_progress import ProgressBar
from guiapp.core.animation_limits import DEFAULT_BATCH, MAX_FRAMES, MIN_FRAMES, MORPH_SPACES

if TYPE_CHECKING:
    from guiapp.cli_export_source import ExportSource

DEFAULT_FPS = 30.0
DEFAULT_MORPH_FRAMES = 30
MAX_BATCH = 64


def _frames(text: str) -> int:
    value = parse_index(text, "frames")
    if not MIN_FRAMES <= value <= MAX_FRAMES:
        raise ValueError(f"frames must be {MIN_FRAMES} to {MAX_FRAMES}, not {value}")
    return value


def _fps(text: str) -> float:
    from guiapp.core.video import check_fps

    return check_fps(parse_finite(text, "fps"))


def _size(text: str) -> int:
    from guiapp.core.video import MAX_SIDE

    value = parse_index(text, "size")
    if not 1 <= value <= MAX_SIDE:
        raise ValueError(f"size must be 1 to {MAX_SIDE} pixels, not {value}")
    return value


def _batch(text: str) -> int:
    value = parse_index(text, "batch size")
    if not 1 <= value <= MAX_BATCH:
        raise ValueError(f"batch size must be 1 to {MAX_BATCH}, not {value}")
    return value


def _columns(text: str) -> int:
    from guiapp.core.batch_export_spec import grid_columns

    return grid_columns(1, parse_index(text, "columns"))


def _seed_list(text: str) -> list[int]:
    from guiapp.core.batch_export_spec import parse_seed_list

    return parse_seed_list(text)


def add_export_options(p: argparse.ArgumentParser) -> None:
    """Add the animation and batch options to the ``render`` parser ``p``. ``--seed`` stops
    being required there (``--seeds`` replaces it); :func:`run_export` asks for it otherwise."""
    for action in p._actions:
        if "--seed" in action.option_strings:
            action.required = False
    g = p.add_argument_group("animations and batch export")
    g.add_argument("--animate", type=_arg_type(parse_set_index), metavar="[SET:]INDEX",
                   help="save the walk along direction INDEX of set SET (default: the first "
                   "--directions, or the session's selected set) over --alphas LO,HI,FRAMES "
                   "as an animation (.mp4, .gif, .webp, .png/.apng)")
    g.add_argument("--morph", type=_arg_type(parse_seed), metavar="SEED2",
                   help="save the morph from --seed to SEED2 as an animation")
    g.add_argument("--seeds", type=_arg_type(_seed_list), metavar="LIST",
                   help="render every seed of LIST (e.g. 0-99,120): -o out/{seed}.png saves one "
                   "PNG each, a name without {seed} one grid")
    g.add_argument("--frames", type=_arg_type(_frames), metavar="N",
                   help=f"frames of the walk (default: the COUNT of --alphas) or of the morph "
                   f"(default {DEFAULT_MORPH_FRAMES}), before the way back")
    g.add_argument("--fps", type=_arg_type(_fps), default=DEFAULT_FPS,
                   help=f"frames per second (default {DEFAULT_FPS:g})")
    g.add_argument("--size", type=_arg_type(_size), metavar="PX",
                   help="animation frame size (longer side); MP4 frames are then made even "
                   "and at least 128 px by a whole factor")
    g.add_argument("--bounce", action=argparse.BooleanOptionalAction, default=None,
                   help="come back to the start (default: yes for --animate, no for --morph)")
    g.add_argument("--hold-edits", action=argparse.BooleanOptionalAction, default=True,
                   help="--animate: keep the other edits (of every set) in every frame "
                   "(default yes)")
    g.add_argument("--morph-space", choices=MORPH_SPACES, default="z",
                   help="--morph: slerp in z (default) or a straight line in w")
    g.add_argument("--columns", type=_arg_type(_columns), metavar="N",
                   help="--seeds grid: images per row (default: a square)")
    g.add_argument("--batch-size", type=_arg_type(_batch), default=DEFAULT_BATCH, metavar="N",
                   help=f"latents rendered together (default {DEFAULT_BATCH})")
    g.add_argument("--no-progress", dest="progress", action="store_false",
                   help="no progress bar (it only shows on a terminal anyway)")


def _mode(args: argparse.Namespace) -> str | None:
    given = [name for name in ("animate", "morph", "seeds")
             if getattr(args, name, None) is not None]
    if len(given) > 1:
        raise ValueError(f"--{given[0]} and --{given[1]} cannot be combined")
    mode = given[0] if given else None
    if mode is None:
        if args.seed is None:
            raise ValueError("--seed is required (or --seeds LIST, or --session FILE)")
        return None
    session = args.session is not None
    if args.strip is not None or args.grid is not None:
        raise ValueError(f"--{mode} cannot be combined with --strip or --grid")
    if args.scale != 1:
        raise ValueError(f"--scale is for single images; use --size with --{mode}"
                         if mode != "seeds" else "--scale is for single images, not --seeds")
    if mode != "seeds" and args.seed is None and not session:
        raise ValueError(f"--{mode} needs --seed (or --session FILE)")
    if args.layers is not None and mode != "animate":
        raise ValueError("--layers goes with --strip or --animate")
    if args.animate is not None and not (args.direction_files or session):
        raise ValueError("--animate needs --directions FILE (or --session FILE)")
    from guiapp.cli_export_source import check_source_args

    check_source_args(args)
    return mode


def run_export(args: argparse.Namespace) -> int | None:
    """Run an animation or batch export; None when ``args`` asks for a plain render."""
    mode = _mode(args)
    if mode is None:
        return None
    from guiapp.cli_render import check_output

    out = args.output
    if mode == "seeds" and "{" in out:
        from guiapp.core.batch_export_spec import check_pattern

        check_pattern(out)
        check_output(Path(out.format(seed=args.seeds[0])), ".png")
    else:
        check_output(Path(out))
        if mode == "seeds":
            check_output(Path(out), ".png")
        else:
            from guiapp.core.video import check_animation_target

            check_animation_target(out, args.fps)
    from guiapp.cli_export_source import load_source

    source = load_source(args)
    with ProgressBar(enabled=None if args.progress else False) as bar:
        message = (_animation(args, mode, source, bar) if mode != "seeds"
                   else _seeds(args, source, bar))
    print(message)
    return 0


def _animation(args: argparse.Namespace, mode: str, src: ExportSource, bar: Any) -> str:
    from guiapp.core.animation import MorphPlan, WalkPlan
    from guiapp.core.animation_export import save_animation

    ws, face = src.workspace, src.face
    plan: WalkPlan | MorphPlan
    if mode == "animate":
        number, index = args.animate
        set_id = src.walk_set(number, index)
        lo, hi, count = args.alphas[0], args.alphas[-1], len(args.alphas)
        plan = WalkPlan(face, ws.get(set_id).directions, index, lo, hi, args.frames or count,
                        (), args.hold_edits, True if args.bounce is None else args.bounce,
                        args.layers, workspace=ws, set_id=set_id)
    else:
        plan = MorphPlan(face, args.morph, args.frames or DEFAULT_MORPH_FRAMES,
                         args.morph_space, bounce=bool(args.bounce), workspace=ws)
    saved = save_animation(args.output, src.model, plan, args.fps, size=args.size,
                           batch_size=args.batch_size, progress=bar)
    return saved.describe()


def _seeds(args: argparse.Namespace, src: ExportSource, bar: Any) -> str:
    from guiapp.core.batch_export import export_seed_grid, export_seeds, grid_columns

    model, face = src.model, src.face
    options = {"face": {"truncation": face.truncation, "cutoff": face.cutoff,
                        "class_index": face.class_index, "noise_mode": face.noise_mode},
               "workspace": src.workspace, "batch_size": args.batch_size, "progress": bar}
    metadata = src.metadata
    seeds = args.seeds
    if "{" in args.output:
        paths = export_seeds(model, seeds, args.output, metadata, **options)
        return f"saved {len(paths)} images to {paths[0].parent}"
    cols = grid_columns(len(seeds), args.columns)
    export_seed_grid(model, seeds, args.output, metadata, columns=cols, **options)
    rows = -(-len(seeds) // cols)
    return f"saved a grid of {len(seeds)} seeds ({rows}x{cols}) to {args.output}"
