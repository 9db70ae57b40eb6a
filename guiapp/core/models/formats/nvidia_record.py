"""What StyleGAN2 and StyleGAN3 generator records of an NVIDIA pickle have in common:
finding ``G_ema``, its mapping and synthesis networks, and the settings both read the
same way (latent sizes, resolution, mapping depth and learning-rate multiplier)."""

from __future__ import annotations

from typing import Any

from guiapp.core.models.base import ModelLoadError
from guiapp.core.models.formats.pickle_records import PersistentRecord


def find_generator_record(data: Any) -> PersistentRecord:
    """The ``G_ema`` record of a snapshot dict (or ``G`` if there is no ``G_ema``)."""
    if isinstance(data, PersistentRecord):
        return data
    if isinstance(data, dict):
        for key in ("G_ema", "G"):
            if isinstance(data.get(key), PersistentRecord):
                return data[key]
    raise ModelLoadError("this pickle holds no StyleGAN generator ('G_ema')")


def generator_parts(record: PersistentRecord) -> tuple[PersistentRecord, PersistentRecord]:
    """``(synthesis, mapping)`` of a recorded ``Generator``; one-line errors otherwise."""
    if record.class_name != "Generator":
        raise ModelLoadError(f"expected a Generator network, found {record.class_name!r}")
    try:
        return record.modules["synthesis"], record.modules["mapping"]
    except KeyError:
        raise ModelLoadError("the generator record has no mapping/synthesis network") from None


def style_settings(record: PersistentRecord, mapping: PersistentRecord) -> dict[str, Any]:
    """The config fields StyleGAN2 and StyleGAN3 share, from the generator's attributes and
    its mapping network (``bias_gain`` of ``fc0`` is the mapping's lr multiplier).

    Raises KeyError, TypeError or ValueError for a record without them (callers turn
    these into their one-line message)."""
    state = record.state
    return {
        "z_dim": int(state["z_dim"]),
        "c_dim": int(state.get("c_dim", 0)),
        "w_dim": int(state["w_dim"]),
        "img_resolution": int(state["img_resolution"]),
        "img_channels": int(state.get("img_channels", 3)),
        "mapping_layers": int(mapping.state["num_layers"]),
        "mapping_lr": float(mapping.modules["fc0"].state.get("bias_gain", 0.01)),
    }
