"""Where models run: the devices torch sees, a checked device name, and exact float32 on CUDA.

cuDNN runs float32 convolutions in TF32 by default on Ampere and later GPUs (10-bit
mantissa), which moves a StyleGAN image further from the official implementations than
their 1e-3 parity allows. guiapp renders with true float32 on CUDA instead
(:func:`use_exact_float32`); ``benchmarks/bench_cuda.py`` measures what that costs.
"""

from __future__ import annotations

import torch


def available_devices() -> list[str]:
    """``["cpu", "cuda:0", ...]``: the CPU and every CUDA device torch sees."""
    return ["cpu", *(f"cuda:{i}" for i in range(torch.cuda.device_count()))]


def device_choices() -> list[tuple[str, str]]:
    """``[(device id, what to show), ...]``: ``("cpu", "CPU")`` first, then
    ``("cuda:i", "CUDA i: <GPU name>")`` for every CUDA device torch sees."""
    gpus = [(f"cuda:{i}", f"CUDA {i}: {torch.cuda.get_device_name(i)}")
            for i in range(torch.cuda.device_count())]
    return [("cpu", "CPU"), *gpus]


def resolve_device(name: str | torch.device) -> torch.device:
    """``name`` ("cpu", "cuda", "cuda:N") as a device this machine has.

    Raises ValueError with a one-line reason for anything else (no CUDA here, an index
    past the last GPU, not a device name)."""
    text = str(name).strip().lower()
    try:
        device = torch.device(text)
    except RuntimeError:
        raise ValueError(f"unknown device {str(name)!r} (use cpu, cuda or cuda:N)") from None
    if device.type == "cpu":
        return torch.device("cpu")
    if device.type != "cuda":
        raise ValueError(f"unsupported device {str(name)!r} (use cpu, cuda or cuda:N)")
    count = torch.cuda.device_count()
    if count == 0:
        raise ValueError(f"device {text!r}: torch sees no CUDA GPU on this machine (use cpu)")
    index = 0 if device.index is None else device.index
    if index >= count:
        raise ValueError(f"device {text!r}: this machine has CUDA devices 0 to {count - 1}")
    return torch.device("cuda", index)


def use_exact_float32() -> None:
    """Compute float32 convolutions and matrix products in float32, not TF32 (process-wide)."""
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False


def prepare_device(name: str | torch.device) -> torch.device:
    """:func:`resolve_device`, with exact float32 switched on when it is a GPU."""
    device = resolve_device(name)
    if device.type == "cuda":
        use_exact_float32()
    return device
