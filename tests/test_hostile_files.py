"""Hostile and corrupt data files (issue 14, the data half): direction sets, sessions, PNG
metadata, output targets and arguments never crash, hang, blow up memory, print a
traceback, give a silently wrong image or destroy a file.

The campaign (tests/fuzz/data_campaign.py) runs every hostile file through the real CLI
and the window's session path in child processes under a memory and time limit; the
property tests mutate valid files in-process with Hypothesis; the rest pin the save path.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from guiapp.core.io import (
    FileFormatError,
    WriteError,
    load_direction_set,
    read_png_metadata,
    save_png,
)
from guiapp.core.session_io import load_session
from tests.fuzz import data_files as df

IMAGE = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)


def test_data_campaign_every_hostile_file_is_refused_cleanly(tmp_path):
    from tests.fuzz.data_campaign import run_campaign
    from tests.fuzz.harness import tally

    results = run_campaign(tmp_path)
    bad = {cid: (cls, " ".join(err.split())[:200])
           for cid, (_, cls, err) in results.items() if cls not in ("refused", "ok")}
    counts = tally(cls for _, cls, _ in results.values())
    assert len(results) >= 330
    assert not bad, f"{counts}: {bad}"
    assert counts["ok"] >= 5  # the valid controls did work


# -- saves ----------------------------------------------------------------------------------


def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_save_keeps_the_old_files_mode(tmp_path):
    path = tmp_path / "private.png"
    path.write_bytes(b"old")
    path.chmod(0o600)
    save_png(path, IMAGE, {})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_png_metadata(path)["app_version"]


def test_a_new_file_gets_what_the_umask_gives(tmp_path):
    old = os.umask(0o077)
    try:
        save_png(tmp_path / "new.png", IMAGE, {})
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.png").stat().st_mode) == 0o600


def test_save_refuses_to_replace_a_symlink_and_leaves_both_files(tmp_path):
    target = tmp_path / "kept.png"
    target.write_bytes(b"kept")
    link = tmp_path / "link.png"
    link.symlink_to(target)
    with pytest.raises(WriteError, match=r"link.png: it is a symbolic link"):
        save_png(link, IMAGE, {})
    assert link.is_symlink() and target.read_bytes() == b"kept"
    assert _leftovers(tmp_path) == []


def test_save_refuses_to_replace_a_fifo(tmp_path):
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    with pytest.raises(WriteError, match=r"pipe.png: it is a named pipe"):
        save_png(fifo, IMAGE, {})
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert _leftovers(tmp_path) == []


def test_full_disk_names_the_file_and_keeps_the_old_one(tmp_path):
    """Writes capped by RLIMIT_FSIZE in a child (a full disk without mounting one)."""
    path = tmp_path / "image.png"
    path.write_bytes(b"the previous image")
    script = textwrap.dedent(f"""
        import resource, signal, numpy as np
        from guiapp.core.io import save_png
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1000, resource.RLIM_INFINITY))
        image = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)
        try:
            save_png({str(path)!r}, image, {{}})
        except OSError as exc:
            print(exc)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    assert out.strip() == f"cannot write {path}: File too large"
    assert path.read_bytes() == b"the previous image"
    assert _leftovers(tmp_path) == []


