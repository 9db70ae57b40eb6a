"""The window and ``guiapp-cli render`` follow one strip/grid rule and write one PNG schema:
the same state (seed, truncation, edits on their own layer ranges, one on the strip
direction) on a style-based model gives the same pixels and metadata both ways, and each
saved PNG's pixels come back from its metadata alone (issue 9, items 4 and 6)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from stylegan_fixtures import random_generator, write_nvidia_pickle
from window_support import menu_action

from guiapp.cli import main
from guiapp.core.image_metadata import read_image_metadata, render_from_metadata
from guiapp.core.io import load_direction_set
from guiapp.core.models.registry import load_model
from guiapp.core.types import LayerRange
from guiapp.ui.main_window import MainWindow
from guiapp.ui.settings import AppSettings

SEED, PSI = 11, 0.7
# index: (alpha, inclusive layers or None for the direction's own); 1 is the strip direction,
# 3 has a layer range but alpha 0 (its grid row moves only layers 2-4).
STATE = {0: (1.5, "1-2"), 1: (2.0, "0-3"), 2: (-1.0, None), 3: (0.0, "2-4")}
CLI_STATE = ["--seed", str(SEED), "--truncation", str(PSI)] + [
    arg for i, (a, layers) in STATE.items()
    for arg in ("--edit", f"{i}={a:g}" + (f"@{layers}" if layers else ""))]


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> tuple[Path, Path]:
    """A StyleGAN2 NVIDIA pickle and four SeFa directions found on it by the CLI."""
    folder = tmp_path_factory.mktemp("parity")
    model = write_nvidia_pickle(folder / "snapshot.pkl", random_generator(seed=3))
    dirs = folder / "sefa.npz"
    assert main(["discover", str(model), "--method", "sefa", "-k", "4", "-o", str(dirs)]) == 0
    return model, dirs


@pytest.fixture
def window(qtbot, tmp_path, files):
    """The window on the model, with the directions imported and STATE set by the user."""
    model, dirs = files
    win = MainWindow(settings=AppSettings(tmp_path / "config"), offer_restore=False)
    win.show()
    with qtbot.waitSignal(win.model_ready, timeout=60_000):
        win.files.open_any(str(model))
    win.files.open_any(str(dirs))
    store = win.store
    assert len(store) == 4, win.last_error
    store.set_seed(SEED)
    store.set_truncation(PSI)
    for i, (alpha, layers) in STATE.items():
        if layers:
            store.set_layers(i, LayerRange.parse_inclusive(layers))
        store.set_alpha(i, alpha)
    store.set_label(1, "age")
    store.select(1)
    yield win
    win.close()


def png(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def cli(*argv: object) -> None:
    assert main([str(a) for a in argv]) == 0


def shown_strip(window, qtbot) -> np.ndarray:
    """The strip under the image once the full render of the current state arrived."""
    window.request_render(preview=False)
    qtbot.waitUntil(lambda: window.last_result is not None
                    and window.last_result_id == window.render_queue.latest_id, timeout=30_000)
    assert window.last_result.request.strip_index == 1
    return window.last_result.strip


def save_from_menu(window, monkeypatch, name: str, path: Path) -> None:
    """File > ``name`` with the save dialog answered ``path`` (the only thing replaced)."""
    monkeypatch.setattr(window.files, "ask_save_path", lambda *_: str(path))
    menu_action(window, name).trigger()


def test_window_strip_and_grid_equal_the_cli(window, qtbot, files, tmp_path,
                                                monkeypatch):
    model, dirs = files
    cli_strip, cli_grid = tmp_path / "cli_strip.png", tmp_path / "cli_grid.png"
    cli("render", model, "--directions", dirs, *CLI_STATE, "--strip", "1", "-o", cli_strip)
    cli("render", model, "--directions", dirs, *CLI_STATE, "--grid", "0,1,2,3", "-o", cli_grid)

    strip = shown_strip(window, qtbot)
    assert strip.shape == (16, 16 * 7, 3)
    np.testing.assert_array_equal(strip, png(cli_strip))
    # The strip column at the direction's own alpha (2) is the edited image itself.
    np.testing.assert_array_equal(strip[:, 16 * 5 : 16 * 6], window.last_result.image)

    win_strip, win_grid = tmp_path / "win_strip.png", tmp_path / "win_grid.png"
    save_from_menu(window, monkeypatch, "Save strip…", win_strip)
    qtbot.waitUntil(win_strip.exists, timeout=30_000)
    np.testing.assert_array_equal(png(win_strip), png(cli_strip))
    with qtbot.waitSignal(window.runner.succeeded, timeout=60_000):
        save_from_menu(window, monkeypatch, "Save grid…", win_grid)  # the first 10: all 4
    assert png(win_grid).shape == (16 * 4, 16 * 7, 3)
    np.testing.assert_array_equal(png(win_grid), png(cli_grid))


def test_window_and_cli_pngs_share_one_schema_and_rerender_from_it(window, qtbot, files,
                                                                   tmp_path, monkeypatch):
    model_file, dirs = files
    model, ds = load_model(str(model_file)), load_direction_set(dirs)
    saved = {"Save image…": tmp_path / "win.png", "Save strip…": tmp_path / "win_strip.png",
             "Save image upscaled ×4…": tmp_path / "win_x4.png",
             "Save grid…": tmp_path / "win_grid.png"}
    shown_strip(window, qtbot)
    window.store.set_label(0, "pose")  # typed after the render: the saved files say it
    for name in ("Save image…", "Save image upscaled ×4…", "Save strip…"):
        save_from_menu(window, monkeypatch, name, saved[name])
    qtbot.waitUntil(lambda: all(p.exists() for n, p in saved.items() if n != "Save grid…"),
                    timeout=30_000)
    with qtbot.waitSignal(window.runner.succeeded, timeout=60_000):
        save_from_menu(window, monkeypatch, "Save grid…", saved["Save grid…"])
    cli_image = tmp_path / "cli.png"
    cli("render", model_file, "--directions", dirs, *CLI_STATE, "-o", cli_image)

    for kind, path in saved.items():
        meta = read_image_metadata(path)
        np.testing.assert_array_equal(render_from_metadata(meta, model, ds), png(path),
                                      err_msg=kind)
    assert png(saved["Save image upscaled ×4…"]).shape == (64, 64, 3)
    assert png(saved["Save grid…"]).shape == (16 * 4, 16 * 7, 3)  # all 4 of the first 10

    win_meta = read_image_metadata(saved["Save image…"])
    cli_meta = read_image_metadata(cli_image)
    assert win_meta.keys() == cli_meta.keys()
    assert win_meta["directions"].pop("file") is None
    assert cli_meta["directions"].pop("file") == "sefa.npz"
    win_meta.pop("resample"), cli_meta.pop("resample")  # lanczos vs nearest: both scale 1
    # The window records the edits that move the image (alpha 0 is left out).
    cli_meta["edits"] = [e for e in cli_meta["edits"] if e["alpha"] != 0]
    assert win_meta["edits"][1] == {"index": 1, "alpha": 2.0, "layers": [0, 4], "label": "age"}
    assert [e.pop("label") for e in win_meta["edits"]] == ["pose", "age", ""]
    assert [e.pop("label") for e in cli_meta["edits"]] == ["", "", ""]  # the file's labels
    assert win_meta == cli_meta
    assert win_meta["model"] == str(model_file)
    np.testing.assert_array_equal(png(saved["Save image…"]), png(cli_image))
