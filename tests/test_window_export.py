"""File → "Save animation…" and "Export seeds…" through their menu actions: only the dialogs'
answers are replaced (the options dialog, the file or folder dialog); the files on disk are
checked against core renders of the window's state; Cancel leaves no file."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from window_support import answer_dialogs, menu_action, open_window, png_pixels, settled

from guiapp.core.image_metadata import read_image_metadata
from guiapp.core.methods import run_method
from guiapp.core.render import render_image, render_request
from guiapp.core.types import Edit, RenderRequest
from guiapp.ui.animation_dialog import AnimationOptions, SeedExportOptions


def assert_within_rounding(a: np.ndarray, b: np.ndarray) -> None:
    """Same image up to rounding (the job renders batches of several latents, which sum in
    another order on the CPU than a batch of one)."""
    assert a.shape == b.shape
    diff = np.abs(a.astype(int) - b.astype(int))
    assert diff.max() <= 1 and np.count_nonzero(diff) <= max(1, diff.size // 1000)


@pytest.fixture
def edited(qtbot, tmp_path):
    win = open_window(qtbot, tmp_path / "config")
    with qtbot.waitSignal(win.runner.finished, timeout=60_000):
        win.run_method("sefa", {"k": 4})
    win.store.set_seed(6)
    win.store.set_alpha(0, 1.5)
    win.store.select(2)
    qtbot.waitUntil(lambda: settled(win) and bool(win.last_result.request.edits),
                    timeout=30_000)
    yield win
    win.close()


def answer_options(window, monkeypatch, animation=None, seeds=None, folder=None):
    exports = window.exports
    monkeypatch.setattr(exports, "ask_animation_options", lambda *_a: animation)
    monkeypatch.setattr(exports, "ask_seed_options", lambda *_a: seeds)
    monkeypatch.setattr(exports, "ask_folder", lambda _t: None if folder is None else str(folder))


def frames_of(path):
    with Image.open(path) as im:
        frames = []
        for n in range(im.n_frames):
            im.seek(n)
            frames.append(np.asarray(im.convert("RGB")))
        return frames, im.info.get("duration")


def test_save_animation_walks_the_selected_direction(edited, qtbot, tmp_path, monkeypatch):
    path = tmp_path / "walk.png"
    answer_dialogs(edited, monkeypatch, save=path)
    answer_options(edited, monkeypatch, AnimationOptions(
        "walk", amplitude=2.0, frames=5, seconds=0.8, format="apng", hold_edits=True))
    with qtbot.waitSignal(edited.runner.finished, timeout=60_000):
        menu_action(edited, "Save animation…").trigger()
    frames, duration = frames_of(path)
    assert len(frames) == 8 and duration == pytest.approx(100)  # 5 there, 3 back, 10 fps
    model, ds = edited.loaded.model, edited.store.direction_set
    held = [Edit(0, 1.5)]
    assert_within_rounding(frames[2], render_image(model, 6, 1.0, ds, held))
    assert_within_rounding(frames[4], render_image(model, 6, 1.0, ds, [*held, Edit(2, 2.0)]))
    assert_within_rounding(frames[0], render_image(model, 6, 1.0, ds, [*held, Edit(2, -2.0)]))
    assert edited.status_label.text() == f"Saved 8 frames (64x64, 10 fps) to {path}"
    assert edited.last_error == ""


def test_the_walk_holds_the_edits_of_the_other_sets(edited, qtbot, tmp_path, monkeypatch):
    store, model = edited.store, edited.loaded.model
    first = store.set_id
    second = store.add_set(run_method(model, "ganspace", {"k": 3, "samples": 2000}))
    store.set_edit(second, 1, 2.0)
    store.select_set(first)
    store.select(2)
    path = tmp_path / "walk.png"
    answer_dialogs(edited, monkeypatch, save=path)
    answer_options(edited, monkeypatch, AnimationOptions(
        "walk", amplitude=2.0, frames=3, seconds=1.0, format="apng", bounce=False))
    with qtbot.waitSignal(edited.runner.finished, timeout=60_000):
        menu_action(edited, "Save animation…").trigger()
    frames, _ = frames_of(path)
    work = store.render_workspace()
    assert_within_rounding(frames[1], render_request(model, RenderRequest(seed=6,
                                                                          workspace=work)))
    assert_within_rounding(frames[2], render_request(model, RenderRequest(
        seed=6, workspace=work.set_edit(first, 2, 2.0))))
    alone = render_image(model, 6, 1.0, store.direction_set, [Edit(0, 1.5)])
    assert np.abs(frames[1].astype(int) - alone.astype(int)).max() > 1  # set 2 counts


def test_save_animation_morphs_to_a_second_seed_as_mp4(edited, qtbot, tmp_path, monkeypatch):
    av = pytest.importorskip("av")
    path = tmp_path / "morph"  # no suffix typed: the format's is added
    answer_dialogs(edited, monkeypatch, save=path)
    answer_options(edited, monkeypatch, AnimationOptions(
        "morph", frames=6, seconds=0.5, size=96, format="mp4", bounce=False, morph_seed=40))
    with qtbot.waitSignal(edited.runner.finished, timeout=60_000):
        menu_action(edited, "Save animation…").trigger()
    with av.open(str(tmp_path / "morph.mp4")) as container:
        stream = container.streams.video[0]
        frames = list(container.decode(video=0))
        assert float(stream.average_rate) == 12.0
    assert len(frames) == 6 and (frames[0].width, frames[0].height) == (192, 192)


def test_export_seeds_to_a_folder_and_to_a_grid(edited, qtbot, tmp_path, monkeypatch):
    folder = tmp_path / "faces"
    folder.mkdir()
    answer_options(edited, monkeypatch, seeds=SeedExportOptions("3-5,9"), folder=folder)
    with qtbot.waitSignal(edited.runner.finished, timeout=60_000):
        menu_action(edited, "Export seeds…").trigger()
    assert sorted(p.name for p in folder.iterdir()) == ["3.png", "4.png", "5.png", "9.png"]
    model, ds = edited.loaded.model, edited.store.direction_set
    assert_within_rounding(png_pixels(folder / "9.png"),
                           render_image(model, 9, 1.0, ds, [Edit(0, 1.5)]))
    meta = read_image_metadata(folder / "4.png")
    assert meta["seed"] == 4 and meta["edits"][0]["alpha"] == 1.5
    assert edited.status_label.text() == f"Saved 4 images to {folder}"

    grid = tmp_path / "grid.png"
    answer_dialogs(edited, monkeypatch, save=grid)
    answer_options(edited, monkeypatch, seeds=SeedExportOptions("0-5", "grid", 3))
    with qtbot.waitSignal(edited.runner.finished, timeout=60_000):
        menu_action(edited, "Export seeds…").trigger()
    assert png_pixels(grid).shape == (2 * 64, 3 * 64, 3)
    assert read_image_metadata(grid)["seeds"] == list(range(6))


def test_bad_answers_are_shown_and_nothing_is_written(edited, qtbot, tmp_path, monkeypatch):
    answer_options(edited, monkeypatch, seeds=SeedExportOptions("9-2"), folder=tmp_path)
    menu_action(edited, "Export seeds…").trigger()
    assert "runs backwards" in edited.last_error
    answer_dialogs(edited, monkeypatch, save=tmp_path / "walk.avi")
    answer_options(edited, monkeypatch, AnimationOptions("walk", format="gif"))
    menu_action(edited, "Save animation…").trigger()
    assert "an animation is saved as .mp4" in edited.last_error
    assert not edited.runner.is_busy() and list(tmp_path.iterdir()) == [tmp_path / "config"]
    assert edited.store.seed == 6 and len(edited.store) == 4  # the state is kept


def test_cancel_leaves_no_file_and_keeps_the_old_one(edited, qtbot, tmp_path, monkeypatch):
    path = tmp_path / "walk.gif"
    path.write_bytes(b"an older animation")
    answer_dialogs(edited, monkeypatch, save=path)
    answer_options(edited, monkeypatch, AnimationOptions("walk", frames=1000, seconds=60,
                                                         format="gif"))
    # Cancel as the user does, once the job has reported its first progress
    edited.runner.progress.connect(lambda *_: edited.cancel_button.click())
    with qtbot.waitSignal(edited.runner.cancelled, timeout=60_000):
        menu_action(edited, "Save animation…").trigger()
    qtbot.waitUntil(lambda: not edited.runner.is_busy(), timeout=60_000)
    assert path.read_bytes() == b"an older animation"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config", "walk.gif"]
