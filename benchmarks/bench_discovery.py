"""Benchmark direction discovery on the built-in model; prints one JSON object on stdout.

Measures
--------
- SeFa (Shen & Zhou, CVPR 2021) on the model: best and median wall time over repeats.
- GANSpace (Härkönen et al., NeurIPS 2020) with our estimator, stage by stage, through the
  same functions ``ganspace.discover`` calls: sampling the activations into the bfloat16
  cache, the randomised PCA, and the regression back to z; peak RSS after it.
- The baseline in the same process: scikit-learn's ``IncrementalPCA(n_components=k)``
  (GANSpace's default estimator) with its default batch size, on the same cached
  activations. At full size it would take tens of minutes, so it is fitted on the first
  ``--ipca-samples`` rows (default: one of its default batches, ``5 * D``) and its time
  extrapolated linearly to N (reported as ``ipca_extrapolated``). Our estimator is also
  run on that same subset, so the speed and the subspaces are compared on identical data;
  the principal-angle cosines between the top-10 subspaces are given for that pair and,
  for information, between our full-N result and IPCA's subset result (these differ
  also by sampling noise).

Usage: ``python benchmarks/bench_discovery.py [--samples N] [--k K] [--ipca-samples M]``.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import sys
import time
from typing import Any

import numpy as np
import sklearn
import torch
from sklearn.decomposition import IncrementalPCA

from guiapp.core.methods import ganspace, sefa
from guiapp.core.models.base import GeneratorModel
from guiapp.core.models.registry import DEFAULT_MODEL, load_model

TOP = 10


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def subspace_cosines(a: np.ndarray, b: np.ndarray) -> list[float]:
    """Cosines of the principal angles between the row spaces of (K, D) ``a`` and ``b``."""
    qa = np.linalg.qr(np.asarray(a, np.float64).T)[0]
    qb = np.linalg.qr(np.asarray(b, np.float64).T)[0]
    return [float(c) for c in np.linalg.svd(qa.T @ qb, compute_uv=False)]


def component_cosines(a: np.ndarray, b: np.ndarray) -> list[float]:
    """|cos| between matching rows of (K, D) ``a`` and ``b``."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return [float(c) for c in np.abs(np.sum(a * b, axis=1))]


def bench_sefa(model: GeneratorModel, repeats: int) -> dict[str, Any]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        ds = sefa.discover(model)
        times.append(time.perf_counter() - start)
    return {
        "sefa_s_best": min(times),
        "sefa_s_median": statistics.median(times),
        "sefa_repeats": repeats,
        "sefa_directions": len(ds),
    }


def quiet_tick(fraction: float, message: str) -> None:
    """Progress sink: a line on stderr now and then."""
    if fraction in (0.0, 1.0):
        log(message)


def bench_ours(model: GeneratorModel, params: ganspace.Params, k: int) -> dict[str, Any]:
    """GANSpace with our estimator, stage by stage; returns timings, cache and results."""
    layer = model.feature_layers[0]
    seed = params.seed
    start = time.perf_counter()
    z_batches = ganspace.latent_batches(seed, params.samples, model.z_dim, params.batch_size)
    batches = ganspace.feature_batches(model, layer, z_batches, quiet_tick, params.samples)
    cache = ganspace.cache_activations((f for _, f in batches), params.samples)
    sampled = time.perf_counter()
    pca = ganspace.randomized_pca(
        cache,
        k,
        oversample=params.oversample,
        iterations=params.iterations,
        seed=[seed, ganspace.PCA_START_STREAM],
        tick=quiet_tick,
    )
    decomposed = time.perf_counter()
    ganspace.regress_to_latent(
        model,
        layer,
        pca,
        params.regression_samples,
        [seed, ganspace.REGRESSION_STREAM],
        params.batch_size,
        quiet_tick,
    )
    regressed = time.perf_counter()
    return {
        "cache": cache,
        "pca": pca,
        "layer": layer,
        "sampling_s": sampled - start,
        "decomposition_s": decomposed - sampled,
        "regression_s": regressed - decomposed,
    }


def cache_rows_float32(cache: ganspace.ActivationCache, rows: int) -> np.ndarray:
    """(rows, D) float32 activations as stored in the cache, in original units."""
    return (cache.data[:rows].float() + cache.shift).numpy()


