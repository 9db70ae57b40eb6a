"""Batch export (core.batch_export): seed lists parse with one-line errors and a cap; each
exported PNG is the single render of its seed with the metadata a single save writes (so it
re-renders); a grid's cells are the seeds' images; a cancel leaves only complete files."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from guiapp.core.batch_export import (
    check_pattern,
    export_seed_grid,
    export_seeds,
    parse_seed_list,
)
from guiapp.core.image_metadata import build_metadata, read_image_metadata, render_from_metadata
from guiapp.core.methods import run_method
from guiapp.core.models.registry import load_model
from guiapp.core.progress import Cancelled, CancelToken
from guiapp.core.render import render_image, render_request
from guiapp.core.types import Edit, LayerRange, RenderRequest
from guiapp.core.workspace import Workspace

REF = "builtin:dcgan-digiface"


def assert_within_rounding(a: np.ndarray, b: np.ndarray) -> None:
    """Same image up to rounding (a batch of several sums in another order than a batch of
    one on the CPU)."""
    assert a.shape == b.shape
    diff = np.abs(a.astype(int) - b.astype(int))
    assert diff.max() <= 1 and np.count_nonzero(diff) <= max(1, diff.size // 1000)


@pytest.fixture(scope="module")
def builtin():
    model = load_model(REF)
    return model, run_method(model, "sefa", {"k": 3})


def metadata_for(model, ds, edits, truncation):
    def metadata(seed):
        return build_metadata(model_ref=REF, model_name=model.name,
                              model_sha256=model.model_id, num_ws=model.num_ws, seed=seed,
                              truncation=truncation, truncation_cutoff=None, class_index=0,
                              noise_mode="const", direction_set=ds, edits=edits)
    return metadata


def test_seed_lists():
    assert parse_seed_list("0-3,10, 2 ,20-21") == [0, 1, 2, 3, 10, 20, 21]
    assert parse_seed_list("7") == [7]
    assert len(parse_seed_list("0-9999")) == 10_000
    for text, message in [("", "empty"), ("1,,2", "empty entry"), ("a-3", "not a seed"),
                          ("5-2", "backwards"), ("0-10000", "at most 10000"),
                          ("0-5000,6000-11000", "at most 10000"), ("4294967296", "between"),
                          ("0-99999999999", "between")]:
        with pytest.raises(ValueError, match=message):
            parse_seed_list(text)


def test_name_patterns():
    check_pattern("out/{seed}.png")
    check_pattern("out/face_{seed:05d}.png")
    for bad, message in [("out/face.png", "must contain"), ("out/{seed}.jpg", "end in .png"),
                         ("out/{seed}{n}.png", "no other field"), ("out/{seed.png", "seed")]:
        with pytest.raises(ValueError, match=message):
            check_pattern(bad)


def test_folder_export_files_are_the_single_renders_and_re_render(builtin, tmp_path):
    model, ds = builtin
    edits = (Edit(0, 1.5), Edit(2, -1.0, LayerRange(0, 1)))
    seeds = parse_seed_list("3-5,11")
    seen = []
    paths = export_seeds(model, seeds, str(tmp_path / "face_{seed:03d}.png"),
                         metadata_for(model, ds, edits, 0.8), face={"truncation": 0.8},
                         direction_set=ds, edits=edits, batch_size=1,
                         progress=lambda f, _m: seen.append(f))
    assert [p.name for p in paths] == ["face_003.png", "face_004.png", "face_005.png",
                                       "face_011.png"]
    assert seen[-1] == 1.0 and seen == sorted(seen)
    for seed, path in zip(seeds, paths, strict=True):
        pixels = np.asarray(Image.open(path).convert("RGB"))
        np.testing.assert_array_equal(pixels, render_image(model, seed, 0.8, ds, edits))
        meta = read_image_metadata(path)
        assert meta["seed"] == seed and meta["kind"] == "image"
        np.testing.assert_array_equal(render_from_metadata(meta, model, ds), pixels)


def test_batched_export_matches_single_renders(builtin, tmp_path):
    model, ds = builtin
    edits = (Edit(1, 2.0),)
    paths = export_seeds(model, list(range(6)), str(tmp_path / "{seed}.png"),
                         metadata_for(model, ds, edits, 1.0), direction_set=ds, edits=edits,
                         batch_size=4)
    for seed, path in enumerate(paths):
        assert_within_rounding(np.asarray(Image.open(path).convert("RGB")),
                               render_image(model, seed, 1.0, ds, edits))


def test_grid_cells_are_the_seeds_and_empty_cells_black(builtin, tmp_path):
    model, ds = builtin
    seeds = [4, 9, 2, 30, 8]
    path = export_seed_grid(model, seeds, tmp_path / "grid.png", metadata_for(model, ds, (), 1.0),
                            direction_set=ds, batch_size=1)
    grid = np.asarray(Image.open(path).convert("RGB"))
    res = model.resolution
    assert grid.shape == (2 * res, 3 * res, 3)  # the smallest square: 3 columns, 2 rows
    for n, seed in enumerate(seeds):
        r, c = divmod(n, 3)
        np.testing.assert_array_equal(grid[r * res:(r + 1) * res, c * res:(c + 1) * res],
                                      render_image(model, seed))
    assert not grid[res:, 2 * res:].any()
    meta = read_image_metadata(path)
    assert (meta["kind"], meta["seeds"], meta["columns"]) == ("seeds", seeds, 3)
    two_wide = export_seed_grid(model, seeds, tmp_path / "g2.png",
                                metadata_for(model, None, (), 1.0), columns=2)
    assert Image.open(two_wide).size == (2 * res, 3 * res)


def test_export_applies_the_edits_of_every_set(builtin, tmp_path):
    model, ds = builtin
    other = run_method(model, "ganspace", {"k": 2, "samples": 2000, "seed": 0})
    work, first = Workspace().add_set(ds, "sefa")
    work, second = work.add_set(other, "ganspace")
    work = work.set_edit(first, 0, 1.0).set_edit(second, 1, 2.0)
    paths = export_seeds(model, [3, 4], str(tmp_path / "{seed}.png"),
                         metadata_for(model, None, (), 1.0), workspace=work, batch_size=1)
    for seed, path in zip([3, 4], paths, strict=True):
        np.testing.assert_array_equal(
            np.asarray(Image.open(path).convert("RGB")),
            render_request(model, RenderRequest(seed=seed, workspace=work)))
    assert not np.array_equal(np.asarray(Image.open(paths[0]).convert("RGB")),
                              render_image(model, 3, 1.0, ds, [Edit(0, 1.0)]))


def test_cancel_keeps_only_complete_files(builtin, tmp_path):
    model, _ = builtin
    token = CancelToken()

    def progress(fraction, _message):
        if fraction >= 0.5:
            token.cancel()

    with pytest.raises(Cancelled):
        export_seeds(model, list(range(8)), str(tmp_path / "{seed}.png"),
                     metadata_for(model, None, (), 1.0), batch_size=2, progress=progress,
                     cancel=token)
    names = sorted(p.name for p in tmp_path.iterdir())
    # the seeds saved before the cancel was seen, and no temporary file left behind
    assert names == [f"{seed}.png" for seed in range(5)]
    for name in names:
        assert Image.open(tmp_path / name).size == (model.resolution, model.resolution)


def test_refusals_before_rendering(builtin, tmp_path):
    model, ds = builtin
    meta = metadata_for(model, ds, (), 1.0)
    with pytest.raises(ValueError, match="does not exist"):
        export_seeds(model, [1], str(tmp_path / "nope" / "{seed}.png"), meta)
    with pytest.raises(IndexError):
        export_seeds(model, [1], str(tmp_path / "{seed}.png"), meta, direction_set=ds,
                     edits=(Edit(7, 1.0),))
    with pytest.raises(ValueError, match="at most 400 seeds"):
        export_seed_grid(model, list(range(401)), tmp_path / "g.png", meta)
    assert list(tmp_path.iterdir()) == []
