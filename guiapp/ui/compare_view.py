"""View → Compare sets: how two sets of the workspace relate, and how good every set is.

Choose two sets: a heat map of ``|cos|`` between their directions (by vectors in one latent
space; by mean image change when the spaces differ, and the view says which), the
one-to-one best pairs with their cosines, and for a chosen pair the two strips side by side
on the current face. Labels travel along pairs above a threshold (one undo step). The
table measures distinctness and consistency of every set on the same seeds next to random
directions. Everything heavy runs in the TaskRunner (progress bar and Cancel).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from guiapp.ui.compare_jobs import compare_job, metrics_job, pair_strips_job
from guiapp.ui.qimage import array_to_pixmap
from guiapp.ui.tooltips import set_tip
from guiapp.ui.workspace_host import can_start_job

if TYPE_CHECKING:
    from guiapp.ui.workspace_host import WindowHost


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().hide()
    table.horizontalHeader().setStretchLastSection(True)
    return table


class CompareView(QWidget):
    """The compare dock's contents; ``host`` lends the store, the runner and the model."""

    def __init__(self, host: WindowHost, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.host, self.store = host, host.store
        self.comparison: Any = None
        self.compared: tuple[int, int] | None = None  # the set ids of the comparison
        self.metrics: tuple[Any, ...] = ()
        self.strips: tuple[np.ndarray, ...] = ()
        self._tasks: dict[int, str] = {}
        self._pending_ids: tuple[int, int] = (0, 0)  # the sets of the running comparison

        self.set_a, self.set_b = QComboBox(), QComboBox()
        for combo, name in ((self.set_a, "First set"), (self.set_b, "Second set")):
            combo.setAccessibleName(name)
            combo.setMinimumContentsLength(14)
        self.effect_seeds = QSpinBox()
        self.effect_seeds.setRange(1, 256)
        self.effect_seeds.setValue(16)
        set_tip(self.effect_seeds, "Seeds of the mean image change, when the sets live "
                                     "in different latent spaces")
        self.compare_button = QPushButton("Compare")
        self.note = QLabel("Choose two sets and Compare.")
        self.note.setWordWrap(True)

        self.heat = pg.PlotWidget()
        self.heat.setMinimumSize(220, 180)
        self.heat_image = pg.ImageItem(np.zeros((1, 1)))
        self.heat.addItem(self.heat_image)
        self.heat.getPlotItem().invertY(True)
        self.color_bar = pg.ColorBarItem(values=(0.0, 1.0), colorMap=pg.colormap.get("viridis"),
                                         interactive=False, label="|cos|")
        self.color_bar.setImageItem(self.heat_image, insert_in=self.heat.getPlotItem())

        self.pairs = _table(["first", "second", "|cos|"])
        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(0.0, 1.0)
        self.threshold.setSingleStep(0.05)
        self.threshold.setValue(0.8)
        set_tip(self.threshold, "Labels travel along pairs whose |cos| is at least this")
        self.transfer_button = QPushButton("Transfer labels →")
        set_tip(self.transfer_button, "Give the second set's matching directions the "
                                        "first set's labels (existing names are kept)")
        self.strip_a, self.strip_b = QLabel(), QLabel()
        self.strip_caption_a, self.strip_caption_b = QLabel(), QLabel()

        self.metric_seeds = QSpinBox()
        self.metric_seeds.setRange(2, 4096)
        self.metric_seeds.setValue(256)
        self.measure_button = QPushButton("Measure every set")
        set_tip(self.measure_button, "Distinctness (lower is better) and consistency "
                                       "(higher is better) of each set's top directions on "
                                       "the same seeds, beside random directions")
        self.metrics_table = _table(["set", "distinctness", "consistency"])
        self._build_layout()

        self.compare_button.clicked.connect(self.compare)
        self.pairs.itemSelectionChanged.connect(self._on_pair_chosen)
        self.transfer_button.clicked.connect(self.transfer_labels)
        self.measure_button.clicked.connect(self.measure)
        self.store.sets_changed.connect(self._on_store_sets_changed)
        host.runner.succeeded.connect(self._on_succeeded)
        host.runner.finished.connect(lambda task: self._tasks.pop(task, None))
        self._on_store_sets_changed()

    def _build_layout(self) -> None:
        top = QHBoxLayout()
        for widget in (QLabel("Compare"), self.set_a, QLabel("with"), self.set_b,
                       QLabel("seeds:"), self.effect_seeds, self.compare_button):
            top.addWidget(widget)
        top.addStretch(1)
        pairs = QVBoxLayout()
        pairs.addWidget(QLabel("Best-matching pairs"))
        pairs.addWidget(self.pairs, 1)
        transfer = QHBoxLayout()
        transfer.addWidget(QLabel("|cos| ≥"))
        transfer.addWidget(self.threshold)
        transfer.addWidget(self.transfer_button)
        pairs.addLayout(transfer)
        strips = QGridLayout()
        for row, (caption, strip) in enumerate(((self.strip_caption_a, self.strip_a),
                                                (self.strip_caption_b, self.strip_b))):
            strips.addWidget(caption, 2 * row, 0)
            strips.addWidget(strip, 2 * row + 1, 0)
        strips.setRowStretch(4, 1)
        metrics = QVBoxLayout()
        row = QHBoxLayout()
        row.addWidget(QLabel("seeds:"))
        row.addWidget(self.metric_seeds)
        row.addWidget(self.measure_button)
        metrics.addLayout(row)
        metrics.addWidget(self.metrics_table, 1)
        middle = QHBoxLayout()
        middle.addWidget(self.heat, 2)
        middle.addLayout(pairs, 2)
        middle.addLayout(strips, 3)
        middle.addLayout(metrics, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.note)
        layout.addLayout(middle, 1)

    # -- reading (tests) ---------------------------------------------------------------------
    def matrix_shape(self) -> tuple[int, ...]:
        return tuple(self.heat_image.image.shape) if self.comparison is not None else ()

    # -- store -> widget -------------------------------------------------------------------
    def _on_store_sets_changed(self) -> None:
        ws = self.store.workspace
        for n, combo in enumerate((self.set_a, self.set_b)):
            chosen = combo.currentData()
            combo.clear()
            for named in ws.sets:
                combo.addItem(named.name, named.set_id)
            position = combo.findData(chosen)
            combo.setCurrentIndex(position if position >= 0 else min(n, combo.count() - 1))
        if len(ws) >= 2 and self.set_b.currentData() == self.set_a.currentData():
            others = [i for i in ws.ids if i != self.set_a.currentData()]
            self.set_b.setCurrentIndex(self.set_b.findData(others[-1]))  # the newest other
        self.compare_button.setEnabled(len(ws) >= 2)
        if self.compared is not None and not set(self.compared) <= set(ws.ids):
            self._clear()

    def _clear(self) -> None:
        self.comparison, self.compared = None, None
        self.pairs.setRowCount(0)
        self.heat_image.setImage(np.zeros((1, 1)))
        self.note.setText("Choose two sets and Compare.")

    # -- jobs --------------------------------------------------------------------------------
    def _start(self, job: Any, kind: str) -> int | None:
        host = self.host
        if not can_start_job(host, "Nothing to compare", "Open a model first."):
            return None
        task = host.run_job(job, kind)
        self._tasks[task] = kind
        return task

    def compare(self) -> int | None:
        """Compare the two chosen sets in the worker; the task id (None: not started)."""
        ids = (self.set_a.currentData(), self.set_b.currentData())
        if None in ids or ids[0] == ids[1]:
            self.host.show_error("Choose two sets", "Choose two different sets to compare.")
            return None
        ws = self.store.workspace
        a, b = (ws.get(i).directions for i in ids)
        loaded = self.host.loaded
        task = self._start(compare_job(loaded.model if loaded else None, a, b,
                                       self.effect_seeds.value()), "compare")
        if task is not None:
            self._pending_ids = ids
        return task

    def measure(self) -> int | None:
        """The metrics table of every set, in the worker."""
        sets = [(s.name, s.directions) for s in self.store.workspace.sets]
        if not sets or self.host.loaded is None:
            self.host.show_error("Nothing to measure", "Run a method first.")
            return None
        return self._start(metrics_job(self.host.loaded.model, sets, self.metric_seeds.value()),
                           "metrics")

    def _on_succeeded(self, task: int, result: object) -> None:
        kind = self._tasks.get(task)
        if kind == "compare":
            self._show_comparison(result, self._pending_ids)
        elif kind == "metrics":
            self._show_metrics(result)  # type: ignore[arg-type]
        elif kind == "strips":
            self._show_strips(result)  # type: ignore[arg-type]

    def _show_comparison(self, comparison: Any, ids: tuple[int, int]) -> None:
        ws = self.store.workspace
        if not set(ids) <= set(ws.ids):
            return  # a set went while it was compared
        self.comparison, self.compared = comparison, ids
        names = [ws.get(i).name for i in ids]
        self.heat_image.setImage(np.asarray(comparison.matrix, np.float32), levels=(0, 1))
        plot = self.heat.getPlotItem()
        plot.setLabel("bottom", f"{names[0]}: direction")
        plot.setLabel("left", f"{names[1]}: direction")
        plot.autoRange()
        self.note.setText(f"“{names[0]}” and “{names[1]}” {comparison.description}.")
        self.host.show_status(f"Compared “{names[0]}” with “{names[1]}”")
        a, b = (ws.get(i).directions for i in ids)
        self.pairs.setRowCount(0)
        for m in comparison.pairs:
            row = self.pairs.rowCount()
            self.pairs.insertRow(row)
            for col, text in enumerate((self._name(a, m.a), self._name(b, m.b),
                                        f"{m.cos:.3f}")):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, (m.a, m.b))
                self.pairs.setItem(row, col, item)

    @staticmethod
    def _name(ds: Any, index: int) -> str:
        label = ds.directions[index].label
        return f"{index} {label}" if label else str(index)

    def _on_pair_chosen(self) -> None:
        rows = self.pairs.selectionModel().selectedRows()
        if rows and self.compared is not None:
            self.show_pair(rows[0].row())

    def show_pair(self, row: int) -> int | None:
        """Render the strips of pair ``row`` side by side on the current face."""
        if self.compared is None or self.host.loaded is None:
            return None
        a_index, b_index = self.pairs.item(row, 0).data(Qt.ItemDataRole.UserRole)
        ws = self.store.workspace
        for caption, set_id, index in ((self.strip_caption_a, self.compared[0], a_index),
                                       (self.strip_caption_b, self.compared[1], b_index)):
            caption.setText(f"{ws.get(set_id).name}: direction "
                            f"{self._name(ws.get(set_id).directions, index)}")
        pair = ((self.compared[0], a_index), (self.compared[1], b_index))
        request = self.host.current_request(preview=False)
        return self._start(pair_strips_job(self.host.loaded.model, request, pair), "strips")

    def _show_strips(self, strips: tuple[np.ndarray, ...]) -> None:
        self.strips = strips
        self.host.show_status("The pair's strips, on the current face")
        for label, strip in zip((self.strip_a, self.strip_b), strips, strict=True):
            pixmap = array_to_pixmap(strip)
            label.setPixmap(pixmap.scaledToHeight(min(96, pixmap.height() * 2)))

    def _show_metrics(self, rows: tuple[Any, ...]) -> None:
        self.metrics = rows
        self.host.show_status(f"Measured {len(rows) - 1} sets beside random directions")
        self.metrics_table.setRowCount(0)
        for row in rows:
            n = self.metrics_table.rowCount()
            self.metrics_table.insertRow(n)
            for col, text in enumerate((row.name, f"{row.metrics.distinctness:.3f}",
                                        f"{row.metrics.consistency:.3f}")):
                self.metrics_table.setItem(n, col, QTableWidgetItem(text))

    # -- labels ------------------------------------------------------------------------------
    def transfer_labels(self) -> int:
        """The first set's labels onto the second set's matching directions (|cos| at
        least the threshold, existing names kept): one undo step; how many moved."""
        if self.comparison is None or self.compared is None:
            self.host.show_error("Compare first", "Compare two sets before moving labels.")
            return 0
        from guiapp.core.compare import label_moves, transfer_labels

        ws = self.store.workspace
        a_id, b_id = self.compared
        src, dst = ws.get(a_id).directions, ws.get(b_id).directions
        moves = label_moves(src, dst, self.comparison, self.threshold.value())
        if moves:
            self.store.replace_set_directions(
                b_id, transfer_labels(src, dst, self.comparison, 0.0, moves=moves),
                f"labels from {ws.get(a_id).name}")
        self.host.show_status(f"{len(moves)} label{'s' if len(moves) != 1 else ''} moved to "
                              f"“{ws.get(b_id).name}”" + (" (Ctrl+Z undoes it)" if moves else ""))
        return len(moves)
