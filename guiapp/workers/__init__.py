"""The one place that owns threads: long jobs (TaskRunner) and live rendering (RenderQueue).

QtCore only (no widgets), and no torch at import time so the window opens fast.
"""

from guiapp.workers.render_queue import RenderQueue
from guiapp.workers.task_runner import TaskRunner
from guiapp.workers.threads import describe_error, live_threads

__all__ = ["RenderQueue", "TaskRunner", "describe_error", "live_threads"]
