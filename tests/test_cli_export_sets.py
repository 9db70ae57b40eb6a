"""``guiapp-cli render --animate / --morph / --seeds`` with several direction sets, edits
that name their set, and ``--session FILE``: the written files hold the frames and images
of the workspace (every set's edits added up), the walk moves the named set's direction,
and the mistakes are one line, exit 2, no file."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from cli_support import PREFIX, REF, run
from PIL import Image

from guiapp.cli import main
from guiapp.core.edits import apply_edits
from guiapp.core.image_metadata import read_image_metadata
from guiapp.core.io import load_direction_set
from guiapp.core.models.registry import load_model
from guiapp.core.render import base_latents, render_request, to_uint8
from guiapp.core.session_io import save_session
from guiapp.core.types import Edit, RenderRequest
from guiapp.core.workspace import Workspace, WorkspaceSession


@pytest.fixture(scope="module")
def model():
    return load_model(REF)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("export_sets")
    sefa, gs = folder / "sefa.npz", folder / "gs.npz"
    assert main(["discover", REF, "--method", "sefa", "-k", "4", "-o", str(sefa)]) == 0
    assert main(["discover", REF, "--method", "ganspace", "-k", "4", "--samples", "2000",
                 "-o", str(gs)]) == 0
    return sefa, gs


def workspace(files, edits=()) -> Workspace:
    """The two files as sets 1 and 2 (set 1 selected), with (set, index, alpha) edits."""
    ws = Workspace()
    for f in files:
        ws = ws.add_set(load_direction_set(f), select=not ws.ids)[0]
    for n, index, alpha in edits:
        ws = ws.set_edit(ws.ids[n - 1], index, alpha)
    return ws


def apng_frames(path) -> list[np.ndarray]:
    with Image.open(path) as im:
        frames = []
        for n in range(im.n_frames):
            im.seek(n)
            frames.append(np.asarray(im.convert("RGB")))
        return frames


def png(path) -> np.ndarray:
    return np.asarray(Image.open(path))


def test_the_walk_moves_the_named_sets_direction_with_the_other_sets_edit_held(
        files, model, tmp_path, capsys):
    both = ["render", REF, "--directions", files[0], "--directions", files[1], "--seed", 4,
            "--edit", "1:1=1.5", "--alphas", "-2,2,3", "--no-bounce"]
    walk2, walk1 = tmp_path / "walk2.png", tmp_path / "walk1.png"
    code, _, err = run(capsys, *both, "--animate", "2:1", "-o", walk2)
    assert (code, err) == (0, "")
    frames = apng_frames(walk2)
    assert len(frames) == 3
    for frame, alpha in zip(frames, (-2.0, 0.0, 2.0), strict=True):
        ws = workspace(files, [(1, 1, 1.5), (2, 1, alpha)])  # set 1's edit held in each
        np.testing.assert_array_equal(frame, render_request(model, RenderRequest(
            seed=4, workspace=ws)))
    assert not np.array_equal(frames[0], frames[2])
    only_walk = render_request(model, RenderRequest(seed=4, workspace=workspace(files)))
    assert not np.array_equal(frames[1], only_walk)  # the held edit is in the frame
    assert run(capsys, *both, "--animate", "1", "-o", walk1)[0] == 0  # bare: set 1
    np.testing.assert_array_equal(apng_frames(walk1)[0], render_request(model, RenderRequest(
        seed=4, workspace=workspace(files, [(1, 1, -2.0)]))))
    assert not np.array_equal(apng_frames(walk1)[0], frames[0])


def test_seeds_with_edits_of_two_sets_are_the_sum_of_both_edits(files, model, tmp_path,
                                                                 capsys):
    folder = tmp_path / "seeds"
    folder.mkdir()
    edits = ["--edit", "1:0=1.5", "--edit", "2:1=-2"]
    code, _, err = run(capsys, "render", REF, "--directions", files[0], "--directions",
                       files[1], "--seeds", "3,8", *edits, "-o", folder / "{seed}.png")
    assert (code, err) == (0, "")
    sefa, gs = (load_direction_set(f) for f in files)
    for seed in (3, 8):
        base = base_latents(model, seed)
        moved = apply_edits(base, sefa, [Edit(0, 1.5)]) - base  # each set's edit alone
        moved += apply_edits(base, gs, [Edit(1, -2.0)]) - base
        with torch.inference_mode():
            summed = to_uint8(model.synthesize(base + moved))[0]
        image = png(folder / f"{seed}.png")
        np.testing.assert_array_equal(image, summed)
        single = tmp_path / f"single{seed}.png"  # a plain render of the seed: the same file
        assert run(capsys, "render", REF, "--directions", files[0], "--directions", files[1],
                   "--seed", seed, *edits, "-o", single)[0] == 0
        np.testing.assert_array_equal(image, png(single))
        meta = read_image_metadata(folder / f"{seed}.png")
        assert meta == read_image_metadata(single)
        assert [(e["set"], e["index"], e["alpha"]) for e in meta["edits"]] == [(1, 0, 1.5),
                                                                            (2, 1, -2.0)]
        assert [s["file"] for s in meta["sets"]] == ["sefa.npz", "gs.npz"]


def test_a_session_gives_the_exports_model_face_and_edits(files, model, tmp_path, capsys):
    ws = workspace(files, [(1, 2, 1.0), (2, 0, -1.5)]).select(workspace(files).ids[1])
    path = tmp_path / "s.json"
    save_session(path, WorkspaceSession(REF, 6, 0.8, workspace=ws))
    walk = tmp_path / "walk.png"
    code, _, err = run(capsys, "render", "--session", path, "--animate", 3, "--alphas",
                       "-1,1,2", "--no-bounce", "-o", walk)
    assert (code, err) == (0, "")
    for frame, alpha in zip(apng_frames(walk), (-1.0, 1.0), strict=True):
        np.testing.assert_array_equal(frame, render_request(model, RenderRequest(
            seed=6, truncation=0.8, workspace=ws.set_edit(ws.ids[1], 3, alpha))))
    folder = tmp_path / "seeds"
    folder.mkdir()
    assert run(capsys, "render", "--session", path, "--seeds", "1-2", "-o",
               folder / "{seed}.png")[0] == 0
    for seed in (1, 2):
        np.testing.assert_array_equal(png(folder / f"{seed}.png"), render_request(
            model, RenderRequest(seed=seed, truncation=0.8, workspace=ws)))
    morph = tmp_path / "morph.png"
    assert run(capsys, "render", "--session", path, "--morph", 11, "--frames", 3, "-o",
               morph)[0] == 0
    ends = apng_frames(morph)[::2]
    for frame, seed in zip(ends, (6, 11), strict=True):
        np.testing.assert_array_equal(frame, render_request(model, RenderRequest(
            seed=seed, truncation=0.8, workspace=ws)))


@pytest.mark.parametrize(("args", "message"), [
    (["--animate", "3:0", "--seed", "1", "-o", "{dir}/w.gif"], "names set 3, but there are "
     "only 2"),
    (["--seeds", "1,2", "--edit", "3:0=1", "-o", "{dir}/{{seed}}.png"], "names set 3"),
    (["--animate", "2:9", "--seed", "1", "-o", "{dir}/w.gif"], "out of range"),
])
def test_a_bad_set_is_one_line_and_no_file(files, tmp_path, capsys, args, message):
    argv = [a.format(dir=tmp_path) for a in args]
    code, stdout, err = run(capsys, "render", REF, "--directions", files[0], "--directions",
                            files[1], *argv)
    assert code == 2 and stdout == ""
    assert err.startswith(PREFIX) and err.count("\n") == 1 and message in err, err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("args", "message"), [
    (["--animate", "0", "--edit", "0=1"], "leave out --edit"),
    (["--seeds", "1,2", "--seed", "3"], "leave out --seed"),
    (["--morph", "3", "--directions", "{sefa}"], "leave out --directions"),
    (["--animate", "2:0"], "names set 2, but there are only 1"),
])
def test_a_session_export_refuses_what_the_session_gives(files, tmp_path, capsys, args,
                                                         message):
    path = tmp_path / "s.json"
    save_session(path, WorkspaceSession(REF, 1, workspace=workspace(files[:1])))
    argv = [a.format(sefa=files[0]) for a in args]
    code, _, err = run(capsys, "render", "--session", path, *argv, "-o", tmp_path / "w.gif")
    assert code == 2 and err.startswith(PREFIX) and err.count("\n") == 1 and message in err, err
    assert [p.name for p in tmp_path.iterdir()] == ["s.json"]


def test_a_latent_face_takes_the_same_sets_and_edits(files, model, tmp_path, capsys):
    from guiapp.core.latent_files import load_latent, save_latent
    from guiapp.core.types import ProjectedLatent, StripSpec

    path = tmp_path / "me.npz"
    save_latent(path, ProjectedLatent("z", model.sample_z(1, 12)[0].astype(np.float32),
                                      "me.png"), model.model_id)
    common = ["render", REF, "--latent", path, "--directions", files[0], "--directions",
              files[1], "--edit", "1:0=1.5", "--edit", "2:1=-2"]
    out, strip = tmp_path / "a.png", tmp_path / "s.png"
    code, _, err = run(capsys, *common, "-o", out)
    assert code == 0, err
    latent = load_latent(path, model)
    ws = workspace(files, [(1, 0, 1.5), (2, 1, -2.0)])
    np.testing.assert_array_equal(png(out), render_request(model, RenderRequest(
        latent=latent, workspace=ws)))
    assert [(e["set"], e["index"]) for e in read_image_metadata(out)["edits"]] == [(1, 0),
                                                                                (2, 1)]
    assert run(capsys, *common, "--strip", "2:3", "--alphas", "-2,2,3", "-o", strip)[0] == 0
    np.testing.assert_array_equal(png(strip), render_request(model, RenderRequest(
        latent=latent, workspace=ws, output=StripSpec(3, (-2.0, 0.0, 2.0),
                                                     set_id=ws.ids[1]))))
