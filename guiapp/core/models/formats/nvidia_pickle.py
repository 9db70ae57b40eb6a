"""Open NVIDIA StyleGAN2-ADA / stylegan3-repo StyleGAN2 network pickles without running
their code, as our own StyleGAN2 network.

NVIDIA's snapshots (stylegan2-ada-pytorch, Karras et al. 2020, "Training Generative
Adversarial Networks with Limited Data"; StyleGAN2, Karras et al. 2020, "Analyzing and
Improving the Image Quality of StyleGAN", as ported in the stylegan3 repository) are
pickles of ``{'G', 'D', 'G_ema', 'augment_pipe', 'training_set_kwargs', ...}``. They are
read by :mod:`guiapp.core.models.formats.restricted_pickle`, which turns every network into a
:class:`PersistentRecord` without executing its stored module source. This module reads
the generator's configuration from the recorded attributes (``architecture``,
``conv_clamp``, ``num_layers``, the mapping's ``bias_gain`` = lr multiplier, ...) and the
weight shapes (channels per resolution), builds
:class:`~guiapp.core.models.stylegan2.network.Generator` and loads the recorded parameters and
buffers into it (strictly: every name and shape must match). StyleGAN3 generators go to
:mod:`guiapp.core.models.stylegan3.adapter`; TensorFlow ``(G, D, Gs)`` pickles (StyleGAN2 and
StyleGAN2-ADA) to :mod:`guiapp.core.models.formats.tf_pickle`, which refuses other TensorFlow
networks (StyleGAN1, ...) with a clear message.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from guiapp.core.models.base import ModelLoadError
from guiapp.core.models.formats.nvidia_record import (
    find_generator_record,
    generator_parts,
    style_settings,
)
from guiapp.core.models.formats.nvidia_stylegan3 import (
    is_stylegan3_record,
    load_stylegan3_record,
)
from guiapp.core.models.formats.restricted_pickle import (
    FileRefusal,
    PersistentRecord,
    restricted_load,
)
from guiapp.core.models.formats.weights import build_checked
from guiapp.core.models.stylegan2.adapter import StyleGANModel
from guiapp.core.models.stylegan2.network import Generator, StyleGAN2Config

if TYPE_CHECKING:
    from guiapp.core.models.registry import Source

FORMAT = "stylegan2-nvidia-pickle"


def _attr(record: PersistentRecord, key: str, default: Any = None) -> Any:
    return record.state.get(key, default)


def config_from_record(record: PersistentRecord) -> StyleGAN2Config:
    """Read the network's configuration from the recorded attributes and weight shapes.

    Raises
    ------
    ModelLoadError
        For StyleGAN3 and other networks this module does not build.
    """
    synthesis, mapping = generator_parts(record)
    if "input" in synthesis.modules or any(k.startswith("L0_") for k in synthesis.modules):
        raise ModelLoadError("StyleGAN3 is not supported yet")
    try:
        res = int(_attr(record, "img_resolution"))
        blocks = {r: synthesis.modules[f"b{r}"] for r in _block_resolutions(res)}
        channels = {r: int(b.tensors()["conv1.weight"].shape[0]) for r, b in blocks.items()}
        first_conv = blocks[4].modules["conv1"]
        fc0 = mapping.modules["fc0"]
        embed = mapping.modules.get("embed")
        w_dim = int(_attr(record, "w_dim"))
        layer_features = int(fc0.tensors()["weight"].shape[0])
        return StyleGAN2Config(
            **style_settings(record, mapping),
            channels=channels,
            architecture=str(_attr(blocks[4], "architecture", "skip")),
            conv_clamp=_attr(first_conv, "conv_clamp"),
            embed_features=None if embed is None else int(embed.tensors()["weight"].shape[0]),
            layer_features=None if layer_features == w_dim else layer_features,
            track_w_avg="w_avg" in (mapping.state.get("_buffers") or {}),
            use_noise=bool(_attr(first_conv, "use_noise", True)),
        )
    except ModelLoadError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise ModelLoadError(f"unexpected StyleGAN2 network record ({exc})") from None


def _block_resolutions(res: int) -> list[int]:
    if res < 4 or res & (res - 1):
        raise ValueError(f"resolution {res}")
    return [2**i for i in range(2, res.bit_length())]


def generator_from_record(record: PersistentRecord) -> Generator:
    """Build our :class:`Generator` from a recorded NVIDIA ``Generator`` and load its weights."""
    cfg = config_from_record(record)
    net = build_checked(lambda: Generator(cfg), record.tensors(), cfg.param_estimate())
    return net.eval().requires_grad_(False)


def read_pickle(path: Path) -> Any:
    """The object of a pickle, read by the restricted unpickler (no code from the file
    runs); one-line ModelLoadError for refused globals and corrupt streams."""
    try:
        with open(path, "rb") as fh:
            return restricted_load(fh)
    except FileRefusal as exc:
        raise ModelLoadError(f"{path.name}: {exc}") from None
    except MemoryError:
        raise ModelLoadError(f"{path.name}: the pickle needs more memory than it can use") from None
    except Exception as exc:  # any failure of a corrupt stream
        first_line = (str(exc).splitlines() or [""])[0][:200]
        raise ModelLoadError(
            f"{path.name}: corrupt or truncated pickle ({type(exc).__name__}: {first_line})"
        ) from None


def read_pickled_generator(data: Any, src: Source) -> StyleGANModel:
    """The StyleGAN2 or StyleGAN3 model of an unpickled NVIDIA snapshot (the registry's
    last ``"pickle"`` reader: it explains why anything else is refused).

    Raises
    ------
    ModelLoadError
        One line: no generator, unsupported network, or weights that do not fit.
    """
    try:
        record = find_generator_record(data)
        if is_stylegan3_record(record):
            return load_stylegan3_record(record, src.name, src.model_id)
        net = generator_from_record(record)
    except ModelLoadError as exc:
        raise ModelLoadError(f"{src.path.name}: {exc}") from None
    return StyleGANModel(net, src.name, src.model_id, FORMAT)
