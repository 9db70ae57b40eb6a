"""Property tests (Hypothesis, derandomized, bounded) over mutated data files and values.

Each property takes a valid file written by guiapp, changes one thing (any JSON field to a
hostile value, an ``.npy`` header, a token in a session's text, an argument) and asserts
the contract: the loader returns a set or session whose fields are sane (finite, in
range, renderable), or raises FileFormatError naming the file; nothing else escapes.
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import math
import os
import stat
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guiapp.cli_args import build_parser
from guiapp.core.direction_meta import direction_set_meta
from guiapp.core.edits import apply_edits
from guiapp.core.io import FileFormatError, WriteError, atomic_write, load_direction_set
from guiapp.core.seeds import SEED_MAX
from guiapp.core.session_io import load_session
from guiapp.core.types import MAX_ABS_ALPHA, Edit
from tests.fuzz import data_files as df

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

HOSTILE = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([-1, 0, 10**9, 2**32, 2**63, 10**300]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e308, -1e308, 5e-324, 1e39]),
    st.text(max_size=12),
    st.lists(st.one_of(st.integers(-3, 3), st.floats(), st.text(max_size=3)), max_size=4),
    st.dictionaries(st.text(max_size=4), st.integers(-3, 3), max_size=3),
)


def json_paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key / index path inside a JSON value (vectors' numbers sampled, not all)."""
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            out += json_paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value[:3]):
            out += json_paths(item, (*prefix, i))
    return out


def replaced(data: Any, path: tuple, value: Any) -> Any:
    data = json.loads(json.dumps(data))
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return data


def check_set(ds: Any) -> None:
    """A loaded set is usable: finite numbers, a real edit stays finite or is refused."""
    for d in ds.directions:
        assert math.isfinite(d.unit_scale) and isinstance(d.label, str)
        assert d.default_layers is None or 0 <= d.default_layers.start < d.default_layers.stop
    if len(ds) and ds.space == "z" and ds.dim == df.DIM:
        try:
            out = apply_edits(torch.zeros(1, 1, df.DIM), ds, [Edit(0, 3.0)])
        except ValueError as exc:  # e.g. its layers are outside the model's: a clear error
            assert str(exc)
        else:
            assert torch.isfinite(out).all()


def load_or_refuse(load: Any, path: Path) -> Any:
    try:
        return load(path)
    except FileFormatError as exc:
        text = str(exc)
        assert path.name in text and "\n" not in text
        return None


@SETTINGS
@given(data=st.data(), linear=st.booleans())
def test_any_direction_metadata_field_is_checked(tmp_path, data, linear):
    ds = df.linear_set() if linear else df.plain_set()
    meta = direction_set_meta(ds)
    where = data.draw(st.sampled_from(json_paths(meta)))
    value = data.draw(HOSTILE)
    members = df.set_members(ds, replaced(meta, where, value))
    if linear:
        members["model.weight"] = df.npy(ds.conditional.arrays()["weight"])
    path = tmp_path / "set.npz"
    path.write_bytes(df.npz(members))
    loaded = load_or_refuse(load_direction_set, path)
    if loaded is not None:
        check_set(loaded)


DESCRS = ["<f4", "<f8", "<f2", "|b1", "<i8", "|u1", ">f4", "<c8", "|O", "<U5", "|V8",
          "[('a', '<f4')]", "<M8[s]"]


@SETTINGS
@given(member=st.sampled_from(["vectors", "scores", "meta"]), descr=st.sampled_from(DESCRS),
       shape=st.lists(st.integers(-3, 10**12), max_size=3), body=st.binary(max_size=64),
       fortran=st.booleans())
def test_any_npy_header_is_checked_before_reading(tmp_path, member, descr, shape, body,
                                                  fortran):
    header = df.npy_header(descr, tuple(shape), fortran)
    path = tmp_path / "set.npz"
    path.write_bytes(df.npz({**df.set_members(), member: header + body}))
    loaded = load_or_refuse(load_direction_set, path)
    if loaded is not None:
        check_set(loaded)


def check_session(session: Any, extra: dict) -> None:
    assert 0 <= session.seed <= SEED_MAX and math.isfinite(session.truncation)
    assert all(math.isfinite(e.alpha) and abs(e.alpha) <= MAX_ABS_ALPHA for e in session.edits)
    assert isinstance(extra, dict)
    if session.direction_set is not None:
        check_set(session.direction_set)


