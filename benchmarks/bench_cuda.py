"""Benchmark the style-based models on a CUDA GPU; prints one JSON object on stdout.

Run by ``benchmarks/gpu_check.sh`` on a GPU machine. Generators are config-f sized with
random weights (:func:`bench_stylegan.config_f`).

- ``edit_latency``: one edited image through ``LiveRenderer`` (edit, synthesize, uint8,
  copy to the host) at 1024 and 256 px, as the window renders it: exact float32 (the
  app's setting on CUDA, :mod:`guiapp.core.devices`) and the reference ops (the default on
  a GPU, ``stylegan2_fast.synthesis_fast``). Target at 1024 px: >= 30 images/s. Beside it
  in the same process: the same with cuDNN's autotuner (``cudnn.benchmark``), with TF32
  convolutions (and how far TF32 moves the image), with the CPU's fast paths forced
  (``fast=True``), and the synthesis alone (CUDA-synchronised, no host copy).
- ``sefa``: ``sefa.discover`` on all layers of the 1024 px generator (target <= 100 ms).
- ``ganspace``: GANSpace in w at N = 1 000 000 with the mapping on the GPU and the streamed
  moments on the host, against the baseline pipeline: the same sampling followed by
  scikit-learn's ``IncrementalPCA(80)`` on the host CPU (fitted on ``--ipca-samples``
  rows, extrapolated linearly to N), as ``bench_stylegan`` does on a CPU.
- ``latentclr``: training iterations per second on the GPU (built-in model and a 256 px
  config-f generator, default settings).

Usage: ``python -m benchmarks.bench_cuda [--repeats R] [--samples N] [--parts ...]``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sklearn
import torch

from benchmarks.bench_latentclr import training_rate
from benchmarks.bench_stylegan import (
    _random_directions,
    _render_times,
    bench_sefa,
    config_f,
    ipca_baseline,
    log,
    ours_streaming,
    percentiles,
)
from guiapp.core.devices import prepare_device
from guiapp.core.live_render import LiveRenderer, RenderRequest
from guiapp.core.methods.latentclr import Params as ClrParams
from guiapp.core.models.registry import DEFAULT_MODEL, load_model
from guiapp.core.models.stylegan2.adapter import StyleGANModel
from guiapp.core.types import DirectionSet


class CpuFastPaths(StyleGANModel):
    """The CPU's fast paths forced on the GPU (``fast=True``), to compare."""

    def synthesize(
        self, ws: torch.Tensor, noise_mode: str = "const", generator: torch.Generator | None = None
    ) -> torch.Tensor:
        return self.net.synthesis(ws, noise_mode=noise_mode, generator=generator, fast=True)


@contextmanager
def cudnn_settings(tf32: bool = False, autotune: bool = False) -> Iterator[None]:
    """Run the block with these cuDNN settings, then back to the app's (exact, no autotune)."""
    torch.backends.cudnn.allow_tf32, torch.backends.cudnn.benchmark = tf32, autotune
    try:
        yield
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cudnn.benchmark = False, False


def _rendered(model: StyleGANModel, ds: DirectionSet, repeats: int) -> dict[str, Any]:
    renderer = LiveRenderer(model)
    renderer.render(RenderRequest(1, 0.7, direction_set=ds))  # the original, cached from now on
    times, _ = _render_times(renderer, ds, repeats, preview=False)
    p = percentiles(times)
    return {**p, "images_per_second": 1e3 / p["p50_ms"]}


def _synthesis_only(model: StyleGANModel, repeats: int) -> dict[str, Any]:
    ws = model.map(torch.randn(1, model.z_dim, device=model.device))
    times = []
    with torch.inference_mode():
        for i in range(repeats + 3):
            torch.cuda.synchronize()
            start = time.perf_counter()
            model.synthesize(ws)
            torch.cuda.synchronize()
            if i >= 3:
                times.append(time.perf_counter() - start)
    p = percentiles(times)
    return {**p, "images_per_second": 1e3 / p["p50_ms"]}


def _tf32_shift(model: StyleGANModel) -> float:
    """Max abs difference of a [-1, 1] image between TF32 and exact float32 convolutions."""
    with torch.inference_mode():
        ws = model.map(torch.randn(2, model.z_dim, generator=torch.Generator().manual_seed(0))
                       .to(model.device))
        exact = model.synthesize(ws)
        with cudnn_settings(tf32=True):
            tf32 = model.synthesize(ws)
    return (exact - tf32).abs().max().item()


