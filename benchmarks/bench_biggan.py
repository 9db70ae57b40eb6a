"""Benchmark BigGAN-deep on this CPU; prints one JSON object on stdout.

Parts (``--parts``, comma-separated):

- ``image``: BigGAN-deep-256-sized random weights (the published config: 12 blocks,
  channel width 128, 1000 classes, attention before block 8). One edited image through
  ``render_image`` (seed -> truncnorm z -> edit on a layer range -> image), p50 over
  ``--repeats``; the baseline in the same run is the naive reference network of
  ``tests/biggan_fixtures.py`` (torch's own ``spectral_norm`` modules, the reference's
  forward) on the same weights and latents.
- ``preview``: the drag preview: the slider moving (a new alpha per image) on an edit of
  every layer and on one of layers 7-12 (the blocks before them are reused), for every
  preview size (every block runs, those after the size without upsampling, the one that
  reaches it upsampling its output); p50 wall and CPU time per size and the largest size
  at 10 updates/s. The baseline in the same run, frame for frame: last session's preview
  (:func:`previous_preview`). Fidelity: PSNR of each against the full image of the same
  edit area-downscaled to the size, ours also anchored on the unedited full image (as in
  the window, :mod:`guiapp.core.models.ops.preview_anchor`), next to the unedited
  image's (a stale preview).
- ``pca``: GANSpace's decomposition on BigGAN-deep-512's ``gen_z`` activations (32 768-D,
  random weights: 256 -> 32 768 linear of [truncnorm z, class embedding]), K 80: our
  one-pass streaming estimator vs scikit-learn's ``IncrementalPCA(80, batch_size=160)``
  (GANSpace's IPCAEstimator), fitted batch by batch on the same activations; the top-10
  principal-angle cosines between them and against the exact PCA (from the N x N Gram
  matrix).
- ``memory``: the peak memory (VmHWM) of the streaming estimator at N / 4, N and 4 N
  (``--pca-samples``), each in a fresh process, activations generated batch by batch.

Usage: ``python -m benchmarks.bench_biggan [--parts image,preview,pca,memory] [--repeats R]
[--pca-samples N] [--threads T]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from typing import Any

import numpy as np
import torch

from guiapp.core.models.biggan.adapter import BigGANModel
from guiapp.core.models.biggan.config import BigGANConfig
from guiapp.core.models.biggan.weights import reference_shapes

DEEP_256 = BigGANConfig(
    output_dim=256, layers=((False, 16, 16), (True, 16, 16), (False, 16, 16), (True, 16, 8),
                            (False, 8, 8), (True, 8, 8), (False, 8, 8), (True, 8, 4),
                            (False, 4, 4), (True, 4, 2), (False, 2, 2), (True, 2, 1)))
TOP = 10


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def random_state_dict(cfg: BigGANConfig, seed: int = 0) -> dict[str, torch.Tensor]:
    """Reference-named random weights of ``cfg``'s shapes (u, v from power iterations)."""
    gen = torch.Generator().manual_seed(seed)
    sd = {}
    for key, shape in reference_shapes(cfg).items():
        if key.endswith("running_vars"):
            t = torch.rand(shape, generator=gen) + 0.5
        elif key.endswith(("weight_u", "weight_v")):
            t = torch.nn.functional.normalize(torch.randn(shape, generator=gen), dim=0)
        elif key.endswith("gamma"):
            t = torch.full(shape, 0.5)
        else:
            t = torch.randn(shape, generator=gen) * (0.1 if "bias" in key else 1.0)
        sd[key] = t
    for key in [k for k in sd if k.endswith(".weight_orig")]:  # power iterations, as trained
        name = key[: -len(".weight_orig")]
        w = sd[key].reshape(sd[key].shape[0], -1)
        u = sd[f"{name}.weight_u"]
        for _ in range(3):
            v = torch.nn.functional.normalize(w.T @ u, dim=0)
            u = torch.nn.functional.normalize(w @ v, dim=0)
        sd[f"{name}.weight_u"], sd[f"{name}.weight_v"] = u, v
    return sd


def p50(values: list[float]) -> float:
    return float(statistics.median(values))


