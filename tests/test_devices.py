"""Choosing where a model runs: device names checked up front with a one-line reason, the
CLI's --device, and exact float32 on CUDA."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from cli_support import PREFIX, REF, discover_sefa, run
from PIL import Image

from guiapp.core.devices import available_devices, prepare_device, resolve_device
from guiapp.core.models.registry import load_model

MISSING_GPU = f"cuda:{torch.cuda.device_count()}"
"""A CUDA device this machine does not have (none at all on a CPU-only machine)."""


def test_cpu_and_the_gpus_torch_sees_are_offered():
    devices = available_devices()
    assert devices[0] == "cpu"
    assert devices[1:] == [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    for name in devices:
        assert str(resolve_device(name)) == name


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("banana", "unknown device 'banana'"),
        ("mps", "unsupported device 'mps'"),
        (MISSING_GPU, "no CUDA GPU" if not torch.cuda.is_available() else "has CUDA devices 0 to"),
    ],
)
def test_a_device_this_machine_lacks_is_refused_with_the_reason(name, reason):
    with pytest.raises(ValueError, match=reason):
        resolve_device(name)


def test_device_names_are_read_leniently():
    assert resolve_device(" CPU ") == torch.device("cpu")
    if torch.cuda.is_available():
        assert resolve_device("cuda") == torch.device("cuda", 0)


def test_loading_on_a_missing_gpu_fails_before_reading_the_file(tmp_path):
    missing = tmp_path / "not-there.pkl"
    with pytest.raises(ValueError, match="cuda"):
        load_model(str(missing), MISSING_GPU)  # the device is refused, not the missing file


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_a_gpu_device_switches_tf32_off():
    torch.backends.cudnn.allow_tf32 = True
    prepare_device("cuda")
    assert not torch.backends.cudnn.allow_tf32
    assert not torch.backends.cuda.matmul.allow_tf32


def test_cli_render_on_a_missing_gpu_is_one_line_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "face.png"
    code, _, err = run(capsys, "render", REF, "--seed", "1", "--device", MISSING_GPU, "-o", out)
    assert code == 2
    assert err.startswith(PREFIX) and err.count("\n") == 1
    assert MISSING_GPU in err
    assert not out.exists()


def test_cli_discover_on_a_missing_gpu_leaves_the_old_file(tmp_path, capsys):
    old = discover_sefa(tmp_path)
    before = old.read_bytes()
    argv = ["discover", REF, "--method", "sefa", "--device", MISSING_GPU, "-o", old]
    code, _, err = run(capsys, *argv)
    assert code == 2 and MISSING_GPU in err
    assert old.read_bytes() == before


def test_cli_renders_the_same_image_on_every_device(tmp_path, capsys):
    images = []
    for device in available_devices():
        out = tmp_path / f"{device.replace(':', '-')}.png"
        code, _, err = run(capsys, "render", REF, "--seed", "3", "--device", device, "-o", out)
        assert code == 0, err
        images.append(np.asarray(Image.open(out)).astype(int))
    for image in images[1:]:  # the GPUs' against the CPU's: uint8 rounding at most
        assert np.abs(image - images[0]).max() <= 1
