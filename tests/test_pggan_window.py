"""A PGGAN file opened in the window through File ▸ Open model…: the window shows the
network's image of its seed, and SeFa runs on it from the method panel."""

from __future__ import annotations

import numpy as np
from pggan_fixtures import random_variables, write_tf_pickle
from pggan_reference import g_paper
from window_support import menu_action, open_window, run_sefa_from_panel, settled, shown_pixels


def test_open_a_pggan_pickle_from_the_file_menu_and_run_sefa(qtbot, tmp_path, monkeypatch):
    v = random_variables(seed=12)
    path = write_tf_pickle(tmp_path / "karras2018iclr-toy.pkl", v, tmp_path / "ran")
    window = open_window(qtbot, tmp_path / "config")
    monkeypatch.setattr(window.picker, "_ask_for_file", lambda: str(path))
    with qtbot.waitSignal(window.model_ready, timeout=60_000):
        menu_action(window, "Open model…").trigger()
    qtbot.waitUntil(lambda: settled(window) and window.last_result.image.shape[0] == 16,
                    timeout=30_000)
    assert window.store.model_ref == str(path) and window.last_error == ""
    assert window.store.model_info.format == "pggan-tf-pickle"
    z = np.random.RandomState(window.store.seed).randn(1, 16)
    ref = g_paper(v, z, True)[0].transpose(1, 2, 0)  # pixel norm: truncation has no effect
    expected = np.clip(np.rint((ref + 1) * 127.5), 0, 255)
    qtbot.waitUntil(lambda: shown_pixels(window) is not None
                    and shown_pixels(window).shape == (16, 16, 3), timeout=30_000)
    assert np.abs(shown_pixels(window).astype(float) - expected).max() <= 1
    assert not (tmp_path / "ran").exists()

    run_sefa_from_panel(window, qtbot, k=3)
    assert len(window.store) == 3
    window.close()


def test_a_slider_drag_on_pggan_shows_the_read_out_fitted_while_loading(
        qtbot, tmp_path, monkeypatch):
    """The preview read-outs are fitted in the load job (a worker thread, before the model
    is ready), so the first drag is a cheap preview: the 16 px read-out of the dragged edit,
    upscaled; releasing the slider shows the full image of the same edit."""
    import threading

    from guiapp.core.live_render import LiveRenderer
    from guiapp.core.models.pggan.preview import PreviewReadout

    fitted_in = []
    real_fit = PreviewReadout.fit

    def spy(self):
        fitted_in.append(threading.current_thread())
        return real_fit(self)

    monkeypatch.setattr(PreviewReadout, "fit", spy)
    v = random_variables(channels={4: 16, 8: 16, 16: 12, 32: 8}, seed=5)  # 32 px
    path = write_tf_pickle(tmp_path / "karras2018iclr-toy.pkl", v, tmp_path / "ran")
    window = open_window(qtbot, tmp_path / "config")
    monkeypatch.setattr(window.picker, "_ask_for_file", lambda: str(path))
    with qtbot.waitSignal(window.model_ready, timeout=60_000):
        menu_action(window, "Open model…").trigger()
    assert len(fitted_in) == 1 and fitted_in[0] is not threading.main_thread()
    qtbot.waitUntil(lambda: settled(window) and window.last_result.image.shape[0] == 32,
                    timeout=30_000)
    run_sefa_from_panel(window, qtbot, k=3)
    original = shown_pixels(window)
    window.loaded.renderer.preview_budget_s = 0.0  # a machine too slow for full drags
    row = window.direction_list.row(0)
    row.alpha_slider.sliderPressed.emit()
    row.alpha_slider.setValue(row.alpha_slider.maximum())
    qtbot.waitUntil(lambda: window.last_result is not None
                    and bool(window.last_result.request.edits)
                    and window.last_result.preview_resolution is not None, timeout=30_000)
    preview = window.last_result
    assert preview.preview_resolution == 16 and preview.image.shape == (32, 32, 3)
    assert window.image_view.edited_caption() == "Edited (preview, 16 px)"
    np.testing.assert_array_equal(shown_pixels(window), preview.image)
    qtbot.waitUntil(lambda: window.last_result_id == window.render_queue.latest_id,
                    timeout=30_000)
    again = LiveRenderer(window.loaded.model, preview_resolution=16).render(preview.request)
    np.testing.assert_array_equal(again.image, preview.image)  # that edit's preview
    assert not np.array_equal(preview.image, original)
    row.alpha_slider.sliderReleased.emit()
    qtbot.waitUntil(lambda: settled(window) and bool(window.last_result.request.edits),
                    timeout=30_000)
    assert len(fitted_in) == 1  # the drag fitted nothing
    window.close()
