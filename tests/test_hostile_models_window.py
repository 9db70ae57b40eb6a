"""Issue 14, model files, in the window: opening or dropping a hostile generator file shows
one line naming the file and keeps the model, the directions and the image that were there
(before, some of these files killed the window, hung it, or showed no message)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from stylegan_fixtures import nvidia_snapshot, random_generator, tiny_config
from window_support import open_window

from tests.fuzz import model_cases as mc
from tests.fuzz import model_cases_files as mf
from tests.fuzz.payloads import hostile_arrays


@pytest.fixture
def window(qtbot, tmp_path):
    win = open_window(qtbot, tmp_path / "config")
    yield win
    win.close()


def hostile_files(folder: Path) -> list[Path]:
    net = random_generator(tiny_config())
    out = []
    data = mc.tff.tf_snapshot(net, folder / mc.SENTINEL)  # a dtype field at offset 2**40
    mc.tff.component_state(data, "mapping")["variables"][0] = (
        "Dense0/weight", hostile_arrays()["dtype_field_far_offset"])
    out.append(folder / "segfault.pkl")
    out[-1].write_bytes(mc.tf_bytes(data))
    w = mc.Writer(folder)  # child records listed twice, 40 levels: 2**40 visits
    mc.graph_cases(w, lambda: nvidia_snapshot(net))
    out.append(folder / "record-dag-40.pkl")
    snap = nvidia_snapshot(net)
    mc.g_ema(snap)["z_dim"] = 0  # was a ZeroDivisionError
    out.append(folder / "z-dim-0.pkl")
    out[-1].write_bytes(mc.nvidia_bytes(snap))
    out.append(folder / "bomb.pt")
    ckpt = {"g_ema": mc.sg2.rosinality_state_dict(net)}
    out[-1].write_bytes(mf.rezip(mf.torch_bytes(ckpt), lambda n, b: (b, 8)))  # 8: deflated
    fifo = folder / "pipe.pkl"
    os.mkfifo(fifo)
    out.append(fifo)
    return out


@pytest.mark.parametrize("how", ["open", "drop"])
def test_hostile_model_files_leave_the_window_as_it_was(window, qtbot, tmp_path, how):
    store = window.store
    window.run_method("sefa", {"k": 4})
    qtbot.waitUntil(lambda: len(store) == 4, timeout=30_000)
    qtbot.waitUntil(lambda: not window.runner.is_busy(), timeout=10_000)
    store.set_alpha(1, 2.0)
    for path in hostile_files(tmp_path):
        window.last_error = ""
        with qtbot.waitSignal(window.runner.failed, timeout=60_000):
            if how == "open":
                window.open_model(str(path))
            else:
                window.files.open_any(str(path))
        qtbot.waitUntil(lambda: not window.runner.is_busy(), timeout=30_000)
        message = window.last_error
        assert path.name in message and "\n" not in message, message
        assert "Traceback" not in message
        assert window.loaded.ref == "builtin:dcgan-digiface"
        assert len(store) == 4 and store.alpha(1) == 2.0
        assert window.picker.isEnabled()
    assert not (tmp_path / mc.SENTINEL).exists()
