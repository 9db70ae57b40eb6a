"""StyleGAN (v1) files on a CUDA GPU give the CPU's images (1e-3 on [-1, 1], as
tests/test_cuda.py holds the other formats to), random noise, previews and SeFa included
(skipped on a machine without CUDA; ``benchmarks/gpu_check.sh`` runs the CUDA tests)."""

from __future__ import annotations

import pytest
import torch
from stylegan1_fixtures import random_variables, write_genforce, write_tf_pickle

from guiapp.core.methods import sefa
from guiapp.core.models.registry import load_model

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


def test_both_stylegan1_formats_render_the_same_on_cuda(tmp_path):
    v = random_variables(channels={4: 16, 8: 16, 16: 12, 32: 8}, seed=4)
    for path in (write_tf_pickle(tmp_path / "g.pkl", v, tmp_path / "ran", fused_scale=True),
                 write_genforce(tmp_path / "g.pth", v)):
        cpu, gpu = load_model(str(path)), load_model(str(path), device="cuda")
        z = torch.from_numpy(cpu.sample_z(3, 5)).float()
        with torch.no_grad():
            wa, wb = cpu.truncate(cpu.map(z), 0.7, 8), gpu.truncate(gpu.map(z.cuda()), 0.7, 8)
            assert float((wa - wb.cpu()).abs().max()) <= 1e-4
            a, b = cpu.synthesize(wa), gpu.synthesize(wb).cpu()
            assert float((a - b).abs().max()) <= 1e-3, path.name
            noisy = gpu.synthesize(wb, "random", torch.Generator("cuda").manual_seed(1))
            assert noisy.device.type == "cuda" and float((noisy.cpu() - b).abs().max()) > 1e-3
            pa, pb = cpu.synthesize_preview(wa, 16), gpu.synthesize_preview(wb, 16).cpu()
        assert float((pa - pb).abs().max()) <= 1e-2  # each device fits its own read-out
        ds_a, ds_b = sefa.discover(cpu, sefa.Params(k=3)), sefa.discover(gpu, sefa.Params(k=3))
        for da, db in zip(ds_a.directions, ds_b.directions, strict=True):
            assert abs(float(da.vector @ db.vector)) > 0.999
