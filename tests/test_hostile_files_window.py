"""The window's drop / import / session paths with hostile data files (offscreen): each
shows a message naming the file and keeps the directions, seed and edits it had."""

from __future__ import annotations

import json
import os

import pytest
from PySide6.QtWidgets import QMessageBox

from guiapp.ui.main_window import MainWindow
from guiapp.ui.settings import AppSettings
from tests.fuzz import data_files as df
from tests.fuzz.hostile_data import direction_sets
from tests.fuzz.hostile_sessions import sessions


@pytest.fixture
def window(qtbot, tmp_path):
    win = MainWindow(settings=AppSettings(tmp_path / "config"), offer_restore=False)
    win.show()
    with qtbot.waitSignal(win.model_ready, timeout=60_000):
        win.open_model()
    with qtbot.waitSignal(win.runner.finished, timeout=60_000):
        win.run_method("sefa", {"k": 4})
    qtbot.waitUntil(lambda: not win.runner.is_busy(), timeout=10_000)
    yield win
    for box in win.findChildren(QMessageBox):  # the error boxes this test made the window show
        box.close()
    win.close()


def _state(win: MainWindow) -> tuple:
    store = win.store
    return store.direction_set, store.seed, tuple(store.alpha(i) for i in range(len(store)))


def _write(folder, made: dict, suffix: str) -> list:
    paths = []
    for name, (data, _expect, _say) in made.items():
        path = folder / f"{name}{suffix}"
        path.write_bytes(data)
        paths.append(path)
    return paths


def test_dropped_hostile_files_show_a_message_and_keep_the_state(window, qtbot, tmp_path):
    window.store.set_seed(11)
    window.store.set_alpha(1, 1.5)
    before = _state(window)
    sets = dict(direction_sets())
    chosen_sets = {k: sets[k] for k in ("zip-bomb-vectors", "meta-version-string",
                                        "meta-deep-nesting", "unit-scale-infinity",
                                        "layer-range-infinity", "linear-steps-1e9")}
    all_sessions = dict(sessions())
    chosen_sessions = {k: all_sessions[k] for k in ("seed-1e999", "deep-nesting",
                                                    "extra-text", "version-string",
                                                    "edit-layers-infinity",
                                                    "linear-steps-1e9")}
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    paths = [*_write(tmp_path, chosen_sets, ".npz"), *_write(tmp_path, chosen_sessions, ".json"),
             fifo]
    for path in paths:
        window.last_error = ""
        window.files.open_any(str(path))  # the drop handler
        assert path.name in window.last_error, (path.name, window.last_error)
        assert "\n" not in window.last_error
        assert "newer" not in window.last_error or "newer" in path.name
        assert _state(window) == before, path.name
        assert not window.runner.is_busy()  # nothing was opened as a model
    assert "named pipe" in window.last_error


def test_a_valid_session_still_opens_after_the_hostile_ones(window, tmp_path):
    data = df.session_json()
    path = tmp_path / "good.json"
    path.write_text(json.dumps(data))
    window.files.open_any(str(path))
    assert window.last_error == ""
    assert window.store.seed == data["seed"]
    assert window.store.alpha(0) == data["edits"][0]["alpha"]


def test_closing_mid_render_stops_a_long_edit_instead_of_aborting(window):
    """A direction model with 10^9 Euler steps per edit (made in memory: such files are
    refused) is rendering when the window closes: the worker stops at its next step, so no
    thread is left running (Qt would abort the process destroying it)."""
    import threading

    from guiapp.core.direction_models import ConditionalDirections
    from guiapp.core.types import DirectionSet
    from guiapp.workers import live_threads

    started = threading.Event()

    class Endless(ConditionalDirections):
        def move(self, index, latents, amount):
            started.set()
            return super().move(index, latents, amount)

    base = df.linear_set()
    endless = Endless(base.conditional.model, steps=10**9)
    ds = DirectionSet("latentclr", "z", "", {}, base.directions, conditional=endless)
    window.store.set_direction_set(ds)
    window.store.set_alpha(0, 2.0)
    assert started.wait(60)  # the worker is inside the endless edit now
    window.close()
    assert live_threads() == []
