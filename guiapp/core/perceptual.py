"""Shift-tolerant LPIPS (Ghildyal & Liu 2022; Zhang et al. 2018) in our own small network.

The ``stlpips-pytorch`` wheel ships the whole trained metric (backbone and the linear
calibration) as ``weights/vST0.0/{alex,vgg}_shift_tolerant.pth``. We locate those files with
``importlib.util.find_spec`` without importing the package (its code imports torchvision and
IPython) and read them with ``torch.load(weights_only=True)``: plain tensors, no code.

The networks are AlexNet and VGG16 made shift tolerant: every stride is replaced by a
stride-1 max pool (or a stride-1 first convolution) followed by a blur pool, a fixed 3x3
binomial filter applied per channel after a 2-pixel reflection pad, with stride 2. The
distance is the LPIPS v0.1 recipe: shift/scale the input, unit-normalise each stage's
features over channels, square the difference, weight channels with the 1x1 ``lin`` layer,
average over space, sum the stages.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

NETS = ("alex", "vgg")

# One stage per LPIPS layer: ("conv", index, padding, stride) / ("blur", index) / ("pool", k)
# / ("relu",). The indices are the layer numbers in the weight file (``net.sliceN.INDEX``).
_ALEX = (
    (("conv", 0, 2, 1), ("blur", 1), ("relu",)),
    (("pool", 3), ("blur", 4), ("conv", 5, 2, 1), ("relu",)),
    (("pool", 3), ("blur", 8), ("conv", 9, 1, 1), ("relu",)),
    (("conv", 11, 1, 1), ("relu",)),
    (("conv", 13, 1, 1), ("relu",)),
)


def _vgg_stage(first: int, convs: int, pooled: bool) -> tuple[tuple, ...]:
    ops: list[tuple] = [("pool", 2), ("blur", first + 1)] if pooled else []
    start = first + 2 if pooled else first
    for i in range(convs):
        ops += [("conv", start + 2 * i, 1, 1), ("relu",)]
    return tuple(ops)


_VGG = (
    _vgg_stage(0, 2, False),
    _vgg_stage(4, 2, True),
    _vgg_stage(10, 3, True),
    _vgg_stage(18, 3, True),
    _vgg_stage(26, 3, True),
)
_PLANS = {"alex": _ALEX, "vgg": _VGG}
_CHANNELS = {"alex": (64, 192, 384, 256, 256), "vgg": (64, 128, 256, 512, 512)}


class PerceptualError(RuntimeError):
    """The LPIPS weights are missing or not what this network expects (one line)."""


def weights_path(net: str) -> Path:
    """Where the installed ``stlpips-pytorch`` wheel keeps ``net``'s weights (no import)."""
    if net not in NETS:
        raise ValueError(f"perceptual network must be one of {', '.join(NETS)}, not {net!r}")
    spec = importlib.util.find_spec("stlpips_pytorch")
    if spec is None or not spec.submodule_search_locations:
        raise PerceptualError("the LPIPS weights are missing: install stlpips-pytorch")
    folder = Path(next(iter(spec.submodule_search_locations)))
    path = folder / "weights" / "vST0.0" / f"{net}_shift_tolerant.pth"
    if not path.is_file():
        raise PerceptualError(f"{path}: the LPIPS weights file is missing")
    return path


