"""The File menu: images, strips, sessions and direction sets, saved atomically.

Saving an image waits for the render that matches what the user sees; every failure is
shown to the user and leaves the previous file and the current state as they were.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog, QWidget

from guiapp.core.autosave import autosave_session
from guiapp.core.image_metadata import save_image_png
from guiapp.core.io import (
    FileFormatError,
    is_direction_file,
    load_direction_set,
    save_direction_set,
    save_png,
)
from guiapp.core.seeds import check_seed
from guiapp.core.session_io import load_workspace_session, save_session
from guiapp.core.types import GridSpec, StripSpec
from guiapp.core.upscale import upscale as core_upscale
from guiapp.core.workspace_metadata import metadata_for_request
from guiapp.ui.jobs import grid_job
from guiapp.ui.photo_actions import is_photo_path  # hook: photos
from guiapp.ui.workspace_host import can_start_job

if TYPE_CHECKING:
    from guiapp.ui.replace_guard import ReplaceGuard
    from guiapp.ui.workspace_host import WindowHost

log = logging.getLogger(__name__)
PNG_FILTER = "PNG images (*.png)"
SESSION_FILTER = "guiapp sessions (*.json)"
DIRECTIONS_FILTER = "Direction sets (*.npz *.safetensors)"
ALL_FILES = ";;All files (*)"  # open dialogs: files are recognised by content, not by name


def upscale(image: np.ndarray, scale: int) -> np.ndarray:
    """The window's upscaling: Lanczos, as its PNG metadata records (``resample``)."""
    return core_upscale(image, scale, "lanczos")


