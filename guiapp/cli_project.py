"""``guiapp-cli project`` (a photo into the generator) and ``render --latent`` (its face).

``project MODEL photo.jpg -o face.npz [--space z|w|w+] [--steps N] [--crop x,y,size]``
opens the photo (EXIF orientation, any bit depth), crops the face (or the centre, or the
given box), projects it with a progress bar and writes the latent with its metadata
(space, model sha256, photo name and sha256). ``--preview out.png`` also saves the target
beside the reconstruction. ``render --latent face.npz`` renders that face, with edits,
strips and grids, instead of ``--seed``.

The parser pieces are added to :mod:`guiapp.cli_args` by two hook lines; modules that
import torch are imported inside the commands.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from guiapp.cli_args import _arg_type, _class_option, _device_option, _positive_int, parse_seed
from guiapp.cli_progress import ProgressBar
from guiapp.core.photo_crop import parse_box

SPACES = ("z", "w", "w+")
MAX_RESTARTS = 16


def _restarts(text: str) -> int:
    value = _positive_int(text)
    if value > MAX_RESTARTS:
        raise ValueError(f"restarts must be 1 to {MAX_RESTARTS}, not {value}")
    return value


def add_project_parser(sub: Any) -> None:
    """The ``project`` subcommand (its handler is :func:`cmd_project`)."""
    p = sub.add_parser(
        "project",
        help="find the latent that reproduces a photo and save it (.npz)",
        description="Project a photo into the generator: the face found in it (else the "
        "centre square, or --crop) is reproduced by optimising a latent, which 'render "
        "--latent' then edits like a seed.",
    )
    p.add_argument("model", metavar="MODEL")
    p.add_argument("photo", metavar="PHOTO", help="an image file (JPEG, PNG, TIFF, ...)")
    p.add_argument("-o", "--output", required=True, metavar="FILE.npz",
                   help="the latent (.npz with metadata, or a bare .npy)")
    p.add_argument("--space", choices=SPACES,
                   help="z for DCGAN/PGGAN/BigGAN; w (default) or w+ for style-based "
                   "models (w+ reconstructs better and edits worse)")
    p.add_argument("--steps", type=_arg_type(_positive_int), default=300,
                   help="optimisation steps (default 300)")
    p.add_argument("--crop", type=_arg_type(parse_box), metavar="X,Y,SIZE",
                   help="the square to reproduce, in photo pixels (default: the face found, "
                   "else the centre)")
    p.add_argument("--restarts", type=_arg_type(_restarts), default=4,
                   help=f"z: starting points optimised at first (1 to {MAX_RESTARTS}, "
                   "default 4)")
    p.add_argument("--perceptual", choices=("alex", "vgg"), default="alex",
                   help="LPIPS network of the loss (default alex: faster on a CPU)")
    p.add_argument("--seed", type=_arg_type(parse_seed), default=0,
                   help="seed of the starting points (z) or of the noise on w")
    p.add_argument("--no-noise", dest="noise", action="store_false",
                   help="keep the model's fixed noise maps instead of optimising them with "
                   "the latent (style-based models with noise inputs; a bare .npy output "
                   "keeps none, so it implies this)")
    p.add_argument("--preview", metavar="FILE.png",
                   help="also save the crop and its reconstruction side by side")
    _class_option(p, "the class of a conditional generator to project into")
    _device_option(p)
    p.add_argument("--no-progress", dest="progress", action="store_false",
                   help="no progress bar (it only shows on a terminal anyway)")
    p.set_defaults(func=cmd_project)


def cmd_project(args: argparse.Namespace) -> int:
    """Project the photo and save its latent; prints the figures of the match."""
    import numpy as np

    from guiapp.cli_render import check_output
    from guiapp.core.io import save_png
    from guiapp.core.latent_files import save_latent
    from guiapp.core.models.registry import load_model
    from guiapp.core.photo import open_photo
    from guiapp.core.photo_crop import check_box, crop_square, crop_style, suggest_box
    from guiapp.core.projection import ProjectionSettings, project

    out = Path(args.output)
    check_output(out, (".npz", ".npy"))
    if args.preview:
        check_output(Path(args.preview), ".png")
    photo = open_photo(args.photo)
    width, height = photo.size
    if args.crop is not None:
        box, how = check_box(args.crop, width, height), "given"
    settings = ProjectionSettings(
        space=args.space or "auto", steps=args.steps, restarts=args.restarts,
        perceptual=args.perceptual, seed=args.seed, class_index=args.class_index,
        noise=args.noise and out.suffix.lower() != ".npy",
    )
    settings.check()
    model = load_model(args.model, args.device)
    space = settings.resolved_space(model)  # refuse z on StyleGAN etc. before any work
    if args.crop is None:
        box, how = suggest_box(photo.rgb, faces=model.c_dim == 0,
                               style=crop_style(model.name))
    target = crop_square(photo.rgb, box, model.resolution)
    if args.noise and not settings.noise and model.noise_shapes():
        print("a bare .npy keeps no noise maps: projecting with the model's fixed noise "
              "(write .npz to optimise them)")
    print(f"projecting the {how} crop {box[0]},{box[1]},{box[2]} of {photo.name} "
          f"({width}x{height}) into {space}, {args.steps} steps")
    with ProgressBar(enabled=None if args.progress else False) as bar:
        result = project(model, target, settings, source=photo.name, sha256=photo.sha256,
                         progress=bar)
    save_latent(out, result.latent, model.model_id)
    if args.preview:
        save_png(args.preview, np.concatenate([target, result.image], axis=1),
                 {"photo": photo.name, "photo_sha256": photo.sha256, "crop": list(box)})
    maps = len(result.latent.noise or ())
    print(f"saved {space} latent{f' and {maps} noise maps' if maps else ''} to {out}: "
          f"PSNR {result.psnr:.2f} dB, LPIPS {result.lpips:.4f} after {result.steps_done} "
          f"steps")
    return 0


# -- render --latent ----------------------------------------------------------------------


def add_latent_option(p: argparse.ArgumentParser) -> None:
    """``render --latent FILE``: the face of a latent file instead of ``--seed``."""
    p.add_argument("--latent", metavar="FILE.npz",
                   help="render this latent (from 'project', or a .npy/.npz of z, w or w+ "
                   "that another tool wrote) instead of --seed")


def latent_from_args(args: argparse.Namespace, model: Any) -> Any:
    """The ProjectedLatent of ``--latent`` for ``model`` (None without it); ValueError when
    both --seed and --latent are given or the latent does not fit the model."""
    from guiapp.core.latent_files import load_latent

    path = getattr(args, "latent", None)
    if path is None:
        return None
    if getattr(args, "seed", None) is not None:
        raise ValueError("give --seed or --latent, not both")
    return load_latent(path, model)


def run_latent_render(args: argparse.Namespace) -> int | None:
    """Render ``--latent``'s face (None: no --latent, a plain render goes on).

    The latent is checked against the model before any rendering; the PNG's metadata
    records the face (its values, the photo's name and sha256)."""
    if getattr(args, "latent", None) is None:
        return None
    exporting = [f"--{k}" for k in ("animate", "morph", "seeds", "session")
                 if getattr(args, k, None) is not None]
    if exporting:
        raise ValueError(f"--latent renders an image, a strip or a grid; it does not go "
                         f"with {exporting[0]}")
    if args.seed is not None:
        raise ValueError("give --seed or --latent, not both")
    from guiapp.cli_render import check_output
    from guiapp.core.image_metadata import save_image_png
    from guiapp.core.io import load_direction_set
    from guiapp.core.models.registry import load_model
    from guiapp.core.render import render_request
    from guiapp.core.types import RenderRequest
    from guiapp.core.upscale import upscale
    from guiapp.core.workspace_metadata import metadata_for_request

    out = Path(args.output)
    check_output(out, ".png")
    # hook: sets (H3) every --directions file and SET:INDEX=ALPHA edit, as a plain render
    from guiapp.cli_render import build_workspace, check_set_numbers, output_spec

    check_set_numbers(args)
    files = list(getattr(args, "direction_files", None) or [])
    if (args.strip is not None or args.grid is not None) and not files:
        raise ValueError("--strip and --grid need --directions FILE")
    sets = [load_direction_set(f) for f in files]
    model = load_model(args.model, args.device)
    latent = latent_from_args(args, model)
    workspace = build_workspace(model, sets, files, args.set_edits)
    spec = output_spec(args, workspace, workspace.ids[0] if workspace.ids else None)
    req = RenderRequest(truncation=args.truncation if args.truncation is not None else 1.0,
                        truncation_cutoff=args.truncation_cutoff, class_index=args.class_index,
                        latent=latent, workspace=workspace, output=spec)
    names = {i: Path(f).name for i, f in zip(workspace.ids, files, strict=True)}
    meta = metadata_for_request(req, model_ref=args.model, model_name=model.name,
                                model_sha256=model.model_id, num_ws=model.num_ws, files=names,
                                scale=args.scale, resample=args.resample)
    image = upscale(render_request(model, req), args.scale, args.resample)
    save_image_png(out, image, meta)
    print(f"saved {image.shape[1]}x{image.shape[0]} image of the {latent.space} latent "
          f"{Path(args.latent).name} to {out}")
    return 0
