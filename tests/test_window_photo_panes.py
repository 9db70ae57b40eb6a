"""The image view of a projected photo (issue 12): photo, reconstruction and edited side by
side, through File → Open photo… → Project; back to edited and original for a seed. The
file and crop dialogs' answers are the only things replaced."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from skimage import data
from test_window_photo import answer_crop
from window_support import (
    answer_dialogs,
    menu_action,
    open_window,
    png_pixels,
    run_sefa_from_panel,
    settled,
    shown_pixels,
)

from guiapp.core.photo import open_photo
from guiapp.core.photo_crop import crop_square


@pytest.fixture
def window(qtbot, tmp_path):
    win = open_window(qtbot, tmp_path / "config")
    yield win
    win.close()


def pixels(pixmap) -> np.ndarray:
    from PySide6.QtGui import QImage

    image = pixmap.toImage().convertToFormat(QImage.Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), -1)
    return rows[:, : image.width() * 3].reshape(image.height(), image.width(), 3).copy()


def test_a_projected_photo_shows_photo_reconstruction_and_edit(window, qtbot, monkeypatch,
                                                                tmp_path):
    path = tmp_path / "astronaut.png"
    Image.fromarray(data.astronaut()).save(path)
    run_sefa_from_panel(window, qtbot, 4)
    view = window.image_view
    assert view.pane_captions()[:2] == ["Edited", "Original"] and view.photo_pixmap() is None

    answer_dialogs(window, monkeypatch, open_=path, save=tmp_path / "saved.png")
    offered: list = []
    answer_crop(window, monkeypatch, 4, offered)
    with qtbot.waitSignal(window.runner.finished, timeout=120_000):
        menu_action(window, "Open photo…").trigger()
    latent = window.store.latent
    assert latent is not None, window.last_error
    qtbot.waitUntil(lambda: settled(window) and window.last_result.request.latent is latent,
                    timeout=30_000)
    assert view.pane_captions() == ["Photo", "Reconstruction", "Edited"]
    crop = crop_square(open_photo(path).rgb, offered[0][1], window.loaded.model.resolution)
    assert np.array_equal(pixels(view.photo_pixmap()), crop)
    reconstruction = pixels(view.original_pixmap())
    assert np.array_equal(reconstruction, window.photos.view.reconstruction)
    assert np.array_equal(shown_pixels(window), reconstruction)  # no edit yet

    window.store.set_alpha(0, 3.0)  # what the first direction's slider does

    def edited_shown() -> bool:
        work = window.last_result.request.workspace
        return settled(window) and work is not None and bool(work.edits)

    qtbot.waitUntil(edited_shown, timeout=30_000)
    edited = shown_pixels(window)
    assert not np.array_equal(edited, reconstruction)  # the edit pane moved
    assert np.array_equal(pixels(view.original_pixmap()), reconstruction)  # this one not
    assert np.array_equal(pixels(view.photo_pixmap()), crop)

    menu_action(window, "Save image…").trigger()  # the edited image alone
    assert np.array_equal(png_pixels(tmp_path / "saved.png"), edited)

    window.store.set_seed(3)  # a seed's face: back to edited and original
    qtbot.waitUntil(lambda: settled(window), timeout=30_000)
    assert view.pane_captions()[:2] == ["Edited", "Original"] and view.photo_pixmap() is None


def test_the_crop_dialog_offers_the_noise_maps_when_the_model_has_them(qtbot):
    from PySide6.QtWidgets import QCheckBox

    from guiapp.ui.photo_crop_dialog import CropDialog

    rgb = data.astronaut()
    dialog = CropDialog(None, rgb, (150, 50, 150), "face", ["w", "w+"], 300, noise_maps=5)
    qtbot.addWidget(dialog)
    box = dialog.findChild(QCheckBox)
    assert box.isVisibleTo(dialog) and "noise maps" in box.text()
    assert dialog.options().noise
    box.setChecked(False)
    assert not dialog.options().noise
    plain = CropDialog(None, rgb, (150, 50, 150), "face", ["z"], 300)
    qtbot.addWidget(plain)
    assert not plain.findChild(QCheckBox).isVisibleTo(plain) and not plain.options().noise


@pytest.mark.parametrize("noise", [True, False])
def test_a_style_model_projection_keeps_the_noise_maps_the_dialog_asked_for(
        window, qtbot, monkeypatch, tmp_path, noise):
    from stylegan_fixtures import random_generator, write_nvidia_pickle

    model_file = write_nvidia_pickle(tmp_path / "g.pkl", random_generator())
    with qtbot.waitSignal(window.runner.finished, timeout=60_000):
        window.open_model(str(model_file))
    qtbot.waitUntil(lambda: window.loaded is not None
                    and window.loaded.model.noise_shapes() != (), timeout=30_000)
    path = tmp_path / "astronaut.png"
    Image.fromarray(data.astronaut()).save(path)
    answer_dialogs(window, monkeypatch, open_=path)
    offered: list = []
    answer_crop(window, monkeypatch, 3, offered, noise=noise)
    with qtbot.waitSignal(window.runner.finished, timeout=120_000):
        menu_action(window, "Open photo…").trigger()
    model = window.loaded.model
    assert offered[0][4] == len(model.noise_shapes())
    latent = window.store.latent
    assert latent is not None, window.last_error
    assert (latent.noise is not None) == noise
    qtbot.waitUntil(lambda: settled(window) and window.last_result.request.latent is latent,
                    timeout=30_000)
    assert np.array_equal(shown_pixels(window), window.photos.view.reconstruction)
