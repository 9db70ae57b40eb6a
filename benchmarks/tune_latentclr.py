"""Choose LatentCLR's defaults on the built-in model by measurement; prints JSON on stdout.

LatentCLR: Yüksel et al., ICCV 2021. The official hyper-parameters (K 32, N 32, Adam
lr 1e-3, weight decay 1e-3, tau 0.5) stay fixed unless a config overrides them; each
config sets the training edit size ``alpha`` (latent units), the loss variant and the
iteration count. For each config the directions are trained, then their top ``--count``
are measured as in ``benchmarks/compare_methods.py`` (the same seeds and latent step):
consistency (higher is better) and distinctness (lower is better), next to random unit
directions measured the same way in the same run (the baseline). Also reported: the
training time, the loss at the first and last report, and how far the directions moved
from their seeded random start (mean |cos| with it; near 1 means training barely moved
them).

Usage: ``python -m benchmarks.tune_latentclr [--configs NAME,...] [--seeds 256]
[--count 10] [--threads T]``.
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

from guiapp.core.direction_metrics import DEFAULT_STEP, measure
from guiapp.core.direction_models import build_direction_model
from guiapp.core.latentclr_params import Params
from guiapp.core.methods.latentclr import discover
from guiapp.core.models.registry import DEFAULT_MODEL, load_model
from guiapp.core.types import Direction, DirectionSet

CONFIGS: dict[str, dict[str, Any]] = {
    "official-alpha0.1": {"alpha": 0.1},
    "alpha1": {"alpha": 1.0},
    "alpha3": {"alpha": 3.0},
    "alpha3-official-loss": {"alpha": 3.0, "loss": "official"},
    "alpha3-1200it": {"alpha": 3.0, "iterations": 1200},
    "alpha3-lr1e-2": {"alpha": 3.0, "lr": 1e-2},
    "alpha1-lr1e-2-official-loss": {"alpha": 1.0, "lr": 1e-2, "loss": "official"},
    "alpha3-lr1e-2-official-loss": {"alpha": 3.0, "lr": 1e-2, "loss": "official"},
}


def log(message: str) -> None:
    print(f"[tune] {message}", file=sys.stderr, flush=True)


def initial_vectors(params: Params, dim: int) -> np.ndarray:
    """The seeded random start of global directions (unit rows), as ``train`` draws it."""
    gen = torch.Generator().manual_seed(params.seed)
    model = build_direction_model("global", params.k, dim, params.depth, gen)
    with torch.no_grad():
        raw = model(torch.zeros(1, dim))[:, 0]
    return torch.nn.functional.normalize(raw, dim=1).double().numpy()


def random_set(dim: int, count: int, space: str, model_id: str) -> DirectionSet:
    vectors = np.random.RandomState(0).randn(count, dim)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return DirectionSet("random", space, model_id, {}, tuple(
        Direction(vector=v.astype(np.float32), score=0.0) for v in vectors))


def run_config(model: Any, name: str, overrides: dict[str, Any], args: argparse.Namespace
               ) -> dict[str, Any]:
    params = Params(**overrides)
    log(f"{name}: training {params}")
    start = time.perf_counter()
    ds = discover(model, params)
    seconds = time.perf_counter() - start
    found = np.stack([d.vector for d in ds.directions]).astype(np.float64)
    start_vectors = initial_vectors(params, model.latent_dim)
    moved = float(np.mean(np.max(np.abs(found @ start_vectors.T), axis=1)))
    metrics = measure(model, ds, range(args.seeds), count=args.count, step=args.step)
    loss = ds.plot["loss"]
    result = {
        "overrides": overrides,
        "train_s": round(seconds, 1),
        "loss_first": loss[0], "loss_last": loss[-1],
        "accuracy_last": ds.plot["accuracy"][-1],
        "mean_abs_cos_with_start": round(moved, 4),
        "near_duplicates": sum(1 for d in ds.directions if d.notes),
        "consistency": round(metrics.consistency, 4),
        "distinctness": round(metrics.distinctness, 4),
    }
    log(f"{name}: {result}")
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--configs", default=",".join(CONFIGS), help="comma-separated names")
    ap.add_argument("--seeds", type=int, default=256)
    ap.add_argument("--count", type=int, default=10)
    ap.add_argument("--step", type=float, default=DEFAULT_STEP)
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    model = load_model(DEFAULT_MODEL)
    baseline = measure(model, random_set(model.latent_dim, args.count, model.latent_space,
                                         model.model_id), range(args.seeds), args.count,
                       args.step)
    results = {
        "random_baseline": {"consistency": round(baseline.consistency, 4),
                            "distinctness": round(baseline.distinctness, 4)},
    }
    for name in args.configs.split(","):
        results[name] = run_config(model, name, CONFIGS[name], args)
    print(json.dumps({
        "model": DEFAULT_MODEL, "seeds": args.seeds, "count": args.count, "step": args.step,
        "torch": torch.__version__, "threads": torch.get_num_threads(),
        "python": platform.python_version(), "results": results,
    }, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
