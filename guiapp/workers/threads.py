"""Plumbing shared by the worker threads: a registry of live threads and user messages.

The registry keeps a strong reference to every worker QThread we start until it has
finished. That serves two ends: a running QThread is never garbage-collected (Qt aborts
the process when a running thread object is destroyed), and tests can assert that no
worker thread outlives the test that started it (``live_threads() == []``).
"""

from __future__ import annotations

import ctypes
import threading

from PySide6.QtCore import QThread

_lock = threading.Lock()
_started: list[QThread] = []

_MAX_DETAIL = 300
_abandoned: list[QThread] = []


def abandon(thread: QThread) -> None:
    """Keep a thread that would not stop from ever being destroyed while it runs.

    Qt aborts the whole process ("QThread: Destroyed while thread is still running")
    when a running QThread object is deleted, which Python does at exit or when the
    window goes. A job stuck in one long native call cannot be interrupted, so we leak
    its object on purpose (one extra reference that is never released): the process then
    exits normally and the thread ends with it.
    """
    with _lock:
        _abandoned.append(thread)
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(thread))


def register(thread: QThread) -> None:
    """Track a thread that was just started (call after ``thread.start()``)."""
    with _lock:
        _started[:] = [t for t in _started if t.isRunning()]
        _started.append(thread)


def live_threads() -> list[QThread]:
    """Worker threads started by guiapp.workers that are still running."""
    with _lock:
        _started[:] = [t for t in _started if t.isRunning()]
        return list(_started)


def _is_out_of_memory(exc: BaseException) -> bool:
    # torch.OutOfMemoryError (and torch.cuda's alias) by name, so torch need not be imported.
    return isinstance(exc, MemoryError) or any(
        cls.__name__ == "OutOfMemoryError" for cls in type(exc).__mro__
    )


EXPECTED_ERRORS = (ValueError, OSError)
"""Bad input or files (ModelLoadError, FileFormatError, ...): their message says it all."""


def describe_error(exc: BaseException) -> str:
    """One line for the user: what happened (no class names for expected errors; the log
    has the details), or a plain out-of-memory notice."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    detail = text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 1] + "…"
    if _is_out_of_memory(exc):
        return (
            f"The device ran out of memory ({detail}). "
            "Try fewer samples, a smaller batch or a smaller model."
        )
    if isinstance(exc, EXPECTED_ERRORS):
        return detail
    return f"{detail} (an unexpected error; the log has the details)"
