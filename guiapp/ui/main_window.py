"""The main window: model picker and method panel on the left, the image in the middle,
the direction list on the right, the ranking plot below; a status bar with progress and
Cancel. Long jobs go to the TaskRunner, inference to the RenderQueue (latest wins)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from guiapp.core.models.catalog import DEFAULT_MODEL
from guiapp.core.run_results import RunStatus, TrainingStep
from guiapp.core.seeds import step_seed
from guiapp.ui.compare_view import CompareView
from guiapp.ui.direction_list import METHOD_TITLES, DirectionList
from guiapp.ui.export_actions import ExportActions  # hook: export
from guiapp.ui.file_actions import FileActions
from guiapp.ui.image_view import ImageView
from guiapp.ui.jobs import LoadedModel, discover_job, load_model_job
from guiapp.ui.menus import build_menus
from guiapp.ui.method_panel import MethodPanel
from guiapp.ui.model_picker import ModelPicker
from guiapp.ui.photo_actions import PhotoActions  # hook: photos
from guiapp.ui.ranking_plot import RankingPlot
from guiapp.ui.render_dedupe import LastRequest
from guiapp.ui.render_notice import SlowRenderNotice
from guiapp.ui.replace_guard import ReplaceGuard
from guiapp.ui.restore_banner import RestoreBanner
from guiapp.ui.session_store import SessionStore
from guiapp.ui.settings import AppSettings
from guiapp.ui.tooltips import set_tip
from guiapp.ui.workspace_edits import ActiveEdits
from guiapp.ui.workspace_sets import SetPicker
from guiapp.workers import RenderQueue, TaskRunner

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    model_ready = Signal()  # a model finished loading and its first render was requested

    def __init__(self, settings: AppSettings | None = None, offer_restore: bool = True) -> None:
        super().__init__()
        self.setWindowTitle("guiapp — latent directions")
        self.setAcceptDrops(True)
        self.settings = settings or AppSettings()
        self.store = SessionStore(self)
        self.guard = ReplaceGuard(self.store, self)  # asks before a session replaces the sets
        self.runner = TaskRunner(self)
        self.render_queue = RenderQueue(self._render, self, show_intermediate=True)
        self.loaded: LoadedModel | None = None
        self.device = self.settings.device()
        self.last_error = ""
        self._error_status = ""  # the error the status bar shows, until a success replaces it
        self.last_result: Any = None
        self.last_result_id = -1
        self._job_kind: dict[int, str] = {}
        self._last_request = LastRequest()  # not the same render twice in a row

        self._build_widgets()
        self.files = FileActions(self, self.guard, self)
        self.exports = ExportActions(self)  # hook: export (File → Save animation…, Export seeds…)
        self.photos = PhotoActions(self)  # hook: photos (File → Open photo…, dropped images)
        self.actions = build_menus(self.menuBar(), self, self)
        self.show_plot_action = self.actions["Ranking plot"]
        self.compare = CompareView(self)
        self.compare_dock = QDockWidget("Compare sets", self)
        self.compare_dock.setObjectName("compare")
        self.compare_dock.setWidget(self.compare)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.compare_dock)
        self.compare_dock.hide()
        self.compare_dock.visibilityChanged.connect(
            lambda _v: self.actions["Compare sets"].setChecked(self.compare_dock.isVisible()))
        self._connect()
        if geometry := self.settings.geometry():
            self.restoreGeometry(geometry)
        else:
            self.resize(1400, 880)
        if offer_restore and self.settings.last_session_path.is_file():
            self.banner.offer(self.settings.last_session_path)

    # -- construction --------------------------------------------------------------------------
    def _build_widgets(self) -> None:
        self.picker = ModelPicker(self.store)
        self.picker.set_recent(self.settings.recent_models())
        self.methods = MethodPanel(self.store)
        self.image_view = ImageView(self.store)
        self.render_notice = SlowRenderNotice(self.image_view, self.render_queue, self)
        self.direction_list = DirectionList(self.store)
        self.sets = SetPicker(self.store)
        self.active_edits = ActiveEdits(self.store)
        self.plot = RankingPlot(self.store)
        self.banner = RestoreBanner()

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.picker)
        left_layout.addWidget(self.methods, 1)

        centre = QWidget()
        centre_layout = QVBoxLayout(centre)
        centre_layout.setContentsMargins(0, 0, 0, 0)
        centre_layout.addWidget(self.banner)
        centre_layout.addWidget(self.image_view, 1)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.sets)
        right_layout.addWidget(self.direction_list, 1)
        right_layout.addWidget(self.active_edits)

        top = QSplitter(Qt.Orientation.Horizontal)
        for widget, stretch in ((left, 0), (centre, 1), (right, 0)):
            top.addWidget(widget)
            top.setStretchFactor(top.count() - 1, stretch)
        top.setSizes([300, 700, 440])
        top.setChildrenCollapsible(False)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(top)
        self.splitter.addWidget(self.plot)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setSizes([640, 220])
        self.setCentralWidget(self.splitter)

        self.status_label = QLabel("Ready")
        self.progress_bar = QProgressBar()
        self.progress_bar.setMaximumWidth(240)
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setTextVisible(False)
        self.cancel_button = QPushButton("Cancel")
        set_tip(self.cancel_button, "Stop the running job")
        self.statusBar().addWidget(self.status_label, 1)
        self.statusBar().addPermanentWidget(self.progress_bar)
        self.statusBar().addPermanentWidget(self.cancel_button)
        self._set_busy(False)

    def _connect(self) -> None:
        self.picker.model_requested.connect(self.open_model)
        self.picker.device_requested.connect(self._on_picker_device)
        self.methods.run_requested.connect(self.run_method)
        self.cancel_button.clicked.connect(lambda: self.runner.cancel(keep_result=True))
        self.banner.restore_requested.connect(self.files.open_session_file)
        self.store.image_inputs_changed.connect(self.request_render)
        self.store.dragging_changed.connect(self._on_store_dragging_changed)
        self.store.selection_changed.connect(lambda _i: self.request_render())
        self.runner.started.connect(lambda _t: self._set_busy(True))
        self.runner.progress.connect(self._on_runner_progress)
        self.runner.partial.connect(self._on_runner_partial)
        self.runner.succeeded.connect(self._on_runner_succeeded)
        self.runner.failed.connect(self._on_runner_failed)
        self.runner.cancelled.connect(self._on_runner_cancelled)
        self.runner.finished.connect(self._on_runner_finished)
        self.render_queue.rendered.connect(self._on_render_rendered)
        self.render_queue.failed.connect(self._on_render_failed)

    # -- models and discovery ---------------------------------------------------------------
    def open_model(self, ref: str = DEFAULT_MODEL) -> int:
        """Load ``ref`` in the worker; the current model stays until the new one is ready."""
        task = self.runner.submit(load_model_job(ref, self.device), f"load {ref}")
        self._job_kind[task] = "load"
        self.picker.set_busy(True)
        self.status_label.setText(f"Loading {ref}…")
        return task

    def _on_picker_device(self, device: str) -> None:
        """Another device chosen in the box: reload the model there (it stays where it is
        if that fails)."""
        self.device = device
        self.settings.set_device(device)
        if self.loaded is not None:
            self.open_model(self.loaded.ref)

    def run_job(self, job: Any, kind: str) -> int:
        """Hand a job to the runner; ``kind`` picks what happens with its result."""
        task = self.runner.submit(job, kind)
        self._job_kind[task] = kind
        return task

    def run_method(self, method: str, params: dict[str, Any]) -> int | None:
        """Start ``method``; its result is added to the workspace as a new set (nothing is
        replaced, so nothing needs asking)."""
        if self.loaded is None:
            self.show_error("No model", "Open a model before running a method.")
            return None
        return self._start_method(method, params)

    def _start_method(self, method: str, params: dict[str, Any]) -> int | None:
        if self.loaded is None:
            return None  # the model went while the user was asked
        job = discover_job(self.loaded.model, method, params, self.store.class_index)
        task = self.runner.submit(job, method)
        self._job_kind[task] = "discover"
        if method == "latentclr":
            self.plot.show_training([], [], [])
        self.methods.set_running(True)
        self.status_label.setText(f"Running {method}…")
        return task

    def _model_loaded(self, loaded: LoadedModel) -> None:
        self.loaded = loaded
        model = loaded.model
        if Path(loaded.ref).is_file():
            self.picker.set_recent(self.settings.add_recent_model(str(Path(loaded.ref))))
        device = str(model.device)
        self.device = device
        self.picker.set_devices(loaded.devices)
        self.picker.set_current_device(device)
        self.picker.set_device_text(dict(loaded.devices).get(device, device.upper()))
        self.methods.set_feature_layers(list(model.feature_layers))
        self.store.set_model(loaded.ref, model.info)
        psi, cutoff = model.default_truncation
        if (psi, cutoff) != (1.0, None):  # the family's own (G_style: 0.7 on 8 layers)
            self.store.set_truncation(psi)
            self.store.set_truncation_cutoff(cutoff)
        self.show_status(f"{model.name}: {model.resolution}px, on {device}")
        if loaded.device_note:
            log.warning("%s", loaded.device_note)
            self.show_status(loaded.device_note[:1].upper() + loaded.device_note[1:])
        self.files.on_model_loaded()  # a session waiting for this model shows now
        self.request_render()
        self.model_ready.emit()

    # -- runner signals ------------------------------------------------------------------------
    def _set_busy(self, busy: bool) -> None:
        self.progress_bar.setVisible(busy)
        self.cancel_button.setVisible(busy)
        if not busy:
            self.progress_bar.setValue(0)

    def _on_runner_progress(self, _task: int, fraction: float, message: str) -> None:
        self.progress_bar.setValue(int(fraction * 1000))
        if message:
            self.status_label.setText(message)

    def _on_runner_partial(self, _task: int, value: object) -> None:
        if isinstance(value, TrainingStep):  # LatentCLR training: the curve grows
            self.plot.append_training(value.iteration, value.loss, value.accuracy)

    def _on_runner_succeeded(self, task: int, result: object) -> None:
        kind = self._job_kind.get(task)
        if kind == "load":
            self._model_loaded(result)  # type: ignore[arg-type]
        elif kind == "discover":
            self._directions_found(result)
        elif kind == "grid":
            self.status_label.setText(f"Saved {result}")

    def _directions_found(self, result: Any) -> None:
        if self.loaded is None or result.model_id != self.loaded.model.model_id:
            return  # found for a model that has since been replaced
        name = METHOD_TITLES.get(result.method, result.method)
        set_id = self.store.add_set(result, text=f"{name} directions")
        text = (result.status or RunStatus()).describe(len(result))
        added = self.store.workspace.get(set_id).name
        self.status_label.setText(f"{text}: added as “{added}” (Ctrl+Z removes it)")

    def _on_runner_failed(self, task: int, message: str) -> None:
        kind = self._job_kind.get(task)
        if kind == "load":
            self.files.on_model_failed()
            if self.loaded is not None:  # the model stays where it was
                self.device = str(self.loaded.model.device)
                self.picker.set_current_device(self.device)
            kept = (f" {self.loaded.model.name} stays open." if self.loaded is not None else "")
            self.show_error("Could not open the model", f"Could not open the model: {message}",
                            "Choose a generator file guiapp can read (StyleGAN, PGGAN, DCGAN, "
                            "BigGAN; see the README), or another device." + kept)
        elif kind == "grid":
            self.show_error("Could not save the grid", f"Could not save the grid: {message}")
        else:
            what = "The method stopped" if kind == "discover" else "The job stopped"
            self.show_error(what, f"{what}: {message}",
                            "What you had is kept; try other settings.")

    def _on_runner_cancelled(self, _task: int) -> None:
        self.status_label.setText("Cancelled")

    def _on_runner_finished(self, task: int) -> None:
        kind = self._job_kind.pop(task, None)
        if not self.runner.is_busy():
            self._set_busy(False)
        if kind == "load":
            self.picker.set_busy(False)
        elif kind == "discover":
            self.methods.set_running(False)
            self.plot.show_set_training()

    # -- what the menus call (ui/action_table.py) ----------------------------------------------
    def open_model_dialog(self) -> None:
        self.picker.open_file_dialog()

    def set_plot_visible(self, visible: bool) -> None:
        self.plot.setVisible(visible)

    def set_compare_visible(self, visible: bool) -> None:
        first = visible and not self.compare_dock.property("shown_once")
        self.compare_dock.setVisible(visible)
        if first:  # room for the heat map, and the ranking plot keeps its own
            self.compare_dock.setProperty("shown_once", True)
            self.resizeDocks([self.compare_dock], [max(260, self.height() * 3 // 8)],
                             Qt.Orientation.Vertical)

    def step_seed(self, step: int) -> None:
        """Next (+1) or previous (-1) seed, wrapping at the seed limit."""
        self.store.set_seed(step_seed(self.store.seed, step))

    def restore_declined(self) -> bool:
        return self.banner.declined()

    # -- rendering -----------------------------------------------------------------------------
    def current_request(self, preview: bool | None = None) -> Any:
        """What to render now; a quick preview while a slider is held (``preview`` None),
        unless ``preview`` says otherwise."""
        from guiapp.core.types import RenderRequest

        store = self.store
        selected = store.selected
        return RenderRequest(
            seed=store.seed, latent=store.latent, truncation=store.truncation,
            truncation_cutoff=store.truncation_cutoff, class_index=store.class_index,
            workspace=store.render_workspace(), strip_set=store.set_id,
            direction_set=store.direction_set,  # the shown set, for one-set consumers
            edits=store.edits(), noise_mode=store.noise_mode, strip_index=selected,
            strip_layers=store.layers(selected) if 0 <= selected < len(store) else None,
            preview=store.dragging if preview is None else preview,
        )

    def request_render(self, preview: bool | None = None) -> int | None:
        """Ask the worker for the current image (not again if that is the newest request:
        one change can say so twice); returns the request's id."""
        if self.loaded is None:
            return None
        request = self.current_request(preview)
        renderer = self.loaded.renderer
        if self._last_request.is_current(renderer, request):
            return self.render_queue.latest_id
        request_id = self.render_queue.request((renderer, request))
        self._last_request.sent(renderer, request)
        self.render_notice.requested()
        return request_id

    def shown_result(self) -> Any:
        """The newest render if it is of the current request and in full (not a drag
        preview); None while one is due."""
        last = self.last_result
        if (last is not None and self.last_result_id == self.render_queue.latest_id
                and last.preview_resolution is None):
            return last
        return None

    def _on_store_dragging_changed(self, dragging: bool) -> None:
        if not dragging:
            self.request_render()  # the full image for where the slider stopped

    @staticmethod
    def _render(payload: tuple[Any, Any]) -> Any:
        renderer, request = payload
        return renderer.render(request)

    def _on_render_rendered(self, request_id: int, result: Any) -> None:
        self.last_result, self.last_result_id = result, request_id
        self.image_view.set_images(result.image, result.original, request_id=request_id,
                                   preview_resolution=result.preview_resolution)
        self.image_view.repaint()  # paint now: a flood of slider events must not starve it
        self.image_view.set_strip(result.strip, list(result.request.strip_alphas))
        self.render_notice.delivered(request_id)
        if self._error_status and self.status_label.text() == self._error_status:
            self.show_status("Ready")  # an image arrived: the error shown is over
        self.files.on_rendered(request_id)

    def _on_render_failed(self, request_id: int, message: str) -> None:
        self._last_request.forget()  # asking again may work (another setting, a retry)
        self.render_notice.delivered(request_id)
        self.show_error("Could not render", message)

    # -- errors, drops, closing ----------------------------------------------------------------
    def show_status(self, text: str) -> None:
        """Say in the status bar that something worked (this replaces an earlier error)."""
        self._error_status = ""
        self.status_label.setText(text)

    def show_error(self, title: str, message: str, hint: str = "") -> None:
        """Tell the user without blocking: a window-modal box (``message``, then what to do,
        ``hint``) and the status bar (``message``, until a later success)."""
        log.warning("%s", message if message.startswith(title) else f"{title}: {message}")
        self.last_error = message
        self._error_status = message
        self.status_label.setText(message)
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok,
                          self)
        if hint:
            box.setInformativeText(hint)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        for url in event.mimeData().urls()[:1]:
            self.files.open_any(url.toLocalFile())

    def closeEvent(self, event: QCloseEvent) -> None:
        self.settings.set_geometry(self.saveGeometry())
        self.files.autosave()
        self.runner.shutdown()
        self.render_queue.shutdown()
        self.settings.sync()
        for box in self.findChildren(QMessageBox):  # its messages and questions go with it
            box.close()
        super().closeEvent(event)
