"""Latent files: ours round-trip with their metadata; the arrays pSp, e4e, PTI and NVIDIA's
projector write open as the right space; hostile files are refused in one line."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
from stylegan_fixtures import random_generator, write_nvidia_pickle

from guiapp.core.latent_files import (
    LatentFileError,
    load_latent,
    read_latent,
    save_latent,
)
from guiapp.core.models.registry import load_model
from guiapp.core.render import render_request
from guiapp.core.types import ProjectedLatent, RenderRequest


@pytest.fixture(scope="module")
def style_model(tmp_path_factory):
    path = write_nvidia_pickle(tmp_path_factory.mktemp("sg2") / "g.pkl", random_generator())
    return load_model(str(path))


@pytest.fixture(scope="module")
def dcgan():
    return load_model("builtin:dcgan-digiface")


def test_our_file_round_trips_with_its_metadata(tmp_path: Path, style_model):
    arr = np.random.RandomState(0).randn(style_model.num_ws, style_model.w_dim)
    latent = ProjectedLatent("w+", arr.astype(np.float32), "me.jpg", "ab" * 32)
    save_latent(tmp_path / "face.npz", latent, style_model.model_id)
    found = read_latent(tmp_path / "face.npz")
    assert (found.space, found.source, found.sha256, found.model_id) == (
        "w+", "me.jpg", "ab" * 32, style_model.model_id)
    back = load_latent(tmp_path / "face.npz", style_model)
    assert np.array_equal(back.array, latent.array)
    assert back.space == "w+" and back.sha256 == latent.sha256
    # NVIDIA's layout is in the same file: stylegan2-ada's generate.py --projected-w reads it
    with np.load(tmp_path / "face.npz") as npz:
        assert npz["w"].shape == (1, style_model.num_ws, style_model.w_dim)


def test_other_tools_shapes_open_as_the_right_space(tmp_path: Path, style_model, dcgan):
    n, d = style_model.num_ws, style_model.w_dim
    rs = np.random.RandomState(1)
    np.save(tmp_path / "e4e.npy", rs.randn(1, n, d).astype(np.float32))  # pSp / e4e / PTI
    np.savez(tmp_path / "projected_w.npz", w=rs.randn(1, n, d).astype(np.float32))  # NVIDIA
    np.save(tmp_path / "w.npy", rs.randn(d))  # one w, float64
    np.save(tmp_path / "z.npy", rs.randn(1, dcgan.z_dim))
    assert load_latent(tmp_path / "e4e.npy", style_model).space == "w+"
    assert load_latent(tmp_path / "projected_w.npz", style_model).array.shape == (n, d)
    assert load_latent(tmp_path / "w.npy", style_model).space == "w"
    z = load_latent(tmp_path / "z.npy", dcgan)
    assert z.space == "z" and z.array.shape == (dcgan.z_dim,)


def test_an_imported_latent_renders_as_the_face(tmp_path: Path, style_model):
    """A w+ file whose rows all equal one w renders the same image as that w does."""
    w = np.random.RandomState(2).randn(style_model.w_dim).astype(np.float32)
    np.save(tmp_path / "plus.npy", np.repeat(w[None, None], style_model.num_ws, axis=1))
    save_latent(tmp_path / "one.npz", ProjectedLatent("w", w))
    plus = render_request(style_model, RenderRequest(
        latent=load_latent(tmp_path / "plus.npy", style_model)))
    one = render_request(style_model, RenderRequest(
        latent=load_latent(tmp_path / "one.npz", style_model)))
    assert np.array_equal(plus, one)


def test_a_bare_npy_export_is_what_pti_loads(tmp_path: Path):
    arr = np.arange(6 * 4, dtype=np.float32).reshape(6, 4)
    save_latent(tmp_path / "out.npy", ProjectedLatent("w+", arr))
    assert np.array_equal(np.load(tmp_path / "out.npy"), arr[None])


def _npy_with_header(shape: tuple[int, ...], payload: bytes) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": "<f4", "fortran_order": False, "shape": shape})
    return buf.getvalue() + payload


def _zip_bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("latent.npy", _npy_with_header((1 << 26,), b"\0" * (1 << 28)))
    return buf.getvalue()


@pytest.mark.parametrize("content, words", [
    (b"hello", "neither an .npy nor an .npz"),
    (_npy_with_header((1 << 40, 512), b"\0" * 16), "declares shape"),
    (None, "object"),
    (_zip_bomb(), "unpack to"),
])
def test_hostile_files_are_refused(tmp_path: Path, content, words):
    path = tmp_path / "bad.npy"
    if content is None:
        np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    else:
        path.write_bytes(content)
    with pytest.raises(LatentFileError) as info:
        read_latent(path)
    assert str(path) in str(info.value) and words in str(info.value)
    assert "\n" not in str(info.value)


def test_latents_that_do_not_fit_the_model_are_refused(tmp_path: Path, style_model, dcgan):
    np.save(tmp_path / "layers.npy", np.zeros((style_model.num_ws + 1, style_model.w_dim)))
    with pytest.raises(LatentFileError, match="layers of w, this model has"):
        load_latent(tmp_path / "layers.npy", style_model)
    np.save(tmp_path / "w.npy", np.zeros((1, 4, dcgan.z_dim)))
    with pytest.raises(LatentFileError, match="no w space"):
        load_latent(tmp_path / "w.npy", dcgan)
    np.save(tmp_path / "nan.npy", np.full(dcgan.z_dim, np.nan))
    with pytest.raises(LatentFileError, match="not a finite number"):
        load_latent(tmp_path / "nan.npy", dcgan)