def bench_image(repeats: int) -> dict[str, Any]:
    from guiapp.core.methods import sefa
    from guiapp.core.render import render_image
    from guiapp.core.types import Edit, LayerRange
    from tests.biggan_fixtures import NaiveBigGAN, reference_noise

    sd = random_state_dict(DEEP_256)
    model = BigGANModel(sd, DEEP_256, "deep-256-random", "")
    ds = sefa.discover(model, sefa.Params(k=5, layers=LayerRange(3, 7)))
    edits = [Edit(0, 2.0, LayerRange(3, 7))]
    ours = []
    with torch.inference_mode():
        for i in range(repeats):
            t = time.perf_counter()
            render_image(model, i, 0.4, ds, edits, class_index=207)
            ours.append(time.perf_counter() - t)
    cfg = {"num_classes": 1000, "class_embed_dim": 128, "z_dim": 128, "channel_width": 128,
           "layers": [list(b) for b in DEEP_256.layers], "attention_layer_position": 8,
           "eps": 1e-4, "n_stats": 51}
    naive = NaiveBigGAN(cfg)
    naive.load_state_dict(sd)  # strict: the reference's names and shapes
    naive.eval().requires_grad_(False)
    base = []
    with torch.inference_mode():
        for i in range(repeats):
            t = time.perf_counter()
            z = torch.from_numpy(reference_noise(i, 128, 0.4))
            naive([z] * 13, 207, 0.4)
            base.append(time.perf_counter() - t)
    return {"edited_image_p50_s": p50(ours), "naive_reference_p50_s": p50(base),
            "speedup": p50(base) / p50(ours), "repeats": repeats}


def previous_preview(model: BigGANModel, ws: torch.Tensor, stop: int) -> torch.Tensor:
    """The baseline: last session's preview, from the same modules. Each of the 48 batch
    norms reads the whole ``[z, class embedding]`` condition through its own two products
    (and ``gen_z`` too), and the block that reaches ``stop`` upsamples inside itself."""
    from guiapp.core.models.biggan.network import GenBlock

    net, psi = model.net, model.truncation
    gen = net.generator
    embed = net.embeddings.weight[:, model.class_index]
    conds = torch.cat([ws, embed.expand(*ws.shape[:2], -1)], dim=2)
    ch = gen.cfg.channel_width
    x = gen.gen_z(conds[:, 0]).view(-1, 4, 4, 16 * ch).permute(0, 3, 1, 2).contiguous()

    def bn(layer, h, cond):
        mean, inv_std = layer.stats(psi)
        gain = (1 + cond @ layer.scale.T) * inv_std
        bias = cond @ layer.offset.T - mean * gain
        return torch.relu(torch.addcmul(bias[:, :, None, None], h, gain[:, :, None, None]))

    keep, ups, block = stop.bit_length() - 3, 0, 0
    for layer in gen.layers:
        if not isinstance(layer, GenBlock):
            x = layer(x)
            continue
        cond = conds[:, block + 1]
        ups += layer.up
        up = layer.up and ups <= keep
        h = layer.conv_0(bn(layer.bn_0, x, cond))
        h = bn(layer.bn_1, h, cond)
        if up:
            h = torch.nn.functional.interpolate(h, scale_factor=2.0, mode="nearest")
        h = layer.conv_2(bn(layer.bn_2, layer.conv_1(h), cond))
        h = layer.conv_3(bn(layer.bn_3, h, cond))
        skip = x[:, : layer.cout] if x.shape[1] != layer.cout else x
        if up:
            skip = torch.nn.functional.interpolate(skip, scale_factor=2.0, mode="nearest")
        x = h + skip
        block += 1
    return gen.to_rgb(x, psi)


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    """dB, images in [-1, 1] (peak-to-peak 2)."""
    mse = float(((a.clamp(-1, 1) - b.clamp(-1, 1)) ** 2).mean())
    return float(10 * np.log10(4.0 / max(mse, 1e-12)))


def _timed(fn, *args) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn(*args)
    return time.perf_counter() - wall, time.process_time() - cpu


