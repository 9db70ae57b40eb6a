"""Run one long job at a time (model load, discovery, training) in a worker QThread.

A job is a plain function ``job(progress, cancel, on_partial) -> result`` from
``guiapp.core``; it never sees Qt. Its thread posts each step to the runner, which emits
the public signals in the runner's own thread (the GUI thread), so every slot runs there
whatever its connection type.

Signal order for one task id: ``started``, any ``progress`` / ``partial``, then exactly
one of ``succeeded`` / ``failed`` / ``cancelled``, then ``finished``, always last and
exactly once for every id that ``submit`` returned. No signal is emitted from inside
``submit`` or ``cancel``; they all arrive through the event loop.

Replacing a running job: ``submit`` cancels the running task and holds the new one until
the old thread has ended, so only one job ever runs (a model load and a discovery never
compete for memory) and the order is::

    old: cancelled, finished   then   new: started, ..., finished

A held task that is itself replaced before it starts gets ``cancelled``, ``finished``
and no ``started``.

Once cancel is requested (``cancel``, a newer ``submit`` or ``shutdown``), the task ends
with ``cancelled``: a result or an exception that comes later is not reported as
success or failure (the exception is still logged), and its progress and partial
signals stop. The one exception is ``cancel(keep_result=True)`` (the user's Cancel
button): a job that then returns normally, instead of raising ``Cancelled``, returns what
it has so far (LatentCLR keeps its best directions), and that is reported as
``succeeded``.

No ``torch.inference_mode`` here, unlike the render thread: jobs may train (LatentCLR),
and a model loaded under inference mode could not be trained later.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QThread, Signal, Slot

from guiapp.core.cancel_scope import cancel_scope
from guiapp.core.progress import Cancelled, CancelToken, ProgressFn
from guiapp.workers.threads import EXPECTED_ERRORS, abandon, describe_error, register

Job = Callable[[ProgressFn, CancelToken, Callable[[object], None]], Any]
"""``job(progress, cancel, on_partial) -> result``, run in the worker thread."""

PROGRESS_INTERVAL_S = 0.03
"""At most one progress signal per this many seconds, so a chatty job cannot flood the GUI."""

_OUTCOMES = frozenset({"succeeded", "failed", "cancelled"})
_log = logging.getLogger(__name__)


class _Task:
    """One submitted job, its cancel token and, once started, its thread."""

    def __init__(self, task_id: int, job: Job, name: str) -> None:
        self.id = task_id
        self.job = job
        self.name = name
        self.cancel = CancelToken()
        self.keep_result = False
        self.thread: QThread | None = None


class _ProgressThrottle:
    """A ProgressFn that forwards at most one report per interval.

    A report that arrives too soon is held and sent by ``flush`` when the job ends, so the
    last report always gets through; the first report of 1.0 is never held.
    """

    def __init__(self, emit: ProgressFn, interval_s: float = PROGRESS_INTERVAL_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._emit = emit
        self._interval_s = interval_s
        self._clock = clock  # seconds; tests pass a clock they move by hand
        self._lock = threading.Lock()
        self._last_time = -math.inf
        self._last_fraction = -1.0
        self._held: tuple[float, str] | None = None

    def __call__(self, fraction: float, message: str = "") -> None:
        fraction = 0.0 if math.isnan(fraction) else min(max(float(fraction), 0.0), 1.0)
        now = self._clock()
        with self._lock:
            done = fraction >= 1.0 > self._last_fraction
            if not done and now - self._last_time < self._interval_s:
                self._held = (fraction, message)
                return
            self._last_time, self._last_fraction, self._held = now, fraction, None
            self._emit(fraction, message)

    def flush(self) -> None:
        with self._lock:
            held, self._held = self._held, None
            if held is not None:
                self._emit(*held)


class _TaskThread(QThread):
    """Runs one task's job and reports each step through ``post(kind, payload)``."""

    def __init__(self, task: _Task, post: Callable[[str, object], None]) -> None:
        super().__init__()
        self.setObjectName(f"guiapp-task-{task.id}-{task.name}")
        self._task = task
        self._post = post

    def run(self) -> None:
        task, post = self._task, self._post
        post("started", None)
        throttle = _ProgressThrottle(
            lambda fraction, message: post("progress", (fraction, message))
        )
        kind, payload = "failed", "the job stopped unexpectedly"
        try:
            if task.cancel.cancelled:
                kind, payload = "cancelled", None
            else:
                with cancel_scope(task.cancel):
                    result = task.job(throttle, task.cancel, lambda v: post("partial", v))
                dropped = task.cancel.cancelled and not task.keep_result
                kind, payload = ("cancelled", None) if dropped else ("succeeded", result)
        except Cancelled:
            kind, payload = "cancelled", None
        except Exception as exc:
            kind, payload = "failed", describe_error(exc)
            if isinstance(exc, EXPECTED_ERRORS) or task.cancel.cancelled:  # a user mistake
                _log.warning("task %d (%s) failed: %s", task.id, task.name, payload)
                _log.debug("task %d (%s) failed", task.id, task.name, exc_info=True)
            else:
                _log.error("task %d (%s) failed", task.id, task.name, exc_info=True)
        finally:
            throttle.flush()
            post(kind, payload)
            post("finished", None)


