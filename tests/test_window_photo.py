"""File → Open photo… and dropped images (issue 12), through the window's own action:
only the file dialog's and the crop dialog's answers are replaced."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from skimage import data
from window_support import answer_dialogs, menu_action, open_window, settled, shown_pixels

from guiapp.core.photo import open_photo
from guiapp.core.render import render_request
from guiapp.core.types import RenderRequest
from guiapp.ui.photo_crop_dialog import ProjectOptions


@pytest.fixture
def window(qtbot, tmp_path):
    win = open_window(qtbot, tmp_path / "config")
    yield win
    win.close()


@pytest.fixture(scope="module")
def photo_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("photos") / "astronaut.jpg"
    Image.fromarray(data.astronaut()).save(path, quality=92)
    return path


def answer_crop(window, monkeypatch, steps: int, offered: list, noise: bool = True) -> None:
    """Accept the crop the dialog offers (recorded in ``offered``) with ``steps`` (and
    ``noise``: optimise the noise maps)."""
    def ask_crop(rgb, box, how, spaces, default_steps, noise_maps=0):
        offered.append((rgb.shape, box, how, spaces, noise_maps))
        return ProjectOptions(box, spaces[0], steps, noise)

    monkeypatch.setattr(window.photos, "ask_crop", ask_crop)


def test_open_photo_projects_it_and_makes_it_the_face(window, qtbot, monkeypatch, photo_path):
    """The face found is offered; the projection runs in the worker with live previews;
    its latent becomes the face (with the photo's sha256) and the window shows exactly the
    core render of it; Undo-able edits then apply to it."""
    answer_dialogs(window, monkeypatch, open_=photo_path)
    offered: list = []
    answer_crop(window, monkeypatch, 6, offered)
    with qtbot.waitSignal(window.runner.finished, timeout=120_000):
        menu_action(window, "Open photo…").trigger()
    assert offered and offered[0][2] == "face" and offered[0][3] == ["z"]
    latent = window.store.latent
    assert latent is not None, window.last_error
    assert (latent.source, latent.sha256) == ("astronaut.jpg", open_photo(photo_path).sha256)
    assert window.photos.view.previews >= 1
    qtbot.waitUntil(lambda: settled(window) and window.last_result.request.latent is latent,
                    timeout=30_000)
    model = window.loaded.model
    assert np.array_equal(shown_pixels(window),
                          render_request(model, RenderRequest(latent=latent)))
    assert np.array_equal(window.photos.view.reconstruction, shown_pixels(window))
    assert "is now the face" in window.status_label.text()


def test_cancel_keeps_the_best_so_far(window, qtbot, monkeypatch, photo_path):
    answer_dialogs(window, monkeypatch, open_=photo_path)
    answer_crop(window, monkeypatch, 5000, [])
    cancelled: list[int] = []

    def on_partial(task, value):
        if isinstance(value, dict) and "projection_step" in value and not cancelled:
            cancelled.append(value["projection_step"])
            window.photos.view.button.click()  # the view's Cancel

    window.runner.partial.connect(on_partial)
    with qtbot.waitSignal(window.runner.finished, timeout=120_000):
        menu_action(window, "Open photo…").trigger()
    assert cancelled
    assert window.store.latent is not None, window.last_error
    assert "Cancelled after" in window.status_label.text()
    assert window.photos.view.button.text() == "Close"


def test_a_bad_photo_is_one_message_and_nothing_changes(window, qtbot, monkeypatch, tmp_path):
    bad = tmp_path / "holiday.jpg"
    bad.write_text("this is not a photo")
    answer_dialogs(window, monkeypatch, open_=bad)
    answer_crop(window, monkeypatch, 5, offered := [])
    seed = window.store.seed
    menu_action(window, "Open photo…").trigger()
    assert not offered and not window.runner.is_busy()
    assert str(bad) in window.last_error and "\n" not in window.last_error
    assert window.store.latent is None and window.store.seed == seed


def test_a_dropped_image_is_projected(window, qtbot, monkeypatch, photo_path):
    offered: list = []
    answer_crop(window, monkeypatch, 3, offered)
    with qtbot.waitSignal(window.runner.finished, timeout=120_000):
        window.files.open_any(str(photo_path))  # what dropEvent calls for a dropped file
    assert offered and window.store.latent is not None
