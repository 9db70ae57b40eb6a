"""The device box lists what torch sees, exactly; choosing a device reloads the model; a
remembered device this machine lacks falls back to the CPU and says so."""

from __future__ import annotations

import pytest
import torch
from PySide6.QtCore import Qt
from window_support import open_window, settled

from guiapp.core.devices import device_choices
from guiapp.ui.settings import AppSettings

MISSING_GPU = f"cuda:{torch.cuda.device_count()}"
FAKE_GPUS = ["NVIDIA H200", "Tesla T4"]
no_cuda = pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")


def fake_gpus(monkeypatch) -> None:
    """Two GPUs as torch would report them (only where no real one can run)."""
    monkeypatch.setattr(torch.cuda, "device_count", lambda: len(FAKE_GPUS))
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda i=0: FAKE_GPUS[i])




@no_cuda
def test_device_choices_name_each_gpu_by_its_own_index(monkeypatch):
    fake_gpus(monkeypatch)
    assert device_choices() == [("cpu", "CPU"), ("cuda:0", "CUDA 0: NVIDIA H200"),
                                ("cuda:1", "CUDA 1: Tesla T4")]


@no_cuda
def test_a_cpu_only_machine_offers_the_cpu_and_nothing_else(qtbot, tmp_path):
    win = open_window(qtbot, tmp_path)
    assert win.picker.devices() == [("cpu", "CPU")]
    assert win.picker._info.text().endswith("Runs on CPU")
    win.close()


@no_cuda
def test_choosing_a_gpu_reloads_the_model_and_a_failure_keeps_the_cpu(qtbot, tmp_path,
                                                                       monkeypatch):
    fake_gpus(monkeypatch)
    win = open_window(qtbot, tmp_path)
    assert win.picker.devices() == device_choices()  # not shifted, no phantom entry
    combo = win.picker._device_combo
    combo.setFocus()
    with qtbot.waitSignal(win.runner.failed, timeout=60_000) as failed:
        qtbot.keyClick(combo, Qt.Key.Key_Down)  # the user picks "CUDA 0: NVIDIA H200"
    assert win.settings.device() == "cuda:0"
    assert "CUDA" in failed.args[1]  # torch here cannot use a GPU; the load said so
    qtbot.waitUntil(lambda: not win.runner.is_busy(), timeout=10_000)
    assert str(win.loaded.model.device) == "cpu" and win.device == "cpu"
    assert combo.currentData() == "cpu"  # the box shows where the model really is
    assert win.last_error.startswith("Could not open the model")
    win.close()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_choosing_a_real_gpu_moves_the_model_there(qtbot, tmp_path):
    win = open_window(qtbot, tmp_path)
    assert win.picker.devices() == device_choices()
    combo = win.picker._device_combo
    index = combo.findData("cuda:0")
    combo.setCurrentIndex(index)
    with qtbot.waitSignal(win.model_ready, timeout=120_000):
        combo.activated.emit(index)
    assert str(win.loaded.model.device) == "cuda:0"
    assert win.picker._info.text().endswith(f"Runs on CUDA 0: {torch.cuda.get_device_name(0)}")
    qtbot.waitUntil(lambda: settled(win), timeout=30_000)
    assert win.last_result.image.shape == (64, 64, 3)
    win.close()


def test_a_remembered_device_this_machine_lacks_falls_back_and_says_so(qtbot, tmp_path):
    AppSettings(tmp_path).set_device(MISSING_GPU)
    win = open_window(qtbot, tmp_path)
    assert str(win.loaded.model.device) == "cpu"
    text = win.status_label.text()
    assert MISSING_GPU in text and text.endswith("running on the CPU")
    win.close()