def bench_ipca(cache: ganspace.ActivationCache, k: int, rows: int) -> dict[str, Any]:
    data = cache_rows_float32(cache, rows)
    ipca = IncrementalPCA(n_components=k)
    start = time.perf_counter()
    ipca.fit(data)
    elapsed = time.perf_counter() - start
    return {"ipca": ipca, "ipca_s": elapsed}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=100_000, help="GANSpace samples N")
    parser.add_argument("--k", type=int, default=ganspace.DEFAULT_K, help="components K")
    parser.add_argument(
        "--ipca-samples", type=int, default=None, help="rows IPCA is timed on (default 5*D)"
    )
    parser.add_argument("--sefa-repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", default=DEFAULT_MODEL)
    args = parser.parse_args(argv)

    torch.set_grad_enabled(False)
    model = load_model(args.model)
    result: dict[str, Any] = {
        "model": args.model,
        "torch": torch.__version__,
        "sklearn": sklearn.__version__,
        "torch_threads": torch.get_num_threads(),
        "cpu": platform.processor() or platform.machine(),
    }
    log("SeFa")
    result.update(bench_sefa(model, args.sefa_repeats))

    params = ganspace.Params(k=args.k, samples=args.samples, seed=args.seed)
    log(f"GANSpace, ours: N={args.samples}, K={args.k}")
    ours = bench_ours(model, params, args.k)
    cache, pca = ours["cache"], ours["pca"]
    result.update(
        {
            "ganspace_layer": ours["layer"],
            "ganspace_samples": args.samples,
            "ganspace_k": args.k,
            "feature_dim": cache.dim,
            "cache_dtype": str(cache.data.dtype).removeprefix("torch."),
            "cache_mb": cache.data.numel() * cache.data.element_size() / 2**20,
            "oversample": args.k if params.oversample is None else params.oversample,
            "iterations": params.iterations,
            "regression_samples": params.regression_samples,
            "sampling_s": ours["sampling_s"],
            "decomposition_s": ours["decomposition_s"],
            "regression_s": ours["regression_s"],
            "ganspace_total_s": ours["sampling_s"] + ours["decomposition_s"] + ours["regression_s"],
            "peak_rss_mb_after_ours": peak_rss_mb(),
            "top_ratios": [float(r) for r in pca.ratios[:TOP]],
            "baseline_ratio": pca.baseline,
        }
    )

    rows = min(args.samples, args.ipca_samples or 5 * cache.dim)
    log(f"IncrementalPCA(n_components={args.k}) on {rows} rows")
    ipca = bench_ipca(cache, args.k, rows)
    subset = ganspace.ActivationCache(cache.data[:rows], cache.shift)
    log(f"ours on the same {rows} rows")
    start = time.perf_counter()
    pca_subset = ganspace.randomized_pca(
        subset,
        args.k,
        oversample=params.oversample,
        iterations=params.iterations,
        seed=[args.seed, ganspace.PCA_START_STREAM],
    )
    ours_subset_s = time.perf_counter() - start
    components = ipca["ipca"].components_
    ipca_full_s = ipca["ipca_s"] * args.samples / rows
    result.update(
        {
            "ipca_batch_size": int(ipca["ipca"].batch_size_),
            "ipca_measured_on": rows,
            "ipca_measured_s": ipca["ipca_s"],
            "ipca_extrapolated": rows < args.samples,
            "ipca_s_at_N": ipca_full_s,
            "speedup_decomposition_at_N": ipca_full_s / ours["decomposition_s"],
            "ours_on_ipca_subset_s": ours_subset_s,
            "speedup_measured_same_subset": ipca["ipca_s"] / ours_subset_s,
            "subspace_cosines_top10_same_subset": subspace_cosines(
                pca_subset.components[:TOP], components[:TOP]
            ),
            "component_cosines_top10_same_subset": component_cosines(
                pca_subset.components[:TOP], components[:TOP]
            ),
            "ratio_max_rel_diff_topk_same_subset": float(
                np.max(np.abs(pca_subset.ratios / ipca["ipca"].explained_variance_ratio_ - 1))
            ),
            "subspace_cosines_top10_ours_full_vs_ipca_subset": subspace_cosines(
                pca.components[:TOP], components[:TOP]
            ),
            "peak_rss_mb_total": peak_rss_mb(),
        }
    )
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
