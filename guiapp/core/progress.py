"""Progress reporting and cooperative cancellation for long core jobs.

Core code receives a plain callable and a token and never sees Qt (the Orange3 way):
the worker thread wires them to signals, the CLI to a progress bar on stderr.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

ProgressFn = Callable[[float, str], None]
"""``progress(fraction, message)`` with ``0 <= fraction <= 1``."""


class Cancelled(Exception):
    """Raised inside a job when its cancel token was set."""


class CancelToken:
    """Thread-safe flag a job polls at its checkpoints."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled("cancelled")


def no_progress(fraction: float, message: str) -> None:
    """The default progress sink: ignore."""


class Checkpoint:
    """Bundle ``progress`` and ``cancel``: each call reports and raises when cancelled."""

    def __init__(self, progress: ProgressFn | None, cancel: CancelToken | None) -> None:
        self._progress = progress or no_progress
        self._cancel = cancel

    def __call__(self, fraction: float, message: str = "") -> None:
        if self._cancel is not None:
            self._cancel.raise_if_cancelled()
        self._progress(min(max(fraction, 0.0), 1.0), message)
