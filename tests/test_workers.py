"""Worker threads: signal order, cancellation, progress throttling, latest-wins rendering."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication

from guiapp.core.progress import CancelToken, Checkpoint, ProgressFn
from guiapp.workers import RenderQueue, TaskRunner, live_threads

TIMEOUT_MS = 5000
Partial = Callable[[object], None]


class OutOfMemoryError(RuntimeError):
    """Stands in for torch.OutOfMemoryError, which the runner recognises by name."""


def record(obj: Any, names: list[str]) -> list[tuple[Any, ...]]:
    """Collect ``(signal name, *args)`` for each emission, in order."""
    events: list[tuple[Any, ...]] = []
    for name in names:
        getattr(obj, name).connect(lambda *args, name=name: events.append((name, *args)))
    return events


TASK_SIGNALS = ["started", "progress", "partial", "succeeded", "failed", "cancelled", "finished"]


@pytest.fixture
def runner() -> Iterator[TaskRunner]:
    runner = TaskRunner()
    yield runner
    runner.shutdown()


def ok_job(progress: ProgressFn, cancel: CancelToken, on_partial: Partial) -> int:
    progress(0.5, "half")
    on_partial("point")
    progress(1.0, "done")
    return 42


def looping_job(entered: threading.Event) -> Callable[..., None]:
    """A job that runs until cancelled, checking the token at every step."""

    def job(progress: ProgressFn, cancel: CancelToken, on_partial: Partial) -> None:
        checkpoint = Checkpoint(progress, cancel)
        entered.set()
        while True:
            checkpoint(0.1, "looping")
            time.sleep(0.002)

    return job


def without_progress(events: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [event for event in events if event[0] != "progress"]


def test_success_signals_in_order(qtbot, runner: TaskRunner) -> None:
    events = record(runner, TASK_SIGNALS)
    signals = [runner.started, runner.progress, runner.partial, runner.progress]
    signals += [runner.succeeded, runner.finished]
    with qtbot.waitSignals(signals, order="strict", timeout=TIMEOUT_MS):
        task_id = runner.submit(ok_job, "ok")
        assert events == []  # nothing is emitted from inside submit: the caller knows its id first
        assert runner.is_busy()
    assert events == [
        ("started", task_id),
        ("progress", task_id, 0.5, "half"),
        ("partial", task_id, "point"),
        ("progress", task_id, 1.0, "done"),
        ("succeeded", task_id, 42),
        ("finished", task_id),
    ]
    assert not runner.is_busy()


def test_failure_becomes_signal_with_message(qtbot, runner: TaskRunner, caplog) -> None:
    def job(progress: ProgressFn, cancel: CancelToken, on_partial: Partial) -> None:
        raise ValueError("seed 7 is not valid")

    events = record(runner, TASK_SIGNALS)
    signals = [runner.started, runner.failed, runner.finished]
    with qtbot.waitSignals(signals, order="strict", timeout=TIMEOUT_MS):
        task_id = runner.submit(job, "bad")
    assert events == [
        ("started", task_id),
        ("failed", task_id, "seed 7 is not valid"),  # a bad input: no class name
        ("finished", task_id),
    ]
    assert "Traceback" not in caplog.text  # one warning line; the traceback is at debug


@pytest.mark.parametrize(
    "error", [MemoryError(), OutOfMemoryError("CUDA out of memory.\nTried to allocate 2 GiB")]
)
def test_out_of_memory_says_so(qtbot, runner: TaskRunner, error: BaseException) -> None:
    def job(progress: ProgressFn, cancel: CancelToken, on_partial: Partial) -> None:
        raise error

    with qtbot.waitSignal(runner.failed, timeout=TIMEOUT_MS) as blocker:
        runner.submit(job)
    message = blocker.args[1]
    assert "ran out of memory" in message
    assert "\n" not in message


def test_cancel_stops_at_checkpoint(qtbot, runner: TaskRunner) -> None:
    entered = threading.Event()
    events = record(runner, TASK_SIGNALS)
    task_id = runner.submit(looping_job(entered), "loop")
    assert entered.wait(TIMEOUT_MS / 1000)
    with qtbot.waitSignals([runner.cancelled, runner.finished], order="strict", timeout=TIMEOUT_MS):
        runner.cancel()
    assert without_progress(events) == [
        ("started", task_id),
        ("cancelled", task_id),
        ("finished", task_id),
    ]
    assert not runner.is_busy()


def test_result_after_cancel_is_not_success(qtbot, runner: TaskRunner) -> None:
    """A job that ignores the token and returns still ends as cancelled."""
    entered, release = threading.Event(), threading.Event()

    def job(progress: ProgressFn, cancel: CancelToken, on_partial: Partial) -> str:
        entered.set()
        release.wait(TIMEOUT_MS / 1000)
        progress(0.9, "late")
        return "stale result"

    events = record(runner, TASK_SIGNALS)
    task_id = runner.submit(job)
    assert entered.wait(TIMEOUT_MS / 1000)
    runner.cancel()
    release.set()
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT_MS):
        pass
    assert events == [("started", task_id), ("cancelled", task_id), ("finished", task_id)]


def stops_early_job(entered: threading.Event) -> Callable[..., str]:
    """A job that, when cancelled, returns what it has instead of raising (as LatentCLR's
    keep-best does)."""

    def job(progress: ProgressFn, cancel: CancelToken, on_partial: Partial) -> str:
        entered.set()
        while not cancel.cancelled:
            time.sleep(0.002)
        return "best so far"

    return job


def test_cancel_keeping_the_result_reports_it(qtbot, runner: TaskRunner) -> None:
    entered = threading.Event()
    events = record(runner, TASK_SIGNALS)
    task_id = runner.submit(stops_early_job(entered))
    assert entered.wait(TIMEOUT_MS / 1000)
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT_MS):
        runner.cancel(keep_result=True)
    assert without_progress(events) == [
        ("started", task_id), ("succeeded", task_id, "best so far"), ("finished", task_id),
    ]


def test_replaced_job_drops_its_kept_result(qtbot, runner: TaskRunner) -> None:
    """A user cancel asked to keep the result, but a new job replaced the old one first."""
    entered = threading.Event()
    events = record(runner, TASK_SIGNALS)
    first = runner.submit(stops_early_job(entered))
    assert entered.wait(TIMEOUT_MS / 1000)
    runner.cancel(keep_result=True)
    with qtbot.waitSignal(
        runner.finished, check_params_cb=lambda task_id: task_id == second, timeout=TIMEOUT_MS
    ):
        second = runner.submit(ok_job, "second")
    assert ("cancelled", first) in events
    assert not any(e[0] == "succeeded" and e[1] == first for e in events)


def test_new_job_replaces_running_one(qtbot, runner: TaskRunner) -> None:
    entered = threading.Event()
    events = record(runner, TASK_SIGNALS)
    first = runner.submit(looping_job(entered), "first")
    assert entered.wait(TIMEOUT_MS / 1000)
    with qtbot.waitSignal(
        runner.finished, check_params_cb=lambda task_id: task_id == second, timeout=TIMEOUT_MS
    ):
        second = runner.submit(ok_job, "second")
    assert without_progress(events) == [
        ("started", first),
        ("cancelled", first),
        ("finished", first),
        ("started", second),
        ("partial", second, "point"),
        ("succeeded", second, 42),
        ("finished", second),
    ]


def test_waiting_job_replaced_before_it_starts(qtbot, runner: TaskRunner) -> None:
    entered = threading.Event()
    events = record(runner, TASK_SIGNALS)
    first = runner.submit(looping_job(entered), "first")
    assert entered.wait(TIMEOUT_MS / 1000)
    second = runner.submit(ok_job, "second")
    with qtbot.waitSignal(
        runner.finished, check_params_cb=lambda task_id: task_id == third, timeout=TIMEOUT_MS
    ):
        third = runner.submit(ok_job, "third")
    second_events = [event for event in events if event[1] == second]
    assert second_events == [("cancelled", second), ("finished", second)]
    assert ("succeeded", third, 42) in events
    assert not any(event[0] == "succeeded" and event[1] in (first, second) for event in events)
    assert sorted(event[1] for event in events if event[0] == "finished") == [first, second, third]
    assert events.index(("finished", first)) < events.index(("started", third))


def test_progress_is_throttled_but_last_report_arrives(qtbot, runner: TaskRunner) -> None:
    calls = 100_000

    def job(progress: ProgressFn, cancel: CancelToken, on_partial: Partial) -> None:
        for i in range(calls):
            progress(i / (calls - 1), "busy")

    reports = record(runner, ["progress"])
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT_MS):
        runner.submit(job)
    assert 1 <= len(reports) < calls  # how few depends on the clock: see the next test
    assert reports[-1][2] == 1.0


class HandClock:
    """A clock that moves only when the test says so (seconds)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_throttle_forwards_one_report_per_interval_and_flushes_the_held_one() -> None:
    from guiapp.workers.task_runner import _ProgressThrottle

    sent: list[tuple[float, str]] = []
    clock = HandClock()
    throttle = _ProgressThrottle(lambda f, m: sent.append((f, m)), interval_s=0.03, clock=clock)
    throttle(0.1, "a")  # the first report goes at once
    throttle(0.2, "b")  # too soon: held
    throttle(0.3, "c")  # too soon: replaces the held one
    assert sent == [(0.1, "a")]
    clock.now = 0.03
    throttle(0.4, "d")  # one interval later: sent, the held one is dropped
    clock.now = 0.04
    throttle(0.5, "e")  # held
    assert sent == [(0.1, "a"), (0.4, "d")]
    throttle.flush()  # the job ended: the held report gets through
    assert sent[-1] == (0.5, "e")
    throttle(1.0, "done")  # the first report of completion is never held
    assert sent[-1] == (1.0, "done")
    throttle.flush()
    assert len(sent) == 4


