"""File → "Save animation…" and "Export seeds…": ask (dialogs in
:mod:`guiapp.ui.animation_dialog`), check everything that can be refused in the GUI thread,
then render and write in the worker (the TaskRunner: progress bar and Cancel), with the same
core functions as ``guiapp-cli render --animate/--morph/--seeds``.

The dialogs are methods (``ask_animation_options``, ``ask_seed_options``, ``ask_folder``) so
tests answer them at that boundary, as they answer ``FileActions.ask_save_path``. Core
modules that import torch are imported inside the methods (the model is loaded by then).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog

from guiapp.core.progress import CancelToken, ProgressFn
from guiapp.ui.animation_dialog import (
    FORMATS,
    SUFFIXES,
    AnimationDialog,
    AnimationOptions,
    SeedExportDialog,
    SeedExportOptions,
    run_dialog,
)
from guiapp.ui.workspace_host import can_start_job

if TYPE_CHECKING:  # hook: window interface (the window's parts never import the window)
    from guiapp.ui.workspace_host import WindowHost as MainWindow

Job = Callable[[ProgressFn, CancelToken, Callable[[object], None]], Any]


def animation_job(model: Any, plan: Any, path: str, fps: float, size: int | None) -> Job:
    """Render ``plan`` into ``path`` in the worker; returns the line to show."""

    def job(progress: ProgressFn, cancel: CancelToken, on_partial: Callable) -> str:
        from guiapp.core.animation_export import save_animation

        saved = save_animation(path, model, plan, fps, size=size, progress=progress,
                               cancel=cancel)
        text = saved.describe()
        return text[:1].upper() + text[1:]

    return job


def seeds_job(model: Any, seeds: list[int], target: str, metadata: dict[int, dict[str, Any]],
              options: dict[str, Any], columns: int | None) -> Job:
    """Export ``seeds`` to the pattern (folder) or grid file ``target`` in the worker;
    ``metadata[seed]`` is each image's (made in the GUI thread, from the store)."""

    def job(progress: ProgressFn, cancel: CancelToken, on_partial: Callable) -> str:
        from guiapp.core.batch_export import export_seed_grid, export_seeds

        meta = metadata.__getitem__
        if "{seed}" in target:
            paths = export_seeds(model, seeds, target, meta, progress=progress, cancel=cancel,
                                 **options)
            return f"Saved {len(paths)} images to {paths[0].parent}"
        export_seed_grid(model, seeds, target, meta, columns=columns, progress=progress,
                         cancel=cancel, **options)
        return f"Saved a grid of {len(seeds)} seeds to {target}"

    return job


