"""Layer presets: SeFa's own groups (0-1, 2-5, 6-end, as SeFa's interface offers them) next
to the StyleGAN-style coarse / middle / fine, in the core, the CLI and the SeFa page, and
each preset's tooltip naming the layers it takes."""

from __future__ import annotations

import pytest
from stylegan_fixtures import random_generator, write_nvidia_pickle

from guiapp.cli import main
from guiapp.core.io import load_direction_set
from guiapp.core.layers import ALL_PRESETS, PRESETS, layer_preset, preset_tooltip, resolve_layers
from guiapp.core.models.registry import DEFAULT_MODEL
from guiapp.core.types import LayerRange, ModelInfo
from guiapp.ui.method_panel import MethodPanel
from guiapp.ui.session_store import SessionStore


@pytest.mark.parametrize(
    ("num_ws", "expected"),
    [
        (14, {"SeFa 0-1": (0, 2), "SeFa 2-5": (2, 6), "SeFa 6-end": (6, 14)}),
        (18, {"sefa 0-1": (0, 2), "sefa-2-5": (2, 6), "SEFA 6-END": (6, 18)}),
        (4, {"SeFa 0-1": (0, 2), "SeFa 2-5": (2, 4), "SeFa 6-end": (3, 4)}),
        (1, {"SeFa 0-1": (0, 1), "SeFa 2-5": (0, 1), "SeFa 6-end": (0, 1)}),
    ],
)
def test_sefa_groups_are_sefas_interface_ranges(num_ws, expected):
    for name, (start, stop) in expected.items():
        assert layer_preset(name, num_ws) == LayerRange(start, stop)


def test_every_preset_is_non_empty_and_inside_the_generator():
    for n in range(1, 40):
        for name in ALL_PRESETS:
            layer_preset(name, n).check(n)


def test_stylegan_groups_are_not_sefas():
    """Coarse is 0-3 at 14 latents (StyleGAN's 4²-8²), not SeFa's 0-1."""
    assert layer_preset("coarse", 14) == LayerRange(0, 4)
    assert layer_preset("coarse", 14) != layer_preset("sefa 0-1", 14)
    assert "sefa" not in " ".join(PRESETS)


@pytest.mark.parametrize(
    ("name", "shown"),
    [("All", "0-13"), ("Coarse", "0-3"), ("Middle", "4-7"), ("Fine", "8-13"),
     ("SeFa 0-1", "0-1"), ("SeFa 2-5", "2-5"), ("SeFa 6-end", "6-13")],
)  # fmt: skip
def test_tooltips_name_the_layers_and_the_grouping(name, shown):
    tip = preset_tooltip(name, 14)
    assert tip.startswith(f"Layers {shown}")
    assert ("SeFa" in tip) == name.startswith("SeFa")
    assert ("StyleGAN-style" in tip) == (name in ("Coarse", "Middle", "Fine"))


def test_typed_ranges_still_parse():
    assert resolve_layers("sefa-6-end", 18) == LayerRange(6, 18)
    assert resolve_layers("2-5", 18) == LayerRange(2, 6)
    with pytest.raises(ValueError, match="unknown layer preset"):
        layer_preset("sefa 1-3", 14)


def test_sefa_page_offers_sefas_groups_with_tooltips(qtbot):
    store = SessionStore()
    store.set_model(DEFAULT_MODEL, ModelInfo(name="s", format="f", resolution=256, z_dim=512,
                                             w_dim=512, num_ws=14, model_id="def"))
    panel = MethodPanel(store)
    qtbot.addWidget(panel)
    combo = panel.sefa_layers.preset
    names = [combo.itemText(i) for i in range(combo.count())]
    assert names == ["All", "Coarse", "Middle", "Fine", "SeFa 0-1", "SeFa 2-5", "SeFa 6-end",
                     "Custom"]
    tips = {combo.itemText(i): combo.itemData(i, 3) for i in range(combo.count())}  # ToolTipRole
    assert tips["SeFa 2-5"].startswith("Layers 2-5 of 0-13")
    assert tips["Coarse"].startswith("Layers 0-3 of 0-13")
    combo.setCurrentText("SeFa 6-end")
    assert panel.params("sefa")["layers"] == LayerRange(6, 14)
    assert "6-13" in panel.sefa_layers.caption.text()
    # LatentCLR's picker keeps the StyleGAN-style presets only
    other = panel.latentclr.layers.preset
    assert "SeFa 0-1" not in [other.itemText(i) for i in range(other.count())]


def test_cli_sefa_takes_a_sefa_group(tmp_path, capsys):
    model = write_nvidia_pickle(tmp_path / "g.pkl", random_generator(seed=5))
    out = tmp_path / "sefa.npz"
    assert main(["discover", str(model), "--method", "sefa", "-k", "3",
                 "--layers", "sefa-2-5", "-o", str(out)]) == 0
    assert load_direction_set(out).directions[0].default_layers == LayerRange(2, 6)
