"""The cancel token of the job running in this thread, for loops deep in the core.

Long loops that no job function sees directly (a direction model's Euler steps inside a
render) still have to stop when the window closes. The worker thread that runs a job or a
render enters :func:`cancel_scope` with its token; such loops call :func:`check_cancelled`,
which raises :class:`~guiapp.core.progress.Cancelled` once the token is set and does
nothing outside a scope (the CLI, tests).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from guiapp.core.progress import CancelToken

_local = threading.local()


@contextlib.contextmanager
def cancel_scope(token: CancelToken) -> Iterator[CancelToken]:
    """Make ``token`` this thread's current cancel token until the block ends."""
    previous = getattr(_local, "token", None)
    _local.token = token
    try:
        yield token
    finally:
        _local.token = previous


def check_cancelled() -> None:
    """Raise Cancelled if this thread's current job was cancelled."""
    token = getattr(_local, "token", None)
    if token is not None:
        token.raise_if_cancelled()
