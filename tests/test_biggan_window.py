"""A BigGAN-deep file opened in the window through File ▸ Open model…: the window shows
the reference's image of its seed and class, the class box is searchable by ImageNet name,
and SeFa runs on it from the method panel."""

from __future__ import annotations

import numpy as np
import torch
from biggan_fixtures import SMALL_CONFIG, make_naive, reference_noise, write_biggan
from PySide6.QtCore import Qt
from window_support import menu_action, open_window, run_sefa_from_panel, settled, shown_pixels


def _expected(seed: int, cls: int, psi: float) -> np.ndarray:
    z = torch.from_numpy(reference_noise(seed, SMALL_CONFIG["z_dim"], psi))
    image = make_naive()([z] * (len(SMALL_CONFIG["layers"]) + 1), cls, psi)
    return ((image.clamp(-1, 1) + 1) * 127.5).round()[0].permute(1, 2, 0).numpy()


def test_open_biggan_search_a_class_by_name_and_run_sefa(qtbot, tmp_path, monkeypatch):
    path = write_biggan(tmp_path / "biggan-toy")
    window = open_window(qtbot, tmp_path / "config")
    monkeypatch.setattr(window.picker, "_ask_for_file", lambda: str(path))
    with qtbot.waitSignal(window.model_ready, timeout=60_000):
        menu_action(window, "Open model…").trigger()
    qtbot.waitUntil(lambda: settled(window) and window.last_result.image.shape[0] == 32,
                    timeout=30_000)
    assert window.last_error == ""
    info = window.store.model_info
    assert (info.format, info.c_dim, info.num_ws) == ("biggan-deep-pytorch", 1000, 7)

    search = window.image_view._class_search
    assert search.isVisible() and search.text() == "tench"  # class 0
    search.setFocus()
    search.selectAll()  # as a click into the box and typing over the name does
    qtbot.keyClicks(search, "golden retr")
    popup = search.completer().popup()
    qtbot.waitUntil(popup.isVisible, timeout=10_000)
    assert search.completer().currentCompletion() == "golden retriever"
    qtbot.keyClick(popup, Qt.Key.Key_Down)  # the first (only) match
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.store.class_index == 207, timeout=10_000)
    assert window.image_view._class.value() == 207
    psi = window.store.truncation
    want = _expected(window.store.seed, 207, psi)
    qtbot.waitUntil(lambda: settled(window) and shown_pixels(window) is not None
                    and np.abs(shown_pixels(window) - want).max() <= 1, timeout=30_000)

    run_sefa_from_panel(window, qtbot, k=3)
    assert len(window.store) == 3
    window.close()


def drag_to_the_end(window, qtbot, row_index: int = 0):
    """Press the direction's alpha slider and move it to its maximum (a drag), until the
    window shows a preview of that edit; returns that render's result."""
    row = window.direction_list.row(row_index)
    row.alpha_slider.sliderPressed.emit()
    row.alpha_slider.setValue(row.alpha_slider.maximum())
    qtbot.waitUntil(lambda: window.last_result is not None
                    and bool(window.last_result.request.edits)
                    and window.last_result.preview_resolution is not None, timeout=30_000)
    return window.last_result


def test_a_slider_drag_on_biggan_shows_the_preview_of_the_edit(qtbot, tmp_path, monkeypatch):
    """Dragging a SeFa slider on a BigGAN file shows the 16 px preview of the dragged edit
    (every layer), upscaled; releasing it shows the full image of the same edit."""
    from guiapp.core.live_render import LiveRenderer

    path = write_biggan(tmp_path / "biggan-toy")
    window = open_window(qtbot, tmp_path / "config")
    monkeypatch.setattr(window.picker, "_ask_for_file", lambda: str(path))
    with qtbot.waitSignal(window.model_ready, timeout=60_000):
        menu_action(window, "Open model…").trigger()
    qtbot.waitUntil(lambda: settled(window) and window.last_result.image.shape[0] == 32,
                    timeout=30_000)
    run_sefa_from_panel(window, qtbot, k=3)
    original = shown_pixels(window)
    window.loaded.renderer.preview_budget_s = 0.0  # a machine too slow for full drags
    preview = drag_to_the_end(window, qtbot)
    assert preview.preview_resolution == 16 and preview.image.shape == (32, 32, 3)
    assert window.image_view.edited_caption() == "Edited (preview, 16 px)"
    np.testing.assert_array_equal(shown_pixels(window), preview.image)
    # the preview is that edit's: an independent renderer of the same request agrees
    # (asked while the window's worker has nothing left to render)
    qtbot.waitUntil(lambda: window.last_result_id == window.render_queue.latest_id,
                    timeout=30_000)
    again = LiveRenderer(window.loaded.model, preview_resolution=16).render(preview.request)
    np.testing.assert_array_equal(again.image, preview.image)
    window.direction_list.row(0).alpha_slider.sliderReleased.emit()
    qtbot.waitUntil(lambda: settled(window) and bool(window.last_result.request.edits),
                    timeout=30_000)
    full = window.last_result.image
    # and it moved from the original the way the full image of the edit moved
    moved = preview.image.astype(float) - original
    wanted = full.astype(float) - original
    assert (moved * wanted).sum() > 0.5 * np.linalg.norm(moved) * np.linalg.norm(wanted)
    window.close()
