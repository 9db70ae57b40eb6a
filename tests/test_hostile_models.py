"""Issue 14, model files: the hostile-file campaign, in CI.

Every case of :mod:`tests.fuzz.model_cases` (a quick selection: every family, fewer setting
values, truncations and bit flips) goes through ``guiapp-cli info FILE`` in child
processes under a 2 GiB address-space limit and a per-case timeout
(:func:`tests.fuzz.harness.run_batch`). Each must end as exit 2 with one stderr line that
names the file (or exit 0 for valid files and harmless mutations): no crash, hang, memory
blow-up, traceback or exit 0 on a broken file, and no code from the file may run. A few
real ``guiapp-cli`` processes prove the same contract end to end.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from stylegan_fixtures import random_generator, tiny_config

from tests.fuzz import model_cases as mc
from tests.fuzz.harness import (
    DEFAULT_MEM_BYTES,
    Case,
    Outcome,
    classify,
    classify_case,
    run_batch,
    run_cli,
)

FAMILIES = {"valid", "settings", "code", "numpy", "blowup", "graph", "storage", "zip",
            "header", "truncate", "bitflip", "path"}


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Case], dict]:
    folder = tmp_path_factory.mktemp("hostile-models")
    cases = mc.build_cases(folder, cuts=6, flips=6, quick=True)
    results = run_batch(cases, timeout_s=30.0, mem_bytes=DEFAULT_MEM_BYTES)
    return folder, cases, results


def test_every_hostile_model_file_is_refused_in_one_line(
    campaign: tuple[Path, list[Case], dict],
) -> None:
    _, cases, results = campaign
    assert {c.family for c in cases} == FAMILIES
    assert len(cases) > 300
    outcomes = {c.id: classify_case(c, results[c.id]) for c in cases}
    bad = {
        case_id: (outcome, results[case_id].stderr.strip()[-300:])
        for case_id, outcome in outcomes.items()
        if outcome not in ("refused", "ok")
    }
    assert not bad, f"{len(bad)} of {len(cases)} cases not refused cleanly: {bad}"
    refused = [c for c in cases if outcomes[c.id] == "refused"]
    assert len(refused) > 0.7 * len(cases)


def test_no_hostile_file_runs_code(campaign: tuple[Path, list[Case], dict]) -> None:
    folder, cases, _ = campaign
    assert any(c.family == "code" for c in cases)
    assert not (folder / mc.SENTINEL).exists()


def test_valid_files_still_open(campaign: tuple[Path, list[Case], dict]) -> None:
    _, cases, results = campaign
    valid = [c for c in cases if c.expect_refusal is False]
    assert len(valid) >= 8  # every format, a symlink to a file, a name that is not UTF-8
    for case in valid:
        outcome = results[case.id]
        assert outcome.returncode == 0, (case.id, outcome.stderr)
        assert "sha256:" in outcome.stdout


def _one_hostile_file(tmp_path: Path, kind: str) -> Path:
    """Files that crashed, hung, blew up or printed a traceback before issue 14."""
    net = random_generator(tiny_config())
    path = tmp_path / f"{kind}.pkl"
    if kind == "numpy-far-field":  # segfault: a dtype field at offset 2**40
        data = mc.tff.tf_snapshot(net, tmp_path / mc.SENTINEL)
        arr = mc.hostile_arrays()["dtype_field_far_offset"]
        mc.tff.component_state(data, "mapping")["variables"][0] = ("Dense0/weight", arr)
        path.write_bytes(mc.tf_bytes(data))
    elif kind == "memo":  # 3+ GB for a 12-byte pickle
        path.write_bytes(mc.raw_pickles()["memo_put_huge_index"])
    elif kind == "dag":  # 2**40 visits of one child
        w = mc.Writer(tmp_path)
        mc.graph_cases(w, lambda: mc.sg2.nvidia_snapshot(net))
        path = tmp_path / "record-dag-40.pkl"
    elif kind == "z_dim-0":  # ZeroDivisionError traceback
        snap = mc.sg2.nvidia_snapshot(net)
        mc.g_ema(snap)["z_dim"] = 0
        path.write_bytes(mc.nvidia_bytes(snap))
    return path


@pytest.mark.parametrize("kind", ["numpy-far-field", "memo", "dag", "z_dim-0"])
def test_guiapp_cli_refuses_in_one_line_end_to_end(tmp_path: Path, kind: str) -> None:
    path = _one_hostile_file(tmp_path, kind)
    outcome = run_cli(["info", path], timeout_s=60.0)
    assert classify(outcome, names=[path.name], sentinel=tmp_path / mc.SENTINEL) == "refused", (
        outcome
    )
    assert outcome.stderr.startswith("guiapp-cli: error: ")
    assert outcome.stdout == ""


def test_the_classifier_tells_outcomes_apart() -> None:
    """The harness's classes, on hand-made outcomes (so a broken classifier cannot pass
    the campaign by calling everything 'refused')."""
    line = "guiapp-cli: error: x.pkl: refused\n"
    assert classify(Outcome(2, "", line), names=["x.pkl"]) == "refused"
    assert classify(Outcome(2, "", line + "more\n"), names=["x.pkl"]) == "unclear"
    assert classify(Outcome(2, "", line), names=["y.pkl"]) == "unclear"
    assert classify(Outcome(None, "", "", signal=11)) == "crash"
    assert classify(Outcome(None, "", "", timed_out=True)) == "hang"
    assert classify(Outcome(2, "", "error: x.pkl: (MemoryError: )")) == "memory"
    assert classify(Outcome(1, "", "Traceback (most recent call last):\n")) == "traceback"
    assert classify(Outcome(0, "ok", "")) == "wrong_result"
    assert classify(Outcome(0, "ok", ""), expect_refusal=False) == "ok"


def test_a_sentinel_file_counts_as_code_that_ran(tmp_path: Path) -> None:
    sentinel = tmp_path / mc.SENTINEL
    sentinel.touch()
    assert classify(Outcome(2, "", "guiapp-cli: error: x\n"), sentinel=sentinel) == "code_ran"
    os.unlink(sentinel)
