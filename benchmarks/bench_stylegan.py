"""Benchmark style-based generators on CPU; prints one JSON object on stdout.

Generators are config-f sized (channel_base 32768, channel_max 512, w_dim 512, 8 mapping
layers) with random weights, built in-process with our classes.

- ``sefa``: ``sefa.discover`` on all layers of a 1024 px generator (target <= 100 ms).
- ``ganspace``: GANSpace (Härkönen et al. 2020) in w at N samples (default 1 000 000) on
  the mapping of a 256 px generator. Ours runs in a child process per N (default N and
  N/10), through the functions ``ganspace.discover`` calls, timing sampling
  (``sampled_w``: the seeded float32 z stream and the folded mapping) apart from the
  decomposition (float32 chunk products summed into float64 moments, then ``eigh``) and
  reporting the child's peak RSS, which must not grow with N. The baseline, scikit-learn's
  ``IncrementalPCA(n_components=80)`` (GANSpace's default estimator, default batch size),
  is fitted on the first ``--ipca-samples`` w (ours is timed on the same rows) and its
  time extrapolated linearly to N (``ipca.extrapolated``); the baseline pipeline is the
  same sampling followed by that fit. Targets: end to end >= 5x, decomposition >= 20x.
- ``edit_latency``: one edited image through ``LiveRenderer`` (edit, synthesize, uint8)
  at 256 and 1024 px, p50 / p95: full renders and slider previews, next to the baseline
  in the same process: the same model through the reference (pre-optimisation) ops.
- ``stylegan3``: the same edited-image latency for StyleGAN3-T and -R generators of the
  released configs' sizes (``--sg3-sizes``, default 256 px), with the CPU speed paths of
  ``stylegan3/fast.py`` and, as the baseline in the same process, without them (``fast=False``).

Usage: ``python -m benchmarks.bench_stylegan [--samples N] [--repeats R] [--threads T]
[--parts sefa,ganspace,latency,stylegan3] [--sg3-sizes 256,1024]``; ``--quick`` runs small sizes.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import time
from typing import Any

import numpy as np
import sklearn
import torch
from sklearn.decomposition import IncrementalPCA

from guiapp.core.live_render import LiveRenderer, RenderRequest
from guiapp.core.methods import ganspace, sefa
from guiapp.core.methods.latent_sampling import sampled_w
from guiapp.core.methods.pca import exact_pca_streaming
from guiapp.core.models.stylegan2.adapter import StyleGANModel
from guiapp.core.models.stylegan2.network import Generator, StyleGAN2Config
from guiapp.core.models.stylegan3.adapter import StyleGAN3Model
from guiapp.core.models.stylegan3.network import Generator as StyleGAN3Generator
from guiapp.core.models.stylegan3.network import StyleGAN3Config
from guiapp.core.types import Direction, DirectionSet, Edit

K = 80
BATCH = 500


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def config_f(resolution: int) -> StyleGANModel:
    """A config-f sized generator with random weights (w_avg zero: no averaging run)."""
    torch.manual_seed(0)
    net = Generator(StyleGAN2Config(img_resolution=resolution))
    with torch.no_grad():
        for name, p in net.named_parameters():
            if name.endswith("noise_strength"):
                p.fill_(0.1)
    return StyleGANModel(net, f"config-f {resolution}", f"random-{resolution}", "bench")


class ReferenceOps(StyleGANModel):
    """The baseline: the same network through the reference ops (``fast=False``)."""

    def synthesize(
        self, ws: torch.Tensor, noise_mode: str = "const", generator: torch.Generator | None = None
    ) -> torch.Tensor:
        return self.net.synthesis(ws, noise_mode=noise_mode, generator=generator, fast=False)

    def synthesize_preview(
        self, ws: torch.Tensor, max_resolution: int, noise_mode: str = "const"
    ) -> torch.Tensor:
        stop = max(r for r in self.preview_resolutions() if r <= max_resolution)
        return self.net.synthesis(ws, noise_mode=noise_mode, max_resolution=stop, fast=False)


class ReferenceOps3(StyleGAN3Model):
    """The StyleGAN3 baseline: the same network through the reference ops (``fast=False``)."""

    def synthesize(
        self, ws: torch.Tensor, noise_mode: str = "const", generator: torch.Generator | None = None
    ) -> torch.Tensor:
        return self.net.synthesis(ws, noise_mode=noise_mode, fast=False)


def percentiles(seconds: list[float]) -> dict[str, float]:
    ms = np.asarray(seconds) * 1e3
    return {"p50_ms": float(np.percentile(ms, 50)), "p95_ms": float(np.percentile(ms, 95))}


# -- SeFa -------------------------------------------------------------------------------------


def bench_sefa(model: StyleGANModel, repeats: int) -> dict[str, Any]:
    sefa.discover(model)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        ds = sefa.discover(model)
        times.append(time.perf_counter() - start)
    return {
        "resolution": model.resolution,
        "num_ws": model.num_ws,
        "weight_rows": int(model.sefa_weights().shape[0]),
        "directions": len(ds),
        "best_ms": min(times) * 1e3,
        "median_ms": statistics.median(times) * 1e3,
        "repeats": repeats,
        "target_ms": 100,
        "meets_target": min(times) <= 0.1,
    }


# -- GANSpace ---------------------------------------------------------------------------------


class Timed:
    """Iterate ``items``, adding the time spent producing them to ``seconds``."""

    def __init__(self, items: Any) -> None:
        self.items, self.seconds = iter(items), 0.0

    def __iter__(self) -> Timed:
        return self

    def __next__(self) -> Any:
        start = time.perf_counter()
        try:
            return next(self.items)
        finally:
            self.seconds += time.perf_counter() - start


def ours_streaming(model: StyleGANModel, n: int) -> dict[str, Any]:
    """``ganspace._discover_in_w``'s pipeline, sampling timed apart from the PCA."""
    start = time.perf_counter()
    with torch.inference_mode():  # as ganspace.discover
        batches = Timed(sampled_w(model, 0, n, BATCH, _quiet))
        pca = exact_pca_streaming(batches, K, seed=[0, ganspace.PCA_START_STREAM])
    total = time.perf_counter() - start
    return {
        "samples": n,
        "sampling_s": batches.seconds,
        "decomposition_s": total - batches.seconds,
        "end_to_end_s": total,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "top_ratios": [float(r) for r in pca.ratios[:5]],
    }


