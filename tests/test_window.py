"""Smoke test of the whole window on the built-in model, through the real worker threads."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest
from PySide6.QtCore import Qt
from window_support import open_window

from guiapp.core.io import read_png_metadata
from guiapp.core.methods import latentclr_train
from guiapp.ui.main_window import MainWindow
from guiapp.ui.settings import AppSettings
from guiapp.workers import live_threads


def pixels(window: MainWindow) -> np.ndarray | None:
    pixmap = window.image_view.current_pixmap()
    if pixmap is None or pixmap.isNull():
        return None
    image = pixmap.toImage()
    return np.array(image.constBits(), copy=True)


@pytest.fixture
def window(qtbot, tmp_path):
    win = open_window(qtbot, tmp_path / "config")
    yield win
    win.close()


def test_discover_edit_save_and_restore(window, qtbot, tmp_path):
    store = window.store
    assert window.picker.isEnabled() and store.model_info.resolution == 64
    window.run_method("sefa", {"k": 8})
    qtbot.waitUntil(lambda: len(store) == 8, timeout=30_000)
    qtbot.waitUntil(lambda: not window.runner.is_busy(), timeout=10_000)
    assert window.plot.bar_count() == 8

    before = pixels(window)
    row = window.direction_list.row(0)
    row.alpha_slider.setValue(row.alpha_slider.maximum())  # the user drags to the end
    assert store.alpha(0) > 0
    qtbot.waitUntil(lambda: not np.array_equal(pixels(window), before), timeout=10_000)

    row.label_edit.setFocus()
    row.label_edit.selectAll()
    qtbot.keyClicks(row.label_edit, "head turn")
    qtbot.keyClick(row.label_edit, Qt.Key.Key_Return)
    assert store.label(0) == "head turn"

    image_path = tmp_path / "edited.png"
    window.files.save_image(path=str(image_path))
    qtbot.waitUntil(image_path.exists, timeout=10_000)
    meta = read_png_metadata(image_path)
    assert meta["seed"] == store.seed
    assert meta["edits"][0]["label"] == "head turn"
    assert meta["edits"][0]["alpha"] == store.alpha(0)

    session_path = tmp_path / "session.json"
    assert window.files.save_session(str(session_path))
    saved_alpha = store.alpha(0)
    store.reset_all()
    store.set_label(0, "")
    assert store.alpha(0) == 0
    window.files.open_session_file(session_path)
    assert store.alpha(0) == saved_alpha, window.last_error
    assert store.label(0) == "head turn", window.last_error
    saved_set = json.loads(session_path.read_text())["sets"][0]["direction_set"]
    assert saved_set["meta"]["labels"][0] == "head turn"

    window.close()
    assert not live_threads()


def test_bad_files_leave_the_state_alone(window, qtbot, tmp_path):
    store = window.store
    window.run_method("sefa", {"k": 4})
    qtbot.waitUntil(lambda: len(store) == 4, timeout=30_000)
    store.set_alpha(1, 2.0)

    bad_session = tmp_path / "bad.json"
    bad_session.write_text("{not json")
    window.files.open_session_file(bad_session)
    assert "not a guiapp session" in window.last_error
    assert store.alpha(1) == 2.0 and len(store) == 4

    hostile = tmp_path / "evil.pkl"
    hostile.write_bytes(b"\x80\x04cos\nsystem\n(S'echo pwned'\ntR.")
    window.open_model(str(hostile))
    qtbot.waitUntil(lambda: not window.runner.is_busy(), timeout=30_000)
    assert window.last_error and window.loaded.ref == "builtin:dcgan-digiface"
    assert len(store) == 4 and store.alpha(1) == 2.0

    np.savez(tmp_path / "w.npz", vectors=np.eye(3, 512, dtype=np.float32),
             scores=np.ones(3), meta=np.array(json.dumps({
                 "format": "guiapp.directions", "version": 1, "method": "sefa", "space": "w",
                 "labels": ["", "", ""], "layer_ranges": [None] * 3,
                 "unit_scales": [1, 1, 1]})))
    window.files.import_directions(str(tmp_path / "w.npz"))
    assert "another model" in window.last_error
    assert len(store) == 4


def test_cancel_a_long_discovery(window, qtbot):
    # Large enough to run for many seconds, small enough for the activation cache limit.
    window.run_method("ganspace", {"k": 10, "samples": 400_000})
    qtbot.waitUntil(window.cancel_button.isVisible, timeout=10_000)
    with qtbot.waitSignal(window.runner.cancelled, timeout=30_000):
        window.cancel_button.click()
    qtbot.waitUntil(lambda: not window.runner.is_busy(), timeout=10_000)
    assert window.store.direction_set is None
    assert window.status_label.text() == "Cancelled"
    assert window.last_error == ""


def test_cancelled_latentclr_without_keeping_leaves_no_curve(window, qtbot):
    window.run_method("latentclr", {"k": 4, "batch": 4, "iterations": 1_000_000,
                                    "eval_samples": 8, "keep_best_on_cancel": False})
    qtbot.waitUntil(lambda: len(window.plot.training.history()[0]) >= 1, timeout=60_000)
    assert window.plot.training.isVisible()
    with qtbot.waitSignal(window.runner.finished, timeout=60_000):
        window.cancel_button.click()
    assert window.store.direction_set is None
    assert not window.plot.training.isVisible()


def test_style_model_file_enables_layer_ranges(window, qtbot, tmp_path):
    from stylegan_fixtures import random_generator, write_nvidia_pickle

    from guiapp.core.types import LayerRange

    path = write_nvidia_pickle(tmp_path / "snapshot.pkl", random_generator(seed=2))
    with qtbot.waitSignal(window.model_ready, timeout=60_000):
        window.files.open_any(str(path))
    store = window.store
    assert store.model_info.num_ws > 1 and store.model_info.w_dim is not None
    window.run_method("sefa", {"k": 5, "layers": LayerRange(0, 2)})
    qtbot.waitUntil(lambda: len(store) == 5, timeout=30_000)
    row = window.direction_list.row(1)
    assert row.layer_slider.isEnabled()
    assert store.layers(1) == LayerRange(0, 2)
    row.last_layer_box.setValue(store.model_info.num_ws - 1)
    assert store.layers(1) == LayerRange(0, store.model_info.num_ws)
    before = pixels(window)
    row.alpha_slider.setValue(row.alpha_slider.minimum())
    qtbot.waitUntil(lambda: not np.array_equal(pixels(window), before), timeout=10_000)


def test_slider_drag_shows_previews_then_the_full_image(window, qtbot, tmp_path):
    from stylegan_fixtures import random_generator, write_nvidia_pickle

    from guiapp.core.io import read_png_metadata

    path = write_nvidia_pickle(tmp_path / "snapshot.pkl", random_generator(seed=3))
    with qtbot.waitSignal(window.model_ready, timeout=60_000):
        window.files.open_any(str(path))
    full = window.store.model_info.resolution
    window.loaded.renderer.preview_resolution = full // 2  # fixed, not timing-dependent
    window.run_method("sefa", {"k": 3})
    qtbot.waitUntil(lambda: len(window.store) == 3 and not window.runner.is_busy(),
                    timeout=30_000)
    row = window.direction_list.row(0)
    row.alpha_slider.sliderPressed.emit()
    assert window.store.dragging
    row.alpha_slider.setValue(row.alpha_slider.maximum())
    qtbot.waitUntil(lambda: window.last_result is not None
                    and bool(window.last_result.request.edits)
                    and window.last_result.preview_resolution == full // 2, timeout=10_000)
    assert window.last_result.image.shape[0] == full  # shown at full size
    assert window.image_view.edited_caption() == f"Edited (preview, {full // 2} px)"
    window.files.save_image(path=str(tmp_path / "edited.png"))  # saving renders in full
    qtbot.waitUntil(lambda: (tmp_path / "edited.png").exists(), timeout=10_000)
    assert read_png_metadata(tmp_path / "edited.png")["edits"]
    row.alpha_slider.sliderReleased.emit()
    assert not window.store.dragging
    qtbot.waitUntil(lambda: window.last_result.preview_resolution is None
                    and window.last_result_id == window.render_queue.latest_id,
                    timeout=10_000)
    assert window.last_result.request.edits
    assert window.image_view.edited_caption() == "Edited"


def test_save_grid_in_the_worker(window, qtbot, tmp_path):
    from PIL import Image

    window.run_method("sefa", {"k": 3})
    qtbot.waitUntil(lambda: len(window.store) == 3 and not window.runner.is_busy(),
                    timeout=30_000)
    path = tmp_path / "grid.png"
    with qtbot.waitSignal(window.runner.succeeded, timeout=30_000):
        window.files.save_grid(str(path))
    assert Image.open(path).size == (64 * 7, 64 * 3)
    assert read_png_metadata(path)["grid"]["indices"] == [0, 1, 2]


def test_offers_to_restore_the_last_session(qtbot, tmp_path):
    settings = AppSettings(tmp_path / "config")
    first = MainWindow(settings=settings, offer_restore=False)
    with qtbot.waitSignal(first.model_ready, timeout=60_000):
        first.open_model()
    first.run_method("sefa", {"k": 3})
    qtbot.waitUntil(lambda: len(first.store) == 3, timeout=30_000)
    first.store.set_alpha(2, 1.25)
    first.store.set_label(2, "lighting")
    first.close()  # autosaves the session
    assert settings.last_session_path.is_file()

    second = MainWindow(settings=AppSettings(tmp_path / "config"))
    second.show()
    assert second.banner.isVisible()
    with qtbot.waitSignal(second.model_ready, timeout=60_000):
        second.banner._restore.click()
    assert second.store.alpha(2) == 1.25 and second.store.label(2) == "lighting"
    second.close()


def test_latentclr_trains_from_the_panel_with_live_curves(window, qtbot):
    page = window.methods.latentclr
    page.k.setValue(4)
    page.batch.setValue(4)
    page.iterations.setValue(20)
    window.methods._tabs.setCurrentIndex(2)
    with qtbot.waitSignal(window.runner.finished, timeout=120_000):
        window.methods._run.click()
    assert window.last_error == ""
    ds = window.store.direction_set
    assert ds is not None and ds.method == "latentclr" and len(ds) == 4
    assert window.plot.bar_count() == 4
    iterations, loss, accuracy = window.plot.training.history()
    assert iterations == [10, 20] and len(loss) == 2 and len(accuracy) == 2
    assert window.plot.training.isVisible()
    assert window.status_label.text().startswith("Found 4 directions: added as")


def test_cancelled_latentclr_keeps_its_best_directions(window, qtbot):
    window.run_method("latentclr", {"k": 4, "batch": 4, "iterations": 1_000_000,
                                    "eval_samples": 8, "keep_best_on_cancel": True})
    qtbot.waitUntil(lambda: len(window.plot.training.history()[0]) >= 2, timeout=60_000)
    with qtbot.waitSignal(window.runner.finished, timeout=60_000):
        window.cancel_button.click()
    ds = window.store.direction_set
    assert ds is not None and ds.method == "latentclr" and len(ds) == 4
    assert ds.plot["cancelled"] and ds.plot["iterations_done"] >= 20
    assert window.status_label.text().startswith("Cancelled after")
    assert window.last_error == ""


def test_conditional_model_draws_the_chosen_class(window, qtbot, tmp_path):
    from stylegan_fixtures import random_generator, tiny_config, write_nvidia_pickle

    net = random_generator(tiny_config(c_dim=3), seed=4)
    path = write_nvidia_pickle(tmp_path / "cond.pkl", net)
    with qtbot.waitSignal(window.model_ready, timeout=60_000):
        window.files.open_any(str(path))
    qtbot.waitUntil(lambda: window.last_result is not None
                    and window.last_result_id == window.render_queue.latest_id, timeout=10_000)
    before = pixels(window)
    window.image_view._class.setValue(2)
    qtbot.waitUntil(lambda: not np.array_equal(pixels(window), before), timeout=10_000)
    assert window.last_result.request.class_index == 2
    window.files.save_image(path=str(tmp_path / "class2.png"))
    qtbot.waitUntil(lambda: (tmp_path / "class2.png").exists(), timeout=10_000)
    assert read_png_metadata(tmp_path / "class2.png")["class_index"] == 2


def test_dropped_safetensors_direction_set_is_imported_not_opened_as_a_model(window, tmp_path):
    from guiapp.core.io import save_direction_set
    from guiapp.core.methods import run_method

    ds = run_method(window.loaded.model, "sefa", {"k": 3})
    path = tmp_path / "sefa.safetensors"
    save_direction_set(path, ds)
    window.files.open_any(str(path))
    assert window.last_error == ""
    assert window.store.direction_set is not None and len(window.store) == 3
    assert not window.runner.is_busy()  # no model load was started


def test_latentclr_too_big_for_memory_says_so_and_keeps_the_directions(window, qtbot, monkeypatch):
    with qtbot.waitSignal(window.runner.finished, timeout=60_000):
        window.run_method("sefa", {"k": 5})
    before = window.store.direction_set
    monkeypatch.setattr(latentclr_train, "free_memory", lambda device: 2**20)  # 1 MiB free
    with qtbot.waitSignal(window.runner.failed, timeout=60_000):
        window.run_method("latentclr", {"iterations": 5})
    qtbot.waitUntil(lambda: not window.runner.is_busy(), timeout=10_000)
    assert "cannot fit in memory" in window.last_error
    assert "fewer directions or latents" in window.last_error
    assert window.store.direction_set is before
    assert not window.plot.training.isVisible()
    assert window.methods._run.isEnabled()


def test_a_slow_render_says_the_image_is_updating(window, qtbot):
    entered, release = threading.Event(), threading.Event()

    def slow(payload):  # a large model on a CPU: this render ends when the test says so
        entered.set()
        release.wait(30)
        return MainWindow._render(payload)

    window.render_queue.set_render_fn(slow)
    window.render_notice.set_delay(0)  # the delay has passed as soon as the loop turns
    try:
        window.store.set_seed(window.store.seed + 1)
        assert entered.wait(10)
        qtbot.waitUntil(lambda: window.image_view.edited_caption() == "Edited (updating…)",
                        timeout=10_000)
    finally:
        release.set()
    qtbot.waitUntil(lambda: window.image_view.edited_caption() == "Edited", timeout=10_000)
    assert window.last_result.request.seed == window.store.seed


def test_results_that_keep_coming_never_say_updating(window, qtbot):
    """A slider dragged over a fast model: each result restarts the count, the last stops it."""
    entered, release = threading.Event(), threading.Event()

    def held_once(payload):
        if not release.is_set():
            entered.set()
            release.wait(30)
        return MainWindow._render(payload)

    window.render_queue.set_render_fn(held_once)
    window.render_notice.set_delay(60_000)  # never reached: results come before it
    shown: list[bool] = []
    set_updating = window.image_view.set_updating
    window.image_view.set_updating = lambda on: (shown.append(on), set_updating(on))
    try:
        window.store.set_seed(10)
        assert entered.wait(10)
        for seed in range(11, 20):  # newer requests arrive while the first renders
            window.store.set_seed(seed)
        assert window.render_notice.counting()
    finally:
        release.set()
    qtbot.waitUntil(lambda: window.last_result is not None
                    and window.last_result.request.seed == 19, timeout=10_000)
    assert not window.render_notice.counting()  # the newest result stopped the count
    assert True not in shown and window.image_view.edited_caption() == "Edited"
