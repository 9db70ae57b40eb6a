"""Open ``pytorch_pretrained_biggan`` files: the folder, the ``pytorch_model.bin`` with its
``config.json`` beside it, or the ``.bin`` alone (config inferred from the shapes).

The ``.bin`` is a ``torch.save`` state dict, often in the legacy (pre-zip) format; the
registry reads either through the restricted unpickler (:mod:`..formats.torch_files`), so
no code in the file runs and every storage size is checked against the bytes it has. A
state dict is recognised as BigGAN's by its keys (``embeddings.weight`` and
``generator.gen_z.weight_orig``), never by the file's name.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from guiapp.core.errors import ModelLoadError
from guiapp.core.models.biggan.config import BigGANConfig, infer_config, read_config_file

if TYPE_CHECKING:
    from guiapp.core.models.biggan.adapter import BigGANModel
    from guiapp.core.models.registry import Source

WEIGHTS_NAME = "pytorch_model.bin"
CONFIG_NAME = "config.json"
SIGNATURE = ("embeddings.weight", "generator.gen_z.weight_orig")


def is_biggan_state_dict(obj: Any) -> bool:
    """A dict of tensors with BigGAN's signature keys."""
    return isinstance(obj, dict) and all(isinstance(obj.get(k), torch.Tensor) for k in SIGNATURE)


def config_beside(weights: Path) -> Path | None:
    """``config.json`` next to the weights, or the cache's ``NAME-config.json`` for
    ``NAME-pytorch_model.bin``; None when there is none."""
    candidates = [weights.parent / CONFIG_NAME]
    if weights.name.endswith(WEIGHTS_NAME) and weights.name != WEIGHTS_NAME:
        candidates.insert(0, weights.parent / (weights.name[: -len(WEIGHTS_NAME)] + CONFIG_NAME))
    return next((c for c in candidates if c.is_file()), None)


def model_from_state_dict(sd: dict[str, Any], config: BigGANConfig | None, name: str,
                          model_id: str) -> BigGANModel:
    """Check ``sd`` against ``config`` (None: inferred from the shapes) and build the model."""
    from guiapp.core.models.biggan.adapter import BigGANModel

    not_tensors = [k for k, v in sd.items() if not isinstance(v, torch.Tensor)]
    if not_tensors:
        raise ModelLoadError(f"BigGAN state dict entry {str(not_tensors[0])[:60]!r} "
                             "is not a tensor")
    if config is None:
        try:
            config = infer_config(sd)
        except ValueError as exc:
            raise ModelLoadError(f"not a BigGAN-deep generator ({exc})") from None
    return BigGANModel(sd, config, name=name, model_id=model_id)


def _display_name(path: Path, name: str) -> str:
    """A file called ``pytorch_model.bin`` is named after its folder."""
    return path.parent.name or name if path.name == WEIGHTS_NAME else name


def read_state_dict(obj: Any, src: Source) -> BigGANModel | None:
    """Registry reader (kind ``"torch"``): a BigGAN state dict, with its config if beside it."""
    if not is_biggan_state_dict(obj):
        return None
    cfg_path = config_beside(src.path)
    config = None if cfg_path is None else read_config_file(cfg_path)
    return model_from_state_dict(obj, config, _display_name(src.path, src.name), src.model_id)


def read_folder(folder: Path, src: Source) -> BigGANModel | None:
    """Registry reader (kind ``"folder"``): ``pytorch_model.bin`` [+ ``config.json``]."""
    from guiapp.core.models.catalog import file_sha256
    from guiapp.core.models.formats.sniff import check_regular_file
    from guiapp.core.models.formats.torch_checkpoint import read_torch_file

    weights = folder / WEIGHTS_NAME
    if not weights.exists() and not weights.is_symlink():
        return None
    check_regular_file(weights, f"{folder.name}/{WEIGHTS_NAME}")
    sd = read_torch_file(weights)
    if not is_biggan_state_dict(sd):
        raise ModelLoadError(f"{folder.name}/{WEIGHTS_NAME}: is not a BigGAN state dict "
                             "(no embeddings.weight and generator.gen_z weights)")
    cfg_path = folder / CONFIG_NAME
    config = read_config_file(cfg_path) if cfg_path.is_file() else None
    return model_from_state_dict(sd, config, folder.name or src.name, file_sha256(weights))