class FileActions(QObject):
    """File-menu behaviour for ``host`` (the window's narrow interface); dialogs open
    over ``parent``; ``guard`` asks before a set replaces the user's."""

    def __init__(self, host: WindowHost, guard: ReplaceGuard, parent: QWidget) -> None:
        super().__init__(parent)
        self.host, self.guard, self.parent_widget = host, guard, parent
        self.store = host.store
        self._pending_save: Callable[[], None] | None = None
        self.pending_session: tuple[Any, dict[str, Any], str | Path] | None = None
        self.last_dir = str(Path.home())

    # dialogs are methods so tests can replace them
    def ask_save_path(self, title: str, filter_: str, default_name: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(self.parent_widget, title,
                                              str(Path(self.last_dir) / default_name), filter_)
        return self._remember(path)

    def ask_open_path(self, title: str, filter_: str) -> str | None:
        path, _ = QFileDialog.getOpenFileName(self.parent_widget, title, self.last_dir, filter_)
        return self._remember(path)

    def _remember(self, path: str) -> str | None:
        if path:
            self.last_dir = str(Path(path).parent)
        return path or None

    def _guarded(self, what: str, action: Callable[[], Any], done: str = "") -> bool:
        """Run ``action``; on success say ``done`` in the status bar, on a bad file or
        input show why (and leave everything as it was)."""
        try:
            action()
        except (OSError, FileFormatError, ValueError, IndexError) as exc:
            self.host.show_error(f"Could not {what}", str(exc))
            return False
        if done:
            self.host.show_status(done)
        return True

    # -- images --------------------------------------------------------------------------------
    def image_metadata(self, req: Any, strip: Any = None, grid: Any = None,
                       scale: int = 1) -> dict[str, Any]:
        """The PNG metadata (:func:`guiapp.core.workspace_metadata.metadata_for_request`)
        of what ``req`` shows: every edit with its set, the face, the strip or grid; labels
        typed after the render are the store's; window images are upscaled with Lanczos."""
        loaded, store = self.host.loaded, self.store
        model = loaded.model if loaded is not None else None
        spec = strip if strip is not None else grid
        if spec is not None:
            req = replace(req, output=replace(spec, set_id=spec.set_id or req.strip_set))
        return metadata_for_request(
            req, model_ref=store.model_ref or "", model_name=model.name if model else "",
            model_sha256=model.model_id if model else "", num_ws=store.num_ws, scale=scale,
            resample="lanczos", labels=store.workspace)

    def _when_rendered(self, save: Callable[[Any], None]) -> None:
        """Run ``save(result)`` on the render that matches the current state."""
        host = self.host
        if host.loaded is None:
            host.show_error("Nothing to save", "Open a model first.")
            return
        shown = host.shown_result()  # never a quick preview
        if shown is not None:
            save(shown)
        else:
            self._pending_save = lambda: save(host.shown_result())
            host.request_render(preview=False)

    def on_rendered(self, _request_id: int) -> None:
        """A render arrived: a save waiting for the current image runs now."""
        if self._pending_save is not None and self.host.shown_result() is not None:
            pending, self._pending_save = self._pending_save, None
            pending()

    def on_model_loaded(self) -> None:
        """The model a session asked for is ready: show that session."""
        if self.pending_session is not None:
            pending, self.pending_session = self.pending_session, None
            self.apply_session(*pending)

    def on_model_failed(self) -> None:
        self.pending_session = None  # its model did not open: the session is not shown

    def save_image(self, scale: int = 1, path: str | None = None) -> None:
        if isinstance(scale, bool) or not isinstance(scale, int) or scale < 1:
            raise TypeError(f"scale must be a whole number >= 1, not {scale!r}")
        path = path or self.ask_save_path("Save image", PNG_FILTER, f"seed{self.store.seed}.png")
        if path:
            self._when_rendered(lambda r: self._guarded("save the image", lambda: save_png(
                path, upscale(r.image, scale), self.image_metadata(r.request, scale=scale)),
                f"Saved {path}"))

    def save_strip(self, path: str | None = None) -> None:
        if self.store.selected < 0:
            self.host.show_error("No direction selected", "Select a direction first.")
            return
        index = self.store.selected
        path = path or self.ask_save_path("Save strip", PNG_FILTER, f"strip{index}.png")
        if path:
            def save(r: Any) -> None:
                req = r.request
                spec = StripSpec(index, tuple(req.strip_alphas), req.strip_layers)
                save_image_png(path, r.strip, self.image_metadata(req, strip=spec))

            self._when_rendered(lambda r: self._guarded("save the strip", lambda: save(r),
                                                        f"Saved {path}"))

    def save_grid(self, path: str | None = None, rows: int = 10) -> int | None:
        """Directions (the first ``rows``) x the strip's alphas, rendered in the worker."""
        win, ds = self.host, self.store.direction_set
        if not can_start_job(win, "Nothing to save", "Open a model and run a method first.",
                             has_input=ds is not None):
            return None
        name = f"grid_seed{self.store.seed}.png"
        path = path or self.ask_save_path("Save grid", PNG_FILTER, name)
        if not path:
            return None
        request = win.current_request(preview=False)
        indices = list(range(min(rows, len(ds))))
        layers = [self.store.layers(i) for i in indices]  # each row on its own range
        spec = GridSpec(tuple(indices), tuple(request.strip_alphas), tuple(layers))
        meta = self._metadata_or_error(request, spec)
        if meta is None:
            return None
        grid_request = replace(request, output=replace(spec, set_id=self.store.set_id))
        return win.run_job(grid_job(win.loaded.model, grid_request, path, meta), "grid")

    def _metadata_or_error(self, request: Any, grid: Any) -> dict[str, Any] | None:
        try:
            return self.image_metadata(request, grid=grid)
        except (ValueError, IndexError) as exc:
            self.host.show_error("Could not save the grid", str(exc))
            return None

    # -- sessions ------------------------------------------------------------------------------
    def save_session(self, path: str | None = None) -> bool:
        path = path or self.ask_save_path("Save session", SESSION_FILTER, "session.json")
        if not path:
            return False
        return self._guarded("save the session", lambda: save_session(
            path, self.store.to_session(), {"selected": self.store.selected}),
            f"Saved the session to {path}")

    def open_session(self) -> None:
        if path := self.ask_open_path("Open session", SESSION_FILTER + ALL_FILES):
            self.open_session_file(path)

    def open_session_file(self, path: str | Path) -> None:
        try:
            session, extra = load_workspace_session(path)
            if session.seed is not None:
                check_seed(session.seed, f"{path}: seed")
        except (FileFormatError, ValueError) as exc:
            self.host.show_error("Could not open the session", str(exc))
            return
        win = self.host

        def show() -> None:
            if win.loaded is not None and session.model_ref == win.loaded.ref:
                self.apply_session(session, extra, path)
            else:  # load its model first; the session applies when the model is ready
                self.pending_session = (session, extra, path)
                win.open_model(session.model_ref)

        self.guard.confirm(f"Opening {Path(path).name}", show)  # asks over a named set

    def apply_session(self, session: Any, extra: dict[str, Any], path: str | Path) -> None:
        """Show a loaded session (its model is the one loaded), or say why it cannot be."""
        def apply() -> None:
            for named in session.workspace.sets:
                self._check_fits(named.directions, f"set “{named.name}”: ")
            self.store.apply_session(session)
            self.store.select(int(extra.get("selected", self.store.selected)))

        self._guarded("open the session", apply, f"Opened the session {path}")

    def autosave(self) -> str:
        """Keep the session for the next start, never over a richer one that the user has
        not answered for yet (:mod:`guiapp.core.autosave`); returns what happened."""
        win = self.host
        if win.loaded is None:
            return "nothing to save"
        what = ""

        def save() -> None:
            nonlocal what
            what = autosave_session(win.settings.last_session_path, self.store.to_session(),
                                    {"selected": self.store.selected},
                                    declined=win.restore_declined())

        self._guarded("autosave the session", save)
        log.info("autosave %s: %s", win.settings.last_session_path, what or "failed")
        return what

    # -- direction sets ------------------------------------------------------------------------
    def _check_fits(self, ds: Any, what: str = "") -> None:
        info = self.store.model_info
        if info is None:
            raise ValueError("open a model first")
        dim = info.w_dim if info.w_dim is not None else info.z_dim
        space = "z" if info.w_dim is None else "w"
        from guiapp.core.compare_spaces import compare_only  # hook: compare by effect (H3)

        if compare_only(ds, info.z_dim, info.w_dim):  # compared by effect, not edited
            return
        if ds.dim != dim or ds.space != space:
            raise ValueError(
                f"{what}these directions live in {ds.space} ({ds.dim}-D) but this model edits "
                f"{space} ({dim}-D): they were made for another model")

    def import_directions(self, path: str | None = None) -> None:
        path = path or self.ask_open_path("Import directions", DIRECTIONS_FILTER + ALL_FILES)
        if not path:
            return

        def load() -> None:
            ds = load_direction_set(path)
            self._check_fits(ds)
            show(ds)

        def show(ds: Any) -> None:  # a new set beside the others; Ctrl+Z removes it
            self.store.add_set(ds, text=f"import {Path(path).name}")
            loaded = self.host.loaded
            note = f"Imported {len(ds)} directions from {path}"
            if loaded and ds.model_id and ds.model_id != loaded.model.model_id:
                note += " (made for another model of the same latent size)"
            self.host.show_status(note)

        self._guarded("import the directions", load)

    def export_directions(self, path: str | None = None) -> None:
        ds = self.store.labelled_direction_set()
        if ds is None:
            self.host.show_error("Nothing to export", "Run a method first.")
            return
        path = path or self.ask_save_path("Export directions", DIRECTIONS_FILTER,
                                          f"{ds.method}.npz")
        if path:
            self._guarded("export the directions", lambda: save_direction_set(path, ds),
                          f"Exported {len(ds)} directions to {path}")

    def open_any(self, path: str) -> None:
        """A dropped file: a session (.json), a direction set (.npz, or safetensors with
        guiapp's metadata) or a model."""
        suffix = Path(path).suffix.lower()
        if suffix == ".json":
            self.open_session_file(path)
        elif is_direction_file(path):
            self.import_directions(path)
        elif is_photo_path(path):  # hook: photos (a dropped image is projected)
            self.host.photos.open_photo_file(path)
        else:
            self.host.open_model(path)
