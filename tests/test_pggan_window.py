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