def bench_preview(repeats: int) -> dict[str, Any]:
    """Ours and the previous preview taking turns frame by frame (a shared machine slows
    both alike), wall and process CPU time, and each preview's PSNR against the full
    image of the same edit area-downscaled to the preview's size."""
    import torch.nn.functional as F

    from guiapp.core.edits import apply_edits
    from guiapp.core.methods import sefa
    from guiapp.core.render import base_latents
    from guiapp.core.types import Edit, LayerRange

    model = BigGANModel(random_state_dict(DEEP_256), DEEP_256, "deep-256-random", "")
    ds = sefa.discover(model, sefa.Params(k=5, layers=LayerRange(3, 7)))
    base = base_latents(model, 1, 0.4, class_index=207)
    out: dict[str, Any] = {
        "shows": "every block runs; those after the preview size keep it, the upsampling "
                 "block that reaches it upsamples its output; anchored: the last full image "
                 "area-downscaled plus that preview's change from it; then upscaled",
        "preview_gflop": {str(r): round(preview_flops(DEEP_256, r) / 1e9, 2)
                          for r in model.preview_resolutions()},
        "previous_preview_gflop": {str(r): round(preview_flops(DEEP_256, r, False) / 1e9, 2)
                                   for r in model.preview_resolutions()}}
    stops = [r for r in model.preview_resolutions() if r < model.resolution]
    for label, layers in (("all_layers", None), ("layers_7_12", LayerRange(7, 13))):
        res: dict[str, Any] = {}
        with torch.inference_mode():
            for stop in stops:
                times: dict[str, list[tuple[float, float]]] = {"ours": [], "previous": []}
                for i in range(max(3, repeats) + 1):  # the first one fills the block cache
                    ws = apply_edits(base, ds, [Edit(0, 0.1 * i, layers)])
                    times["ours"].append(_timed(model.synthesize_preview, ws, stop))
                    if layers is None:
                        times["previous"].append(_timed(previous_preview, model, ws, stop))
                row: dict[str, Any] = {}
                for name, ts in times.items():
                    if ts:
                        row[f"{name}_p50_s"] = p50([w for w, _ in ts[1:]])
                        row[f"{name}_cpu_p50_s"] = p50([c for _, c in ts[1:]])
                if layers is None:
                    ws = apply_edits(base, ds, [Edit(0, 3.0, layers)])
                    model.to("cpu")  # no anchor (a batch records none)
                    truth, unedited = F.adaptive_avg_pool2d(
                        model.synthesize(torch.cat([ws, base])), stop).split(1)
                    row["psnr_db"] = psnr(model.synthesize_preview(ws, stop), truth)
                    row["previous_psnr_db"] = psnr(previous_preview(model, ws, stop), truth)
                    model.synthesize(base)  # the image the window shows before a drag
                    row["anchored_psnr_db"] = psnr(model.synthesize_preview(ws, stop), truth)
                    row["unedited_image_psnr_db"] = psnr(unedited, truth)
                res[str(stop)] = row
        ok = [int(r) for r, row in res.items() if row["ours_p50_s"] <= 0.1]
        ok_cpu = [int(r) for r, row in res.items() if row["ours_cpu_p50_s"] <= 0.1]
        out[label] = {"per_stop": res, "largest_preview_at_10_per_s": max(ok, default=None),
                      "largest_preview_at_10_per_s_by_cpu_time": max(ok_cpu, default=None)}
    return out


def preview_flops(cfg: BigGANConfig, stop: int, deferred: bool = True) -> float:
    """Multiply-adds x 2 of the convolutions of a preview that stops upsampling at ``stop``
    (``deferred``: the block reaching it convolves at half of it, as ours does)."""
    ch, res, total = cfg.channel_width, 4, 0.0
    full = stop >= cfg.output_dim
    for up, a, b in cfg.layers:
        cin, cout = ch * a, ch * b
        mid = cin // 4
        out = res * 2 if up and res < stop else res
        inner = res if deferred and not full and out == stop and out > res else out
        total += 2 * (cin * mid * res**2 + 2 * 9 * mid * mid * inner**2 + mid * cout * inner**2)
        res = out
    return total + 2 * 9 * ch * 3 * res**2