def _quiet(fraction: float, message: str) -> None:
    pass


def run_child(n: int, threads: int) -> dict[str, Any]:
    """:func:`ours_streaming` in a fresh process, so that its peak RSS is its own."""
    cmd = [sys.executable, "-m", "benchmarks.bench_stylegan", "--child", str(n), "--threads"]
    out = subprocess.run([*cmd, str(threads)], capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(out.stderr)
    return json.loads(out.stdout)


def ipca_baseline(model: StyleGANModel, rows: int) -> tuple[float, float, np.ndarray, int]:
    """Fit ``IncrementalPCA(K)`` (default batch size) and our streamed PCA on the same
    ``rows`` sampled w (on the host CPU): (IPCA seconds, our seconds, top-10 subspace
    cosines between the two, IPCA batch size)."""
    log(f"IncrementalPCA({K}) and ours on the same {rows} w")
    with torch.inference_mode():
        w = torch.cat(list(sampled_w(model, 0, rows, BATCH, _quiet)))
    ipca = IncrementalPCA(n_components=K)
    step = 5 * w.shape[1]  # IncrementalPCA's default batch size
    start = time.perf_counter()
    for i in range(0, rows, step):
        ipca.partial_fit(w[i : i + step].numpy())
    ipca_s = time.perf_counter() - start
    start = time.perf_counter()
    same = exact_pca_streaming(w.split(BATCH), K, seed=[0, ganspace.PCA_START_STREAM])
    ours_s = time.perf_counter() - start
    cosines = np.linalg.svd(same.components[:10] @ ipca.components_[:10].T, compute_uv=False)
    return ipca_s, ours_s, cosines, step


def bench_ganspace(samples: int, ipca_samples: int, threads: int) -> dict[str, Any]:
    runs = {}
    for n in sorted({max(samples // 10, 2 * BATCH), samples}):
        log(f"GANSpace ours, N={n} (child process)")
        runs[n] = run_child(n, threads)
    ours = runs[samples]
    rows = min(ipca_samples, samples)
    ipca_s, ours_same_s, cosines, step = ipca_baseline(config_f(256), rows)
    ipca_at_n = ipca_s * samples / rows
    small, large = runs[min(runs)], runs[samples]
    return {
        "samples": samples,
        "k": K,
        "batch_size": BATCH,
        "ours": ours,
        "ours_small_n": small,
        "peak_rss_growth_mb": large["peak_rss_mb"] - small["peak_rss_mb"],
        "ipca": {
            "batch_size": step,
            "measured_on": rows,
            "fit_s_measured": ipca_s,
            "extrapolated": rows < samples,
            "fit_s_at_n": ipca_at_n,
        },
        "ours_decomposition_same_rows_s": ours_same_s,
        "speedup_decomposition_same_rows": ipca_s / ours_same_s,
        "speedup_decomposition_at_n": ipca_at_n / ours["decomposition_s"],
        "speedup_end_to_end_at_n": (ours["sampling_s"] + ipca_at_n) / ours["end_to_end_s"],
        "sampling_share_of_ours": ours["sampling_s"] / ours["end_to_end_s"],
        "top10_subspace_cosines_vs_ipca": [float(c) for c in cosines],
        "targets": {"end_to_end": 5, "decomposition": 20},
    }


# -- edit latency -----------------------------------------------------------------------------


def _render_times(renderer: LiveRenderer, ds: DirectionSet, repeats: int, preview: bool) -> tuple:
    times, stops = [], []
    for i in range(repeats + 1):
        edits = (Edit(0, 0.5 + 0.1 * i),)
        req = RenderRequest(1, 0.7, direction_set=ds, edits=edits, preview=preview)
        result = renderer.render(req)
        if i:  # the first render warms caches up
            times.append(result.seconds)
            stops.append(result.preview_resolution)
    return times, stops


def _random_directions(dim: int) -> tuple[Direction, ...]:
    vecs = np.random.default_rng(0).normal(size=(2, dim))
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    return tuple(Direction(v.astype(np.float32), 1.0, 1.0) for v in vecs)


def bench_latency(resolution: int, repeats: int, ref_repeats: int) -> dict[str, Any]:
    model = config_f(resolution)
    ref = ReferenceOps(model.net, "reference", model.model_id, "bench", w_avg=model.w_avg)
    ds = DirectionSet("sefa", "w", model.model_id, {}, _random_directions(model.w_dim))
    out: dict[str, Any] = {}
    for name, m, n in (("full", model, repeats), ("reference_full", ref, ref_repeats)):
        renderer = LiveRenderer(m)
        renderer.render(RenderRequest(1, 0.7, direction_set=ds))  # the original, cached from now on
        log(f"{resolution} px {name}: {n} renders")
        out[name] = percentiles(_render_times(renderer, ds, n, preview=False)[0])
    for name, m in (("preview", model), ("reference_preview", ref)):
        renderer = LiveRenderer(m)
        renderer.render(RenderRequest(1, 0.7, direction_set=ds))
        times, stops = _render_times(renderer, ds, max(repeats, 20), preview=True)
        out[name] = {**percentiles(times[5:]), "resolution": stops[-1]}  # after adapting
    out["speedup_full_p50"] = out["reference_full"]["p50_ms"] / out["full"]["p50_ms"]
    return out


def stylegan3_model(resolution: int, kind: str) -> StyleGANModel:
    """A StyleGAN3 generator of the released config's channel sizes, random weights."""
    torch.manual_seed(0)
    radial = {"conv_kernel": 1, "use_radial_filters": True, "channel_base": 65536,
              "channel_max": 1024}
    cfg = StyleGAN3Config(img_resolution=resolution, **(radial if kind == "R" else {}))
    return StyleGAN3Model(StyleGAN3Generator(cfg).eval(), f"sg3-{kind}", kind, "bench")


def bench_stylegan3(resolution: int, repeats: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind in ("T", "R"):
        model = stylegan3_model(resolution, kind)
        ds = DirectionSet("sefa", "w", model.model_id, {}, _random_directions(model.w_dim))
        runs = {}
        reference = ReferenceOps3(model.net, model.name, model.model_id, "bench", model.w_avg)
        for name, m in (("fast", model), ("reference", reference)):
            renderer = LiveRenderer(m)
            renderer.render(RenderRequest(1, 0.7, direction_set=ds))
            log(f"StyleGAN3-{kind} {resolution} px {name}: {repeats} renders")
            runs[name] = percentiles(_render_times(renderer, ds, repeats, preview=False)[0])
        runs["speedup_p50"] = runs["reference"]["p50_ms"] / runs["fast"]["p50_ms"]
        out[kind] = runs
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=1_000_000, help="GANSpace N")
    ap.add_argument("--ipca-samples", type=int, default=100_000, help="rows IPCA is timed on")
    ap.add_argument("--repeats", type=int, default=10, help="renders per latency figure")
    ap.add_argument("--sefa-repeats", type=int, default=5)
    ap.add_argument("--sizes", default="256,1024", help="latency resolutions")
    ap.add_argument("--sg3-sizes", default="256", help="StyleGAN3 latency resolutions")
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--parts", default="sefa,ganspace,latency", help="which benchmarks")
    ap.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    ap.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.child is not None:
        print(json.dumps(ours_streaming(config_f(256), args.child)))
        return 0
    if args.quick:
        args.samples, args.ipca_samples, args.repeats, args.sefa_repeats = 20_000, 10_000, 3, 2
    result: dict[str, Any] = {
        "torch": torch.__version__,
        "sklearn": sklearn.__version__,
        "threads": args.threads,
        "cpu": platform.processor() or platform.machine(),
    }
    parts = args.parts.split(",")
    if "sefa" in parts:
        log("SeFa, 1024 px")
        result["sefa"] = bench_sefa(config_f(1024), args.sefa_repeats)
    if "ganspace" in parts:
        result["ganspace"] = bench_ganspace(args.samples, args.ipca_samples, args.threads)
    if "latency" in parts:
        result["edit_latency"] = {
            size: bench_latency(int(size), args.repeats, max(3, args.repeats // 2))
            for size in args.sizes.split(",")
        }
    if "stylegan3" in parts:
        result["stylegan3_latency"] = {
            size: bench_stylegan3(int(size), max(2, args.repeats // 3))
            for size in args.sg3_sizes.split(",")
        }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
