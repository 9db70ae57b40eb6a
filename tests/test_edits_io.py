"""Edits add up over their layer ranges; direction sets and PNGs round-trip through files."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from guiapp.core.edits import apply_edits, edit_offset
from guiapp.core.io import (
    FileFormatError,
    load_direction_set,
    read_png_metadata,
    save_direction_set,
    save_png,
)
from guiapp.core.types import Direction, DirectionSet, Edit, LayerRange, Ranking


def unit(v):
    v = np.asarray(v, np.float32)
    return v / np.linalg.norm(v)


def make_set(space="w", dim=4, k=3) -> DirectionSet:
    rng = np.random.default_rng(0)
    dirs = tuple(
        Direction(unit(rng.normal(size=dim)), score=float(k - i), unit_scale=0.5 + i,
                  label=f"d{i}", default_layers=LayerRange(1, 3) if i == 2 else None)
        for i in range(k)
    )
    return DirectionSet("ganspace", space, "abc123", {"k": k}, dirs,  # hook: typed results
                        Ranking("explained_variance", (0.5, 0.3, 0.2), 0.01))


def test_alpha_zero_is_exactly_the_original():
    ws = torch.randn(2, 5, 4)
    ds = make_set()
    out = apply_edits(ws, ds, [Edit(0, 0.0), Edit(1, 0.0, LayerRange(0, 2))])
    assert torch.equal(out, ws)


def test_edits_add_up_each_on_its_own_layers():
    ws = torch.zeros(1, 5, 4)
    ds = make_set()
    out = apply_edits(ws, ds, [Edit(0, 2.0), Edit(1, -1.0, LayerRange(3, 5)), Edit(2, 1.0)])
    v0, v1, v2 = (d.vector * d.unit_scale for d in ds.directions)
    expected = np.zeros((5, 4), np.float32)
    expected[:] += 2.0 * v0
    expected[3:5] += -1.0 * v1
    expected[1:3] += 1.0 * v2  # direction 2's default layers
    np.testing.assert_allclose(out[0].numpy(), expected, atol=1e-6)
    assert torch.equal(ws, torch.zeros(1, 5, 4))  # input untouched


def test_edit_errors_are_clear():
    ds = make_set()
    with pytest.raises(IndexError, match="out of range"):
        edit_offset(ds, [Edit(7, 1.0)], 5)
    with pytest.raises(ValueError, match="outside this model's layers"):
        edit_offset(ds, [Edit(0, 1.0, LayerRange(2, 9))], 5)
    with pytest.raises(ValueError, match="finite"):
        Edit(0, float("nan"))
    with pytest.raises(ValueError, match="another model"):
        apply_edits(torch.zeros(1, 5, 6), ds, [Edit(0, 1.0)])


def test_layer_range_text_is_inclusive():
    assert LayerRange.parse_inclusive("2-5") == LayerRange(2, 6)
    assert LayerRange.parse_inclusive("3") == LayerRange(3, 4)
    assert LayerRange(2, 6).inclusive_text() == "2-5"
    for bad in ("5-2", "a-b", "1-2-3", "-1"):
        with pytest.raises(ValueError):
            LayerRange.parse_inclusive(bad)


def test_direction_set_round_trip_and_numpy_only_format(tmp_path):
    ds = make_set().with_label(1, "smile")
    path = tmp_path / "dirs.npz"
    save_direction_set(path, ds)
    raw = np.load(path, allow_pickle=False)
    assert raw["vectors"].dtype == np.float32 and raw["vectors"].shape == (3, 4)
    np.testing.assert_allclose(np.linalg.norm(raw["vectors"], axis=1), 1.0, atol=1e-6)
    meta = json.loads(str(raw["meta"]))
    assert meta["labels"] == ["d0", "smile", "d2"]
    assert meta["layer_ranges"] == [None, None, [1, 3]]
    assert meta["model_sha256"] == "abc123" and meta["version"] == 1
    back = load_direction_set(path)
    assert [d.label for d in back.directions] == ["d0", "smile", "d2"]
    assert back.directions[2].default_layers == LayerRange(1, 3)
    assert [d.unit_scale for d in back.directions] == [0.5, 1.5, 2.5]
    assert back.plot == ds.plot and back.params == ds.params
    np.testing.assert_array_equal(back.vectors, ds.vectors)


def test_bad_direction_files(tmp_path):
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip")
    with pytest.raises(FileFormatError, match="not a guiapp direction file"):
        load_direction_set(junk)
    with pytest.raises(FileFormatError, match="no such file"):
        load_direction_set(tmp_path / "absent.npz")
    other = tmp_path / "other.npz"
    np.savez(other, vectors=np.eye(2, dtype=np.float32), scores=np.ones(2),
             meta=np.array(json.dumps({"format": "something else"})))
    with pytest.raises(FileFormatError, match="not a guiapp direction set"):
        load_direction_set(other)


def test_failed_save_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "dirs.npz"
    save_direction_set(path, make_set())
    before = path.read_bytes()

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", explode)
    with pytest.raises(OSError, match="disk full"):
        save_direction_set(path, make_set().with_label(0, "changed"))
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["dirs.npz"]  # no temp file left


def test_png_metadata_round_trip(tmp_path):
    image = np.random.default_rng(1).integers(0, 255, (8, 6, 3), dtype=np.uint8)
    path = tmp_path / "x.png"
    edits = [{"index": 1, "alpha": 2.5, "layers": [0, 4]}]
    save_png(path, image, {"model_sha256": "abc", "seed": 5, "truncation": 0.7,
                           "edits": edits})
    meta = read_png_metadata(path)
    assert meta["seed"] == 5 and meta["truncation"] == 0.7 and meta["edits"] == edits
    assert meta["model_sha256"] == "abc" and "app_version" in meta
    from PIL import Image

    np.testing.assert_array_equal(np.asarray(Image.open(path)), image)


def test_session_round_trip_and_bad_sessions(tmp_path):
    from guiapp.core.session_io import load_session, save_session
    from guiapp.core.types import Session

    ds = make_set().with_label(0, "age")
    session = Session("builtin:x", seed=12, truncation=0.7, direction_set=ds,
                      edits=(Edit(0, 1.5), Edit(2, -2.0, LayerRange(0, 2))))
    path = tmp_path / "s.json"
    save_session(path, session, {"selected": 2})
    back, extra = load_session(path)
    assert extra == {"selected": 2}
    assert back.seed == 12 and back.truncation == 0.7 and back.edits == session.edits
    assert back.direction_set.directions[0].label == "age"
    np.testing.assert_array_equal(back.direction_set.vectors, ds.vectors)

    before = path.read_bytes()
    for bad, message in [(b"{", "not a guiapp session"), (b"[]", "not a guiapp session"),
                         (b'{"format": "guiapp.session", "version": 99}', "newer")]:
        broken = tmp_path / "broken.json"
        broken.write_bytes(bad)
        with pytest.raises(FileFormatError, match=message):
            load_session(broken)
    data = json.loads(before)
    data["edits"][0]["index"] = 40
    broken.write_text(json.dumps(data))
    with pytest.raises(FileFormatError, match="damaged session"):
        load_session(broken)
    assert path.read_bytes() == before