def test_held_progress_is_flushed_when_job_ends(qtbot, runner: TaskRunner) -> None:
    def job(progress: ProgressFn, cancel: CancelToken, on_partial: Partial) -> None:
        progress(0.2, "a")
        progress(0.7, "b")  # too soon after the first: held, then sent when the job ends

    reports = record(runner, ["progress"])
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT_MS):
        runner.submit(job)
    assert [report[2:] for report in reports] == [(0.2, "a"), (0.7, "b")]


def test_runner_shutdown_joins_and_is_idempotent(qtbot) -> None:
    runner = TaskRunner()
    entered = threading.Event()
    events = record(runner, TASK_SIGNALS)
    task_id = runner.submit(looping_job(entered), "loop")
    assert entered.wait(TIMEOUT_MS / 1000)
    assert [thread.objectName() for thread in live_threads()] == [f"guiapp-task-{task_id}-loop"]
    runner.shutdown()
    assert live_threads() == []
    # delivered by shutdown itself, with no event loop turn
    assert without_progress(events)[-2:] == [("cancelled", task_id), ("finished", task_id)]
    runner.shutdown()
    assert not runner.is_busy()
    with pytest.raises(RuntimeError, match="shut down"):
        runner.submit(ok_job)


# --- RenderQueue ---------------------------------------------------------------------


