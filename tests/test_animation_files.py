"""Animation files (core.video, core.animation_export): frames, rate and size read back from
what was written (PyAV decodes the MP4, Pillow the GIF, WebP and APNG); sizes an encoder
cannot take are upscaled; without PyAV the MP4 is refused with the extra named and the other
formats still work; a cancelled or failed export leaves no file and keeps the old one."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from PIL import Image

from guiapp.core.animation import Face, render_all, walk_plan
from guiapp.core.animation_export import save_animation
from guiapp.core.methods import run_method
from guiapp.core.models.registry import load_model
from guiapp.core.progress import Cancelled, CancelToken
from guiapp.core.video import (
    MIN_VIDEO_SIDE,
    VideoUnavailable,
    fit_frame,
    frame_scale,
    open_animation,
    output_shape,
)

av = pytest.importorskip("av")


@pytest.fixture(scope="module")
def builtin():
    model = load_model("builtin:dcgan-digiface")
    return model, run_method(model, "sefa", {"k": 3})


def mp4_facts(path):
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
        return (stream.codec_context.name, stream.codec_context.pix_fmt,
                float(stream.average_rate), frames)


def pillow_facts(path):
    with Image.open(path) as im:
        durations, frames = [], []
        for n in range(im.n_frames):
            im.seek(n)
            frames.append(np.asarray(im.convert("RGB")))  # loads it: WebP's info comes then
            durations.append(im.info.get("duration"))
        return im.format, durations, frames


def test_mp4_is_h264_with_the_frames_rate_and_size_asked_for(builtin, tmp_path):
    model, ds = builtin
    plan = walk_plan(Face(4), ds, 0, 3.0, 5)  # 5 there, 3 back
    saved = save_animation(tmp_path / "walk.mp4", model, plan, 12, batch_size=3)
    codec, pix_fmt, fps, frames = mp4_facts(tmp_path / "walk.mp4")
    assert (codec, pix_fmt, fps, len(frames)) == ("h264", "yuv420p", 12.0, 8)
    # the 64-px model is doubled (nearest) to the video minimum
    assert frames[0].shape == (128, 128, 3) == (saved.height, saved.width, 3)
    assert saved.frames == 8 and saved.format == "mp4"
    # the decoded middle frame is the unedited face, up to H.264's loss
    middle = fit_frame(render_all(model, walk_plan(Face(4), ds, 0, 3.0, 5), 1)[2], "mp4")
    assert np.abs(frames[2].astype(int) - middle.astype(int)).mean() < 4
    assert np.abs(frames[0].astype(int) - middle.astype(int)).mean() > 4


@pytest.mark.parametrize(("suffix", "kind"), [(".gif", "GIF"), (".webp", "WEBP"),
                                               (".png", "PNG"), (".apng", "PNG")])
def test_pillow_formats_hold_every_frame_at_the_rate_asked_for(builtin, tmp_path, suffix, kind):
    model, ds = builtin
    path = tmp_path / f"walk{suffix}"
    save_animation(path, model, walk_plan(Face(4), ds, 0, 3.0, 4), 10)
    fmt, durations, frames = pillow_facts(path)
    assert fmt == kind and len(frames) == 6
    assert frames[0].shape == (64, 64, 3)  # no minimum outside MP4
    assert all(d == pytest.approx(100) for d in durations)


def test_animated_png_frames_are_the_rendered_frames_exactly(builtin, tmp_path):
    model, ds = builtin
    plan = walk_plan(Face(8), ds, 1, 2.0, 3, (), bounce=False)
    save_animation(tmp_path / "walk.png", model, plan, 5, batch_size=1)
    _, _, frames = pillow_facts(tmp_path / "walk.png")
    np.testing.assert_array_equal(np.stack(frames), render_all(model, plan, 1))


def test_odd_and_small_sizes_are_upscaled_for_mp4_only(builtin, tmp_path):
    assert frame_scale(64, 64, "mp4") == 2 and frame_scale(64, 64, "gif") == 1
    assert frame_scale(65, 65, "mp4") == 2 and frame_scale(129, 129, "mp4") == 2
    assert frame_scale(256, 256, "mp4") == 1 and frame_scale(16, 16, "mp4") == 8
    assert output_shape(64, 64, "mp4", size=65) == (130, 130)
    assert output_shape(64, 64, "gif", size=65) == (65, 65)
    frame = np.random.RandomState(0).randint(0, 256, (33, 33, 3), np.uint8)
    big = fit_frame(frame, "mp4")
    assert big.shape == (132, 132, 3) and min(big.shape[:2]) >= MIN_VIDEO_SIDE
    np.testing.assert_array_equal(big[::4, ::4], frame)  # whole-factor nearest: crisp
    model, ds = builtin
    save_animation(tmp_path / "odd.mp4", model, walk_plan(Face(1), ds, 0, 1.0, 3), 8, size=65)
    assert mp4_facts(tmp_path / "odd.mp4")[3][0].shape == (130, 130, 3)


def test_without_pyav_mp4_names_the_extra_and_gif_still_works(builtin, tmp_path, monkeypatch):
    model, ds = builtin
    monkeypatch.setitem(sys.modules, "av", None)  # what a missing package looks like
    plan = walk_plan(Face(2), ds, 0, 2.0, 3)
    with pytest.raises(VideoUnavailable, match=r'pip install "guiapp\[video\]"'):
        save_animation(tmp_path / "walk.mp4", model, plan, 10)
    assert list(tmp_path.iterdir()) == []
    save_animation(tmp_path / "walk.gif", model, plan, 10)
    assert Image.open(tmp_path / "walk.gif").n_frames == 4


@pytest.mark.parametrize("suffix", [".mp4", ".gif"])
def test_cancel_leaves_no_file_and_keeps_the_old_one(builtin, tmp_path, suffix):
    model, ds = builtin
    path = tmp_path / f"walk{suffix}"
    token = CancelToken()

    def progress(fraction, _message):
        if fraction > 0.2:
            token.cancel()

    with pytest.raises(Cancelled):
        save_animation(path, model, walk_plan(Face(2), ds, 0, 2.0, 8), 10, batch_size=2,
                       progress=progress, cancel=token)
    assert list(tmp_path.iterdir()) == []
    path.write_bytes(b"the user's old animation")
    token = CancelToken()
    with pytest.raises(Cancelled):
        save_animation(path, model, walk_plan(Face(2), ds, 0, 2.0, 8), 10, batch_size=2,
                       progress=progress, cancel=token)
    assert path.read_bytes() == b"the user's old animation"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_an_animated_image_too_big_for_memory_is_refused_before_rendering(builtin, tmp_path):
    model, ds = builtin
    seen = []
    with pytest.raises(ValueError, match="over 1024 MiB; use fewer frames, a smaller size, or MP4"):
        save_animation(tmp_path / "big.webp", model, walk_plan(Face(1), ds, 0, 1.0, 60), 30,
                       size=2048, progress=lambda f, m: seen.append(f))
    assert seen == [] and list(tmp_path.iterdir()) == []


def test_refusals_come_before_any_file(tmp_path):
    with pytest.raises(ValueError, match=r"\.mp4, \.gif"), \
            open_animation(tmp_path / "walk.avi", 10):
        pass
    with pytest.raises(ValueError, match="frames per second"), \
            open_animation(tmp_path / "walk.gif", 0.5):
        pass
    with pytest.raises(ValueError, match="at least one frame"), \
            open_animation(tmp_path / "walk.gif", 10):
        pass
    assert list(tmp_path.iterdir()) == []
