"""Loading weights into our own networks, strictly: every name and shape must match, values
must be finite floats, and settings that describe a network far bigger than the tensors
present are refused before anything is allocated. Every family's reader uses these."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

import torch

from guiapp.core.errors import ModelLoadError
from guiapp.core.models.formats.limits import check_finite

N = TypeVar("N", bound=torch.nn.Module)


def check_weights_fit(
    expected: Mapping[str, torch.Tensor], tensors: Mapping[str, torch.Tensor]
) -> None:
    """Every name of ``expected`` present with its shape, nothing else; finite values."""
    missing = sorted(set(expected) - set(tensors))
    extra = sorted(set(tensors) - set(expected))
    wrong = [k for k in expected if k in tensors and tensors[k].shape != expected[k].shape]
    if missing or extra or wrong:
        parts = [
            f"{label}: {', '.join(keys[:3])}{' ...' if len(keys) > 3 else ''}"
            for label, keys in (("missing", missing), ("unexpected", extra), ("shape", wrong))
            if keys
        ]
        raise ModelLoadError("weights do not fit the network (" + "; ".join(parts) + ")")
    for key, value in tensors.items():
        if not value.is_floating_point():
            raise ModelLoadError(f"weight {key!r} is {value.dtype}, not floating point")
    check_finite(tensors)


def load_weights(net: torch.nn.Module, tensors: dict[str, torch.Tensor]) -> None:
    """Strict ``load_state_dict`` with a one-line :class:`ModelLoadError` on any mismatch
    or non-finite weight."""
    check_weights_fit(net.state_dict(), tensors)
    net.load_state_dict({k: v.float() for k, v in tensors.items()})


PARAM_SLACK = 4
"""How much more a file's settings may describe than its tensors hold (buffers the file
leaves out, such as fixed noise, and the estimate's rounding)."""


def check_size(estimate: int, tensors: Mapping[str, torch.Tensor]) -> None:
    """Refuse settings that describe a network far bigger than the weights present."""
    present = sum(t.numel() for t in tensors.values())
    if estimate > PARAM_SLACK * present + 2**20:
        raise ModelLoadError(
            f"the settings describe a network of about {estimate:,} numbers, but the file "
            f"holds {present:,}; refusing to build it"
        )


def build_checked(make: Callable[[], N], tensors: dict[str, torch.Tensor], estimate: int) -> N:
    """``make()`` loaded with ``tensors``, after checking that the settings' ``estimate``
    of the network's size fits the tensors present (so nothing big is allocated for a
    small file), then strictly (names, shapes, floating point, finite)."""
    check_size(estimate, tensors)
    net = make()
    load_weights(net, tensors)
    return net