def gen_z_batches(n: int, batch: int, seed: int = 0):
    """BigGAN-deep-512's gen_z activations (32 768-D) for truncnorm z and class 207."""
    from guiapp.core.models.biggan.classes import truncated_noise

    gen = torch.Generator().manual_seed(seed)
    weight = torch.randn(32_768, 256, generator=gen) / 16
    bias = torch.randn(32_768, generator=gen) * 0.1
    embed = torch.randn(128, generator=gen)
    for start in range(0, n, batch):
        b = min(batch, n - start)
        z = torch.from_numpy(truncated_noise(b, 128, seed + start)).float()
        yield torch.addmm(bias, torch.cat([z, embed.expand(b, -1)], 1), weight.T)


def subspace_cosines(a: np.ndarray, b: np.ndarray) -> list[float]:
    qa = np.linalg.qr(np.asarray(a, np.float64).T)[0]
    qb = np.linalg.qr(np.asarray(b, np.float64).T)[0]
    return [float(c) for c in np.linalg.svd(qa.T @ qb, compute_uv=False)]


def bench_pca(n: int) -> dict[str, Any]:
    from sklearn.decomposition import IncrementalPCA

    from guiapp.core.methods.streaming_pca import streaming_pca

    k, batch = 80, 160
    data = torch.cat(list(gen_z_batches(n, 500)))
    log(f"pca: {n} activations of {data.shape[1]}")
    t = time.perf_counter()
    ours = streaming_pca(data.split(500), data.shape[1], k, seed=0)
    ours_s = time.perf_counter() - t
    ipca = IncrementalPCA(k, batch_size=batch)
    array = data.numpy()
    t = time.perf_counter()
    for start in range(0, n, batch):
        ipca.partial_fit(array[start : start + batch])
    ipca_s = time.perf_counter() - t
    exact = _exact_top(data, TOP)
    return {"samples": n, "dim": int(data.shape[1]), "k": k, "streaming_s": ours_s,
            "ipca_s": ipca_s, "speedup": ipca_s / ours_s,
            "top10_cosines_streaming_vs_ipca": subspace_cosines(ours.components[:TOP],
                                                                ipca.components_[:TOP]),
            "top10_cosines_streaming_vs_exact": subspace_cosines(ours.components[:TOP], exact),
            "top10_cosines_ipca_vs_exact": subspace_cosines(ipca.components_[:TOP], exact)}


def _exact_top(data: torch.Tensor, k: int) -> np.ndarray:
    """The exact top-``k`` principal directions, through the (N, N) Gram matrix."""
    centred = data.double() - data.double().mean(0)
    values, vectors = torch.linalg.eigh(centred @ centred.T)
    top = vectors[:, -k:].flip(1)
    return (centred.T @ top / values[-k:].flip(0).sqrt()).T.numpy()


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM), MiB."""
    with open("/proc/self/status") as fh:
        line = next(x for x in fh if x.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def bench_memory(n: int) -> dict[str, float]:
    """Peak memory of the streaming estimator at N / 4, N and 4 N, each in a fresh process."""
    return {str(m): _child_peak_mb(m) for m in (n // 4, n, 4 * n)}


def _child_peak_mb(n: int) -> float:
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent through exec.
    code = ("from benchmarks.bench_biggan import gen_z_batches, peak_mb; "
            "from guiapp.core.methods.streaming_pca import streaming_pca; "
            f"streaming_pca(gen_z_batches({n}, 500), 32768, 80); print(peak_mb())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="image,preview,pca,memory")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--pca-samples", type=int, default=4000)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads(),
                        help="torch's intra-op threads (1 is steadier on a busy machine)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    result: dict[str, Any] = {"machine": platform.processor() or platform.machine(),
                              "threads": torch.get_num_threads(),
                              "load_average_at_start": os.getloadavg()}
    parts = args.parts.split(",")
    if "image" in parts:
        log("image")
        result["image"] = bench_image(args.repeats)
    if "preview" in parts:
        log("preview")
        result["preview"] = bench_preview(args.repeats)
    if "pca" in parts:
        log("pca")
        result["pca"] = bench_pca(args.pca_samples)
    if "memory" in parts:
        log("memory")
        result["streaming_pca_peak_mb_by_n"] = bench_memory(args.pca_samples)
    result["peak_mb"] = peak_mb()
    result["load_average_at_end"] = os.getloadavg()
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
