"""The command-line grammar of guiapp-cli: value parsers with one-line messages and the
argparse parser. Kept apart from :mod:`guiapp.cli` so that module holds only behaviour.

Value parsers raise ValueError; wrapped as argparse types they turn into usage errors
(exit 2) that say what is wrong with the value, not just "invalid value".
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from guiapp import __version__
from guiapp.core.layers import is_preset  # hook: sefa-presets
from guiapp.core.seeds import check_seed
from guiapp.core.types import MAX_ABS_ALPHA, MAX_ABS_TRUNCATION, Edit, LayerRange

PROG = "guiapp-cli"
EXIT_USAGE = 2
TABLE_ROWS = 10
MAX_SCALE = 16
MAX_ALPHAS = 64
MAX_GRID_ROWS = 128
# Options whose values may start with "-" (``--alphas -3,3,7``, ``--edit=-1...``); argparse
# would otherwise read such a value as an unknown option.
DASH_VALUE_OPTIONS = ("--alphas", "--edit", "--layers")

Handler = Callable[[argparse.Namespace], int]
T = TypeVar("T")


# -- values ---------------------------------------------------------------------------------


def _short(text: str) -> str:
    """``text`` quoted for a message, cut to a readable length."""
    return repr(text) if len(text) <= 40 else repr(text[:37] + "...")


def parse_finite(text: str, what: str, limit: float = math.inf) -> float:
    """A finite float with ``|value| <= limit``, or ValueError naming ``what`` (nan and
    inf move nothing sensibly; 1e308 overflows the latent)."""
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{what} {_short(text)} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, not {_short(text)}")
    if abs(value) > limit:
        raise ValueError(f"{what} must be between -{limit:g} and {limit:g}, not {_short(text)}")
    return value


def parse_index(text: str, what: str = "direction index") -> int:
    """A whole number >= 0 (indices, seeds), or ValueError naming ``what``."""
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{what} {_short(text)} is not a whole number") from None
    if value < 0:
        raise ValueError(f"{what} must be 0 or more, not {value}")
    return value


def parse_seed(text: str) -> int:
    """A seed, 0 .. SEED_MAX (the one limit the window and sessions share)."""
    return check_seed(parse_index(text, "seed"))


def parse_layers_arg(text: str) -> LayerRange | str:
    """An inclusive ``START-END`` range, or a preset name resolved once the model is known."""
    if is_preset(text):
        return text.strip().lower()
    return LayerRange.parse_inclusive(text)


def parse_edit(text: str) -> Edit:
    """``INDEX=ALPHA[@START-END]`` -> Edit; START-END is an inclusive layer range."""
    spec, at, layers_text = text.partition("@")
    index_text, eq, alpha_text = spec.partition("=")
    if not eq:
        raise ValueError(f"edit {text!r} is not INDEX=ALPHA[@START-END]")
    index = parse_index(index_text.strip())
    alpha = parse_finite(alpha_text.strip(), "alpha", MAX_ABS_ALPHA)
    layers = LayerRange.parse_inclusive(layers_text) if at else None
    return Edit(index, alpha, layers)


@dataclass(frozen=True)
class SetEdit:
    """``--edit [SET:]INDEX=ALPHA[@START-END]``: ``set_number`` counts the --directions
    files from 1 (None: not given, the first set)."""

    set_number: int | None
    edit: Edit
    text: str

    @property
    def alpha(self) -> float:
        return self.edit.alpha

    @property
    def direction_index(self) -> int:
        return self.edit.direction_index


def _set_prefix(text: str) -> tuple[int | None, str]:
    """``"2:rest"`` -> (2, "rest"); ``"rest"`` -> (None, "rest")."""
    head, colon, rest = text.partition(":")
    if not colon:
        return None, text
    number = parse_index(head.strip(), "set number")
    if number < 1:
        raise ValueError(f"set numbers start at 1 (the first --directions file), not {number}")
    return number, rest


def parse_set_edit(text: str) -> SetEdit:
    """``[SET:]INDEX=ALPHA[@START-END]``: set SET's direction INDEX (a bare INDEX=ALPHA:
    the first set)."""
    number, rest = _set_prefix(text) if "=" in text.partition("@")[0] else (None, text)
    if "=" not in rest.partition("@")[0]:
        raise ValueError(f"edit {text!r} is not [SET:]INDEX=ALPHA[@START-END]")
    return SetEdit(number, parse_edit(rest), text)


def parse_set_index(text: str) -> tuple[int | None, int]:
    """``[SET:]INDEX`` -> (set number or None, index)."""
    number, rest = _set_prefix(text)
    return number, parse_index(rest.strip())


def parse_set_indices(text: str) -> tuple[int | None, list[int] | None]:
    """``[SET:]I,J,...`` or ``[SET:]all`` -> (set number or None, indices or None)."""
    number, rest = _set_prefix(text)
    return number, parse_indices(rest) if rest.strip() else None


def parse_alphas(text: str) -> list[float]:
    """``START,STOP,COUNT`` -> ``linspace(START, STOP, COUNT)`` as a list of floats."""
    parts = text.split(",")
    if len(parts) != 3:
        raise ValueError(f"alphas {text!r} is not START,STOP,COUNT (e.g. -3,3,7)")
    start = parse_finite(parts[0].strip(), "alpha start", MAX_ABS_ALPHA)
    stop = parse_finite(parts[1].strip(), "alpha stop", MAX_ABS_ALPHA)
    try:
        count = int(parts[2])
    except ValueError:
        raise ValueError(f"alpha count {parts[2]!r} is not a whole number") from None
    if not 1 <= count <= MAX_ALPHAS:
        raise ValueError(f"alpha count must be 1 to {MAX_ALPHAS}, not {count}")
    return [float(a) for a in np.linspace(start, stop, count)]


def parse_indices(text: str) -> list[int] | None:
    """``all`` -> None (every direction), else a comma list such as ``0,1,2``."""
    if text.strip().lower() == "all":
        return None
    parts = text.split(",")
    if len(parts) > MAX_GRID_ROWS:
        raise ValueError(f"a grid has at most {MAX_GRID_ROWS} rows, not {len(parts)}")
    return [parse_index(part.strip()) for part in parts]


def _arg_type(parse: Callable[[str], T]) -> Callable[[str], T]:
    """Turn a ``parse_*`` function into an argparse type with our message, not argparse's."""

    def convert(text: str) -> T:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = parse.__name__
    return convert


