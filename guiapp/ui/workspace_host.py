"""What the window lends the parts that act for it (File actions, menus, exports, dialogs).

They used to take the ``MainWindow`` itself and reach into its attributes, and the window
imported them back: a cycle, and every private attribute a dependency. They now see only
this interface, which ``MainWindow`` provides: the session store, the job runner, the
loaded model, the current render request, and a way to tell the user something. Nothing
here imports the window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from guiapp.core.types import RenderRequest
    from guiapp.ui.jobs import Job, LoadedModel
    from guiapp.ui.session_store import SessionStore
    from guiapp.ui.settings import AppSettings
    from guiapp.workers import TaskRunner


class WindowHost(Protocol):
    """The window, as the parts acting for it see it."""

    store: SessionStore
    runner: TaskRunner
    settings: AppSettings
    loaded: LoadedModel | None
    files: Any  # the FileActions (dialogs, image metadata); Any: they take this host

    def show_status(self, text: str) -> None:
        """Say that something worked (replaces an earlier error in the status bar)."""

    def show_error(self, title: str, message: str, hint: str = "") -> None:
        """Tell the user what failed (one line) and what to do; nothing else changes."""

    def run_job(self, job: Job, kind: str) -> int:
        """Start ``job`` in the worker (progress bar, Cancel); its task id."""

    def open_model(self, ref: str = ...) -> int:
        """Load ``ref`` in the worker; the current model stays until it is ready."""

    def current_request(self, preview: bool | None = None) -> RenderRequest:
        """What the image shows now, as plain data."""

    def request_render(self, preview: bool | None = None) -> int | None:
        """Render the current state (latest wins); the request id."""

    def shown_result(self) -> Any | None:
        """The newest full-quality render of the current request, None while one is due."""

    def restore_declined(self) -> bool:
        """True when the user said no to restoring the last session (autosave keeps it)."""


def can_start_job(host: WindowHost, title: str, hint: str, has_input: bool = True) -> bool:
    """Whether a job may start now; else tell the user why (no model or no ``has_input``:
    ``title`` and ``hint``; another job running: wait or cancel) and return False."""
    if host.loaded is None or not has_input:
        host.show_error(title, hint)
        return False
    if host.runner.is_busy():
        host.show_error("Busy", "Wait for the running job to finish, or cancel it.")
        return False
    return True
