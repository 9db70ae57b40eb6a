"""Benchmark a StyleGAN (v1) FFHQ-config generator at 256 px on CPU; prints one JSON object.

The generator has the sizes of NVIDIA's FFHQ network cut at 256 px (``G_style`` defaults:
z and w 512-D, 8 mapping layers of 512, ``fmap_base`` 8192, ``fmap_max`` 512: 512 channels
up to 32x32, then 256, 128, 64; ``fused_scale='auto'``: the 128 and 256 px upscales fused)
with random weights, built in-process from TF-layout variables with our classes.

- ``full``: one edited image through ``LiveRenderer`` (edit, synthesize, uint8), p50 / p95
  wall time and p50 process CPU time, next to the baseline in the same process, the two
  taking turns render by render: the same variables run op by op as genforce's
  ``StyleGANGenerator`` runs them (runtime weight scaling on every call, nearest 2x
  upscale then a 3x3 conv for the non-fused upscales, the fused kernel padded and summed
  on every call).
- ``preview``: the drag preview (``preview=True`` requests, the renderer choosing the stop
  within its budget): p50, updates per second (also from the CPU time), the stop, and its
  fidelity: PSNR against the full image area-downscaled to the stop, on seeds the read-out
  was not fitted on, beside the PSNR of the best constant image. Also the one-time cost
  of fitting the read-outs (the first preview pays it).
- ``stops``: the preview latency and PSNR at every stop.

Usage: ``python -m benchmarks.bench_stylegan1 [--repeats R] [--threads T] [--resolution 256]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from guiapp.core.live_render import LiveRenderer, RenderRequest
from guiapp.core.models.stylegan1.adapter import StyleGAN1Model
from guiapp.core.models.stylegan1.config import (
    StyleGAN1Config,
    StyleGAN1Weights,
    channels_from_fmaps,
)
from guiapp.core.types import Direction, DirectionSet, Edit


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def random_model(resolution: int) -> tuple[StyleGAN1Model, dict[str, np.ndarray]]:
    cfg = StyleGAN1Config(z_dim=512, w_dim=512, resolution=resolution,
                          channels=channels_from_fmaps(resolution), mapping_fmaps=512)
    rs = np.random.RandomState(0)
    v = {}
    for name, shape in cfg.tf_shapes().items():
        std = (100.0 if name.startswith("mapping") and name.endswith("weight")
               else 1.0 if name.endswith(("weight", "const")) or "noise" in name else 0.1)
        if name.endswith("Noise/weight") or "ToRGB" in name:
            std = 0.1
        v[name] = (std * rs.randn(*shape)).astype(np.float32)
    model = StyleGAN1Model(StyleGAN1Weights(cfg, v), f"stylegan1-{resolution}", "random",
                           "bench")
    with torch.inference_mode():  # a dlatent_avg where this network's w lie
        z = torch.from_numpy(model.sample_z(2000, 0)).float()
        model.net.w_avg.copy_(model.map_w(z).mean(0))
    return model, v


class GenforceOps(StyleGAN1Model):
    """The baseline: the same variables run the way genforce's generator runs them."""

    def __init__(self, model: StyleGAN1Model, v: dict[str, np.ndarray]) -> None:
        self.__dict__.update(model.__dict__)
        cfg = model.net.config
        self._raw = {k: torch.from_numpy(a.copy()) for k, a in v.items()}
        self._blur = torch.tensor([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]) / 16
        self._cfg = cfg

    def synthesize(self, ws: torch.Tensor, noise_mode: str = "const",
                   generator: torch.Generator | None = None) -> torch.Tensor:
        cfg, raw = self._cfg, self._raw
        ws = ws.float()
        x = raw["synthesis/4x4/Const/const"].repeat(ws.shape[0], 1, 1, 1)
        for i in range(cfg.num_layers):
            scope = f"synthesis/{cfg.layer_scope(i)}"
            if i > 0:
                w = raw[f"{scope}/weight"].permute(3, 2, 0, 1)
                w = w * (np.sqrt(2) / np.sqrt(w[0].numel()))
                if i % 2 == 0 and cfg.fused(cfg.layer_resolution(i)):
                    w = F.pad(w, (1, 1, 1, 1))
                    w = (w[:, :, 1:, 1:] + w[:, :, :-1, 1:] + w[:, :, 1:, :-1]
                         + w[:, :, :-1, :-1]).permute(1, 0, 2, 3)
                    x = F.conv_transpose2d(x, w, stride=2, padding=1)
                else:
                    if i % 2 == 0:
                        x = F.interpolate(x, scale_factor=2, mode="nearest")
                    x = F.conv2d(x, w, padding=1)
                if i % 2 == 0:
                    k = self._blur[None, None].repeat(x.shape[1], 1, 1, 1)
                    x = F.conv2d(x, k, padding=1, groups=x.shape[1])
            x = x + raw[f"synthesis/noise{i}"] * raw[f"{scope}/Noise/weight"].view(1, -1, 1, 1)
            x = F.leaky_relu(x + raw[f"{scope}/bias"].view(1, -1, 1, 1), 0.2)
            x = x - x.mean(dim=(2, 3), keepdim=True)
            x = x / torch.sqrt(x.square().mean(dim=(2, 3), keepdim=True) + 1e-8)
            sw = raw[f"{scope}/StyleMod/weight"].T / np.sqrt(cfg.w_dim)
            style = F.linear(ws[:, i], sw, raw[f"{scope}/StyleMod/bias"])
            style = style.view(-1, 2, x.shape[1], 1, 1)
            x = x * (style[:, 0] + 1) + style[:, 1]
        w = raw["synthesis/ToRGB_lod0/weight"].permute(3, 2, 0, 1)
        return F.conv2d(x, w / np.sqrt(w[0].numel()), raw["synthesis/ToRGB_lod0/bias"])


