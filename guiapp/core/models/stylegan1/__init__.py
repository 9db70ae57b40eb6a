"""StyleGAN (v1) (Karras et al. 2019): network, readers of its two file formats, adapter.

The registry's readers (``register_reader`` in :mod:`guiapp.core.models.registry`):
:func:`read_tf` for an unpickled TensorFlow pickle (NVIDIA's ``(G, D, Gs)`` tuple with a
``G_style`` ``Gs``), :func:`read_torch` for a ``torch.save`` object (genforce's stylegan
``.pth``); each returns None for a file of another family.
"""

from __future__ import annotations

from typing import Any

from guiapp.core.models.formats import limits
from guiapp.core.models.stylegan1.adapter import FORMATS, StyleGAN1Model, model_from_weights
from guiapp.core.models.stylegan1.genforce_reader import (
    genforce_stylegan1_state,
    weights_from_genforce,
)
from guiapp.core.models.stylegan1.tf_reader import is_stylegan1_tf_data, weights_from_tf

__all__ = ["FORMATS", "StyleGAN1Model", "is_stylegan1_tf_data", "read_tf", "read_torch"]

def _guarded(build: Any) -> Any:
    return limits.guarded_build(build, "StyleGAN (v1)")


def read_tf(data: Any, src: Any) -> StyleGAN1Model | None:
    """Registry reader of kind ``"tf"``: a StyleGAN (v1) pickle's model, None for others."""
    if not is_stylegan1_tf_data(data):
        return None

    def build() -> StyleGAN1Model:
        weights, truncation = weights_from_tf(data)
        return model_from_weights(weights, src.name, src.model_id, "tf", truncation)

    return _guarded(build)


def read_torch(ckpt: Any, src: Any) -> StyleGAN1Model | None:
    """Registry reader of kind ``"torch"``: a genforce StyleGAN (v1) checkpoint, else None."""
    sd = genforce_stylegan1_state(ckpt)
    if sd is None:
        return None
    return _guarded(lambda: model_from_weights(weights_from_genforce(sd), src.name,
                                               src.model_id, "genforce"))