def bench_latency(resolution: int, repeats: int) -> dict[str, Any]:
    model = config_f(resolution).to("cuda")
    forced = CpuFastPaths(model.net, "cpu paths", model.model_id, "bench", w_avg=model.w_avg)
    ds = DirectionSet("sefa", "w", model.model_id, {}, _random_directions(model.w_dim))
    log(f"{resolution} px: app settings")
    out: dict[str, Any] = {"app_exact_fp32": _rendered(model, ds, repeats)}
    out["synthesis_only_exact_fp32"] = _synthesis_only(model, repeats)
    with cudnn_settings(autotune=True):
        log(f"{resolution} px: cudnn.benchmark")
        out["exact_fp32_cudnn_benchmark"] = _rendered(model, ds, repeats)
    with cudnn_settings(tf32=True):
        log(f"{resolution} px: TF32")
        out["tf32"] = _rendered(model, ds, repeats)
    out["tf32_max_abs_image_shift"] = _tf32_shift(model)
    log(f"{resolution} px: the CPU's fast paths")
    out["cpu_fast_paths_exact_fp32"] = _rendered(forced, ds, max(5, repeats // 2))
    out["target_images_per_second"] = 30 if resolution == 1024 else None
    out["meets_target"] = out["app_exact_fp32"]["images_per_second"] >= 30
    return out


def bench_ganspace(samples: int, ipca_samples: int) -> dict[str, Any]:
    model = config_f(256).to("cuda")
    ours_streaming(model, 20_000)  # warm-up: kernels, allocator
    log(f"GANSpace in w on the GPU, N={samples}")
    ours = ours_streaming(model, samples)
    rows = min(ipca_samples, samples)
    ipca_s, ours_same_s, cosines, _ = ipca_baseline(model, rows)
    ipca_at_n = ipca_s * samples / rows
    return {
        "ours": ours,
        "ipca_fit_s_measured": ipca_s,
        "ipca_measured_on": rows,
        "ipca_fit_s_at_n": ipca_at_n,
        "ours_decomposition_same_rows_s": ours_same_s,
        "speedup_decomposition_at_n": ipca_at_n / ours["decomposition_s"],
        "speedup_end_to_end_at_n": (ours["sampling_s"] + ipca_at_n) / ours["end_to_end_s"],
        "top10_subspace_cosines_vs_ipca_min": float(cosines.min()),
        "targets": {"end_to_end": 5, "decomposition": 20},
    }


def bench_latentclr(iterations: int) -> dict[str, Any]:
    out = {}
    for name, model in (("builtin", load_model(DEFAULT_MODEL, "cuda")),
                        ("config-f-256", config_f(256).to("cuda"))):
        log(f"LatentCLR on the GPU: {name}")
        params = ClrParams(iterations=3 + iterations, report_every=1, eval_samples=2)
        out[name] = training_rate(model, params, 3)
        out[name]["default_run_s_estimate"] = (
            ClrParams().iterations * out[name]["seconds_per_iteration_median"]
        )
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=50, help="renders per latency figure")
    ap.add_argument("--samples", type=int, default=1_000_000, help="GANSpace N")
    ap.add_argument("--ipca-samples", type=int, default=100_000)
    ap.add_argument("--clr-iterations", type=int, default=15)
    ap.add_argument("--sizes", default="1024,256")
    ap.add_argument("--parts", default="latency,sefa,ganspace,latentclr")
    args = ap.parse_args(argv)
    prepare_device("cuda")  # as load_model does: exact float32
    parts = args.parts.split(",")
    result: dict[str, Any] = {
        "gpu": torch.cuda.get_device_name(0),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version(),
        "sklearn": sklearn.__version__,
        "host_threads": torch.get_num_threads(),
        "cpu": platform.processor() or platform.machine(),
    }
    if "latency" in parts:
        result["edit_latency"] = {s: bench_latency(int(s), args.repeats)
                                  for s in args.sizes.split(",")}
    if "sefa" in parts:
        log("SeFa, 1024 px")
        result["sefa_1024"] = bench_sefa(config_f(1024).to("cuda"), 5)
    if "ganspace" in parts:
        result["ganspace_in_w"] = bench_ganspace(args.samples, args.ipca_samples)
    if "latentclr" in parts:
        result["latentclr"] = bench_latentclr(args.clr_iterations)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