def test_no_space_left_on_a_tiny_tmpfs(tmp_path):
    """The real ENOSPC, where this machine lets us mount a 64 kB tmpfs (root)."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)],
                             capture_output=True).returncode == 0
    if not mounted:
        pytest.skip("cannot mount a tmpfs here")
    try:
        path = folder / "out.png"
        path.write_bytes(b"old image")
        noise = np.random.default_rng(1).integers(0, 255, (256, 256, 3), dtype=np.uint8)
        with pytest.raises(WriteError) as caught:
            save_png(path, noise, {})
        assert str(caught.value) == f"cannot write {path}: No space left on device"
        assert path.read_bytes() == b"old image"
        assert _leftovers(folder) == []
    finally:
        subprocess.run(["umount", str(folder)], check=False)


# -- reading --------------------------------------------------------------------------------


@pytest.mark.parametrize("make, says, loaders", [
    # a FIFO session hung the old reader: the campaign tries that one under a timeout
    (lambda p: os.mkfifo(p), "named pipe", (load_direction_set,)),
    (lambda p: p.mkdir(), "folder", (load_direction_set, load_session)),
    (lambda p: p.symlink_to(p), "symbolic link loop", (load_direction_set, load_session)),
])
def test_a_path_that_is_not_a_regular_file_says_what_it_is(tmp_path, make, says, loaders):
    path = tmp_path / "thing.npz"
    make(path)
    for load in loaders:
        with pytest.raises(FileFormatError, match=rf"thing.npz: is (a )?{says}"):
            load(path)


def test_dev_zero_is_refused_before_reading():
    # as a session it used to be read until memory ran out: that one is in the campaign
    with pytest.raises(FileFormatError, match="/dev/zero: is a device"):
        load_direction_set("/dev/zero")


def test_a_valid_file_whose_name_is_not_utf8_loads(tmp_path):
    name = os.fsdecode(b"\xff\xfe.safetensors")
    from guiapp.core.io import is_direction_file, save_direction_set

    save_direction_set(tmp_path / name, df.plain_set())
    assert is_direction_file(tmp_path / name)
    assert len(load_direction_set(tmp_path / name)) == 4


def test_session_version_text_is_damaged_not_newer(tmp_path):
    data = df.session_json()
    data["version"] = "1"
    path = tmp_path / "s.json"
    path.write_text(json.dumps(data))
    with pytest.raises(FileFormatError) as caught:
        load_session(path)
    assert "damaged" in str(caught.value) and "newer" not in str(caught.value)


def test_png_metadata_of_a_hostile_png_is_text_or_a_clear_refusal(tmp_path):
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("guiapp.seed", "[" * 100_000)
    info.add_text("guiapp.edits", "9" * 5000)
    path = tmp_path / "x.png"
    Image.fromarray(IMAGE).save(path, pnginfo=info)
    meta = read_png_metadata(path)
    assert meta["seed"] == "[" * 100_000 and meta["edits"] == "9" * 5000
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    with pytest.raises(FileFormatError, match=r"x.png: not a readable PNG"):
        read_png_metadata(path)


def test_a_direction_model_with_a_billion_steps_is_refused(tmp_path):
    from guiapp.core.direction_meta import direction_set_meta

    ds = df.linear_set()
    meta = direction_set_meta(ds)
    meta["conditional"]["steps"] = 10**9
    weight = df.npy(ds.conditional.arrays()["weight"])
    path = tmp_path / "steps.npz"
    path.write_bytes(df.npz({**df.set_members(ds, meta), "model.weight": weight}))
    with pytest.raises(FileFormatError, match=r"steps.npz: .*steps must be a whole number"):
        load_direction_set(path)


# -- workers --------------------------------------------------------------------------------


def test_closing_stops_a_render_stuck_in_many_direction_steps(qapp):
    """A direction model asking for 10^9 Euler steps (built here: files are refused) stops
    when the render queue shuts down, instead of outliving the window."""
    import threading

    import torch

    from guiapp.core.direction_models import ConditionalDirections
    from guiapp.workers import RenderQueue

    slow = ConditionalDirections(df.linear_set().conditional.model, steps=10**9)
    started = threading.Event()

    def render(_payload):
        started.set()
        return slow.move(0, torch.zeros(1, df.DIM), 1.0)

    queue = RenderQueue(render)
    queue.request(None)
    assert started.wait(60)
    queue.shutdown(timeout_ms=120_000)
    assert queue._thread is not None and queue._thread.isFinished()



def test_a_npy_header_cut_mid_statement_is_refused_not_an_internal_error(tmp_path):
    """numpy parses the header text with tokenize, which raises its own TokenError."""
    import struct

    body = b"{'descr': '<f8', 'fortran_order': False, 'shape': (4,\n"
    header = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(body)) + body
    path = tmp_path / "cut.npz"
    path.write_bytes(df.npz({**df.set_members(), "scores": header}))
    with pytest.raises(FileFormatError, match=r"cut.npz: .*'scores' has a damaged header"):
        load_direction_set(path)