@SETTINGS
@given(data=st.data())
def test_any_session_field_is_checked(tmp_path, data):
    base = data.draw(st.sampled_from(["plain", "linear"]))
    session = df.session_json() if base == "plain" else df.linear_session_json(2)
    where = data.draw(st.sampled_from(json_paths(session)))
    path = tmp_path / "session.json"
    path.write_text(json.dumps(replaced(session, where, data.draw(HOSTILE))))
    loaded = load_or_refuse(load_session, path)
    if loaded is not None:
        check_session(*loaded)


TOKENS = ["[", "{", "]", "9" * 30, "NaN", "Infinity", "-", "1e999", '"', "\\u0000", ",",
          "null", "[" * 3000, "9" * 5000]


@SETTINGS
@given(data=st.data())
def test_tokens_spliced_into_a_session_never_escape(tmp_path, data):
    text = json.dumps(df.session_json())
    pos = data.draw(st.integers(0, len(text)))
    cut = data.draw(st.integers(0, 8))
    text = text[:pos] + data.draw(st.sampled_from(TOKENS)) + text[pos + cut:]
    path = tmp_path / "session.json"
    path.write_text(text)
    loaded = load_or_refuse(load_session, path)
    if loaded is not None:
        check_session(*loaded)


OPTIONS = ["--seed", "--truncation", "--edit", "--alphas", "--grid", "--scale", "--class",
           "--truncation-cutoff", "--strip"]
VALUE = st.one_of(
    st.text(max_size=10),
    st.sampled_from(["-1", "1e308", "-1e308", "inf", "nan", "9" * 5000, "0=1e308", "0=inf",
                     "1=2@0-99999", "-1e308,1e308,3", "0,0,10**9", ",".join(["0"] * 5000),
                     str(2**40), "0=3@5-2"]),
)


@SETTINGS
@given(option=st.sampled_from(OPTIONS), value=VALUE)
def test_any_argument_value_is_parsed_in_range_or_refused_in_one_line(option, value):
    parser = build_parser(dict.fromkeys(["models", "info", "discover", "render", "label"],
                                        lambda args: 0))
    err = io.StringIO()
    argv = ["render", df.REF, "--directions", "d.npz", "-o", "o.png", f"{option}={value}"]
    if option != "--seed":
        argv += ["--seed", "0"]
    try:
        with contextlib.redirect_stderr(err):
            args = parser.parse_args(argv)
    except SystemExit as exc:
        lines = err.getvalue().splitlines()
        assert exc.code == 2 and len(lines) == 1 and lines[0].startswith("guiapp-cli: error:")
        return
    assert 0 <= args.seed <= SEED_MAX
    assert args.truncation is None or (  # None: not given, the model's default applies
        math.isfinite(args.truncation) and abs(args.truncation) <= 100)
    assert all(abs(e.alpha) <= MAX_ABS_ALPHA for e in args.edit or [])
    assert len(args.grid or []) <= 128 and 1 <= args.scale <= 16


@SETTINGS
@given(written=st.integers(0, 5000), old=st.binary(min_size=1, max_size=200),
       mode=st.sampled_from([0o600, 0o640, 0o644, 0o400]))
def test_a_save_that_fails_midway_leaves_the_old_file_and_its_mode(tmp_path, written, old,
                                                                    mode):
    path = tmp_path / "kept.bin"
    with contextlib.suppress(FileNotFoundError):
        path.chmod(0o600)
    path.write_bytes(old)
    path.chmod(mode)

    def write(fh):
        fh.write(b"x" * written)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with pytest.raises(WriteError) as caught:
        atomic_write(path, write)
    assert str(caught.value) == f"cannot write {path}: No space left on device"
    assert path.read_bytes() == old and stat.S_IMODE(path.stat().st_mode) == mode
    assert [p.name for p in tmp_path.iterdir()] == ["kept.bin"]


def test_the_property_strategies_reach_both_outcomes(tmp_path):
    """Guard against properties that only ever see refusals: a harmless change loads."""
    meta = direction_set_meta(df.plain_set())
    path = tmp_path / "set.npz"
    path.write_bytes(df.npz(df.set_members(meta=replaced(meta, ("labels", 0), "smile"))))
    assert load_direction_set(path).directions[0].label == "smile"
    np.testing.assert_array_equal(load_direction_set(path).vectors, df.plain_set().vectors)
