"""Compare GANSpace, SeFa and LatentCLR on the built-in model; prints one JSON object.

GANSpace (Härkönen et al., NeurIPS 2020), SeFa (Shen & Zhou, CVPR 2021) and LatentCLR
(Yüksel et al., ICCV 2021) each run with their default parameters on the built-in face
model. For each method's top ``--count`` directions, on the same ``--seeds`` seeds (0 to
N-1) and with every edit moving the latent ``--step`` latent units
(:mod:`guiapp.core.direction_metrics`):

- ``distinctness`` (lower is better): mean ``|cos|`` between the mean image changes of
  different directions;
- ``consistency`` (higher is better): mean ``cos`` between one direction's image changes
  on different seeds, averaged over the directions;

with the discovery and measuring times. The baseline, measured the same way in the same
run: ``--count`` seeded random unit directions, which any method should beat. The JSON
object goes to stdout, a markdown table (as in the README) to stderr, and one image per
method to ``OUT/compare-<method>.png``: the top 4 directions (rows) of seed
``--strip-seed`` at 7 latent moves from ``-2 * step`` to ``2 * step`` (columns; the middle
one is the unedited face), the same moves for every method, upscaled ``--scale`` times
(nearest neighbour).

Usage: ``python -m benchmarks.compare_methods [--seeds 256] [--count 10] [--step 3.0]
[--out resources/readme] [--strip-seed 0] [--scale 2] [--save-sets DIR]``; with
``--save-sets`` each direction set is also written to ``DIR/<method>.npz``. LatentCLR's
default training takes 5 to 10 minutes on 2 CPU cores; the rest about a minute.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from guiapp.cli import upscale
from guiapp.core.direction_metrics import DEFAULT_STEP, measure
from guiapp.core.io import save_direction_set, save_png
from guiapp.core.methods import METHOD_NAMES, make_params, run_method
from guiapp.core.models.base import GeneratorModel
from guiapp.core.models.registry import DEFAULT_MODEL, load_model
from guiapp.core.render import render_strip
from guiapp.core.types import Direction, DirectionSet

STRIP_ROWS = 4
STRIP_COLUMNS = 7
TITLES = {
    "ganspace": "GANSpace",
    "sefa": "SeFa",
    "latentclr": "LatentCLR (global)",
    "random": "random directions (baseline)",
}


def log(message: str) -> None:
    print(f"[compare] {message}", file=sys.stderr, flush=True)


def progress_logger(method: str) -> Any:
    """A progress sink that logs each new tenth of the way."""
    last = [-1]

    def report(fraction: float, message: str) -> None:
        tenth = int(fraction * 10)
        if tenth > last[0]:
            last[0] = tenth
            log(f"{method}: {100 * fraction:.0f}% {message}")

    return report


def strip_image(
    model: GeneratorModel, ds: DirectionSet, seed: int, step: float, scale: int
) -> tuple[np.ndarray, list[float]]:
    """(rows * H * scale, 7 * W * scale, 3) uint8: the top directions at the same latent
    moves (slider alpha = move / unit_scale), and the moves."""
    moves = np.linspace(-2 * step, 2 * step, STRIP_COLUMNS).tolist()
    rows = [
        render_strip(model, seed, ds, i, [m / ds.direction(i).unit_scale for m in moves])
        for i in range(min(STRIP_ROWS, len(ds)))
    ]
    return upscale(np.concatenate(rows, axis=0), scale, "nearest"), moves


def random_directions(model: GeneratorModel, count: int, seed: int = 0) -> DirectionSet:
    """``count`` seeded random unit directions in the model's latent space (unit scale 1)."""
    vectors = np.random.RandomState(seed).randn(count, model.latent_dim)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    directions = tuple(Direction(v.astype(np.float32), 0.0) for v in vectors)
    return DirectionSet("random", model.latent_space, model.model_id, {"seed": seed}, directions)


