"""guiapp-cli: the headless commands over :mod:`guiapp.core` (models, info, discover, render,
compare, label), for power users, scripts and tests.

Every user mistake ends as one line on stderr, ``guiapp-cli: error: ...``, and exit code 2,
never a traceback; outputs are written atomically, so a failed command leaves no
half-written file and never damages an existing one.

Modules that import torch are imported inside the commands that need them, so
``--help``, ``label`` and argument errors answer at once.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from guiapp.cli_args import EXIT_USAGE, PROG, TABLE_ROWS, build_parser, join_dash_values
from guiapp.cli_compare import cmd_compare
from guiapp.cli_progress import ProgressBar
from guiapp.cli_render import check_output, cmd_render
from guiapp.core.errors import ModelLoadError

if TYPE_CHECKING:
    from guiapp.core.models.base import GeneratorModel
from guiapp.core.io import FileFormatError, load_direction_set, save_direction_set
from guiapp.core.types import DirectionSet

EXIT_INTERRUPTED = 130
EXIT_INTERNAL = 1


# -- small helpers ------------------------------------------------------------------------


def format_table(ds: DirectionSet, rows: int = TABLE_ROWS) -> str:
    """The top ``rows`` directions: index, score, explained variance (GANSpace), unit
    scale and label."""
    ratios, ranking = None, ds.ranking
    if ranking is not None and ranking.percent and len(ranking.values) >= len(ds):
        ratios = ranking.values
    header = f"{'#':>4}  {'score':>12}"
    header += f"  {'var %':>7}" if ratios is not None else ""
    header += f"  {'scale':>9}  label"
    lines = [header]
    for i, direction in enumerate(ds.directions[:rows]):
        line = f"{i:>4}  {direction.score:>12.5g}"
        if ratios is not None:
            line += f"  {100 * float(ratios[i]):>7.2f}"
        line += f"  {direction.unit_scale:>9.4g}  {direction.label}"
        lines.append(line.rstrip())
    if len(ds) > rows:
        lines.append(f"  ... and {len(ds) - rows} more")
    if ratios is not None and ranking is not None and ranking.baseline is not None:
        lines.append(f"random direction baseline: {100 * ranking.baseline:.3f} %")
    if ds.cancelled and ds.status is not None:
        lines.append(f"{ds.status.describe(len(ds))}.")
    return "\n".join(lines)


# -- commands -----------------------------------------------------------------------------


def cmd_models(args: argparse.Namespace) -> int:
    """List the built-in models."""
    from guiapp.core.models.catalog import builtin_models

    models = builtin_models()
    rows = []
    for m in models:
        res = m.card.get("resolution", "?")
        licence = m.card.get("licence", {})
        licence_name = licence.get("name", "?") if isinstance(licence, dict) else str(licence)
        rows.append((m.ref, f"{res}x{res}", licence_name, m.card.get("title", m.name)))
    if not rows:
        print("no built-in models found")
        return 0
    header = ("model", "size", "licence", "title")
    widths = [max(len(r[c]) for r in [header, *rows]) for c in range(3)]
    for r in [header, *rows]:
        print(f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}")
    return 0


def _default_truncation(model: GeneratorModel) -> str:
    """The psi ``render`` and the window start at (StyleGAN v1: G_style's 0.7 on 8 layers)."""
    psi, cutoff = model.default_truncation
    if psi == 1.0:
        return "none by default (psi 1)"
    layers = "every layer" if cutoff is None else f"the first {cutoff} layers"
    return f"psi {psi:g} on {layers} by default"


def cmd_info(args: argparse.Namespace) -> int:
    """Print what a model is: format, sizes of its latent spaces, identity."""
    from guiapp.core.models.registry import load_model

    model = load_model(args.model)
    info = model.info
    fields = [
        ("name", info.name),
        ("format", info.format),
        ("resolution", f"{info.resolution}x{info.resolution}"),
        ("z_dim", info.z_dim),
        ("w_dim", "none (no mapping network)" if info.w_dim is None else info.w_dim),
        ("num_ws", info.num_ws),
        ("classes", info.c_dim or "none (unconditional)"),
        ("edits in", f"{model.latent_space} ({model.latent_dim}-D)"),
        ("truncation", _default_truncation(model)),
        ("sha256", info.model_id),
    ]
    for key, value in fields:
        print(f"{key + ':':<12} {value}")
    return 0


LATENTCLR_OPTIONS = ("model_type", "iterations", "batch", "lr", "tau", "alpha", "loss",
                     "layer", "depth", "weight_decay", "steps")


def cmd_discover(args: argparse.Namespace) -> int:
    """Run a method, save the direction set and show the top of the ranking."""
    from guiapp.core.layers import layer_preset
    from guiapp.core.methods import make_params, run_method
    from guiapp.core.models.registry import load_model

    out = Path(args.output)
    check_output(out)
    given = {"k": args.k, "samples": args.samples, "seed": args.seed}
    given |= {name: getattr(args, name) for name in LATENTCLR_OPTIONS}
    params = {key: value for key, value in given.items() if value is not None}
    method = args.method.strip().lower()
    make_params(method, params)  # fail on bad parameters before loading anything
    model = load_model(args.model, args.device)
    if args.class_index is not None:
        model.class_index = args.class_index
    if args.layers is not None:
        layers = args.layers
        if isinstance(layers, str):
            layers = layer_preset(layers, model.num_ws)
        layers.check(model.num_ws)
        params["layers"] = layers
        make_params(method, params)
    with ProgressBar(enabled=None if args.progress else False) as bar:
        ds = run_method(model, method, params, progress=bar)
    save_direction_set(out, ds)
    print(format_table(ds, args.top))
    print(f"saved {len(ds)} {ds.method} directions ({ds.space}, {ds.dim}-D) to {out}")
    return 0


def cmd_label(args: argparse.Namespace) -> int:
    """Name direction INDEX in a direction file, rewriting the file atomically."""
    label = args.name.strip()
    if "\n" in label or "\r" in label:
        raise ValueError("a label must be one line")
    path = Path(args.file)
    ds = load_direction_set(path).with_label(args.index, label)
    save_direction_set(path, ds)
    shown = repr(label) if label else "no label"
    print(f"direction {args.index} in {path} now has {shown}")
    return 0


def _one_line(exc: BaseException) -> str:
    """The error as one line; an OSError names its file."""
    if isinstance(exc, OSError) and exc.strerror:
        where = exc.filename if exc.filename is not None else ""
        text = f"{where}: {exc.strerror}" if where else exc.strerror
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(text.split())


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the exit code (0 ok, 2 bad input, 130 interrupted)."""
    parser = build_parser(
        {
            "models": cmd_models,
            "info": cmd_info,
            "discover": cmd_discover,
            "render": cmd_render,
            "compare": cmd_compare,
            "label": cmd_label,
        }
    )
    try:
        args = parser.parse_args(join_dash_values(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:  # --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    for stream in (sys.stdout, sys.stderr):  # a file name that is not UTF-8 still prints
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="backslashreplace")
    try:
        return int(args.func(args))
    except (ModelLoadError, FileFormatError, ValueError, IndexError, OSError) as exc:
        print(f"{PROG}: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except MemoryError:
        print(f"{PROG}: error: out of memory", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:  # a bug of ours: still one line, never a traceback
        print(f"{PROG}: internal error: {type(exc).__name__}: {_one_line(exc)}",
              file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    raise SystemExit(main())