@pytest.fixture
def make_queue() -> Iterator[Callable[..., RenderQueue]]:
    import torch  # noqa: F401  the worker imports it on first use; keep that out of timed waits

    queues: list[RenderQueue] = []

    def make(render_fn: Callable[[Any], Any], **kwargs: Any) -> RenderQueue:
        queues.append(RenderQueue(render_fn, **kwargs))
        return queues[-1]

    yield make
    for queue in queues:
        queue.shutdown()


def test_render_burst_renders_few_and_delivers_only_the_latest(qtbot, make_queue) -> None:
    """Fifty requests while the first renders: only the first and the newest are rendered,
    and only the newest is delivered."""
    entered, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def render(payload: int) -> int:
        calls.append(payload)
        entered.set()
        release.wait(TIMEOUT_MS / 1000)
        return payload * 10

    queue = make_queue(render)
    delivered = record(queue, ["rendered", "failed"])
    ids = [queue.request(0)]
    assert entered.wait(TIMEOUT_MS / 1000)
    ids += [queue.request(i) for i in range(1, 50)]
    assert ids == list(range(1, 51)) and queue.latest_id == 50
    release.set()
    qtbot.waitUntil(lambda: bool(delivered) and delivered[-1][1] == 50, timeout=TIMEOUT_MS)
    # Results arrive in the order they were made and 50 was the last request: nothing
    # older can still come.
    assert calls == [0, 49]
    assert delivered == [("rendered", 50, 490)]


