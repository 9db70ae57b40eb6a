"""Benchmark a PGGAN-256 sized generator on CPU; prints one JSON object on stdout.

The generator has the sizes of NVIDIA's 256 px networks (``G_paper`` defaults: latent 512,
fmap_base 8192, fmap_max 512: 512 channels up to 32x32, then 256, 128, 64) and random
weights, built in-process from TensorFlow-layout variables with our classes.

- ``full``: one edited image through ``LiveRenderer`` (edit, synthesize, uint8), p50 /
  p95 wall time and p50 process CPU time, next to the baseline in the same process, the
  two taking turns render by render: the same weights run as genforce and GAN
  Dissection run them (nearest 2x upscale, then a 3x3 convolution, per block) instead of
  our one stride-2 transposed convolution per upscale.
- ``preview``: the drag preview (``preview=True`` requests, the renderer choosing the stop
  within its budget), p50 and updates per second (target >= 10; also from the CPU time,
  what one otherwise idle machine would see), with the stop resolution
  and how faithful the preview is there: PSNR against the full image area-downscaled to
  the stop, on seeds the read-out was not fitted on, next to the PSNR of the best
  constant image (what a preview that ignored the features would score). Also the
  one-time cost of fitting the read-outs, which the window's load job pays
  (``prepare_previews``), and the first drag frame with them fitted at load next to the
  baseline of last session, where that frame fitted them.
- ``stops``: the preview latency and PSNR at every stop.

Random weights make images of noise-like texture that a linear read-out of coarse
features reproduces less well than a trained network's smooth images would; the PSNR
here is a lower bound of sorts, not a promise.

Usage: ``python -m benchmarks.bench_pggan [--repeats R] [--threads T] [--resolution 256]``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from guiapp.core.live_render import LiveRenderer, RenderRequest
from guiapp.core.models.pggan.adapter import PGGANModel
from guiapp.core.models.pggan.network import PGGANConfig, PGGANWeights, pixel_norm
from guiapp.core.types import Direction, DirectionSet, Edit


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def nvidia_sizes(resolution: int) -> PGGANConfig:
    """``G_paper``'s widths: nf(stage) = min(8192 / 2**stage, 512)."""
    resolutions = [2**i for i in range(2, resolution.bit_length())]
    channels = {r: min(8192 // (r // 2), 512) for r in resolutions}
    return PGGANConfig(z_dim=512, resolution=resolution, channels=channels, fused=False)


def random_model(resolution: int) -> tuple[PGGANModel, dict[str, np.ndarray]]:
    """The model and its TF variables (non-fused layout: ``Conv0`` 3x3 kernels)."""
    cfg = nvidia_sizes(resolution)
    rs = np.random.RandomState(0)
    variables = {name: (rs.randn(*shape) if name.endswith("weight") else 0.1 * rs.randn(*shape))
                 .astype(np.float32) for name, shape in cfg.tf_shapes().items()}
    model = PGGANModel(PGGANWeights(cfg, variables), f"pggan-{resolution}", "random", "bench")
    return model, variables


class UpsampleThenConv(PGGANModel):
    """The baseline: every upscaling layer as nearest 2x + 3x3 conv (genforce, GAN
    Dissection and TF's non-fused graph) from the same variables."""

    def __init__(self, model: PGGANModel, variables: dict[str, np.ndarray]) -> None:
        self.__dict__.update(model.__dict__)
        cfg = model.net.config
        self._kernels = {}
        for r in cfg.resolutions[1:]:
            w = torch.from_numpy(variables[f"{r}x{r}/Conv0/weight"]).permute(3, 2, 0, 1)
            self._kernels[r] = (w * np.sqrt(2) / np.sqrt(9 * cfg.channels[r // 2])).contiguous()

    def synthesize(self, ws: torch.Tensor, noise_mode: str = "const") -> torch.Tensor:
        net, cfg = self.net, self.net.config
        z = self._z(ws)
        x = pixel_norm(z)
        x = torch.addmm(net.dense_bias, x, net.dense_weight).view(-1, cfg.channels[4], 4, 4)
        x = pixel_norm(F.leaky_relu(x, 0.2))
        x = pixel_norm(F.leaky_relu(F.conv2d(x, net.b4_conv_weight, net.b4_conv_bias,
                                             padding=1), 0.2))
        for r in cfg.resolutions[1:]:
            x = F.interpolate(x, scale_factor=2, mode="nearest")
            x = F.conv2d(x, self._kernels[r], getattr(net, f"b{r}_conv0_bias"), padding=1)
            x = pixel_norm(F.leaky_relu(x, 0.2))
            x = F.conv2d(x, getattr(net, f"b{r}_conv1_weight"), getattr(net, f"b{r}_conv1_bias"),
                         padding=1)
            x = pixel_norm(F.leaky_relu(x, 0.2))
        return net.to_rgb(x)


def percentiles(seconds: list[float]) -> dict[str, float]:
    ms = sorted(1000 * s for s in seconds)
    return {"p50_ms": statistics.median(ms), "p95_ms": ms[min(len(ms) - 1, int(0.95 * len(ms)))],
            "n": len(ms)}


def _directions(dim: int) -> DirectionSet:
    vecs = np.random.default_rng(0).normal(size=(2, dim))
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    dirs = tuple(Direction(v.astype(np.float32), 1.0, 1.0) for v in vecs)
    return DirectionSet("sefa", "z", "random", {}, dirs)


def _request(i: int, ds: DirectionSet, preview: bool) -> RenderRequest:
    return RenderRequest(1, 1.0, direction_set=ds, edits=(Edit(0, 0.5 + 0.1 * i),),
                         preview=preview)


def _timed_render(renderer: LiveRenderer, req: RenderRequest) -> tuple[float, float, Any]:
    """(wall s, process CPU s, result) of one render."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = renderer.render(req)
    return time.perf_counter() - wall, time.process_time() - cpu, result


def interleaved(renderers: dict[str, LiveRenderer], ds: DirectionSet, repeats: int,
                preview: bool = False) -> dict[str, dict[str, Any]]:
    """Each renderer's wall and CPU times, taking turns render by render, so a machine
    shared with other work slows every contender alike (the first round warms up)."""
    walls: dict[str, list[float]] = {k: [] for k in renderers}
    cpus: dict[str, list[float]] = {k: [] for k in renderers}
    stops: dict[str, Any] = {}
    for i in range(repeats + 1):
        for name, renderer in renderers.items():
            wall, cpu, result = _timed_render(renderer, _request(i, ds, preview))
            stops[name] = result.preview_resolution
            if i:
                walls[name].append(wall)
                cpus[name].append(cpu)
    return {k: {**percentiles(walls[k]), "cpu_p50_ms": 1000 * statistics.median(cpus[k]),
                "resolution": stops[k]} for k in renderers}


def constant_psnr(model: PGGANModel, stop: int) -> float:
    """PSNR of the best constant image (the per-channel mean) at ``stop``."""
    z = torch.from_numpy(model.sample_z(4, 20180501)).float()
    with torch.inference_mode():
        truth = F.adaptive_avg_pool2d(model.net(z), stop).clamp(-1, 1)
    mse = float(((truth - truth.mean(dim=(0, 2, 3), keepdim=True)) ** 2).mean())
    return float(10 * np.log10(4.0 / mse))


def _psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(10 * np.log10(4.0 / float(((a.clamp(-1, 1) - b.clamp(-1, 1)) ** 2).mean())))


def edit_psnr(model: PGGANModel, ds: DirectionSet, stop: int, alpha: float = 5.0,
              seeds: int = 3) -> dict[str, float]:
    """Mean PSNR against the full image of an edit (``alpha`` along direction 0) downscaled
    to ``stop``: the plain read-out, the read-out anchored on the unedited full image (as
    the window has it during a drag), and the unedited image itself (a stale preview)."""
    rows: dict[str, list[float]] = {"plain_psnr_db": [], "anchored_psnr_db": [],
                                    "unedited_image_psnr_db": []}
    d = torch.from_numpy(ds.directions[0].vector).float()
    with torch.inference_mode():
        for seed in range(seeds):
            base = torch.from_numpy(model.sample_z(1, 100 + seed)).float()[:, None, :]
            ws = base + alpha * d
            model.to(model.device)  # no anchor; the batch below records none
            truth, unedited = F.adaptive_avg_pool2d(
                model.synthesize(torch.cat([ws, base])), stop).split(1)
            rows["plain_psnr_db"].append(_psnr(model.synthesize_preview(ws, stop), truth))
            model.synthesize(base)
            rows["anchored_psnr_db"].append(_psnr(model.synthesize_preview(ws, stop), truth))
            rows["unedited_image_psnr_db"].append(_psnr(unedited, truth))
    return {"alpha": alpha, **{k: float(np.mean(v)) for k, v in rows.items()}}


def bench(resolution: int, repeats: int) -> dict[str, Any]:
    model, variables = random_model(resolution)
    baseline = UpsampleThenConv(model, variables)
    ds = _directions(model.z_dim)
    z = torch.from_numpy(model.sample_z(2, 1)).float()[:, None, :]
    with torch.inference_mode():
        same = float((model.synthesize(z) - baseline.synthesize(z)).abs().max())
    out: dict[str, Any] = {"max_abs_diff_vs_baseline": same}
    renderers = {"full": LiveRenderer(model), "baseline_full": LiveRenderer(baseline)}
    for r in renderers.values():
        r.render(RenderRequest(1, 1.0, direction_set=ds))  # the original, cached from now on
    log(f"full renders, ours and baseline in turn: {repeats} each")
    out.update(interleaved(renderers, ds, repeats))
    for key in ("p50_ms", "cpu_p50_ms"):
        out[f"speedup_full_{key[:-3]}"] = out["baseline_full"][key] / out["full"][key]

    t0, c0 = time.perf_counter(), time.process_time()
    model.prepare_previews()  # what the window's load job does
    out["preview_fit_s"] = time.perf_counter() - t0
    out["preview_fit_cpu_s"] = time.process_time() - c0
    renderer = LiveRenderer(model)
    renderer.render(RenderRequest(1, 1.0, direction_set=ds))
    first = _timed_render(renderer, _request(0, ds, True))
    unprepared = LiveRenderer(random_model(resolution)[0])  # the same weights, not fitted
    unprepared.render(RenderRequest(1, 1.0, direction_set=ds))
    before = _timed_render(unprepared, _request(0, ds, True))
    out["first_drag_frame"] = {
        "prepared_at_load_s": first[0], "prepared_at_load_cpu_s": first[1],
        "baseline_fitted_at_first_drag_s": before[0],
        "baseline_fitted_at_first_drag_cpu_s": before[1]}
    log("preview: adaptive stop")
    interleaved({"settle": renderer}, ds, 5, preview=True)
    prev = interleaved({"preview": renderer}, ds, max(repeats, 15), preview=True)["preview"]
    stop = prev["resolution"]
    out["preview"] = {**prev, "updates_per_s": 1000 / prev["p50_ms"],
                      "updates_per_s_cpu": 1000 / prev["cpu_p50_ms"],
                      "target_updates_per_s": 10}
    if stop is not None:  # None: the full image fits the budget
        out["preview"].update(psnr_db=model.preview_fit(stop)["psnr_db"],
                              constant_image_psnr_db=constant_psnr(model, stop),
                              edit=edit_psnr(model, ds, stop))
    stops_out = {}
    for r in model.preview_resolutions()[:-1]:
        zs = torch.from_numpy(model.sample_z(1, 2)).float()[:, None, :]
        secs = []
        with torch.inference_mode():
            for _ in range(repeats):
                t = time.perf_counter()
                model.synthesize_preview(zs, r)
                secs.append(time.perf_counter() - t)
        stops_out[r] = {**percentiles(secs), "psnr_db": model.preview_fit(r)["psnr_db"],
                        "constant_image_psnr_db": constant_psnr(model, r)}
    out["stops"] = stops_out
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--resolution", type=int, default=256)
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    result = {
        "machine": {"cpu": platform.processor() or platform.machine(), "threads": args.threads,
                    "torch": torch.__version__},
        "resolution": args.resolution,
        **bench(args.resolution, args.repeats),
    }
    json.dump(result, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
