"""``guiapp-cli render --animate / --morph``: the files hold the frames, rate and size asked
for, the frames are the single renders, and every mistake is one line, exit 2, no file."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from cli_support import PREFIX, REF, discover_sefa, run
from PIL import Image

from guiapp.core.io import load_direction_set
from guiapp.core.models.registry import load_model
from guiapp.core.render import render_image
from guiapp.core.types import Edit

av = pytest.importorskip("av")


@pytest.fixture(scope="module")
def sefa(tmp_path_factory):
    return discover_sefa(tmp_path_factory.mktemp("cli_anim"))


@pytest.fixture(scope="module")
def model():
    return load_model(REF)


def apng_frames(path):
    with Image.open(path) as im:
        frames = []
        for n in range(im.n_frames):
            im.seek(n)
            frames.append(np.asarray(im.convert("RGB")))
        return frames, im.info.get("duration")


def test_walk_to_mp4_as_the_issue_writes_it(capsys, sefa, tmp_path):
    out = tmp_path / "walk.mp4"
    code, stdout, err = run(capsys, "render", REF, "--directions", sefa, "--seed", 3,
                            "--animate", 1, "--alphas", "-3,3,9", "-o", out)
    assert (code, err) == (0, "")
    assert stdout == f"saved 16 frames (128x128, 30 fps) to {out}\n"
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        frames = list(container.decode(video=0))
        assert (stream.codec_context.name, float(stream.average_rate)) == ("h264", 30.0)
    assert len(frames) == 16 and (frames[0].width, frames[0].height) == (128, 128)


def test_walk_frames_are_the_single_renders_with_the_other_edits_held(capsys, sefa, tmp_path,
                                                                         model):
    ds = load_direction_set(sefa)
    out = tmp_path / "walk.png"
    code, _, err = run(capsys, "render", REF, "--directions", sefa, "--seed", 5, "--edit",
                       "0=1", "--animate", 2, "--alphas", "-2,2,3", "--no-bounce", "--fps", 5,
                       "--batch-size", 1, "-o", out)
    assert (code, err) == (0, "")
    frames, duration = apng_frames(out)
    assert len(frames) == 3 and duration == pytest.approx(200)
    # the built-in model edits all layers: the held edit is added first, as the strip rule does
    held = render_image(model, 5, 1.0, ds, [Edit(0, 1.0)])
    np.testing.assert_array_equal(frames[1], held)
    assert not np.array_equal(frames[0], held) and not np.array_equal(frames[0], frames[2])
    code, _, _ = run(capsys, "render", REF, "--directions", sefa, "--seed", 5, "--edit",
                     "0=1", "--animate", 2, "--alphas", "-2,2,3", "--no-bounce",
                     "--no-hold-edits", "--batch-size", 1, "-o", out)
    np.testing.assert_array_equal(apng_frames(out)[0][1], render_image(model, 5))


def test_morph_to_gif_with_frames_fps_size_and_bounce(capsys, tmp_path, model):
    out = tmp_path / "morph.gif"
    code, stdout, err = run(capsys, "render", REF, "--seed", 2, "--morph", 9, "--frames", 5,
                            "--fps", 10, "--size", 128, "--bounce", "-o", out)
    assert (code, err) == (0, ""), err
    assert stdout == f"saved 8 frames (128x128, 10 fps) to {out}\n"
    with Image.open(out) as im:
        assert (im.n_frames, im.size, im.info["duration"]) == (8, (128, 128), 100)
    out = tmp_path / "morph.png"
    run(capsys, "render", REF, "--seed", 2, "--morph", 9, "--frames", 4, "--morph-space", "w",
        "--batch-size", 1, "-o", out)
    frames, _ = apng_frames(out)
    np.testing.assert_array_equal(frames[0], render_image(model, 2))
    np.testing.assert_array_equal(frames[-1], render_image(model, 9))


def test_without_pyav_mp4_is_refused_naming_the_extra(capsys, sefa, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "av", None)
    code, stdout, err = run(capsys, "render", REF, "--seed", 2, "--morph", 9, "-o",
                            tmp_path / "m.mp4")
    assert code == 2 and stdout == ""
    assert err == (f'{PREFIX}MP4 needs PyAV, which is not installed: pip install '
                   '"guiapp[video]" (GIF, WebP and APNG work without it)\n')
    code, _, _ = run(capsys, "render", REF, "--seed", 2, "--morph", 9, "--frames", 3, "-o",
                     tmp_path / "m.webp")
    assert code == 0 and [p.name for p in tmp_path.iterdir()] == ["m.webp"]


@pytest.mark.parametrize(("args", "message"), [
    (["--animate", "1", "--seed", "1", "-o", "{dir}/w.gif"], "--animate needs --directions"),
    (["--animate", "1", "--seed", "1", "--directions", "{sefa}", "-o", "{dir}/w.avi"],
     "an animation is saved as .mp4, .gif"),
    (["--animate", "9", "--seed", "1", "--directions", "{sefa}", "-o", "{dir}/w.gif"],
     "direction index 9 is out of range"),
    (["--morph", "2", "--seed", "1", "--fps", "0", "-o", "{dir}/w.gif"],
     "frames per second must be 1 to 60"),
    (["--morph", "2", "--seed", "1", "--frames", "1", "-o", "{dir}/w.gif"],
     "frames must be 2 to 2000"),
    (["--morph", "2", "--seed", "1", "--strip", "0", "-o", "{dir}/w.gif"],
     "cannot be combined with --strip"),
    (["--morph", "2", "--animate", "1", "--seed", "1", "-o", "{dir}/w.gif"],
     "--animate and --morph cannot be combined"),
    (["--morph", "2", "--seed", "1", "--scale", "2", "-o", "{dir}/w.gif"], "use --size"),
    (["--morph", "2", "-o", "{dir}/w.gif"], "--morph needs --seed"),
    (["-o", "{dir}/x.png"], "--seed is required"),
    (["--morph", "2", "--seed", "1", "-o", "{dir}/nowhere/w.gif"], "does not exist"),
])
def test_mistakes_are_one_line_and_write_nothing(capsys, sefa, tmp_path, args, message):
    argv = [a.format(dir=tmp_path, sefa=sefa) for a in args]
    code, stdout, err = run(capsys, "render", REF, *argv)
    assert code == 2 and stdout == ""
    assert err.startswith(PREFIX) and err.count("\n") == 1 and message in err, err
    assert list(tmp_path.iterdir()) == []
