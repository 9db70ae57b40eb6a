"""``guiapp.app.main`` itself, run in this process as a user starts it: a model file, a
session file, ``--device``, ``python -m guiapp``; and the journey of issue 9 from the Run
button to the restored pixels after a restart."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
from cli_support import REF
from PySide6.QtCore import Qt, QTimer
from window_support import (
    answer_dialogs,
    menu_action,
    png_pixels,
    run_main,
    run_sefa_from_panel,
    settled,
    shown_pixels,
)

from guiapp import __version__
from guiapp.cli import main as cli_main
from guiapp.core.methods import run_method
from guiapp.core.models.registry import load_model
from guiapp.core.session_io import save_session
from guiapp.core.types import Edit, Session
from guiapp.ui.main_window import MainWindow
from guiapp.ui.settings import AppSettings

MISSING_GPU = f"cuda:{torch.cuda.device_count()}"
BIG_SEED = 3_000_000_000


@pytest.fixture
def config(tmp_path, monkeypatch):
    folder = tmp_path / "config"
    monkeypatch.setenv("GUIAPP_CONFIG_DIR", str(folder))
    return folder


def wait_for_first_image(qtbot, win: MainWindow) -> None:
    qtbot.waitUntil(lambda: win.loaded is not None and settled(win)
                    and shown_pixels(win) is not None, timeout=60_000)


def test_main_opens_the_model_file_it_is_given(qtbot, config, tmp_path):
    from stylegan_fixtures import random_generator, write_nvidia_pickle

    path = write_nvidia_pickle(tmp_path / "tiny.pkl", random_generator(seed=8))
    seen = {}

    def script(win: MainWindow) -> None:
        wait_for_first_image(qtbot, win)
        seen.update(ref=win.store.model_ref, shape=shown_pixels(win).shape,
                    banner=win.banner.isVisible())

    assert run_main([str(path)], script) == 0
    assert seen == {"ref": str(path), "shape": (16, 16, 3), "banner": False}
    assert str(path) in AppSettings(config).recent_models()


def test_main_opens_a_session_with_a_big_seed(qtbot, config, tmp_path):
    ds = run_method(load_model(REF), "sefa", {"k": 3}).with_label(0, "glasses")
    path = tmp_path / "s.json"
    save_session(path, Session(REF, BIG_SEED, 0.7, "const", ds, (Edit(0, 1.5, None),)))
    seen = {}

    def script(win: MainWindow) -> None:
        qtbot.waitUntil(lambda: len(win.store) == 3 and settled(win), timeout=60_000)
        seen.update(seed=win.store.seed, text=win.image_view._seed.text(),
                    label=win.store.label(0), alpha=win.store.alpha(0),
                    rendered=win.last_result.request.seed)
        menu_action(win, "Next seed").trigger()
        seen["next"] = win.image_view._seed.text()

    assert run_main(["--session", str(path)], script) == 0
    assert seen == {"seed": BIG_SEED, "text": "3000000000", "label": "glasses", "alpha": 1.5,
                    "rendered": BIG_SEED, "next": "3000000001"}


def test_main_given_a_direction_file_opens_it_over_the_built_in_model(qtbot, config, tmp_path):
    """``guiapp sefa.npz`` once said "could not open the model" and showed no model."""
    from guiapp.core.io import save_direction_set

    path = tmp_path / "sefa.npz"
    save_direction_set(path, run_method(load_model(REF), "sefa", {"k": 3}).with_label(1, "smile"))
    seen = {}

    def script(win: MainWindow) -> None:
        qtbot.waitUntil(lambda: len(win.store) == 3 and settled(win), timeout=60_000)
        seen.update(ref=win.store.model_ref, label=win.store.label(1), error=win.last_error,
                    shown=shown_pixels(win) is not None)

    assert run_main([str(path), "--no-restore"], script) == 0
    assert seen == {"ref": REF, "label": "smile", "error": "", "shown": True}


def test_main_on_the_cpu_remembers_the_device(qtbot, config):
    seen = {}

    def script(win: MainWindow) -> None:
        wait_for_first_image(qtbot, win)
        seen.update(device=str(win.loaded.model.device), offered=win.picker.devices()[0])

    assert run_main(["--device", "cpu", "--no-restore"], script) == 0
    assert seen == {"device": "cpu", "offered": ("cpu", "CPU")}
    assert AppSettings(config).device() == "cpu"


def test_main_refuses_a_missing_gpu_like_the_cli(qapp, config, capsys, tmp_path):
    assert cli_main(["render", REF, "--seed", "0", "--device", MISSING_GPU,
                     "-o", str(tmp_path / "x.png")]) == 2
    cli_reason = capsys.readouterr().err.strip().split("error: ", 1)[1]

    from guiapp.app import main

    opened = QTimer()  # runs only if main() opened a window and entered its event loop
    opened.timeout.connect(lambda: [w.close() for w in _top_windows()])
    opened.timeout.connect(qapp.exit)
    opened.start(0)
    try:
        code = main(["--device", MISSING_GPU])
    finally:
        opened.stop()
    assert code == 2  # before any window opens
    err = capsys.readouterr().err
    assert err == f"guiapp: error: {cli_reason}\n"
    assert MISSING_GPU in err and "Traceback" not in err
    assert not [w for w in _top_windows() if w.isVisible()]


def _top_windows() -> list[MainWindow]:
    from PySide6.QtWidgets import QApplication

    return [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]


def test_python_m_guiapp_version():
    done = subprocess.run([sys.executable, "-m", "guiapp", "--version"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"guiapp {__version__}"


def test_the_journey_from_run_to_restored_pixels(qtbot, config, tmp_path, monkeypatch):
    """SeFa from the Run button, rename, alpha +2, Save image and Save session from the
    menu, close; start main() again, Restore from the banner: the same pixels."""
    image_path, session_path = tmp_path / "journey.png", tmp_path / "journey.json"

    def first(win: MainWindow) -> None:
        wait_for_first_image(qtbot, win)
        run_sefa_from_panel(win, qtbot, k=5)
        row = win.direction_list.row(0)
        row.label_edit.setFocus()
        row.label_edit.selectAll()
        qtbot.keyClicks(row.label_edit, "head turn")
        qtbot.keyClick(row.label_edit, Qt.Key.Key_Return)
        row.alpha_box.setFocus()
        row.alpha_box.lineEdit().selectAll()
        qtbot.keyClicks(row.alpha_box.lineEdit(), "2")
        qtbot.keyClick(row.alpha_box, Qt.Key.Key_Return)
        assert win.store.label(0) == "head turn" and win.store.alpha(0) == 2.0
        answer_dialogs(win, monkeypatch, save=image_path)
        menu_action(win, "Save image…").trigger()
        qtbot.waitUntil(image_path.exists, timeout=30_000)
        answer_dialogs(win, monkeypatch, save=session_path)
        menu_action(win, "Save session…").trigger()
        assert session_path.is_file()

    assert run_main(["--no-restore"], first) == 0
    saved = png_pixels(image_path)
    seen = {}

    def second(win: MainWindow) -> None:
        wait_for_first_image(qtbot, win)
        assert win.banner.isVisible()
        win.banner._restore.click()
        qtbot.waitUntil(lambda: len(win.store) == 5 and settled(win)
                        and bool(win.last_result.request.edits), timeout=60_000)
        seen.update(label=win.store.label(0), alpha=win.store.alpha(0))
        qtbot.waitUntil(lambda: np.array_equal(shown_pixels(win), win.last_result.image),
                        timeout=10_000)
        seen["pixels"] = shown_pixels(win)

    assert run_main([], second) == 0
    assert seen["label"] == "head turn" and seen["alpha"] == 2.0
    assert np.array_equal(seen["pixels"], saved)