def join_dash_values(argv: Sequence[str]) -> list[str]:
    """Rewrite ``--alphas -3,3,7`` as ``--alphas=-3,3,7`` so argparse takes the value."""
    out: list[str] = []
    tokens = list(argv)
    i = 0
    while i < len(tokens):
        token = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        if token in DASH_VALUE_OPTIONS and nxt[:1] == "-" and nxt[1:2] in set("0123456789."):
            out.append(f"{token}={nxt}")
            i += 2
        else:
            out.append(token)
            i += 1
    return out


class CliParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line with our prefix (exit 2 as usual)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{PROG}: error: {message} (see '{self.prog} --help')\n")


# -- the parser ---------------------------------------------------------------------------


def _positive_int(text: str) -> int:
    value = parse_index(text, "value")
    if value < 1:
        raise ValueError(f"value must be 1 or more, not {value}")
    return value


def _scale(text: str) -> int:
    value = _positive_int(text)
    if value > MAX_SCALE:
        raise ValueError(f"scale must be 1 to {MAX_SCALE}, not {value}")
    return value


def _truncation(text: str) -> float:
    return parse_finite(text, "truncation", MAX_ABS_TRUNCATION)


def _grid_indices(text: str) -> tuple[int | None, list[int]]:
    number, indices = parse_set_indices(text)
    return number, indices or []


def _class_option(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument(
        "--class",
        dest="class_index",
        type=_arg_type(parse_index),
        metavar="N",
        help=f"conditional models: {what} (0 .. classes - 1; default 0)",
    )


def _device_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--device",
        default="cpu",
        metavar="cpu|cuda[:N]",
        help="where the model runs (default cpu)",
    )


