"""Benchmark LatentCLR training on the built-in model; prints one JSON object on stdout.

LatentCLR: Yüksel et al., ICCV 2021. Measures, on the device the model is on (CPU here):

- ``iterations_per_second`` for the global, linear and non-linear direction models at the
  default settings (K 32, N 32, target layer ``block0``), timed between ``on_partial``
  reports after ``--warmup`` iterations;
- the baseline in the same process: a plain forward and backward pass of the generator's
  features for the same K * N latents (``features(ws, layer).sum().backward()``), so the
  overhead of the direction model, the similarity matrix and the loss is visible;
- the time to reach a loss plateau in a full default run of the global model, from the
  running mean ``m(i)`` of the loss over the last ``--window`` iterations, two ways:
  ``at_95pct_of_decrease``: the first ``i`` with ``m(i) - min m <= 5% of (m(window) -
  min m)``, i.e. 95% of the whole run's decrease is done; ``at_1pct_per_window``: the first
  ``i >= 2 * window`` with ``m(i - window) - m(i) < 1% of |m(i - window)|`` (the loss
  stops dropping by 1% per window; LatentCLR's loss moves little relative to its value,
  so this one fires early). With the seconds to reach each and the loss every 10
  iterations.

Usage: ``python -m benchmarks.bench_latentclr [--iters 15] [--warmup 3] [--window 50]
[--plateau-iterations N] [--threads N]``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from typing import Any

import numpy as np
import torch

from guiapp.core.methods.latentclr import Params, discover, resolve_layer
from guiapp.core.models.base import GeneratorModel
from guiapp.core.models.registry import DEFAULT_MODEL, load_model


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def training_rate(model: GeneratorModel, params: Params, warmup: int) -> dict[str, Any]:
    """Iterations per second between the reports after ``warmup`` iterations."""
    stamps: list[float] = []
    discover(model, params, on_partial=lambda _: stamps.append(time.perf_counter()))
    timed = np.diff(stamps[warmup - 1 :])
    return {
        "iterations_per_second": round(float(1.0 / np.median(timed)), 3),
        "seconds_per_iteration_median": round(float(np.median(timed)), 4),
        "timed_iterations": len(timed),
    }


def baseline_rate(model: GeneratorModel, params: Params, layer: str, reps: int) -> dict[str, Any]:
    """Plain forward + backward of ``features`` for K * N latents, per second."""
    gen = torch.Generator().manual_seed(0)
    times = []
    for i in range(reps + 1):
        z = torch.randn(params.k * params.batch, model.z_dim, generator=gen)
        ws = model.map(z).detach().requires_grad_(True)
        t0 = time.perf_counter()
        model.features(ws, layer).sum().backward()
        if i:  # the first pass warms up
            times.append(time.perf_counter() - t0)
    median = float(np.median(times))
    return {"passes_per_second": round(1.0 / median, 3), "seconds_median": round(median, 4)}


def plateaus(history: list[tuple[int, float]], window: int) -> dict[str, int | None]:
    """Plateau iterations of a loss history (see the module docstring)."""
    iters = np.array([i for i, _ in history])
    losses = np.array([loss for _, loss in history])
    step = int(iters[1] - iters[0]) if len(iters) > 1 else 1
    per = max(1, window // step)  # reports per window
    running = np.convolve(losses, np.ones(per) / per, mode="valid")  # running[j]: ends at j+per-1
    out: dict[str, int | None] = {"at_95pct_of_decrease": None, "at_1pct_per_window": None}
    low = running.min()
    done = np.nonzero(running - low <= 0.05 * (running[0] - low))[0]
    out["at_95pct_of_decrease"] = int(iters[done[0] + per - 1])
    for j in range(per, len(running)):
        if running[j - per] - running[j] < 0.01 * abs(running[j - per]):
            out["at_1pct_per_window"] = int(iters[j + per - 1])
            break
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iters", type=int, default=15, help="timed iterations per model type")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--window", type=int, default=50)
    ap.add_argument("--plateau-iterations", type=int, default=Params().iterations)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    model = load_model(DEFAULT_MODEL)
    defaults = Params()
    layer = resolve_layer(model, None)
    result: dict[str, Any] = {
        "model": DEFAULT_MODEL,
        "device": str(model.device),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "cpu": platform.processor() or platform.machine(),
        "k": defaults.k,
        "batch": defaults.batch,
        "layer": layer,
        "feature_dim": int(model.features(torch.zeros(1, 1, model.z_dim), layer).shape[1]),
    }
    log("baseline: features forward + backward")
    result["baseline_features_fwd_bwd"] = baseline_rate(model, defaults, layer, args.iters)
    for model_type in ("global", "linear", "nonlinear"):
        log(f"training rate: {model_type}")
        params = Params(
            model_type=model_type,
            iterations=args.warmup + args.iters,
            report_every=1,
            eval_samples=2,
        )
        result[model_type] = training_rate(model, params, args.warmup)
        base = result["baseline_features_fwd_bwd"]["seconds_median"]
        result[model_type]["overhead_vs_baseline"] = round(
            result[model_type]["seconds_per_iteration_median"] / base, 2
        )

    log(f"plateau: {args.plateau_iterations} iterations of the default (global) model")
    history: list[tuple[int, float]] = []
    t0 = time.perf_counter()
    stamps: dict[int, float] = {}

    def on_partial(report: dict[str, Any]) -> None:
        history.append((report["iteration"], report["loss"]))
        stamps[report["iteration"]] = time.perf_counter() - t0

    ds = discover(model, Params(iterations=args.plateau_iterations), on_partial=on_partial)
    total = time.perf_counter() - t0
    found = plateaus(history, args.window)
    result["plateau"] = {
        "window": args.window,
        "iterations_run": args.plateau_iterations,
        **{f"{name}_iteration": at for name, at in found.items()},
        **{
            f"{name}_seconds": None if at is None else round(stamps[at], 1)
            for name, at in found.items()
        },
        "seconds_total_with_ranking": round(total, 1),
        "first_loss": round(history[0][1], 4),
        "final_loss": round(history[-1][1], 4),
        "final_accuracy": round(float(ds.plot["accuracy"][-1]), 4),
        "loss_every_10": [round(loss, 4) for _, loss in history],
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
