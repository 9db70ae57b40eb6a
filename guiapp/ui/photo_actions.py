"""File → Open photo… (and a dropped image): crop, project in the worker, edit the result.

The photo is opened and its face looked for here (bounded: a refused file is one message
and the window keeps its state); the crop dialog chooses the square, the space and the
steps; the projection runs as a job of the window's TaskRunner, reporting each preview
(the current reconstruction) to :class:`~guiapp.ui.projection_view.ProjectionView`. The
latent found becomes the session's face, so every edit, strip and save applies to it, and
the image view shows the crop, the reconstruction and the edit side by side.
Cancel (in the view or the status bar) keeps the best latent found so far.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject

from guiapp.ui.photo_crop_dialog import CropDialog, ProjectOptions
from guiapp.ui.projection_view import ProjectionView

if TYPE_CHECKING:  # hook: window interface (the window's parts never import the window)
    from guiapp.ui.workspace_host import WindowHost as MainWindow

PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp", ".gif")
PHOTO_FILTER = "Photos (*.jpg *.jpeg *.png *.tif *.tiff *.bmp *.webp *.gif);;All files (*)"
DEFAULT_STEPS = 300


def is_photo_path(path: str) -> bool:
    """Whether a dropped file is taken for a photo (by its name's ending)."""
    return Path(path).suffix.lower() in PHOTO_SUFFIXES


def projection_job(model: Any, target: Any, options: ProjectOptions, name: str,
                   sha256: str, class_index: int | None = None) -> Any:
    """The worker's job: project ``target`` (into class ``class_index`` of a conditional
    generator); each preview goes out as a partial result."""

    def job(progress: Any, cancel: Any, on_partial: Any) -> Any:
        from guiapp.core.projection import ProjectionSettings, project

        settings = ProjectionSettings(space=options.space, steps=options.steps,
                                      preview_every=max(1, min(10, options.steps // 30)),
                                      class_index=class_index, noise=options.noise)
        return project(model, target, settings, source=name, sha256=sha256,
                       progress=progress, cancel=cancel,
                       on_preview=lambda step, image: on_partial(
                           {"projection_step": step, "steps": options.steps, "image": image}))

    return job


class PhotoActions(QObject):
    """The window's ``photos``: the menu entry's behaviour and the projection's view."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.view: ProjectionView | None = None
        self.steps = DEFAULT_STEPS
        self._task: int | None = None
        self._model_id = ""
        self._target: Any = None  # the crop being projected (the photo pane shows it)
        window.runner.partial.connect(self._on_partial)
        window.runner.succeeded.connect(self._on_succeeded)
        window.runner.failed.connect(self._on_failed)
        window.runner.cancelled.connect(self._on_cancelled)

    # -- the dialog (tests replace it) ----------------------------------------------------
    def ask_crop(self, rgb: Any, box: tuple[int, int, int], how: str, spaces: list[str],
                 steps: int, noise_maps: int = 0) -> ProjectOptions | None:
        """The crop dialog's answer; ``noise_maps``: how many noise inputs the model has
        (the dialog offers to optimise them when there are any)."""
        dialog = CropDialog(self.window, rgb, box, how, spaces, steps, noise_maps)
        return dialog.options() if dialog.exec() == CropDialog.DialogCode.Accepted else None

    # -- entry points ---------------------------------------------------------------------
    def open_photo(self) -> None:
        """File → Open photo…: choose an image file, then crop and project it."""
        path = self.window.files.ask_open_path("Open photo", PHOTO_FILTER)
        if path:
            self.open_photo_file(path)

    def open_photo_file(self, path: str) -> int | None:
        """Open, crop and project the photo at ``path``; the projection's task id."""
        from guiapp.core.photo import PhotoError, open_photo
        from guiapp.core.photo_crop import crop_square, crop_style, suggest_box

        window = self.window
        if window.loaded is None:
            window.show_error("No model", "Open a model before projecting a photo.")
            return None
        model = window.loaded.model
        try:
            photo = open_photo(path)
            box, how = suggest_box(photo.rgb, faces=model.c_dim == 0,
                                   style=crop_style(model.name))
        except PhotoError as exc:
            window.show_error("Could not open the photo", str(exc),
                              "Choose a JPEG, PNG or TIFF photo of at least 32 x 32 pixels.")
            return None
        spaces = ["z"] if model.latent_space == "z" else ["w", "w+"]
        options = self.ask_crop(photo.rgb, box, how, spaces, self.steps,
                                len(model.noise_shapes()))
        if options is None:
            return None
        self.steps = options.steps
        target = crop_square(photo.rgb, options.box, model.resolution)
        self._target = target
        job = projection_job(model, target, options, photo.name, photo.sha256,
                             window.store.class_index if model.c_dim else None)
        self._model_id = model.model_id
        self._task = window.run_job(job, "project")
        if self.view is not None:
            self.view.close()
        self.view = ProjectionView(window, target, photo.name)
        self.view.cancel_requested.connect(lambda: window.runner.cancel(keep_result=True))
        self.view.show()
        window.status_label.setText(f"Projecting {photo.name}…")
        return self._task

    # -- runner signals -------------------------------------------------------------------
    def _on_partial(self, task: int, value: object) -> None:
        if (task == self._task and isinstance(value, dict) and "projection_step" in value
                and self.view is not None):
            self.view.show_progress(int(value["projection_step"]), int(value["steps"]),
                                    value["image"])

    def _on_succeeded(self, task: int, result: Any) -> None:
        if task != self._task:
            return
        self._task = None
        loaded = self.window.loaded
        if loaded is None or loaded.model.model_id != self._model_id:
            return  # the model changed meanwhile: this latent is not its face
        self.window.store.set_latent(result.latent)
        self.window.image_view.set_photo(result.latent, self._target)  # type: ignore[attr-defined]
        how = (f"Cancelled after {result.steps_done} steps: kept the best match"
               if result.cancelled else f"Projected in {result.steps_done} steps")
        text = (f"{how} (PSNR {result.psnr:.1f} dB, LPIPS {result.lpips:.3f}); "
                f"{result.latent.source} is now the face")
        if self.view is not None:
            self.view.finished(text, result.image)
        self.window.show_status(text)

    def _on_failed(self, task: int, message: str) -> None:
        if task == self._task:
            self._task = None
            if self.view is not None:
                self.view.finished(f"Stopped: {message}", None)

    def _on_cancelled(self, task: int) -> None:
        if task == self._task:
            self._task = None
            if self.view is not None:
                self.view.finished("Cancelled before the first step: nothing changed", None)
