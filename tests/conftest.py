"""Shared test set-up: headless Qt, and no worker thread may outlive its test."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def _no_worker_thread_left_running() -> Iterator[None]:
    """Fail a test that leaves a guiapp worker thread running (shutdown() must join it)."""
    yield
    # Without guiapp.workers imported no worker thread exists; importing it here would
    # load Qt into core-only tests.
    threads = sys.modules.get("guiapp.workers.threads")
    if threads is None:
        return
    running = threads.live_threads()
    if running:
        names = [thread.objectName() for thread in running]
        for thread in running:  # let them end so the next test starts clean
            thread.wait(1000)
        pytest.fail(f"worker threads left running: {names}")
