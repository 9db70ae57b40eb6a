"""Typed run results (ranking, training curve, run status) in direction files and sessions.

Files keep the layout they had when ``DirectionSet.plot`` was a dict: the fixtures below
are written here the way guiapp wrote them then (a numpy ``.npz`` with a JSON ``meta``
whose ``plot`` object holds everything), and must open as typed results and be written
back with the same ``plot`` object.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from guiapp import __version__
from guiapp.core.io import load_direction_set, save_direction_set
from guiapp.core.safe_files import FileFormatError
from guiapp.core.types import Direction, DirectionSet, Ranking, RunStatus, TrainingCurve
from guiapp.core.workspace_io import direction_set_from_json, direction_set_to_json

# The ``plot`` objects SeFa, GANSpace and a cancelled LatentCLR run wrote before the types.
OLD_PLOTS = {
    "sefa": {"kind": "eigenvalues", "values": [9.5, 4.0, 2.25, 1.0, 0.5]},
    "ganspace": {"kind": "explained_variance", "values": [0.42, 0.25, 0.14],
                 "baseline": 0.025},
    "latentclr": {"kind": "latentclr", "values": [0.8, 0.6, 0.3], "y_label": "feature change",
                  "loss": [2.5, 2.25, 2.0], "accuracy": [0.25, 0.5, 0.625],
                  "iterations": [10, 20, 30], "iterations_done": 34, "cancelled": True},
}


def write_old_file(path, method: str, plot: dict) -> None:
    """A direction set as guiapp wrote it before the typed results (format version 1)."""
    k = 3
    vectors = np.eye(k, 8, dtype=np.float32)
    meta = {"format": "guiapp.directions", "version": 1, "app_version": __version__,
            "method": method, "space": "z", "model_sha256": "abc", "params": {"k": k},
            "labels": ["smile", "", ""], "layer_ranges": [None] * k,
            "unit_scales": [1.0] * k, "notes": [""] * k, "plot": plot}
    np.savez(path, meta=np.array(json.dumps(meta)), vectors=vectors,
             scores=np.array([3.0, 2.0, 1.0]))


@pytest.mark.parametrize("method", sorted(OLD_PLOTS))
def test_old_files_open_typed_and_are_written_back_alike(tmp_path, method):
    old = tmp_path / f"{method}.npz"
    write_old_file(old, method, OLD_PLOTS[method])
    ds = load_direction_set(old)
    plot = OLD_PLOTS[method]
    assert ds.ranking == Ranking(plot["kind"], tuple(plot["values"]), plot.get("baseline"),
                                 plot.get("y_label", ""))
    assert ds.directions[0].label == "smile"
    again = tmp_path / "again.npz"
    save_direction_set(again, ds)
    meta = json.loads(str(np.load(again)["meta"]))
    assert meta["plot"] == plot  # the same layout on disk
    back = load_direction_set(again)
    assert (back.ranking, back.training, back.status) == (ds.ranking, ds.training, ds.status)


def test_a_cancelled_latentclr_file_keeps_its_curve_and_status(tmp_path):
    path = tmp_path / "clr.npz"
    write_old_file(path, "latentclr", OLD_PLOTS["latentclr"])
    ds = load_direction_set(path)
    assert ds.training == TrainingCurve((10, 20, 30), (2.5, 2.25, 2.0), (0.25, 0.5, 0.625))
    assert ds.status == RunStatus(cancelled=True, iterations_done=34) and ds.cancelled
    assert ds.status.describe(len(ds)) == (
        "Cancelled after 34 iterations: kept the best 3 directions so far")
    assert ds.ranking.axis_label == "feature change"
    back = direction_set_from_json(json.loads(json.dumps(direction_set_to_json(ds))), "s.json")
    assert back.training == ds.training and back.status == ds.status  # sessions too


def test_a_file_without_a_plot_has_no_results(tmp_path):
    path = tmp_path / "bare.npz"
    write_old_file(path, "sefa", {"values": [1.0, 0.5, 0.25]})
    ds = load_direction_set(path)
    assert ds.ranking == Ranking("", (1.0, 0.5, 0.25)) and ds.training is None
    assert ds.status is None and not ds.cancelled


@pytest.mark.parametrize(("change", "fragment"), [
    ({"cancelled": "yes"}, "cancelled"),
    ({"iterations": ["ten"]}, "iteration"),
    ({"loss": "low"}, "loss"),
    ({"iterations_done": -1}, "iterations done"),
    ({"values": [1.0, "x"]}, "plot value"),
])
def test_damaged_results_are_refused_naming_the_file(tmp_path, change, fragment):
    path = tmp_path / "bad.npz"
    write_old_file(path, "latentclr", {**OLD_PLOTS["latentclr"], **change})
    with pytest.raises(FileFormatError, match=f"bad.npz: damaged direction set.*{fragment}"):
        load_direction_set(path)


def test_direction_sets_refuse_untyped_results():
    dirs = (Direction(np.eye(1, 4, dtype=np.float32)[0], 1.0),)
    with pytest.raises(TypeError, match="ranking must be a Ranking"):
        DirectionSet("sefa", "z", "", {}, dirs, {"kind": "eigenvalues", "values": [1.0]})


def test_the_cli_table_reads_the_typed_results(tmp_path):
    from guiapp.cli import format_table

    for method in ("ganspace", "latentclr"):
        write_old_file(tmp_path / f"{method}.npz", method, OLD_PLOTS[method])
    ganspace = format_table(load_direction_set(tmp_path / "ganspace.npz")).splitlines()
    assert "var %" in ganspace[0] and ganspace[1].split()[2] == "42.00"
    assert ganspace[-1] == "random direction baseline: 2.500 %"
    latentclr = format_table(load_direction_set(tmp_path / "latentclr.npz")).splitlines()
    assert "var %" not in latentclr[0]
    assert latentclr[-1] == "Cancelled after 34 iterations: kept the best 3 directions so far."