class LPIPS(nn.Module):
    """Shift-tolerant LPIPS distance between image batches in [-1, 1].

    ``forward(a, b)`` with (N, 3, H, W) tensors returns (N,) distances (0: identical).
    Its weights never train (``requires_grad`` is off); gradients flow to the images.
    """

    def __init__(self, state: dict[str, torch.Tensor], net: str) -> None:
        super().__init__()
        self.net = net
        self.plan = _PLANS[net]
        self.register_buffer("shift", _take(state, "scaling_layer.shift", (1, 3, 1, 1)))
        self.register_buffer("scale", _take(state, "scaling_layer.scale", (1, 3, 1, 1)))
        self.layers = nn.ParameterDict()
        cin = 3
        for s, stage in enumerate(self.plan, start=1):
            for op in stage:
                key = f"net.slice{s}.{op[1]}" if op[0] in ("conv", "blur") else ""
                if op[0] == "conv":
                    w = state.get(f"{key}.weight")
                    if w is None or w.ndim != 4 or w.shape[1] != cin:
                        raise PerceptualError(f"LPIPS weights: {key}.weight has the wrong shape")
                    self._add(f"{key}.weight", w)
                    self._add(f"{key}.bias", _take(state, f"{key}.bias", (w.shape[0],)))
                    cin = w.shape[0]
                elif op[0] == "blur":
                    self._add(f"{key}.filt", _take(state, f"{key}.filt", (cin, 1, 3, 3)))
            want = _CHANNELS[net][s - 1]
            if cin != want:
                raise PerceptualError(f"LPIPS weights: stage {s} has {cin} channels, not {want}")
            self._add(f"lin{s - 1}", _take(state, f"lin{s - 1}.model.1.weight", (1, cin, 1, 1)))
        self.requires_grad_(False)
        self.eval()

    def _add(self, name: str, tensor: torch.Tensor) -> None:
        self.layers[name.replace(".", "_")] = nn.Parameter(tensor.float().clone(), False)

    def _get(self, name: str) -> torch.Tensor:
        return self.layers[name.replace(".", "_")]

    def stages(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The five stages' activations of images ``x`` in [-1, 1]."""
        x = (x - self.shift) / self.scale
        out = []
        for s, stage in enumerate(self.plan, start=1):
            for op in stage:
                if op[0] == "conv":
                    key = f"net.slice{s}.{op[1]}"
                    x = F.conv2d(x, self._get(f"{key}.weight"), self._get(f"{key}.bias"),
                                 stride=op[3], padding=op[2])
                elif op[0] == "blur":
                    x = F.pad(x, (2, 2, 2, 2), mode="reflect")
                    filt = self._get(f"net.slice{s}.{op[1]}.filt")
                    x = F.conv2d(x, filt, stride=2, groups=x.shape[1])
                elif op[0] == "pool":
                    x = F.max_pool2d(x, op[1], stride=1)
                else:
                    x = F.relu(x)
            out.append(x)
        return out

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The stages' activations of ``x``, unit length over channels at every pixel
        (compute a fixed target's once, then compare with :meth:`distance`)."""
        return [f / (f.square().sum(1, keepdim=True).sqrt() + 1e-10) for f in self.stages(x)]

    def distance(self, fa: list[torch.Tensor], fb: list[torch.Tensor]) -> torch.Tensor:
        """(N,) distances between two lists of :meth:`features` (broadcast over N)."""
        total = None
        for i, (x, y) in enumerate(zip(fa, fb, strict=True)):
            # the 1x1 lin layer is linear: average over space first, then weigh channels
            d = (x - y).square().mean((2, 3)) @ self._get(f"lin{i}").view(-1)
            total = d if total is None else total + d
        assert total is not None
        return total

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """(N,) LPIPS distances between image batches ``a`` and ``b`` in [-1, 1]."""
        return self.distance(self.features(a), self.features(b))


def _take(state: dict[str, torch.Tensor], key: str, shape: tuple[int, ...]) -> torch.Tensor:
    value = state.get(key)
    if not isinstance(value, torch.Tensor) or tuple(value.shape) != shape:
        raise PerceptualError(f"LPIPS weights: {key} is missing or not of shape {shape}")
    if not torch.isfinite(value).all():
        raise PerceptualError(f"LPIPS weights: {key} holds a value that is not finite")
    return value


_CACHE: dict[tuple[str, str], LPIPS] = {}


def load_lpips(net: str = "alex", device: str | torch.device = "cpu") -> LPIPS:
    """The shift-tolerant LPIPS ``net`` ("alex" or "vgg") on ``device``, cached."""
    key = (net, str(device))
    if key not in _CACHE:
        path = weights_path(net)
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # a damaged file: torch raises many kinds
            raise PerceptualError(f"{path}: cannot read the LPIPS weights ({exc})") from None
        if not isinstance(state, dict):
            raise PerceptualError(f"{path}: is not a table of LPIPS weights")
        _CACHE[key] = LPIPS(state, net).to(device)
    return _CACHE[key]
