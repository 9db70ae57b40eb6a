"""A StyleGAN (v1) file opened in the window through File ▸ Open model…: the window shows
the network's image of its seed at G_style's default truncation, and SeFa runs on it from
the method panel."""

from __future__ import annotations

import numpy as np
from stylegan1_fixtures import random_variables, write_genforce
from stylegan1_reference import g_style
from window_support import menu_action, open_window, run_sefa_from_panel, settled, shown_pixels


def test_open_a_genforce_stylegan_file_from_the_file_menu_and_run_sefa(qtbot, tmp_path,
                                                                      monkeypatch):
    v = random_variables(seed=12)
    path = write_genforce(tmp_path / "stylegan_toy.pth", v)
    window = open_window(qtbot, tmp_path / "config")
    monkeypatch.setattr(window.picker, "_ask_for_file", lambda: str(path))
    with qtbot.waitSignal(window.model_ready, timeout=60_000):
        menu_action(window, "Open model…").trigger()
    qtbot.waitUntil(lambda: settled(window) and window.last_result.image.shape[0] == 32,
                    timeout=30_000)
    store = window.store
    assert store.model_ref == str(path) and window.last_error == ""
    assert store.model_info.format == "stylegan1-genforce" and store.model_info.num_ws == 8
    # G_style's own truncation: psi 0.7 on the first 8 layers (all 8 of this 32 px model)
    assert store.truncation == 0.7 and store.truncation_cutoff in (None, 8)
    z = np.random.RandomState(store.seed).randn(1, 16)
    ref = g_style(v, z, 0.7, 8)[0].transpose(1, 2, 0)
    expected = np.clip(np.rint((ref + 1) * 127.5), 0, 255)
    qtbot.waitUntil(lambda: shown_pixels(window) is not None
                    and shown_pixels(window).shape == (32, 32, 3), timeout=30_000)
    assert np.abs(shown_pixels(window).astype(float) - expected).max() <= 1

    run_sefa_from_panel(window, qtbot, k=3)
    assert len(window.store) == 3
    window.close()