def build_parser(handlers: Mapping[str, Handler]) -> argparse.ArgumentParser:
    """The whole command line; ``handlers`` maps each command name to its function,
    stored as ``args.func``."""
    parser = CliParser(
        prog=PROG,
        description="Find and use interpretable directions in a pretrained GAN's latent space.",
        epilog="A MODEL is builtin:NAME (see 'guiapp-cli models') or a model file.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("models", help="list the built-in models")
    p.set_defaults(func=handlers["models"])

    p = sub.add_parser("info", help="show a model's format, resolution and latent sizes")
    p.add_argument("model", metavar="MODEL")
    p.set_defaults(func=handlers["info"])

    p = sub.add_parser(
        "discover", help="find directions with GANSpace, SeFa or LatentCLR and save them"
    )
    p.add_argument("model", metavar="MODEL")
    p.add_argument("--method", required=True, help="sefa, ganspace or latentclr")
    p.add_argument("-k", type=_arg_type(_positive_int), help="how many directions to keep")
    p.add_argument(
        "--samples", type=_arg_type(_positive_int), help="GANSpace: how many latents to sample"
    )
    p.add_argument("--seed", type=_arg_type(parse_seed), help="random seed (GANSpace)")
    p.add_argument(
        "--layers",
        type=_arg_type(parse_layers_arg),
        metavar="START-END|PRESET",
        help="layers to analyse (style-based models): inclusive START-END, or all, coarse, "
        "middle, fine",
    )
    clr = p.add_argument_group("LatentCLR")
    clr.add_argument("--model-type", choices=("global", "linear", "nonlinear"),
                     help="direction model (default global)")
    clr.add_argument("--iterations", type=_arg_type(_positive_int), help="training steps")
    clr.add_argument("--batch", type=_arg_type(_positive_int), help="samples per step")
    clr.add_argument("--lr", type=_arg_type(float), help="Adam learning rate")
    clr.add_argument("--tau", type=_arg_type(float), help="temperature")
    clr.add_argument("--alpha", type=_arg_type(float), help="edit size during training")
    clr.add_argument("--loss", choices=("paper", "official"), help="loss variant")
    clr.add_argument("--layer", help="feature layer compared (default: b4.conv1 on StyleGAN2, "
                     "block0 on the built-in model, else the first synthesis layer)")
    clr.add_argument("--depth", type=_arg_type(_positive_int), help="non-linear depth")
    clr.add_argument("--weight-decay", type=_arg_type(float), help="Adam weight decay")
    clr.add_argument("--steps", type=_arg_type(_positive_int),
                     help="linear/non-linear directions: small steps per edit when editing")
    _class_option(p, "the class whose latents GANSpace and LatentCLR sample")
    _device_option(p)
    p.add_argument("-o", "--output", required=True, metavar="FILE.npz",
                   help="direction file (.npz, or .safetensors)")
    p.add_argument(
        "--top", type=_arg_type(parse_index), default=TABLE_ROWS, help="rows in the table"
    )
    p.add_argument(
        "--no-progress",
        dest="progress",
        action="store_false",
        help="no progress bar (it only shows on a terminal anyway)",
    )
    p.set_defaults(func=handlers["discover"])

    p = sub.add_parser(
        "render",
        help="render an edited image, a strip or a grid to PNG",
        description="Render seed SEED with edits from one or more direction sets; --strip or "
        "--grid vary alpha along directions: a row along direction I holds the other --edit "
        "values and puts I at each alpha exactly (I's own --edit is replaced), as the "
        "window's strip does. --session FILE renders a saved session as the window shows it.",
    )
    p.add_argument("model", metavar="MODEL", nargs="?",
                   help="the model (with --session: default the session's)")
    p.add_argument("--directions", metavar="FILE.npz", action="append",
                   help="direction file from 'discover'; repeatable: sets 1, 2, ... in order")
    p.add_argument("--session", metavar="FILE.json",
                   help="render a saved session: its face, sets and edits (with --strip or "
                   "--grid, of its selected set unless SET: is given)")
    p.add_argument("--seed", type=_arg_type(parse_seed),
                   help="the face to render (required without --session)")
    from guiapp.cli_project import add_latent_option, add_project_parser  # hook: project

    add_latent_option(p)  # hook: project (render --latent FILE)
    p.add_argument(
        "--truncation",
        type=_arg_type(_truncation),
        metavar="PSI",
        help="pull towards the average latent (1 = none; default 1, or the model's own: "
        "StyleGAN v1's 0.7 on 8 layers)",
    )
    p.add_argument(
        "--truncation-cutoff",
        type=_arg_type(parse_index),
        metavar="N",
        help="truncate only the first N per-layer latents (style-based models; default all)",
    )
    _class_option(p, "the class to draw")
    _device_option(p)
    p.add_argument(
        "--edit",
        type=_arg_type(parse_set_edit),
        action="append",
        metavar="[SET:]INDEX=ALPHA[@START-END]",
        help="move along direction INDEX of set SET (default 1: the first --directions) by "
        "ALPHA units, on layers START-END (inclusive); repeatable; edits of several sets add "
        "up",
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--strip", type=_arg_type(parse_set_index), metavar="[SET:]INDEX",
        help="one row along INDEX (of set SET, default 1)",
    )
    mode.add_argument(
        "--grid",
        type=_arg_type(_grid_indices),
        nargs="?",
        const=(None, []),
        metavar="[SET:]I,J,...",
        help="one row per direction of set SET (default 1; all when no list is given)",
    )
    p.add_argument(
        "--alphas",
        type=_arg_type(parse_alphas),
        default=parse_alphas("-3,3,7"),
        metavar="START,STOP,COUNT",
        help="alphas for --strip/--grid: linspace(START, STOP, COUNT); default -3,3,7",
    )
    p.add_argument(
        "--layers",
        type=_arg_type(LayerRange.parse_inclusive),
        metavar="START-END",
        help="--strip: layers to move (inclusive); default: those of its --edit, else "
        "the direction's own",
    )
    p.add_argument("--scale", type=_arg_type(_scale), default=1, help="upscale by N")
    p.add_argument("--resample", choices=("nearest", "lanczos"), default="nearest")
    p.add_argument("-o", "--output", required=True, metavar="FILE.png")
    from guiapp.cli_export import add_export_options  # hook: export

    add_export_options(p)  # hook: export (--animate, --morph, --seeds)
    p.set_defaults(func=handlers["render"])

    add_project_parser(sub)  # hook: project
    p = sub.add_parser(
        "compare",
        help="compare direction sets: distinctness and consistency, and matching directions",
        description="A table of each set's distinctness (lower is better) and consistency "
        "(higher is better) on the same seeds, with random directions as the baseline, then "
        "the best-matching pairs of each two sets (|cos| of their vectors, or of their mean "
        "image change when the sets live in different latent spaces).",
    )
    p.add_argument("model", metavar="MODEL")
    p.add_argument("files", metavar="FILE.npz", nargs="+", help="two or more direction files")
    p.add_argument("--seeds", type=_arg_type(_positive_int), default=256, metavar="N",
                   help="seeds 0..N-1 for the table (default 256; at most 16 to compare by "
                   "effect)")
    p.add_argument("--count", type=_arg_type(_positive_int), default=TABLE_ROWS, metavar="K",
                   help="top directions of each set measured (default 10)")
    p.add_argument("--pairs", type=_arg_type(parse_index), default=TABLE_ROWS, metavar="N",
                   help="matched pairs shown per two sets (default 10)")
    p.add_argument("--no-table", dest="table", action="store_false",
                   help="only the matched pairs (no images rendered for same-space sets)")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    _device_option(p)
    p.add_argument("--no-progress", dest="progress", action="store_false",
                   help="no progress bar (it only shows on a terminal anyway)")
    from guiapp.cli_compare import cmd_compare  # no torch at import

    p.set_defaults(func=handlers.get("compare", cmd_compare))

    p = sub.add_parser("label", help="name a direction in a direction file")
    p.add_argument("file", metavar="FILE.npz")
    p.add_argument("index", metavar="INDEX", type=_arg_type(parse_index))
    p.add_argument("name", metavar="NAME", help="the label ('' clears it)")
    p.set_defaults(func=handlers["label"])
    return parser