def percentiles(seconds: list[float]) -> dict[str, float]:
    ms = sorted(1000 * s for s in seconds)
    return {"p50_ms": statistics.median(ms), "p95_ms": ms[min(len(ms) - 1, int(0.95 * len(ms)))],
            "n": len(ms)}


def directions(dim: int) -> DirectionSet:
    vecs = np.random.default_rng(0).normal(size=(2, dim))
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    return DirectionSet("sefa", "w", "random", {},
                        tuple(Direction(v.astype(np.float32), 1.0, 1.0) for v in vecs))


def request(i: int, ds: DirectionSet, preview: bool) -> RenderRequest:
    return RenderRequest(1, 0.7, direction_set=ds, edits=(Edit(0, 0.5 + 0.1 * i),),
                         preview=preview, truncation_cutoff=8)


def interleaved(renderers: dict[str, LiveRenderer], ds: DirectionSet, repeats: int,
                preview: bool = False) -> dict[str, dict[str, Any]]:
    """Each renderer's wall and CPU times, taking turns render by render (the first round
    warms up), so a machine shared with other work slows every contender alike."""
    walls: dict[str, list[float]] = {k: [] for k in renderers}
    cpus: dict[str, list[float]] = {k: [] for k in renderers}
    stops: dict[str, Any] = {}
    for i in range(repeats + 1):
        for name, renderer in renderers.items():
            wall, cpu = time.perf_counter(), time.process_time()
            result = renderer.render(request(i, ds, preview))
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            stops[name] = result.preview_resolution
            if i:
                walls[name].append(wall)
                cpus[name].append(cpu)
    return {k: {**percentiles(walls[k]), "cpu_p50_ms": 1000 * statistics.median(cpus[k]),
                "resolution": stops[k]} for k in renderers}


def constant_psnr(model: StyleGAN1Model, stop: int) -> float:
    """PSNR of the best constant image (the per-channel mean) at ``stop``."""
    z = torch.from_numpy(model.sample_z(4, 20190102)).float()
    with torch.inference_mode():
        truth = F.adaptive_avg_pool2d(model.synthesize(model.truncate(model.map(z), 0.7, 8)),
                                      stop).clamp(-1, 1)
    mse = float(((truth - truth.mean(dim=(0, 2, 3), keepdim=True)) ** 2).mean())
    return float(10 * np.log10(4.0 / mse))


def bench(resolution: int, repeats: int) -> dict[str, Any]:
    model, v = random_model(resolution)
    baseline = GenforceOps(model, v)
    ds = directions(model.w_dim)
    with torch.inference_mode():
        ws = model.map(torch.from_numpy(model.sample_z(2, 1)).float())
        same = float((model.synthesize(ws) - baseline.synthesize(ws)).abs().max())
    out: dict[str, Any] = {"max_abs_diff_vs_baseline": same}
    renderers = {"full": LiveRenderer(model), "baseline_full": LiveRenderer(baseline)}
    for r in renderers.values():
        r.render(RenderRequest(1, 0.7, direction_set=ds, truncation_cutoff=8))  # original
    log(f"full renders, ours and baseline in turn: {repeats} each")
    out.update(interleaved(renderers, ds, repeats))
    for key in ("p50_ms", "cpu_p50_ms"):
        out[f"speedup_full_{key[:-3]}"] = out["baseline_full"][key] / out["full"][key]
    t0 = time.perf_counter()
    model._readout.fit()
    out["preview_fit_s"] = time.perf_counter() - t0
    renderer = LiveRenderer(model)
    renderer.render(RenderRequest(1, 0.7, direction_set=ds, truncation_cutoff=8))
    log("preview: adaptive stop")
    interleaved({"settle": renderer}, ds, 5, preview=True)
    prev = interleaved({"preview": renderer}, ds, max(repeats, 15), preview=True)["preview"]
    out["preview"] = {**prev, "updates_per_s": 1000 / prev["p50_ms"],
                      "updates_per_s_cpu": 1000 / prev["cpu_p50_ms"],
                      "target_updates_per_s": 10}
    if prev["resolution"] is not None:
        stop = prev["resolution"]
        out["preview"].update(psnr_db=model.preview_fit(stop)["psnr_db"],
                              constant_image_psnr_db=constant_psnr(model, stop))
    stops_out = {}
    for r in model.preview_resolutions()[:-1]:
        secs = []
        with torch.inference_mode():
            ws1 = model.map(torch.from_numpy(model.sample_z(1, 2)).float())
            for _ in range(repeats):
                t = time.perf_counter()
                model.synthesize_preview(ws1, r)
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
                    "torch": torch.__version__, "load_1min": os.getloadavg()[0]},
        "resolution": args.resolution,
        **bench(args.resolution, args.repeats),
    }
    json.dump(result, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