@pytest.mark.parametrize(("show_intermediate", "expected_ids"), [(False, [3]), (True, [1, 3])])
def test_superseded_results(qtbot, make_queue, show_intermediate: bool, expected_ids) -> None:
    """Request 1 renders while 2 and 3 arrive: 2 is never rendered, 3 is; 1 depends."""
    entered, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def render(payload: int) -> int:
        calls.append(payload)
        entered.set()
        release.wait(TIMEOUT_MS / 1000)
        return payload

    queue = make_queue(render, show_intermediate=show_intermediate)
    delivered = record(queue, ["rendered"])
    queue.request(1)
    assert entered.wait(TIMEOUT_MS / 1000)
    queue.request(2)
    queue.request(3)
    release.set()
    qtbot.waitUntil(lambda: bool(delivered) and delivered[-1][1] == 3, timeout=TIMEOUT_MS)
    assert calls == [1, 3]  # 3 was the last request: no result can follow its own
    assert [event[1] for event in delivered] == expected_ids


def test_render_error_becomes_failed_and_render_fn_can_change(qtbot, make_queue) -> None:
    def broken(payload: Any) -> Any:
        raise KeyError("no model loaded")

    queue = make_queue(broken)
    with qtbot.waitSignal(queue.failed, timeout=TIMEOUT_MS) as blocker:
        request_id = queue.request("x")
    assert blocker.args == [
        request_id, "'no model loaded' (an unexpected error; the log has the details)"]
    queue.set_render_fn(lambda payload: f"image of {payload}")
    with qtbot.waitSignal(queue.rendered, timeout=TIMEOUT_MS) as blocker:
        request_id = queue.request("y")
    assert blocker.args == [request_id, "image of y"]


def test_render_runs_in_inference_mode(qtbot, make_queue) -> None:
    def render(payload: Any) -> bool:
        import torch

        return torch.is_inference_mode_enabled()

    queue = make_queue(render)
    with qtbot.waitSignal(queue.rendered, timeout=TIMEOUT_MS) as blocker:
        queue.request(None)
    assert blocker.args[1] is True


def test_render_shutdown_joins_and_is_idempotent(qtbot) -> None:
    import torch  # noqa: F401  as in make_queue

    entered, release = threading.Event(), threading.Event()

    def render(payload: int) -> int:
        entered.set()
        release.wait(TIMEOUT_MS / 1000)
        return payload

    queue = RenderQueue(render)
    delivered = record(queue, ["rendered", "failed"])
    queue.request(1)
    assert entered.wait(TIMEOUT_MS / 1000)
    queue.request(2)
    release.set()  # render 1 ends (and maybe 2) while shutdown joins the thread
    queue.shutdown()
    assert live_threads() == []
    queue.shutdown()
    QCoreApplication.sendPostedEvents()  # hand over every result the thread posted
    assert delivered == []  # nothing is delivered after shutdown
    with pytest.raises(RuntimeError, match="shut down"):
        queue.request(3)


def test_workers_import_neither_torch_nor_widgets() -> None:
    code = (
        "import sys, guiapp.workers; "
        "print(sorted(m for m in ('torch', 'PySide6.QtGui', 'PySide6.QtWidgets') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
