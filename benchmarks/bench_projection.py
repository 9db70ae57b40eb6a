"""How well and how fast projection reproduces images (issue 12).

Prints JSON:

- ``ground_truth``: images the model made itself from known latents (the built-in model,
  z; a StyleGAN2 test generator with random weights, w), projected at each ``--steps``:
  PSNR (dB), shift-tolerant LPIPS of the reconstruction, the latent error
  (``|found - true| / |true|`` for z; ``|found - true| / w_std`` for w), seconds (wall and
  CPU); the StyleGAN2 target is drawn with fresh noise (a photo's noise is no map the
  file holds) and projected with and without optimised noise maps (``noise_maps``);
- ``photo``: real photos bundled in scikit-image's wheel (no download): the astronaut
  (Eileen Collins, NASA, public domain; the face crop found) and the cameraman (Lav
  Varshney, CC0; his profile is not found by the frontal-face detector, so a given crop),
  on the built-in model, the same figures without a latent error; and both on the
  StyleGAN2 test generator with and without noise maps (random weights, not a face model:
  the figures say how much of a photo the optimised noise maps carry);
- ``speed``: seconds per step of the built-in model's projection next to its floor, the
  generator's own forward + backward at batch 1 in the same process (``ratio``), and a
  256-px StyleGAN2-sized generator (512 channels, 14 w, random weights) per step.

``--strip FILE.png`` also writes the README's before/after strip (photo crop,
reconstruction, two SeFa edits).

    python -m benchmarks.bench_projection [--dcgan-steps 100,300,1000]
        [--stylegan-steps ...] [--photo-steps ...] [--photo-noise-steps 300]
        [--strip out.png] [--no-speed]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

import numpy as np
import torch

from guiapp.core.models.registry import load_model
from guiapp.core.projection import ProjectionSettings, project, w_stats
from guiapp.core.projection_loss import ReconstructionLoss, image_uint8

REF = "builtin:dcgan-digiface"


def _log(row: dict) -> dict:
    """Each figure on stderr as soon as it is measured (the whole run takes long)."""
    print(json.dumps(row), file=sys.stderr, flush=True)
    return row


def _figures(result, seconds: tuple[float, float], error: float | None = None) -> dict:
    out = {"steps": result.steps_done, "psnr_db": round(result.psnr, 2),
           "lpips": round(result.lpips, 4), "seconds": round(seconds[0], 1),
           "cpu_seconds": round(seconds[1], 1)}
    if error is not None:
        out["latent_error"] = round(error, 4)
    return out


def _timed(model, target, settings):
    start, cpu = time.perf_counter(), time.process_time()
    result = project(model, target, settings)
    return result, (time.perf_counter() - start, time.process_time() - cpu)


def ground_truth_dcgan(steps: list[int]) -> list[dict]:
    model = load_model(REF)
    z = torch.from_numpy(model.sample_z(1, 11)).float()
    with torch.no_grad():
        target = image_uint8(model.synthesize(model.map(z)))[0]
    rows = []
    for n in steps:
        result, seconds = _timed(model, target, ProjectionSettings(steps=n))
        err = float(np.linalg.norm(result.latent.array - z[0].numpy()) / z[0].norm())
        rows.append(_log({"model": "builtin dcgan (z)", **_figures(result, seconds, err)}))
    return rows


def stylegan2_generator(resolution: int = 64, channel_base: int = 4096, w_dim: int = 128,
                   mapping_layers: int = 4):
    """A StyleGAN2 with random weights (the tests' generator, larger), loaded like a file;
    ``channel_base=16384, w_dim=512, mapping_layers=8`` at 256 px is the size of NVIDIA's
    256-px configuration (512 channels up to 32 px, then halving to 64 at 256 px)."""
    import tempfile
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from stylegan_fixtures import random_generator, tiny_config, write_nvidia_pickle

    cfg = tiny_config(img_resolution=resolution, channel_base=channel_base, channel_max=512,
                      z_dim=w_dim, w_dim=w_dim, mapping_layers=mapping_layers)
    folder = Path(tempfile.mkdtemp(prefix="bench_projection"))
    return load_model(str(write_nvidia_pickle(folder / "g.pkl", random_generator(cfg))))


def ground_truth_stylegan(steps: list[int]) -> list[dict]:
    if not steps:
        return []
    model = stylegan_model()
    z = torch.from_numpy(model.sample_z(1, 5)).float()
    with torch.no_grad():
        ws = model.map(z)
        fresh = torch.Generator().manual_seed(7)
        target = image_uint8(model.synthesize(ws, "random", generator=fresh))[0]
    _, w_std = w_stats(model)
    rows = []
    for n in steps:
        for noise in (False, True):
            result, seconds = _timed(model, target,
                                     ProjectionSettings(space="w", steps=n, noise=noise))
            err = float(np.linalg.norm(result.latent.array - ws[0, 0].numpy()) / w_std)
            rows.append(_log({"model": f"stylegan2 test generator {model.resolution}px (w)",
                              "noise_maps": noise, **_figures(result, seconds, err)}))
    return rows


_STYLEGAN: list = []


def stylegan_model():
    """The 32-px StyleGAN2 test generator, built once."""
    if not _STYLEGAN:
        _STYLEGAN.append(stylegan2_generator(resolution=32, channel_base=2048))
    return _STYLEGAN[0]


CAMERAMAN_CROP = (140, 50, 150)
"""x, y, size of the cameraman's head in skimage's 512-px ``camera`` image."""


def astronaut_target(model) -> np.ndarray:
    from skimage import data

    from guiapp.core.photo_crop import crop_square, crop_style, suggest_box

    rgb = data.astronaut()
    box, _ = suggest_box(rgb, faces=True, style=crop_style(model.name))
    return crop_square(rgb, box, model.resolution)


def cameraman_target(model) -> np.ndarray:
    from skimage import data

    from guiapp.core.photo_crop import crop_square

    rgb = np.repeat(data.camera()[..., None], 3, axis=2)  # greyscale, as an RGB photo
    return crop_square(rgb, CAMERAMAN_CROP, model.resolution)


PHOTOS = (("astronaut (NASA, public domain; face crop found)", astronaut_target),
          ("cameraman (Lav Varshney, CC0; crop given)", cameraman_target))


def photo(steps: list[int], noise_steps: list[int], noise_photos: int = len(PHOTOS)
          ) -> tuple[list[dict], tuple | None]:
    """Each photo's figures at each step count on the built-in model (and, at
    ``noise_steps``, the first ``noise_photos`` on the StyleGAN2 test generator with and
    without noise maps), and
    (model, target, last result) of the astronaut on the built-in model."""
    model = load_model(REF)
    rows, last = [], None
    for name, crop in PHOTOS:
        target = crop(model)
        for n in steps:
            result, seconds = _timed(model, target, ProjectionSettings(steps=n))
            rows.append(_log({"photo": name, "model": "builtin dcgan (z)",
                              **_figures(result, seconds)}))
            if last is None or name.startswith("astronaut"):
                last = (model, target, result)
    style = stylegan_model() if noise_steps else None
    for name, crop in PHOTOS[:noise_photos] if style is not None else ():
        target = crop(style)
        for n in noise_steps:
            for noise in (False, True):
                result, seconds = _timed(style, target,
                                         ProjectionSettings(steps=n, noise=noise))
                rows.append(_log({"photo": name, "model": f"stylegan2 test generator "
                                  f"{style.resolution}px (w)", "noise_maps": noise,
                                  **_figures(result, seconds)}))
    return rows, last


def _per_step(fn, repeats: int) -> float:
    fn()  # warm-up
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats


def speed(repeats: int) -> dict:
    model = load_model(REF)
    target = astronaut_target(model)
    loss = ReconstructionLoss(target)
    z = torch.randn(1, model.z_dim, requires_grad=True)

    def floor() -> None:
        model.synthesize(model.map(z)).square().mean().backward()

    def full() -> None:
        loss(model.synthesize(model.map(z))).sum().backward()

    out = {"builtin_generator_only_s_per_step": round(_per_step(floor, repeats), 4),
           "builtin_projection_s_per_step": round(_per_step(full, repeats), 4)}
    out["builtin_ratio"] = round(out["builtin_projection_s_per_step"]
                                 / out["builtin_generator_only_s_per_step"], 2)
    big = stylegan2_generator(resolution=256, channel_base=16384, w_dim=512, mapping_layers=8)
    w = big.w_avg[None, None].repeat(1, big.num_ws, 1).clone().requires_grad_(True)
    big_loss = ReconstructionLoss(np.zeros((256, 256, 3), np.uint8))

    def big_step() -> None:
        big_loss(big.synthesize(w)).sum().backward()

    out["stylegan2_256px_s_per_step"] = round(_per_step(big_step, max(1, repeats // 10)), 3)
    return out


def write_strip(path: str, model, target, result) -> dict:
    """Photo crop | reconstruction | two SeFa edits of it, side by side (3x, nearest)."""
    from guiapp.core.io import save_png
    from guiapp.core.methods import run_method
    from guiapp.core.render import render_request
    from guiapp.core.types import Edit, RenderRequest

    ds = run_method(model, "sefa", {"k": 8})
    tiles = [target, result.image]
    for index, alpha in ((0, 3.0), (1, -3.0)):
        req = RenderRequest(latent=result.latent, direction_set=ds,
                            edits=(Edit(index, alpha),))
        tiles.append(render_request(model, req))
    strip = np.concatenate(tiles, axis=1).repeat(3, axis=0).repeat(3, axis=1)
    save_png(path, strip, {"what": "photo, reconstruction, SeFa 0 +3, SeFa 1 -3"})
    return {"strip": path, "steps": result.steps_done, "psnr_db": round(result.psnr, 2)}


def _steps(text: str) -> list[int]:
    return [int(s) for s in text.split(",") if s]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dcgan-steps", default="100,300,1000",
                        help="ground truth on the built-in model ('' skips)")
    parser.add_argument("--stylegan-steps", default="100,300,1000",
                        help="ground truth on the StyleGAN2 test generator ('' skips)")
    parser.add_argument("--photo-steps", default="100,300,1000",
                        help="the photos on the built-in model ('' skips)")
    parser.add_argument("--photo-noise-steps", default="300",
                        help="the photos on the StyleGAN2 test generator, with and without "
                        "noise maps ('' skips)")
    parser.add_argument("--photo-noise-count", type=int, default=len(PHOTOS),
                        help="how many of the photos (astronaut, cameraman) go on the "
                        "StyleGAN2 test generator")
    parser.add_argument("--repeats", type=int, default=20, help="steps timed for speed")
    parser.add_argument("--no-speed", dest="speed", action="store_false")
    parser.add_argument("--strip", help="write the README's before/after strip here (from "
                        "the photo's last projection)")
    args = parser.parse_args()
    report: dict = {"machine": platform.processor() or platform.machine(),
                    "threads": torch.get_num_threads()}
    if args.speed:
        report["speed"] = _log(speed(args.repeats))
    report["ground_truth"] = (ground_truth_dcgan(_steps(args.dcgan_steps))
                              + ground_truth_stylegan(_steps(args.stylegan_steps)))
    report["load"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    rows, last = photo(_steps(args.photo_steps), _steps(args.photo_noise_steps),
                       args.photo_noise_count)
    report["photo"] = rows
    if args.strip and last is not None:
        report["strip"] = write_strip(args.strip, *last)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