def measure_baseline(model: GeneratorModel, args: argparse.Namespace) -> dict[str, Any]:
    log(f"random baseline: measuring {args.count} random directions")
    start = time.perf_counter()
    metrics = measure(
        model,
        random_directions(model, args.count),
        range(args.seeds),
        count=args.count,
        step=args.step,
    )
    return {
        "params": {"seed": 0},
        "measure_s": round(time.perf_counter() - start, 3),
        "distinctness": metrics.distinctness,
        "consistency": metrics.consistency,
        "per_direction_consistency": list(metrics.per_direction),
        "change_norm": list(metrics.change_norm),
    }


def run_one(model: GeneratorModel, method: str, args: argparse.Namespace) -> dict[str, Any]:
    log(f"{method}: discovering with {make_params(method, {})}")
    start = time.perf_counter()
    ds = run_method(model, method, {}, progress=progress_logger(method))
    discovery_s = time.perf_counter() - start
    count = min(args.count, len(ds))
    log(f"{method}: {len(ds)} directions in {discovery_s:.1f} s; measuring the top {count}")
    if args.save_sets:
        Path(args.save_sets).mkdir(parents=True, exist_ok=True)
        save_direction_set(Path(args.save_sets) / f"{method}.npz", ds)
    start = time.perf_counter()
    metrics = measure(model, ds, range(args.seeds), count=count, step=args.step)
    measure_s = time.perf_counter() - start
    image, moves = strip_image(model, ds, args.strip_seed, args.step, args.scale)
    path = Path(args.out) / f"compare-{method}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    save_png(
        path,
        image,
        {
            "model": DEFAULT_MODEL,
            "method": method,
            "seed": args.strip_seed,
            "directions": list(range(min(STRIP_ROWS, len(ds)))),
            "latent_moves": moves,
        },
    )
    top = ds.directions[:count]
    return {
        "params": ds.params,
        "directions_found": len(ds),
        "discovery_s": round(discovery_s, 3),
        "measure_s": round(measure_s, 3),
        "distinctness": metrics.distinctness,
        "consistency": metrics.consistency,
        "per_direction_consistency": list(metrics.per_direction),
        "change_norm": list(metrics.change_norm),
        "unit_scales": [d.unit_scale for d in top],
        "notes": {i: d.notes for i, d in enumerate(top) if d.notes},
        "image": str(path),
        "image_bytes": path.stat().st_size,
    }


def markdown_table(results: dict[str, dict[str, Any]]) -> str:
    lines = [
        "| method | distinctness ↓ | consistency ↑ | discovery time |",
        "|---|---:|---:|---:|",
    ]
    for method, r in results.items():
        seconds = r.get("discovery_s")
        took = (
            "–" if seconds is None else f"{seconds:.2g} s" if seconds < 10 else f"{seconds:.0f} s"
        )
        lines.append(
            f"| {TITLES.get(method, method)} | {r['distinctness']:.3f} | "
            f"{r['consistency']:.3f} | {took} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=256, help="seeds 0..N-1 (default 256)")
    parser.add_argument("--count", type=int, default=10, help="top directions (default 10)")
    parser.add_argument("--step", type=float, default=DEFAULT_STEP, help="latent units")
    parser.add_argument("--out", default="resources/readme", help="folder for the images")
    parser.add_argument("--strip-seed", type=int, default=0, help="the face in the images")
    parser.add_argument("--scale", type=int, default=2, help="image upscaling factor")
    parser.add_argument("--methods", default=",".join(METHOD_NAMES), help="comma-separated")
    parser.add_argument("--save-sets", default=None, help="folder for the direction sets")
    args = parser.parse_args(argv)
    model = load_model(DEFAULT_MODEL)
    results = {m: run_one(model, m, args) for m in args.methods.split(",")}
    results["random"] = measure_baseline(model, args)
    report = {
        "model": DEFAULT_MODEL,
        "seeds": args.seeds,
        "count": args.count,
        "step": args.step,
        "strip_seed": args.strip_seed,
        "methods": results,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": platform.processor() or platform.machine(),
    }
    print(json.dumps(report, indent=2, default=str))
    print(markdown_table(results), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