class TaskRunner(QObject):
    """Runs one long job at a time in a worker thread and reports it through signals.

    Use it from the thread it lives in (the GUI thread); see the module docstring for
    the order of signals.
    """

    started = Signal(int)
    progress = Signal(int, float, str)
    partial = Signal(int, object)
    succeeded = Signal(int, object)
    failed = Signal(int, str)
    cancelled = Signal(int)
    finished = Signal(int)

    _event = Signal(object, str, object)  # task, kind, payload: from any thread, queued to ours

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._next_id = 0
        self._current: _Task | None = None
        self._pending: _Task | None = None
        self._closed = False
        self._event.connect(self._on_event, Qt.ConnectionType.QueuedConnection)

    def submit(self, job: Job, name: str = "") -> int:
        """Run ``job`` after cancelling whatever runs or waits; return the new task id."""
        if self._closed:
            raise RuntimeError("the task runner was shut down")
        self._next_id += 1
        task = _Task(self._next_id, job, name)
        self._drop_pending()
        if self._current is None:
            self._start(task)
        else:
            self._current.keep_result = False  # replaced: its result is no longer wanted
            self._current.cancel.cancel()
            self._pending = task
        return task.id

    def cancel(self, keep_result: bool = False) -> None:
        """Ask the running job to stop at its next checkpoint and drop any waiting job.

        With ``keep_result``, a result the job still returns (what it had when it
        stopped) is reported as ``succeeded``; otherwise the task ends ``cancelled``.
        """
        self._drop_pending()
        if self._current is not None:
            self._current.keep_result = keep_result
            self._current.cancel.cancel()

    def is_busy(self) -> bool:
        """True from ``submit`` until the last task's ``finished`` has been emitted."""
        return self._current is not None or self._pending is not None

    def shutdown(self, timeout_ms: int = 5000) -> None:
        """Cancel, join the worker thread and deliver the last signals; safe to call twice."""
        self._closed = True
        self.cancel()
        thread = self._current.thread if self._current is not None else None
        if thread is not None and not thread.wait(timeout_ms):
            _log.warning("%s did not stop within %d ms", thread.objectName(), timeout_ms)
            abandon(thread)
        if QThread.currentThread() is self.thread():
            # Deliver the posted cancelled / finished now: the event loop may not run again.
            QCoreApplication.sendPostedEvents(self, QEvent.Type.MetaCall)

    def _start(self, task: _Task) -> None:
        signal = self._event

        def post(kind: str, payload: object) -> None:
            with contextlib.suppress(RuntimeError):  # the runner was deleted: nobody listens
                signal.emit(task, kind, payload)

        task.thread = _TaskThread(task, post)
        self._current = task
        task.thread.start()
        register(task.thread)

    def _drop_pending(self) -> None:
        task, self._pending = self._pending, None
        if task is not None:
            task.cancel.cancel()
            self._event.emit(task, "cancelled", None)
            self._event.emit(task, "finished", None)

    @Slot(object, str, object)
    def _on_event(self, task: _Task, kind: str, payload: Any) -> None:
        if kind == "finished":
            self._finish(task)
        elif kind == "started":
            self.started.emit(task.id)
        elif task.cancel.cancelled:
            if kind == "succeeded" and task.keep_result:  # still wanted: not replaced since
                self.succeeded.emit(task.id, payload)
            elif kind in _OUTCOMES:  # progress and partial of a cancelled task are dropped
                self.cancelled.emit(task.id)
        elif kind == "progress":
            self.progress.emit(task.id, *payload)
        elif kind == "partial":
            self.partial.emit(task.id, payload)
        elif kind == "succeeded":
            self.succeeded.emit(task.id, payload)
        elif kind == "failed":
            self.failed.emit(task.id, payload)
        elif kind == "cancelled":
            self.cancelled.emit(task.id)

    def _finish(self, task: _Task) -> None:
        if task.thread is not None:
            task.thread.wait()  # it posted "finished" as its last act: this returns at once
            task.thread = None
        if self._current is task:
            self._current = None
        self.finished.emit(task.id)
        if self._current is None and self._pending is not None:
            task, self._pending = self._pending, None
            self._start(task)
