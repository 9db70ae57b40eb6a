"""Direction sets saved as safetensors: the same content as the .npz, readable with the
safetensors package alone, told apart from model weights by content."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from safetensors.numpy import load_file, save_file
from test_edits_io import make_set
from test_latentclr import FAST, toy  # noqa: F401 - the toy generator fixture

from guiapp.cli import main
from guiapp.core.edits import apply_edits
from guiapp.core.io import (
    FileFormatError,
    is_direction_file,
    load_direction_set,
    save_direction_set,
)
from guiapp.core.latentclr_params import Params
from guiapp.core.methods.latentclr import discover
from guiapp.core.models.catalog import resources_dir
from guiapp.core.types import Edit


def test_plain_set_round_trips_and_reads_with_safetensors_alone(tmp_path):
    ds = make_set().with_label(1, "smile")
    path = tmp_path / "dirs.safetensors"
    save_direction_set(path, ds)
    raw = load_file(str(path))
    assert raw["vectors"].dtype == np.float32 and raw["vectors"].shape == (3, 4)
    back = load_direction_set(path)
    np.testing.assert_array_equal(back.vectors, ds.vectors)
    assert [d.label for d in back.directions] == ["d0", "smile", "d2"]
    assert back.plot == ds.plot and back.params == ds.params
    assert is_direction_file(path)


def test_conditional_set_keeps_its_model_weights(toy, tmp_path):  # noqa: F811
    ds = discover(toy, Params(**{**FAST, "iterations": 10, "model_type": "nonlinear"}))
    path = tmp_path / "clr.safetensors"
    save_direction_set(path, ds)
    raw = load_file(str(path))
    assert {n for n in raw if n.startswith("model.")} == {
        "model." + n for n in ds.conditional.arrays()
    }
    back = load_direction_set(path)
    ws = toy.map(torch.from_numpy(toy.sample_z(3, 5)).float())
    torch.testing.assert_close(apply_edits(ws, back, [Edit(0, 2.0)]),
                               apply_edits(ws, ds, [Edit(0, 2.0)]))


def test_model_weights_and_junk_are_not_direction_sets(tmp_path):
    weights = resources_dir() / "models" / "dcgan-digiface.safetensors"
    assert not is_direction_file(weights)
    with pytest.raises(FileFormatError, match="not a guiapp direction file"):
        load_direction_set(weights)
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"\xff" * 64)
    assert not is_direction_file(junk)
    with pytest.raises(FileFormatError, match="not a guiapp direction file"):
        load_direction_set(junk)
    other = tmp_path / "other.safetensors"
    save_file({"vectors": np.eye(2, dtype=np.float32), "scores": np.ones(2)}, str(other),
              metadata={"guiapp.directions": json.dumps({"format": "something else"})})
    with pytest.raises(FileFormatError, match="not a guiapp direction set"):
        load_direction_set(other)


def test_cli_discovers_labels_and_renders_with_safetensors(tmp_path):
    out = tmp_path / "sefa.safetensors"
    assert main(["discover", "builtin:dcgan-digiface", "--method", "sefa", "-k", "4",
                 "-o", str(out)]) == 0
    assert main(["label", str(out), "1", "smile"]) == 0
    assert load_direction_set(out).directions[1].label == "smile"
    image = tmp_path / "e.png"
    assert main(["render", "builtin:dcgan-digiface", "--directions", str(out), "--seed", "2",
                 "--edit", "1=2", "-o", str(image)]) == 0