class ExportActions(QObject):
    """The two File-menu entries' behaviour (the window's ``exports``; the rows are in
    :data:`guiapp.ui.action_table.ACTIONS`)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.animation_defaults = AnimationOptions()
        self.seed_defaults = SeedExportOptions()
        self._tasks: set[int] = set()
        window.runner.succeeded.connect(self._on_succeeded)
        window.runner.finished.connect(self._tasks.discard)

    # -- dialogs (tests replace these) -------------------------------------------------------
    def ask_animation_options(self, defaults: AnimationOptions, walk_possible: bool,
                              direction_name: str) -> AnimationOptions | None:
        dialog = AnimationDialog(self.window, defaults, walk_possible, direction_name)
        return dialog.options() if run_dialog(dialog) else None

    def ask_seed_options(self, defaults: SeedExportOptions) -> SeedExportOptions | None:
        dialog = SeedExportDialog(self.window, defaults)
        return dialog.options() if run_dialog(dialog) else None

    def ask_folder(self, title: str) -> str | None:
        files = self.window.files
        path = QFileDialog.getExistingDirectory(self.window, title, files.last_dir)
        if path:
            files.last_dir = path
        return path or None

    # -- shared checks -----------------------------------------------------------------------
    def _ready(self) -> bool:
        return can_start_job(self.window, "Nothing to save", "Open a model first.")

    def _submit(self, job: Job, kind: str) -> int:
        task = self.window.run_job(job, kind)
        self._tasks.add(task)
        return task

    def _on_succeeded(self, task: int, result: object) -> None:
        if task in self._tasks:
            self.window.show_status(str(result))

    # -- Save animation… ---------------------------------------------------------------------
    def save_animation(self) -> int | None:
        """Ask, check, and start the animation job; its task id (None when not started)."""
        win, store = self.window, self.window.store
        if not self._ready():
            return None
        ds, index = store.direction_set, store.selected
        walk_possible = ds is not None and 0 <= index < len(ds)
        name = (store.label(index) or f"direction {index}") if walk_possible else ""
        opts = self.ask_animation_options(self.animation_defaults, walk_possible, name)
        if opts is None:
            return None
        self.animation_defaults = opts
        suffix = SUFFIXES[opts.format]
        default = (f"walk{index}_seed{store.seed}{suffix}" if opts.kind == "walk"
                   else f"morph_seed{store.seed}_{opts.morph_seed}{suffix}")
        path = win.files.ask_save_path("Save animation", f"{FORMATS[opts.format]} (*{suffix})",
                                       default)
        if not path:
            return None
        if not Path(path).suffix:
            path += suffix
        try:
            plan = self._plan(opts, walk_possible)
            from guiapp.core.animation import check_plan
            from guiapp.core.video import check_animation_target

            check_animation_target(path, opts.fps)
            check_plan(win.loaded.model, plan)
        except (ValueError, IndexError) as exc:
            win.show_error("Could not save the animation", str(exc))
            return None
        job = animation_job(win.loaded.model, plan, path, opts.fps, opts.size or None)
        return self._submit(job, "animation")

    def _plan(self, opts: AnimationOptions, walk_possible: bool) -> Any:
        from guiapp.core.animation import Face, MorphPlan, walk_plan

        request = self.window.current_request(preview=False)
        face = Face(request.seed, request.truncation, request.truncation_cutoff,
                    request.class_index, request.noise_mode, request.latent)
        if opts.kind == "walk":
            if not walk_possible:
                raise ValueError("select a direction to walk along, or choose a morph")
            return walk_plan(face, request.direction_set, self.window.store.selected,
                             opts.amplitude, opts.frames, request.edits,
                             hold_edits=opts.hold_edits, bounce=opts.bounce,
                             layers=request.strip_layers, workspace=request.workspace,
                             set_id=request.strip_set)
        return MorphPlan(face, opts.morph_seed, opts.frames, opts.morph_space,
                         request.direction_set, request.edits, opts.bounce,
                         request.workspace)

    # -- Export seeds… -----------------------------------------------------------------------
    def export_seeds(self) -> int | None:
        """Ask for seeds and a target, check, and start the export job."""
        win = self.window
        if not self._ready():
            return None
        opts = self.ask_seed_options(self.seed_defaults)
        if opts is None:
            return None
        self.seed_defaults = opts
        from guiapp.core.batch_export_spec import MAX_GRID_SEEDS, parse_seed_list

        try:
            seeds = parse_seed_list(opts.seeds)
            if opts.target == "grid" and len(seeds) > MAX_GRID_SEEDS:
                raise ValueError(f"a grid holds at most {MAX_GRID_SEEDS} seeds, not "
                                 f"{len(seeds)}; export a folder instead")
            request = win.current_request(preview=False)  # its face is replaced by each seed
            metadata = {seed: win.files.image_metadata(  # checks every edit
                dataclasses.replace(request, seed=seed, latent=None)) for seed in seeds}
        except (ValueError, IndexError) as exc:
            win.show_error("Could not export the seeds", str(exc))
            return None
        if opts.target == "folder":
            folder = self.ask_folder("Export seeds to folder")
            if not folder:
                return None
            target = str(Path(folder) / "{seed}.png")
        else:
            target = win.files.ask_save_path("Export seeds", "PNG images (*.png)",
                                             f"seeds_{seeds[0]}-{seeds[-1]}.png") or ""
            if not target:
                return None
        options = {"face": {"truncation": request.truncation,
                            "cutoff": request.truncation_cutoff,
                            "class_index": request.class_index,
                            "noise_mode": request.noise_mode},
                   "direction_set": request.direction_set, "edits": request.edits,
                   "workspace": request.workspace}
        job = seeds_job(win.loaded.model, seeds, target, metadata, options,
                        opts.columns or None)
        return self._submit(job, "export seeds")

