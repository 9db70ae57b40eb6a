"""Responsiveness of the real window, offscreen, on the built-in model.

1. Slider latency: ``--changes`` alpha changes on direction 0's slider, one every
   ``--interval-ms`` (default 8 ms: faster than a mouse drag delivers events); for each
   change, the time until an image rendered for it (or for a later change) is painted.
   Baseline in the same run: ``LiveRenderer.render`` alone for the same requests.
   Targets: p50 <= 30 ms, p95 <= 60 ms.
2. Event-loop stalls while GANSpace (N = ``--ganspace-samples``) runs in the worker: a 10 ms
   timer ticks in the GUI thread; report the largest gap between ticks. Target: <= 100 ms.
3. Start-up: ``python -m guiapp --benchmark-startup`` from process launch to the first image
   painted, next to a bare PySide6 window shown from launch (baseline). Target: <= 3 s.
4. Direction list: showing another set of 100 directions (adding one, switching back and
   forth) until the list is laid out and painted, for the list alone and in the window;
   baseline in the same run: showing a set of 1 direction. Target: <= 50 ms per switch.
   Beside each wall time: the GUI thread's CPU time (``time.thread_time``: what the window
   itself spent, whatever else the machine runs) and the process's (the render worker too).

    QT_QPA_PLATFORM=offscreen python -m benchmarks.bench_ui_latency
    QT_QPA_PLATFORM=offscreen python -m benchmarks.bench_ui_latency --cases list
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from guiapp.core.types import Direction, DirectionSet, Edit
from guiapp.ui.main_window import MainWindow
from guiapp.ui.settings import AppSettings


def pct(values: list[float]) -> dict[str, float]:
    ms = np.asarray(values) * 1e3
    return {"p50_ms": round(float(np.percentile(ms, 50)), 2),
            "p95_ms": round(float(np.percentile(ms, 95)), 2),
            "min_ms": round(float(ms.min()), 2), "max_ms": round(float(ms.max()), 2),
            "n": len(values)}


def wait_until(app: QApplication, predicate, timeout_s: float = 120) -> None:
    deadline = time.perf_counter() + timeout_s
    while not predicate():
        if time.perf_counter() > deadline:
            raise TimeoutError("the window did not get there in time")
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 10)


def open_window(app: QApplication) -> MainWindow:
    win = MainWindow(settings=AppSettings(tempfile.mkdtemp()), offer_restore=False)
    win.resize(1400, 880)
    win.show()
    win.open_model()
    wait_until(app, lambda: win.loaded is not None and win.last_result is not None)
    win.run_method("sefa", {"k": 20})
    wait_until(app, lambda: len(win.store) == 20 and not win.runner.is_busy())
    return win


def slider_latency(app: QApplication, win: MainWindow, changes: int, interval_ms: int) -> dict:
    slider = win.direction_list.row(0).alpha_slider
    sent: dict[int, float] = {}  # request id -> time of the change
    latencies: list[float] = []

    def on_shown(request_id: int) -> None:
        now = time.perf_counter()
        for rid in [r for r in sent if r <= request_id]:
            latencies.append(now - sent.pop(rid))

    win.image_view.image_shown.connect(on_shown)
    values = np.round(np.sin(np.linspace(0, 12 * np.pi, changes)) * slider.maximum())
    state = {"i": 0}

    def step() -> None:
        i = state["i"]
        if i >= changes:
            timer.stop()
            return
        before = win.render_queue.latest_id
        slider.setValue(int(values[i]) if int(values[i]) != slider.value() else int(values[i]) + 1)
        if win.render_queue.latest_id != before:
            sent[win.render_queue.latest_id] = time.perf_counter()
        state["i"] += 1

    timer = QTimer()
    timer.timeout.connect(step)
    timer.start(interval_ms)
    wait_until(app, lambda: state["i"] >= changes and not sent, timeout_s=300)
    win.image_view.image_shown.disconnect(on_shown)

    renderer, request = win.loaded.renderer, win.current_request()
    direct = []
    for i in range(200):
        edits = tuple(e for e in request.edits if e.direction_index != 0)
        fields = {"edits": (Edit(0, float(np.sin(i))), *edits)}
        ws = getattr(request, "workspace", None)
        if ws is not None:  # a workspace request renders its workspace's edits
            fields["workspace"] = ws.set_edit(win.store.set_id, 0, float(np.sin(i)) or 0.01)
        req = type(request)(**{**request.__dict__, **fields})
        t0 = time.perf_counter()
        renderer.render(req)
        direct.append(time.perf_counter() - t0)
    return {"changes": changes, "interval_ms": interval_ms, "window": pct(latencies),
            "baseline_render_only": pct(direct)}


def stall_during_ganspace(app: QApplication, win: MainWindow, samples: int) -> dict:
    ticks: list[float] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start(10)
    t0 = time.perf_counter()
    win.run_method("ganspace", {"k": 50, "samples": samples})
    wait_until(app, lambda: win.runner.is_busy())
    wait_until(app, lambda: not win.runner.is_busy(), timeout_s=900)
    timer.stop()
    gaps = np.diff(ticks) * 1e3
    return {"samples": samples, "job_s": round(time.perf_counter() - t0, 2),
            "ticks": len(ticks), "max_gap_ms": round(float(gaps.max()), 1),
            "p99_gap_ms": round(float(np.percentile(gaps, 99)), 1),
            "directions": len(win.store)}


def random_set(info, model_id: str, k: int, seed: int) -> DirectionSet:
    """``k`` random unit directions that fit a model of ``info``, named like a method's."""
    dim, space = (info.z_dim, "z") if info.w_dim is None else (info.w_dim, "w")
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((k, dim))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    dirs = tuple(Direction(v, float(k - i), label=f"d{i}" if i % 3 == 0 else "")
                 for i, v in enumerate(vectors))
    return DirectionSet("sefa", space, model_id, {"seed": seed}, dirs)


