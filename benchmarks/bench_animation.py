"""Frames per second of the animation export, batched vs one image at a time, in one run.

For each model (the built-in DCGAN, and a 256-px StyleGAN2 config-f-sized generator with
random weights, saved as an NVIDIA pickle by ``tests/stylegan_fixtures.py`` and loaded
through the registry as a user's file is), the same walk is exported with
``core.animation_export.save_animation`` at ``--batch`` latents per synthesize call and at 1
(the baseline), best of ``--repeats``; and the rendering alone (``render_frames``, no
encoding). Prints JSON; the ratio is batched fps / one-at-a-time fps.

    python -m benchmarks.bench_animation [--frames 32] [--batch 8] [--repeats 3]
        [--formats mp4,gif] [--models builtin,stylegan2-256] [--threads N]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from guiapp.core.animation import Face, render_frames, walk_plan
from guiapp.core.animation_export import save_animation
from guiapp.core.methods import run_method
from guiapp.core.models.registry import load_model
from guiapp.core.types import Edit


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def stylegan2_256(folder: Path) -> Any:
    """A config-f-sized 256-px StyleGAN2 (512 channels, 8 mapping layers), random weights."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from stylegan_fixtures import random_generator, write_nvidia_pickle

    from guiapp.core.models.stylegan2.network import StyleGAN2Config

    net = random_generator(StyleGAN2Config(img_resolution=256), seed=0)
    return load_model(str(write_nvidia_pickle(folder / "sg2_256.pkl", net)))


def best(fn: Any, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def bench_model(name: str, model: Any, args: argparse.Namespace, folder: Path) -> dict:
    ds = run_method(model, "sefa", {"k": 3})
    frames = args.frames // 2 + 1  # there and back: 2 * frames - 2 in the file
    plan = walk_plan(Face(1, 0.8), ds, 1, 3.0, frames, (Edit(0, 1.0),))
    total = 2 * frames - 2
    out: dict[str, Any] = {"resolution": model.resolution, "frames": total}

    def render(batch: int) -> None:
        for _ in render_frames(model, plan, batch_size=batch):
            pass

    with torch.inference_mode():
        render(args.batch)  # warm-up: first-call allocations, kernel choice
    for label, fn in [("render", render)] + [
        (fmt, lambda b, fmt=fmt: save_animation(folder / f"{name}.{fmt}", model, plan, 30,
                                                batch_size=b)) for fmt in args.formats]:
        one = best(lambda fn=fn: fn(1), args.repeats)
        batched = best(lambda fn=fn: fn(args.batch), args.repeats)
        out[label] = {"one_at_a_time_fps": round(total / one, 2),
                      f"batch{args.batch}_fps": round(total / batched, 2),
                      "ratio": round(one / batched, 3)}
        log(f"{name} {label}: {out[label]}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=32, help="frames in the file")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--formats", default="mp4,gif")
    ap.add_argument("--models", default="builtin,stylegan2-256")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    args = ap.parse_args(argv)
    args.formats = [f for f in args.formats.split(",") if f]
    if args.threads:
        torch.set_num_threads(args.threads)
    result: dict[str, Any] = {"machine": platform.processor() or platform.machine(),
                              "torch_threads": torch.get_num_threads(), "batch": args.batch}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name in args.models.split(","):
            model = (load_model("builtin:dcgan-digiface") if name == "builtin"
                     else stylegan2_256(folder))
            result[name] = bench_model(name, model, args, folder)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
