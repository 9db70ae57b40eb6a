"""Time one edited image on the built-in model: edit, synthesize, to uint8.

Prints JSON: p50 / p95 over ``--renders`` renders of guiapp's render path, next to a
baseline in the same process: the textbook DCGAN (ConvTranspose2d + BatchNorm2d modules in
eval mode, not folded) fed the same edited latent. Target: p50 <= 10 ms on a 2-core CPU.

    python -m benchmarks.bench_render [--renders 200] [--threads N]
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np
import torch
from safetensors.torch import load_file
from torch import nn

from guiapp.core.models.registry import DEFAULT_MODEL, find_builtin, load_model
from guiapp.core.render import base_latents, render_image, to_uint8
from guiapp.core.types import Direction, DirectionSet, Edit


def textbook_dcgan(tensors: dict[str, torch.Tensor]) -> nn.Sequential:
    """The PyTorch-tutorial DCGAN with separate BatchNorm modules (the baseline)."""
    layers: list[nn.Module] = []
    n = sum(1 for k in tensors if k.startswith("conv"))
    for i in range(n):
        w = tensors[f"conv{i}.weight"]
        conv = nn.ConvTranspose2d(
            w.shape[0], w.shape[1], 4, 1 if i == 0 else 2, 0 if i == 0 else 1, bias=False
        )
        conv.weight.data.copy_(w)
        layers.append(conv)
        if i < n - 1:
            bn = nn.BatchNorm2d(w.shape[1])
            bn.load_state_dict(
                {
                    p: tensors[f"bn{i}.{p}"]
                    for p in ("weight", "bias", "running_mean", "running_var")
                },
                strict=False,
            )
            layers += [bn, nn.ReLU()]
        else:
            layers.append(nn.Tanh())
    return nn.Sequential(*layers).eval()


def percentiles(times: list[float]) -> dict[str, float]:
    ms = np.array(times) * 1e3
    return {
        "p50_ms": round(float(np.percentile(ms, 50)), 3),
        "p95_ms": round(float(np.percentile(ms, 95)), 3),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--renders", type=int, default=200)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    model = load_model(DEFAULT_MODEL)
    rng = np.random.default_rng(0)
    vec = rng.normal(size=model.z_dim)
    ds = DirectionSet(
        "bench",
        "z",
        model.model_id,
        {},
        (Direction((vec / np.linalg.norm(vec)).astype(np.float32), 1.0),),
    )
    baseline = textbook_dcgan(load_file(str(find_builtin(DEFAULT_MODEL).weights)))

    ours, base = [], []
    for i in range(args.renders + 10):
        edits = [Edit(0, float(np.sin(i)) * 3)]
        t0 = time.perf_counter()
        render_image(model, seed=1, direction_set=ds, edits=edits)
        t1 = time.perf_counter()
        with torch.inference_mode():
            ws = base_latents(model, 1) + edits[0].alpha * torch.from_numpy(ds.vectors[0])
            to_uint8(baseline(ws[:, 0, :, None, None]))
        t2 = time.perf_counter()
        if i >= 10:  # warm-up
            ours.append(t1 - t0)
            base.append(t2 - t1)
    result = {
        "benchmark": "render_one_edited_image",
        "model": DEFAULT_MODEL,
        "renders": args.renders,
        "torch_threads": torch.get_num_threads(),
        "cpu": platform.processor() or platform.machine(),
        "guiapp": percentiles(ours),
        "baseline_textbook_dcgan": percentiles(base),
    }
    result["speedup_p50_vs_baseline"] = round(
        result["baseline_textbook_dcgan"]["p50_ms"] / result["guiapp"]["p50_ms"], 2
    )
    result["target_p50_ms"] = 10.0
    result["meets_target"] = result["guiapp"]["p50_ms"] <= 10.0
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