def list_switch(app: QApplication, win: MainWindow, rounds: int) -> dict:
    """Seconds from showing another set until it is laid out and painted: in the window
    (the ranking plot, the set picker and the image update too), and in a direction list of
    the window's size on its own store (the list alone). "add": a run's set of 100 arrives
    while a set of 1 is shown; "switch": the set picker goes from one set of 100 to another.
    (A store without workspaces, before issue 10, replaces the shown set instead.)"""
    from PySide6.QtCore import QCoreApplication, QEvent

    from guiapp.ui.direction_list import DirectionList
    from guiapp.ui.session_store import SessionStore

    info, model_id = win.store.model_info, win.loaded.model.model_id
    store = SessionStore()
    store.set_model(win.store.model_ref, info)
    alone = DirectionList(store)
    alone.resize(win.direction_list.size())
    alone.show()
    small = random_set(info, model_id, 1, 0)
    sets = [random_set(info, model_id, 100, 1), random_set(info, model_id, 100, 2)]
    result: dict = {"directions": 100, "target_ms": 50}
    for name, target, widget in (("list_alone", store, alone),
                                 ("window", win.store, win.direction_list)):
        def settle(widget=widget) -> None:
            QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
            app.processEvents()
            widget.repaint()

        def timed(change, settle=settle) -> tuple[float, float, float]:
            """(wall, GUI-thread CPU, process CPU) seconds of one change."""
            settle()
            t0, c0, p0 = time.perf_counter(), time.thread_time(), time.process_time()
            change()
            settle()
            return (time.perf_counter() - t0, time.thread_time() - c0,
                    time.process_time() - p0)

        if hasattr(target, "add_set"):
            ids = [target.add_set(ds) for ds in (small, *sets, small)]

            def show(n: int, target=target, ids=ids):  # 0, 3: one direction; 1, 2: 100
                return lambda: target.select_set(ids[n])

            def add(target=target, ids=ids):
                target.select_set(ids[0])
                return lambda: target.add_set(sets[0])
        else:
            def show(n: int, target=target):
                ds = (small, *sets, small)[n]
                return lambda: target.replace_direction_set(ds, "bench")

            def add(target=target):
                target.replace_direction_set(small, "bench")
                return lambda: target.replace_direction_set(sets[0], "bench")

        timed(show(1))  # warm-up: the first rows of this kind, font metrics, icons
        adds = []
        for _ in range(rounds):
            change = add()
            adds.append(timed(change))
        switches = [timed(show(1 + i % 2)) for i in range(2 * rounds)]
        baseline = [timed(show(3 * (i % 2))) for i in range(2 * rounds)]
        result[name] = {}
        for case, runs in (("add_a_set_while_1_direction_shown", adds),
                           ("switch_between_two_sets", switches),
                           ("baseline_switch_between_1_direction_sets", baseline)):
            wall, gui_cpu, process_cpu = zip(*runs, strict=True)
            result[name][case] = {**pct(list(wall)), "gui_thread_cpu": pct(list(gui_cpu)),
                                  "process_cpu": pct(list(process_cpu))}
    alone.close()
    return result


BARE_WINDOW = """
import sys, time, os
from PySide6.QtWidgets import QApplication, QLabel
from PySide6.QtCore import QTimer
app = QApplication([])
w = QLabel('hello'); w.show()
QTimer.singleShot(0, lambda: (print(time.time() - float(os.environ['GUIAPP_T0'])), app.quit()))
app.exec()
"""


def startup() -> dict:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    cfg = tempfile.mkdtemp()
    results = {}
    for name, cmd in (("guiapp_first_image_s",
                       [sys.executable, "-m", "guiapp", "--no-restore", "--benchmark-startup"]),
                      ("baseline_bare_qt_window_s", [sys.executable, "-c", BARE_WINDOW])):
        runs = []
        for _ in range(3):
            env["GUIAPP_T0"] = repr(time.time())
            env["GUIAPP_CONFIG_DIR"] = cfg
            out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
            runs.append(float(out.stdout.strip().splitlines()[-1]))
        results[name] = round(float(np.median(runs)), 3)
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--changes", type=int, default=500)
    ap.add_argument("--interval-ms", type=int, default=8)
    ap.add_argument("--ganspace-samples", type=int, default=100_000)
    ap.add_argument("--cases", default="slider,ganspace,startup,list",
                    help="comma-separated: slider, ganspace, startup, list")
    ap.add_argument("--list-rounds", type=int, default=20)
    args = ap.parse_args()
    cases = set(args.cases.split(","))
    app = QApplication.instance() or QApplication([])
    win = open_window(app)
    result: dict = {"benchmark": "ui_latency", "model": "builtin:dcgan-digiface",
                    "load_average_1_5_15_min": [round(x, 2) for x in os.getloadavg()]}
    if "slider" in cases:
        slider_latency(app, win, 50, args.interval_ms)  # warm-up: first paints, caches
        result["slider"] = slider_latency(app, win, args.changes, args.interval_ms)
        result["slider_fastest"] = slider_latency(app, win, args.changes, 0)
    if "ganspace" in cases:
        result["event_loop_during_ganspace"] = stall_during_ganspace(app, win,
                                                                      args.ganspace_samples)
    if "list" in cases:
        result["direction_list"] = list_switch(app, win, args.list_rounds)
    win.close()
    if "startup" in cases:
        result["startup"] = startup()
    result["targets"] = {"slider_p50_ms": 30, "slider_p95_ms": 60, "max_gap_ms": 100,
                         "first_image_s": 3.0, "direction_list_ms": 50}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
