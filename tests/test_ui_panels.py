"""Model picker, method panel and image view against a real SessionStore, both ways:
the store changes and the widget follows; the user acts and the store (or a signal) follows."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from guiapp.core.layers import layer_preset
from guiapp.core.models.registry import DEFAULT_MODEL, builtin_models
from guiapp.core.seeds import SEED_MAX
from guiapp.core.types import LayerRange, ModelInfo
from guiapp.ui.image_view import ImageView
from guiapp.ui.method_panel import MethodPanel
from guiapp.ui.model_picker import ModelPicker
from guiapp.ui.qimage import array_to_qimage
from guiapp.ui.session_store import SessionStore

Z_INFO = ModelInfo(
    name="m", format="f", resolution=64, z_dim=100, w_dim=None, num_ws=1, model_id="abc"
)
STYLE_INFO = ModelInfo(
    name="s", format="f", resolution=256, z_dim=512, w_dim=512, num_ws=14, model_id="def"
)


def _store(info: ModelInfo | None = Z_INFO, ref: str = DEFAULT_MODEL) -> SessionStore:
    store = SessionStore()
    if info is not None:
        store.set_model(ref, info)
    return store


def _image(value: int, size: int = 64) -> np.ndarray:
    img = np.zeros((size, size, 3), np.uint8)
    img[..., 0] = value
    img[: size // 2, :, 1] = 255 - value
    return img


# -- qimage ------------------------------------------------------------------------------------
def test_array_to_qimage_copies_pixels_and_checks_shape(qapp):
    arr = _image(40, 8)[:, ::2]  # a non-contiguous view
    image = array_to_qimage(arr)
    expected = tuple(int(c) for c in arr[0, 1])
    del arr
    assert (image.width(), image.height()) == (4, 8)
    assert image.pixelColor(1, 0).getRgb()[:3] == expected
    with pytest.raises(ValueError, match="uint8"):
        array_to_qimage(np.zeros((4, 4), np.uint8))


# -- model picker ------------------------------------------------------------------------------
def _items(picker: ModelPicker) -> list[tuple[str, object]]:
    combo = picker._model_combo
    return [(combo.itemText(i), combo.itemData(i)) for i in range(combo.count())]


def test_picker_lists_builtins_then_recent_then_open(qtbot):
    picker = ModelPicker(_store(None))
    qtbot.addWidget(picker)
    picker.set_recent(["/models/a.safetensors"])
    items = _items(picker)
    builtin = builtin_models()[0]
    assert items[0] == (builtin.card["title"], builtin.ref)
    assert ("a.safetensors", "/models/a.safetensors") in items
    assert items[-1][0] == "Open model file…"
    assert picker._info.text().startswith("No model loaded")


def test_picker_open_file_entry_requests_the_chosen_path(qtbot, monkeypatch):
    store = _store()
    picker = ModelPicker(store)
    qtbot.addWidget(picker)
    monkeypatch.setattr(picker, "_ask_for_file", lambda: "/models/b.safetensors")
    combo = picker._model_combo
    with qtbot.waitSignal(picker.model_requested) as blocker:
        combo.activated.emit(combo.count() - 1)
    assert blocker.args == ["/models/b.safetensors"]
    assert combo.currentData() == "/models/b.safetensors"


def test_picker_cancelled_dialog_keeps_the_current_model(qtbot, monkeypatch):
    store = _store()
    picker = ModelPicker(store)
    qtbot.addWidget(picker)
    monkeypatch.setattr(picker, "_ask_for_file", lambda: None)
    combo = picker._model_combo
    with qtbot.assertNotEmitted(picker.model_requested):
        combo.setCurrentIndex(combo.count() - 1)
        combo.activated.emit(combo.count() - 1)
    assert combo.currentData() == DEFAULT_MODEL


def test_picker_requests_only_a_different_model(qtbot):
    picker = ModelPicker(_store())
    qtbot.addWidget(picker)
    picker.set_recent(["/models/a.safetensors"])
    combo = picker._model_combo
    with qtbot.assertNotEmitted(picker.model_requested):
        combo.activated.emit(combo.findData(DEFAULT_MODEL))
    with qtbot.waitSignal(picker.model_requested) as blocker:
        combo.activated.emit(combo.findData("/models/a.safetensors"))
    assert blocker.args == ["/models/a.safetensors"]


def test_picker_follows_store_model_and_lists_unknown_paths(qtbot):
    store = _store(None)
    picker = ModelPicker(store)
    qtbot.addWidget(picker)
    with qtbot.assertNotEmitted(picker.model_requested):
        store.set_model("/elsewhere/ffhq.safetensors", STYLE_INFO)
    assert picker._model_combo.currentData() == "/elsewhere/ffhq.safetensors"
    text = picker._info.text()
    assert "num_ws 14" in text and "w_dim 512" in text and "256×256" in text
    store.set_model(DEFAULT_MODEL, Z_INFO)
    assert "num_ws 1" in picker._info.text() and "w_dim —" in picker._info.text()
    picker.set_device_text("CUDA:0")
    assert "CUDA:0" in picker._info.text()


def test_picker_busy_disables_and_devices_request(qtbot):
    picker = ModelPicker(_store())
    qtbot.addWidget(picker)
    picker.set_busy(True)
    assert not picker._model_combo.isEnabled() and not picker._device_combo.isEnabled()
    picker.set_busy(False)
    assert picker._model_combo.isEnabled()
    picker.set_devices([("cuda:0", "CUDA 0: NVIDIA Test GPU")])  # the CPU is always offered
    devices = picker._device_combo
    assert picker.devices() == [("cpu", "CPU"), ("cuda:0", "CUDA 0: NVIDIA Test GPU")]
    with qtbot.waitSignal(picker.device_requested) as blocker:
        devices.activated.emit(1)
    assert blocker.args == ["cuda:0"]


# -- method panel ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("num_ws", "expected"),
    [
        (14, {"All": (0, 14), "Coarse": (0, 4), "Middle": (4, 8), "Fine": (8, 14)}),
        (18, {"All": (0, 18), "Coarse": (0, 4), "Middle": (4, 8), "Fine": (8, 18)}),
        (1, {"All": (0, 1), "Coarse": (0, 1), "Middle": (0, 1), "Fine": (0, 1)}),
    ],
)
def test_layer_presets(num_ws, expected):
    for name, (start, stop) in expected.items():
        assert layer_preset(name, num_ws) == LayerRange(start, stop)
    with pytest.raises(ValueError):
        layer_preset("Custom", num_ws)


def test_layer_presets_are_never_empty():
    for n in range(1, 40):
        for name in ("All", "Coarse", "Middle", "Fine"):
            layer_preset(name, n).check(n)


def test_method_panel_defaults_and_run(qtbot):
    panel = MethodPanel(_store())
    qtbot.addWidget(panel)
    panel.set_feature_layers(["block1", "block2"])
    assert panel.current_method() == "ganspace"
    with qtbot.waitSignal(panel.run_requested) as blocker:
        qtbot.mouseClick(panel._run, Qt.MouseButton.LeftButton)
    assert blocker.args == [
        "ganspace",
        {"k": 50, "samples": 100_000, "seed": 0, "layer": "block1", "layers": None},
    ]
    panel._tabs.setCurrentIndex(1)
    with qtbot.waitSignal(panel.run_requested) as blocker:
        panel._run.click()
    assert blocker.args == [
        "sefa",
        {"k": 20, "samples": None, "seed": None, "layer": None, "layers": None},
    ]
    panel.set_running(True)
    assert not panel._run.isEnabled()
    panel.set_running(False)
    assert panel._run.isEnabled()


def test_method_panel_style_model_hides_layer_and_maps_custom_range(qtbot):
    store = _store(STYLE_INFO, "/m/ffhq.safetensors")
    panel = MethodPanel(store)
    qtbot.addWidget(panel)
    panel.set_feature_layers(["mapping"])
    assert panel.params("ganspace")["layer"] is None
    assert panel.params("sefa")["layers"] == LayerRange(0, 14)
    panel.sefa_layers.preset.setCurrentText("Fine")
    assert not panel.sefa_layers.slider.isEnabled()
    assert panel.params("sefa")["layers"] == LayerRange(8, 14)
    panel.sefa_layers.preset.setCurrentText("Custom")
    assert panel.sefa_layers.slider.isEnabled()
    panel.sefa_layers.slider.setValue((2, 5))  # inclusive 2-5 on screen
    assert panel.params("sefa")["layers"] == LayerRange(2, 6)
    assert "2-5" in panel.sefa_layers.caption.text()
    assert panel._sefa_k.maximum() == 512


def test_method_panel_single_latent_disables_layer_ranges(qtbot):
    panel = MethodPanel(_store(Z_INFO))
    qtbot.addWidget(panel)
    assert not panel.sefa_layers.preset.isEnabled() and not panel.sefa_layers.slider.isEnabled()
    panel.sefa_layers.preset.setCurrentText("Custom")
    assert not panel.sefa_layers.slider.isEnabled()
    assert panel.params("sefa")["layers"] is None
    assert panel._sefa_k.maximum() == 100


def test_method_panel_latentclr_runs_with_the_core_defaults(qtbot):
    from guiapp.core.latentclr_params import Params
    from guiapp.core.methods import make_params

    panel = MethodPanel(_store())
    qtbot.addWidget(panel)
    panel.set_feature_layers(["block0", "block1"])
    panel._tabs.setCurrentIndex(2)
    assert panel.current_method() == "latentclr"
    assert panel._run.isEnabled()
    with qtbot.waitSignal(panel.run_requested) as blocker:
        panel._run.click()
    method, params = blocker.args
    assert method == "latentclr"
    assert params["layer"] == "block0" and params["layers"] is None
    assert params["keep_best_on_cancel"] is True
    built = make_params("latentclr", params)
    assert built == Params(layer="block0", keep_best_on_cancel=True)


def test_latentclr_page_settings_reach_the_params(qtbot):
    panel = MethodPanel(_store(STYLE_INFO, "/m/ffhq.safetensors"))
    qtbot.addWidget(panel)
    page = panel.latentclr
    page.set_feature_layers(["mapping", "b4.conv1", "b8.conv0"])
    assert page.layer.currentText() == "b4.conv1"  # the paper's target layer
    assert not page.depth.isEnabled() and not page.steps.isEnabled()
    page.model_type.setCurrentIndex(page.model_type.findData("nonlinear"))
    assert page.depth.isEnabled() and page.steps.isEnabled()
    page.depth.setValue(2)
    page.steps.setValue(4)
    page.loss.setCurrentIndex(page.loss.findData("official"))
    page.iterations.setValue(50)
    page.lr.setValue(0.01)
    page.layers.preset.setCurrentText("Coarse")
    params = panel.params("latentclr")
    assert params["model_type"] == "nonlinear" and params["depth"] == 2 and params["steps"] == 4
    assert params["loss"] == "official" and params["iterations"] == 50
    assert params["lr"] == pytest.approx(0.01)
    assert params["layers"] == LayerRange(0, 4)


def test_method_seeds_take_every_seed_the_core_accepts(qtbot):
    from guiapp.core.methods import make_params

    panel = MethodPanel(_store())
    qtbot.addWidget(panel)
    big = 3_000_000_000  # past QSpinBox's 2**31 - 1
    for box in (panel._gs_seed, panel.latentclr.seed):
        box.lineEdit().setText(str(big))
        box.interpretText()
    assert panel.params("ganspace")["seed"] == big
    assert make_params("latentclr", panel.params("latentclr")).seed == big
    panel.latentclr.seed.lineEdit().setText(str(SEED_MAX + 1))
    panel.latentclr.seed.interpretText()
    assert panel.params("latentclr")["seed"] <= SEED_MAX


def test_method_panel_waits_for_a_model(qtbot):
    store = _store(None)
    panel = MethodPanel(store)
    qtbot.addWidget(panel)
    assert not panel._run.isEnabled()
    store.set_model(DEFAULT_MODEL, Z_INFO)
    assert panel._run.isEnabled()


# -- image view --------------------------------------------------------------------------------
def test_image_view_seed_both_ways(qtbot):
    store = _store()
    view = ImageView(store)
    qtbot.addWidget(view)
    store.set_seed(42)
    assert view._seed.value() == 42
    view._seed.setValue(7)
    assert store.seed == 7
    view._next.click()
    assert store.seed == 8 and view._seed.value() == 8
    view._prev.click()
    view._prev.click()
    assert store.seed == 6
    seeds = set()
    for _ in range(3):
        view._random.click()
        seeds.add(store.seed)
    assert len(seeds) > 1 and all(0 <= s <= SEED_MAX for s in seeds)
    assert view._seed.value() == store.seed


def test_image_view_truncation_both_ways(qtbot):
    store = _store()
    view = ImageView(store)
    qtbot.addWidget(view)
    assert view._psi.value() == 100
    store.set_truncation(0.7)
    assert view._psi.value() == 70 and view._psi_value.text() == "0.70"
    view._psi.setValue(25)
    assert store.truncation == pytest.approx(0.25)
    assert view._psi_value.text() == "0.25"


def test_image_view_images_original_and_strip(qtbot):
    view = ImageView(_store())
    qtbot.addWidget(view)
    view.resize(600, 500)
    view.show()
    qtbot.waitExposed(view)
    assert view.current_pixmap() is None
    with qtbot.waitSignal(view.image_shown) as blocker:
        view.set_images(_image(10), _image(200), request_id=3)
    assert blocker.args == [3]
    first = view.current_pixmap().toImage()
    assert first.size().width() == 64
    view.set_images(_image(250), _image(200))
    assert view.current_pixmap().toImage() != first
    assert view.current_pixmap().toImage().pixelColor(0, 0).red() == 250

    assert view._original.isVisible()  # shown by default
    assert view.original_pixmap().toImage().pixelColor(0, 0).red() == 200
    view._show_original.setChecked(False)
    assert not view._original.isVisible()
    view._show_original.setChecked(True)
    assert view._original.isVisible()

    assert not view._strip.isVisible()
    tiles = [_image(v, 32) for v in (0, 100, 200)]
    view.set_strip(np.concatenate(tiles, axis=1), [-2.0, 0.0, 2.0])
    assert view._strip.isVisible()
    shown = view.strip_pixmaps()
    assert [p.toImage().pixelColor(0, 0).red() for p in shown] == [0, 100, 200]
    assert view._strip._captions == ["α = -2", "α = 0", "α = +2"]
    view.set_strip(None, [])
    assert not view._strip.isVisible()


def test_image_view_reports_shown_at_once_when_hidden(qtbot):
    view = ImageView(_store())
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.image_shown, timeout=100) as blocker:
        view.set_images(_image(1), None, request_id=9)
    assert blocker.args == [9]


def test_ganspace_samples_default_follows_the_model_until_the_user_picks(qtbot):
    store = _store(Z_INFO)
    panel = MethodPanel(store)
    qtbot.addWidget(panel)
    assert panel.params("ganspace")["samples"] == 100_000  # cached activations
    store.set_model("/m/ffhq.pkl", STYLE_INFO)
    assert panel.params("ganspace")["samples"] == 1_000_000  # streamed PCA of w
    panel._gs_samples.setValue(250_000)
    store.set_model(DEFAULT_MODEL, Z_INFO)
    assert panel.params("ganspace")["samples"] == 250_000
