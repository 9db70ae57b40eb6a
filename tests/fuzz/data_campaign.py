"""Build and run the whole data-file campaign; print the count per outcome class.

``python -m tests.fuzz.data_campaign [--pythonpath TREE] [--show]`` runs every case
against this checkout's guiapp, or against another tree (e.g. an older commit checked out
with ``git worktree``) for a before/after comparison. ``--show`` lists each case that was
not refused cleanly or ok.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import stat
import sys
import tempfile
from pathlib import Path

from tests.fuzz import data_files as df
from tests.fuzz.data_cases import DataCase, before, outcome_class
from tests.fuzz.data_runner import run_cases
from tests.fuzz.harness import tally
from tests.fuzz.hostile_data import (
    direction_sets,
    member_mutations,
    mutations,
    safetensors_sets,
)
from tests.fuzz.hostile_sessions import sessions

REF = df.REF


def _render(cid: str, family: str, path: Path, out: Path, expect: str = "refuse",
            must_say: list[str] | None = None, extra: list[str] | None = None) -> DataCase:
    png = out / f"{cid}.png"
    return DataCase(cid, family, "cli", ["render", REF, "--directions", os.fsdecode(path),
                                         "--seed", "0", "--edit", "0=1", *(extra or []),
                                         "-o", str(png)],
                    expect=expect, names=[path.name], must_say=must_say or [],
                    output=str(png) if expect != "refuse" else None)


def _special_paths(folder: Path) -> dict[str, Path]:
    """A FIFO, a folder, a symlink loop, a broken link and a 3 GB sparse file (named so
    that no message can pass by quoting the name)."""
    names = ("fifo", "folder", "loop", "broken", "sparse")
    paths = {name: folder / f"item{i}" for i, name in enumerate(names)}
    os.mkfifo(paths["fifo"])
    paths["folder"].mkdir()
    paths["loop"].symlink_to(paths["loop"])
    paths["broken"].symlink_to(folder / "nowhere")
    with open(paths["sparse"], "wb") as fh:
        fh.truncate(3 << 30)
    return paths


def path_cases(folder: Path, out: Path, kind: str) -> list[DataCase]:
    """A direction file or session that is not a regular file."""
    sub = folder / f"paths-{kind}"
    sub.mkdir()
    special = _special_paths(sub)
    say = {"fifo": ["pipe", "fifo"], "folder": ["folder", "directory"], "loop": ["loop"],
           "broken": ["broken"], "sparse": ["mib", "large", "size"]}
    cases = []
    items = [*special.items(), ("devzero", Path("/dev/zero"))]
    say["devzero"] = ["device"]
    for name, path in items:
        cid = f"{kind}-{name}"
        if kind == "session":
            cases.append(DataCase(cid, "paths", "session", path=str(path), names=[path.name],
                                  must_say=say[name]))
        else:
            cases.append(_render(cid, "paths", path, out, must_say=say[name]))
    return cases


def set_cases(folder: Path, out: Path, bases: dict[str, Path]) -> list[DataCase]:
    sub = folder / "sets"
    sub.mkdir()
    cases = []
    made = [(n, m, ".npz", "sets") for n, m in direction_sets()]
    made += [(n, m, ".safetensors", "safetensors")
             for n, m in safetensors_sets(bases["st"].read_bytes())]
    for base, count, seed in (("npz", 36, 1), ("st", 18, 2), ("linear", 24, 3)):
        suffix = bases[base].suffix
        made += [(n, m, suffix, "mutations")
                 for n, m in mutations(bases[base].read_bytes(), base, count, seed)]
    linear = df.linear_set()
    inside = {**df.set_members(linear),
              "model.weight": df.npy(linear.conditional.arrays()["weight"])}
    made += [(n, m, ".npz", "mutations") for n, m in member_mutations(df.set_members(), "npz",
                                                                      45, 5)]
    made += [(n, m, ".npz", "mutations") for n, m in member_mutations(inside, "linear", 40, 6)]
    for name, (data, expect, say), suffix, family in made:
        path = sub / f"{name}{suffix}"
        path.write_bytes(data)
        cases.append(_render(f"set-{name}", family, path, out, expect, say))
    for base in ("npz", "st"):  # valid files whose names are not UTF-8
        path = sub / os.fsdecode(b"\xff\xfe-" + bases[base].name.encode())
        shutil.copy(bases[base], path)
        cases.append(_render(f"non-utf8-name-{base}", "names", path, out, "ok"))
    for name in ("truncated-at-30", "meta-version-string", "linear-steps-1e9"):
        path = sub / f"{name}.npz"
        cases.append(DataCase(f"label-{name}", "sets", "cli", ["label", str(path), "0", "x"],
                              names=[path.name], protected=[str(path)]))
    return cases


def session_cases(folder: Path, bases: dict[str, Path]) -> list[DataCase]:
    sub = folder / "sessions"
    sub.mkdir()
    made = list(sessions()) + list(mutations(bases["session"].read_bytes(), "session", 36, 4))
    cases = []
    for name, (data, expect, say) in made:
        path = sub / f"{name}.json"
        path.write_bytes(data)
        family = "mutations" if "mutation" in name else "sessions"
        cases.append(DataCase(f"session-{name}", family, "session", path=str(path),
                              expect=expect, names=[path.name], must_say=say))
    cases.append(DataCase("session-valid", "sessions", "session", path=str(bases["session"]),
                          expect="ok", names=[bases["session"].name]))
    return cases


def save_cases(folder: Path, bases: dict[str, Path]) -> list[DataCase]:
    """Outputs that a save must not destroy: symlinks, FIFOs, devices, modes, full disks."""
    sub = folder / "saves"
    sub.mkdir()
    target = sub / "kept.png"
    target.write_bytes(b"an old image the user keeps")
    link = sub / "link.png"
    link.symlink_to(target)
    fifo = sub / "out1.png"
    os.mkfifo(fifo)
    private = sub / "private.png"
    private.write_bytes(b"old")
    private.chmod(0o600)
    full = sub / "full.png"
    full.write_bytes(b"the previous image")
    npz = str(bases["npz"])
    base = ["render", REF, "--directions", npz, "--seed", "0", "-o"]
    cases = [
        DataCase("save-symlink", "saves", "cli", [*base, str(link)], names=[link.name],
                 must_say=["symbolic link"], protected=[str(target)],
                 keep_kind={str(link): "symlink"}),
        DataCase("save-fifo", "saves", "cli", [*base, str(fifo)], names=[fifo.name],
                 must_say=["pipe", "fifo"], keep_kind={str(fifo): "fifo"}),
        DataCase("save-private-mode", "saves", "cli", [*base, str(private)], expect="ok",
                 keep_mode={str(private): 0o600}, output=str(private)),
        DataCase("save-full-disk", "saves", "cli", [*base, str(full)], names=[full.name],
                 protected=[str(full)], fsize=2000),
        DataCase("discover-symlink", "saves", "cli",
                 ["discover", REF, "--method", "sefa", "-k", "2", "-o", str(link)],
                 names=[link.name], protected=[str(target)], keep_kind={str(link): "symlink"}),
    ]
    label_copy = sub / "label.npz"
    shutil.copy(bases["npz"], label_copy)
    cases.append(DataCase("label-full-disk", "saves", "cli", ["label", str(label_copy), "0",
                                                              "x" * 5000],
                          names=[label_copy.name], protected=[str(label_copy)], fsize=1000))
    dev = sub / "null.png"
    try:
        os.mknod(dev, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except OSError:
        return cases
    cases.append(DataCase("save-char-device", "saves", "cli", [*base, str(dev)],
                          names=[dev.name], must_say=["device"], keep_kind={str(dev): "chr"}))
    return cases


def argument_cases(out: Path, bases: dict[str, Path]) -> list[DataCase]:
    npz = str(bases["npz"])
    png = str(out / "args.png")
    base = ["render", REF, "--directions", npz, "-o", png]
    seed = ["--seed", "0"]
    rows = [
        ("seed-negative", ["--seed", "-1"], ["seed"]),
        ("seed-2^40", ["--seed", str(2**40)], ["seed"]),
        ("seed-5000-digits", ["--seed", "9" * 5000], ["seed"]),
        ("grid-5000-rows", [*seed, "--grid", ",".join(["0"] * 5000)], ["grid", "rows"]),
        ("edit-alpha-1e308", [*seed, "--edit", "0=1e308"], ["alpha"]),
        ("edit-alpha-inf", [*seed, "--edit", "0=inf"], ["alpha"]),
        ("truncation-1e308", [*seed, "--truncation", "1e308"], ["truncation"]),
        ("strip-alphas-1e308", [*seed, "--strip", "0", "--alphas", "-1e308,1e308,3"],
         ["alpha"]),
        ("scale-1e6", [*seed, "--scale", "1000000"], ["scale"]),
        ("edit-index-5000-digits", [*seed, "--edit", "9" * 5000 + "=1"], ["index"]),
    ]
    return [DataCase(f"arg-{cid}", "arguments", "cli", [*base, *extra], names=[],
                     must_say=say) for cid, extra, say in rows]


def build_cases(folder: Path) -> list[DataCase]:
    out = folder / "out"
    out.mkdir()
    bases = df.write_sets(folder)
    return [*set_cases(folder, out, bases), *path_cases(folder, out, "set"),
            *session_cases(folder, bases), *path_cases(folder, out, "session"),
            *save_cases(folder, bases), *argument_cases(out, bases)]


def run_campaign(folder: Path, pythonpath: str | None = None,
                 timeout_s: float = 20.0) -> dict[str, tuple[DataCase, str, str]]:
    """Case id -> (case, class, stderr) for every case."""
    cases = build_cases(folder)
    was = {c.id: before(c) for c in cases}
    results: dict[str, tuple[DataCase, str, str]] = {}
    outcomes = run_cases([c.spec() for c in cases], timeout_s=timeout_s, pythonpath=pythonpath)
    for case in cases:
        outcome = outcomes[case.id]
        results[case.id] = (case, outcome_class(case, outcome, was[case.id]), outcome.stderr)
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="data_campaign")
    p.add_argument("--pythonpath", help="another guiapp tree to test (before/after)")
    p.add_argument("--show", action="store_true", help="list every case not refused or ok")
    p.add_argument("--families", action="store_true", help="counts per family too")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="guiapp-data-campaign-") as tmp:
        results = run_campaign(Path(tmp), args.pythonpath)
    classes = [cls for _, cls, _ in results.values()]
    print(json.dumps({"cases": len(classes), **tally(classes)}))
    if args.families:
        for family in sorted({case.family for case, _, _ in results.values()}):
            counts = tally(cls for case, cls, _ in results.values() if case.family == family)
            print(family, json.dumps({k: v for k, v in counts.items() if v}))
    if args.show:
        for cid, (case, cls, err) in results.items():
            if cls not in ("refused", "ok"):
                print(f"{cls:12} {case.family:12} {cid}: {' '.join(err.split())[:160]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
