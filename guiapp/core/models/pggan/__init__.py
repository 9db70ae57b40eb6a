"""PGGAN (Karras et al. 2018): network, readers of its three file formats, adapter.

The registry's readers (``register_reader`` in :mod:`guiapp.core.models.registry`):
:func:`read_tf` for an unpickled TensorFlow pickle (NVIDIA's ``(G, D, Gs)`` tuple of
``tfutil.Network`` records), :func:`read_torch` for a ``torch.save`` object (genforce or
GAN Dissection); each returns None for a file of another family.
"""

from __future__ import annotations

from typing import Any

from guiapp.core.models.formats import limits
from guiapp.core.models.pggan.adapter import FORMATS, PGGANModel, model_from_weights
from guiapp.core.models.pggan.tf_reader import is_pggan_tf_data, weights_from_tf
from guiapp.core.models.pggan.torch_readers import (
    gandissect_state,
    genforce_state,
    weights_from_gandissect,
    weights_from_genforce,
)

__all__ = ["FORMATS", "PGGANModel", "is_pggan_checkpoint", "is_pggan_tf_data",
           "load_pggan_checkpoint", "load_pggan_tf", "read_tf", "read_torch"]

def _guarded(build: Any) -> Any:
    return limits.guarded_build(build, "PGGAN")


def load_pggan_tf(data: Any, name: str, model_id: str) -> PGGANModel:
    """The PGGAN model of an unpickled progressive_growing_of_gans ``(G, D, Gs)`` tuple."""
    return _guarded(lambda: model_from_weights(weights_from_tf(data), name, model_id, "tf"))


def is_pggan_checkpoint(ckpt: Any) -> bool:
    """Whether a ``torch.save`` object is a genforce or GAN Dissection PGGAN."""
    return genforce_state(ckpt) is not None or gandissect_state(ckpt) is not None


def load_pggan_checkpoint(ckpt: Any, name: str, model_id: str) -> PGGANModel | None:
    """The PGGAN model of a genforce or GAN Dissection checkpoint; None if it is neither."""
    sd = genforce_state(ckpt)
    if sd is not None:
        return _guarded(lambda: model_from_weights(weights_from_genforce(sd), name, model_id,
                                                   "genforce"))
    sd = gandissect_state(ckpt)
    if sd is not None:
        return _guarded(lambda: model_from_weights(weights_from_gandissect(sd), name, model_id,
                                                   "gandissect"))
    return None


def read_tf(data: Any, src: Any) -> PGGANModel | None:
    """Registry reader of kind ``"tf"``: a PGGAN pickle's model, None for other networks."""
    if not is_pggan_tf_data(data):
        return None
    return load_pggan_tf(data, src.name, src.model_id)


def read_torch(ckpt: Any, src: Any) -> PGGANModel | None:
    """Registry reader of kind ``"torch"``: a genforce / GAN Dissection PGGAN, else None."""
    return load_pggan_checkpoint(ckpt, src.name, src.model_id)
