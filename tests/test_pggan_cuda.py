"""PGGAN and genforce StyleGAN2 files on a CUDA GPU give the CPU's images (1e-3 on [-1, 1],
as tests/test_cuda.py holds the other formats to), previews and SeFa included (skipped on
a machine without CUDA; ``benchmarks/gpu_check.sh`` runs the CUDA tests on a GPU)."""

from __future__ import annotations

import pytest
import torch
from genforce_stylegan2_fixtures import genforce_state_dict
from pggan_fixtures import (
    random_variables,
    unfused,
    write_gandissect,
    write_genforce,
    write_tf_pickle,
)
from stylegan_fixtures import random_generator, tiny_config

from guiapp.core.methods import sefa
from guiapp.core.models.registry import load_model

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


def _files(tmp_path):
    v = random_variables(channels={4: 16, 8: 16, 16: 12, 32: 8}, seed=4)
    gf2 = tmp_path / "genforce-sg2.pth"
    torch.save({"generator_smooth": genforce_state_dict(
        random_generator(tiny_config(conv_clamp=None), seed=1))}, gf2)
    return [write_tf_pickle(tmp_path / "g.pkl", v, tmp_path / "ran"),
            write_genforce(tmp_path / "g.pth", unfused(v)),
            write_gandissect(tmp_path / "gd.pth", v), gf2]


def test_every_pggan_format_renders_the_same_on_cuda(tmp_path):
    for path in _files(tmp_path):
        cpu, gpu = load_model(str(path)), load_model(str(path), device="cuda")
        z = torch.from_numpy(cpu.sample_z(3, 5)).float()
        with torch.no_grad():
            a = cpu.synthesize(cpu.map(z))
            b = gpu.synthesize(gpu.map(z.cuda())).cpu()
        assert float((a - b).abs().max()) <= 1e-3, path.name
        ds_a, ds_b = sefa.discover(cpu, sefa.Params(k=3)), sefa.discover(gpu, sefa.Params(k=3))
        for da, db in zip(ds_a.directions, ds_b.directions, strict=True):
            assert abs(float(da.vector @ db.vector)) > 0.999
        if cpu.format.startswith("pggan"):
            with torch.no_grad():
                pa = cpu.synthesize_preview(cpu.map(z), 16)
                pb = gpu.synthesize_preview(gpu.map(z.cuda()), 16).cpu()
            assert float((pa - pb).abs().max()) <= 1e-2  # each device fits its own read-out
