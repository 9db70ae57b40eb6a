"""``guiapp-cli render``: one image, a strip along one direction, or a grid of directions x
alphas, saved as a PNG with the metadata of :mod:`guiapp.core.image_metadata` (the same
schema and strip rule as the window's).

Modules that import torch are imported inside the command.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from guiapp.cli_args import PROG
from guiapp.core.image_metadata import GridSpec, StripSpec, build_metadata, save_image_png
from guiapp.core.io import load_direction_set
from guiapp.core.upscale import upscale


def _warn(message: str) -> None:
    print(f"{PROG}: warning: {message}", file=sys.stderr)


def check_output(path: Path, suffix: str | None = None) -> None:
    """Refuse an output path we cannot write before doing long work for it."""
    if suffix and path.suffix.lower() != suffix:
        raise ValueError(f"{path}: the output name must end in {suffix}")
    if path.is_dir():
        raise ValueError(f"{path}: is a folder; give a file name for the output")
    if not path.parent.is_dir():
        raise ValueError(f"{path}: folder {path.parent} does not exist")


def cmd_render(args: argparse.Namespace) -> int:
    """Render one image, a strip along one direction, or a grid of directions x alphas."""
    from guiapp.core.edits import check_compatible
    from guiapp.core.models.registry import load_model
    from guiapp.core.render import render_grid, render_image, render_strip

    out = Path(args.output)
    check_output(out, ".png")
    if (args.strip is not None or args.grid is not None) and not args.directions:
        raise ValueError("--strip and --grid need --directions FILE")
    if args.layers is not None and args.strip is None:
        raise ValueError("--layers goes with --strip (use INDEX=ALPHA@START-END for --edit)")
    if args.edit and not args.directions:
        raise ValueError("--edit needs --directions FILE")
    ds = load_direction_set(args.directions) if args.directions else None
    model = load_model(args.model, args.device)
    if ds is not None:
        check_compatible(ds, model.latent_space, model.latent_dim)
        if ds.model_id and ds.model_id != model.model_id:
            _warn("these directions were found on another model file (sha256 differs)")
    edits = list(args.edit or [])
    strip = grid = None
    if ds is not None and args.strip is not None:
        strip = StripSpec(args.strip, tuple(args.alphas), args.layers)
    elif ds is not None and args.grid is not None:
        indices = args.grid or list(range(len(ds)))
        if not indices:
            raise ValueError("the direction set is empty: nothing to put in a grid")
        grid = GridSpec(tuple(indices), tuple(args.alphas))
    meta = build_metadata(  # checks every edit and index before any rendering
        model_ref=args.model, model_name=model.name, model_sha256=model.model_id,
        num_ws=model.num_ws, seed=args.seed, truncation=args.truncation,
        truncation_cutoff=args.truncation_cutoff, class_index=args.class_index or 0,
        noise_mode="const", direction_set=ds, edits=edits,
        directions_file=Path(args.directions).name if args.directions else None,
        strip=strip, grid=grid, scale=args.scale, resample=args.resample,
    )
    face = {"cutoff": args.truncation_cutoff, "class_index": args.class_index}
    if strip is not None:
        image = render_strip(model, args.seed, ds, strip.index, strip.alphas, args.truncation,
                             strip.layers, edits, **face)
    elif grid is not None:
        image = render_grid(model, args.seed, ds, grid.indices, grid.alphas, args.truncation,
                            edits, **face)
    else:
        image = render_image(model, args.seed, args.truncation, ds, edits, **face)
    image = upscale(image, args.scale, args.resample)
    save_image_png(out, image, meta)
    print(f"saved {image.shape[1]}x{image.shape[0]} image to {out}")
    return 0
