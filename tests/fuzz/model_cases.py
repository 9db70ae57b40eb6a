"""Hostile and corrupt generator files, written from real valid files by mutation.

:func:`build_cases` writes every file into a folder and returns one
:class:`~tests.fuzz.harness.Case` per file (``guiapp-cli info FILE``). Families: code
payloads (os.system, eval, exec, open, subprocess, nested storages, stored source),
hostile numpy dtypes and arrays, memo and length blow-ups, record loops and DAGs (PyTorch
and TensorFlow), oversized / negative / zero / string / NaN / infinite settings, non-finite
and mismatched weights, torch zip and legacy files with zip bombs, truncated, inflated,
strided and out-of-bounds storages, TorchScript, safetensors headers, truncation at
structural boundaries and bit flips of valid files, and non-regular paths.
"""

from __future__ import annotations

import os
import pickle
import sys
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:  # the fixtures are top-level modules of tests/
    sys.path.insert(0, str(TESTS))

import stylegan3_fixtures as sg3  # noqa: E402
import stylegan_fixtures as sg2  # noqa: E402
import tf_fixtures as tff  # noqa: E402

from tests.fuzz.harness import Case  # noqa: E402
from tests.fuzz.payloads import Reduce, code_payloads, hostile_arrays, raw_pickles  # noqa: E402

SENTINEL = "SENTINEL-code-ran"


class Writer:
    """Collects cases: each ``add`` writes one file and records its expectations."""

    def __init__(self, folder: Path, quick: bool = False) -> None:
        self.folder, self.quick = folder, quick
        self.sentinel = folder / SENTINEL
        self.cases: list[Case] = []

    def pick(self, values: list) -> list:
        """All of ``values``, or every third one (the first included) in quick mode.
        Names keep the index in the full list, so a case has one name in both modes."""
        return list(values)[::3] if self.quick else list(values)

    def path(self, name: str) -> Path:
        return self.folder / name

    def add(self, family: str, name: str, data: bytes | None = None, *,
            expect_refusal: bool | None = True, path: Path | None = None) -> Path:
        target = path or self.path(name)
        if data is not None:
            target.write_bytes(data)
        self.cases.append(Case(id=f"{family}/{name}", argv=["info", os.fsdecode(target)],
                               expect_refusal=expect_refusal, sentinel=str(self.sentinel),
                               names=[os.path.basename(os.fsdecode(target))], family=family))
        return target


# -- NVIDIA PyTorch pickles ---------------------------------------------------------------


def nvidia_bytes(snapshot: Any, protocol: int = 4) -> bytes:
    with sg2._nvidia_module_names():
        return pickle.dumps(snapshot, protocol=protocol)


def g_ema(snapshot: dict) -> dict:
    return snapshot["G_ema"].meta["state"]


def child(state: dict, *names: str) -> dict:
    for name in names:
        state = state["_modules"][name].meta["state"]
    return state


SETTING_VALUES: list[Any] = [0, -1, 10**12, 2**40, "abc", None, float("nan"), float("inf"),
                             1e308, 3, 10**400, [1], {"a": 1}, True]


def _setting_mutations(values: list[tuple[int, Any]]) -> list[tuple[str, Callable[[dict], None]]]:
    """(name, edit) pairs that change one structural setting of a StyleGAN2 snapshot."""
    out: list[tuple[str, Callable[[dict], None]]] = []

    def put(where: tuple[str, ...], key: str, value: Any) -> Callable[[dict], None]:
        def edit(snap: dict) -> None:
            child(g_ema(snap), *where)[key] = value
        return edit

    targets = [((), "z_dim"), ((), "w_dim"), ((), "c_dim"), ((), "img_resolution"),
               ((), "img_channels"), (("mapping",), "num_layers"),
               (("synthesis", "b4"), "architecture"), (("synthesis", "b4", "conv1"), "conv_clamp"),
               (("mapping", "fc0"), "bias_gain"), (("synthesis", "b4", "conv1"), "use_noise")]
    for where, key in targets:
        for i, value in values:
            out.append((f"{'.'.join(where) or 'G'}.{key}={i}", put(where, key, value)))
    return out


def _tensor_mutations() -> list[tuple[str, Callable[[dict], None]]]:
    def params(snap: dict) -> OrderedDict:
        return child(g_ema(snap), "mapping", "fc0")["_parameters"]

    def edit_weight(fn: Callable[[torch.Tensor], Any]) -> Callable[[dict], None]:
        def edit(snap: dict) -> None:
            params(snap)["weight"] = fn(params(snap)["weight"])
        return edit

    def all_nan(snap: dict) -> None:
        for state in _walk_states(g_ema(snap)):
            for group in ("_parameters", "_buffers"):
                for k, v in list((state.get(group) or {}).items()):
                    if isinstance(v, torch.Tensor) and v.is_floating_point():
                        state[group][k] = torch.full_like(v, float("nan"))

    def modules_list(snap: dict) -> None:
        st = child(g_ema(snap), "synthesis")
        st["_modules"] = list(st["_modules"].values())

    def int_name(snap: dict) -> None:
        params(snap)[7] = params(snap).pop("weight")

    return [
        ("weight_nan", edit_weight(lambda w: w * float("nan"))),
        ("weight_inf", edit_weight(lambda w: w + float("inf"))),
        ("all_weights_nan", all_nan),
        ("weight_string", edit_weight(lambda w: "not a tensor")),
        ("weight_wrong_shape", edit_weight(lambda w: torch.zeros(w.shape[0] + 1, w.shape[1]))),
        ("weight_int_dtype", edit_weight(lambda w: w.to(torch.int64))),
        ("weight_zero_stride_huge", edit_weight(lambda w: torch.zeros(1).expand(2**20, 2**12))),
        ("weight_missing", lambda s: params(s).pop("weight")),
        ("modules_list", modules_list),
        ("param_int_name", int_name),
        ("modules_none", lambda s: child(g_ema(s), "synthesis").update(_modules=None)),
        ("state_attr_array", lambda s: g_ema(s).update(z_dim=np.arange(3))),
    ]


def _walk_states(state: dict) -> list[dict]:
    out, todo = [], [state]
    while todo:
        st = todo.pop()
        out.append(st)
        todo.extend(c.meta["state"] for c in (st.get("_modules") or {}).values())
    return out


def nvidia_cases(w: Writer, net: Any) -> None:
    base = sg2.nvidia_snapshot(net)
    w.add("valid", "stylegan2.pkl", nvidia_bytes(base), expect_refusal=False)
    fresh = lambda: sg2.nvidia_snapshot(net)  # noqa: E731
    # A changed setting may be one the loader does not read (exit 0 is right then); a
    # broken or non-finite weight must always be refused.
    settings = _setting_mutations(w.pick(list(enumerate(SETTING_VALUES))))
    for expect, mutations in ((None, settings), (True, _tensor_mutations())):
        for name, edit in mutations:
            snap = fresh()
            try:
                edit(snap)
            except (KeyError, TypeError):
                continue
            w.add("settings", f"sg2-{name}.pkl", nvidia_bytes(snap), expect_refusal=expect)
    for name, payload in code_payloads(w.sentinel).items():
        w.add("code", f"top-{name}.pkl", pickle.dumps(payload, protocol=4))
        snap = fresh()
        g_ema(snap)["z_dim"] = payload
        w.add("code", f"in-state-{name}.pkl", nvidia_bytes(snap))
        blob = pickle.dumps(payload, protocol=2)
        snap = fresh()
        child(g_ema(snap), "mapping", "fc0")["_parameters"]["weight"] = Reduce(
            torch.storage._load_from_bytes, (blob,))
        w.add("code", f"storage-{name}.pkl", nvidia_bytes(snap))
    w.add("code", "stored-source.pkl", nvidia_bytes(sg2.nvidia_snapshot(
        net, sg2.hostile_source(w.sentinel))))
    for name, arr in hostile_arrays().items():
        snap = fresh()
        snap["progress"]["s"] = arr  # never used by the loader: refusing is not required
        w.add("numpy", f"nv-{name}.pkl", nvidia_bytes(snap), expect_refusal=None)
    for name, data in raw_pickles().items():
        w.add("blowup", f"{name}.pkl", data)
    graph_cases(w, fresh)


def graph_cases(w: Writer, fresh: Callable[[], dict]) -> None:
    """Network records that form DAGs (each child listed twice) or loops."""
    snap = fresh()
    leaf = sg2.PersistentStub("Leaf", {"_parameters": OrderedDict(w=torch.ones(1))})
    node = leaf
    for _ in range(40):
        node = sg2.PersistentStub("Node", {"_modules": OrderedDict(a=node, b=node)})
    child(g_ema(snap), "synthesis", "b4")["_modules"]["dag"] = node
    w.add("graph", "record-dag-40.pkl", nvidia_bytes(snap))
    snap = fresh()
    g_ema(snap)["_modules"]["extra"] = node
    w.add("graph", "record-dag-top.pkl", nvidia_bytes(snap))
    for where in ((), ("synthesis",), ("synthesis", "b4", "conv1")):
        snap = fresh()
        state = child(g_ema(snap), *where)
        loop = sg2.PersistentStub("Loop", state)  # shares the state dict: a cycle
        state["_modules"]["loop"] = loop
        w.add("graph", f"record-cycle-{'.'.join(where) or 'G'}.pkl", nvidia_bytes(snap))
    wide = OrderedDict((f"m{i}", sg2.PersistentStub("M", {})) for i in range(30_000))
    snap = fresh()
    child(g_ema(snap), "synthesis")["_modules"].update(wide)
    w.add("graph", "record-30000-children.pkl", nvidia_bytes(snap), expect_refusal=None)


# -- StyleGAN3 ----------------------------------------------------------------------------


def stylegan3_cases(w: Writer) -> None:
    net = sg3.random_generator(sg3.tiny_config())
    path = w.path("stylegan3.pkl")
    sg3.write_nvidia_pickle(path, net)
    w.add("valid", "stylegan3.pkl", expect_refusal=False)
    fresh = lambda: {"G_ema": sg3.generator_record(net)}  # noqa: E731

    def edits() -> list[tuple[str, Callable[[dict], None]]]:
        out = []
        synth = lambda s: s["G_ema"].meta["state"]["_modules"]["synthesis"].meta["state"]  # noqa: E731
        for key in ("num_layers", "num_critical", "img_resolution", "margin_size", "w_dim",
                    "channel_base", "channel_max", "num_fp16_res", "conv_clamp"):
            for i, value in w.pick(list(enumerate([0, -1, 10**6, 2**40, "x", float("nan"),
                                                   float("inf")]))):
                def edit(s: dict, key: str = key, value: Any = value) -> None:
                    synth(s)[key] = value
                    synth(s).setdefault("_init_kwargs", {})[key] = value
                out.append((f"synthesis.{key}={i}", edit))
        for key in ("z_dim", "w_dim", "img_resolution"):
            for i, value in enumerate((0, -1, 10**12, "x")):
                def edit_g(s: dict, key: str = key, value: Any = value) -> None:
                    s["G_ema"].meta["state"][key] = value
                out.append((f"G.{key}={i}", edit_g))
        return out

    for name, edit in edits():
        snap = fresh()
        try:
            edit(snap)
        except (KeyError, TypeError):
            continue
        w.add("settings", f"sg3-{name}.pkl", nvidia_bytes(snap), expect_refusal=None)


# -- TensorFlow pickles -------------------------------------------------------------------


def tf_cases(w: Writer, net: Any) -> None:
    marker = w.sentinel
    base = tff.tf_snapshot(net, marker)
    fresh = lambda: tff.tf_snapshot(net, marker)  # noqa: E731
    w.add("valid", "tf-stylegan2.pkl", tff.write_tf_data(w.path("tf-stylegan2.pkl"), base)
          .read_bytes(), expect_refusal=False)
    values = [0, -1, 10**12, 2**40, 400_000, "abc", None, float("nan"), float("inf"), 1e308,
              [1], True]
    for key in ("latent_size", "dlatent_size", "resolution", "mapping_layers", "fmap_base",
                "fmap_max", "num_channels", "label_size", "conv_clamp", "mapping_lrmul"):
        for i, value in w.pick(list(enumerate(values))):
            data = fresh()
            tff.gs_state(data)["static_kwargs"][key] = value
            w.add("settings", f"tf-{key}={i}.pkl", tf_bytes(data), expect_refusal=None)
    for name, kernel in {"taps-100000": [1.0] * 100_000, "taps-0": [], "taps-zero": [0, 0],
                         "taps-nan": [float("nan")] * 4, "taps-inf": [1, float("inf")],
                         "taps-str": "1331", "taps-huge": [1e308] * 4}.items():
        data = fresh()
        tff.gs_state(data)["static_kwargs"]["resample_kernel"] = kernel
        w.add("settings", f"tf-kernel-{name}.pkl", tf_bytes(data))
    for name, arr in hostile_arrays().items():
        data = fresh()
        tff.component_state(data, "mapping")["variables"][0] = ("Dense0/weight", arr)
        w.add("numpy", f"tf-var-{name}.pkl", tf_bytes(data))
        data = fresh()
        tff.gs_state(data)["static_kwargs"]["resolution"] = arr
        w.add("numpy", f"tf-kwarg-{name}.pkl", tf_bytes(data))
    data = fresh()
    variables = tff.component_state(data, "mapping")["variables"]
    name0, value0 = variables[0]
    variables[0] = (name0, np.full_like(value0, np.nan))
    w.add("settings", "tf-var-nan.pkl", tf_bytes(data))
    # component DAG and loop
    data = fresh()
    node = tff.Network(tff.network_state("n", "G_mapping", {}, [], ""))
    for _ in range(40):
        node = tff.Network(tff.network_state("n", "G_mapping", {}, [], "", {"a": node, "b": node}))
    tff.gs_state(data)["components"]["extra"] = node
    w.add("graph", "tf-component-dag.pkl", tf_bytes(data))
    data = fresh()
    tff.gs_state(data)["components"]["mapping"].state["components"]["loop"] = data[2]
    w.add("graph", "tf-component-cycle.pkl", tf_bytes(data))
    for name, payload in code_payloads(marker).items():
        data = fresh()
        tff.gs_state(data)["static_kwargs"]["latent_size"] = payload
        w.add("code", f"tf-kwarg-{name}.pkl", tf_bytes(data))


def tf_bytes(data: Any) -> bytes:
    with tff.tf_module_names():
        return pickle.dumps(data, protocol=4)


# -- the whole campaign --------------------------------------------------------------------


def build_cases(folder: Path, *, cuts: int = 40, flips: int = 40, seed: int = 14,
                quick: bool = False) -> list[Case]:
    """Write every hostile model file into ``folder``; one case per file.

    ``cuts`` and ``flips`` set how many truncations and bit flips each valid file gets;
    ``quick`` keeps every third setting value and hostile array and a smaller zip bomb
    (the CI test is quick with few cuts and flips, the campaign is not).
    """
    from guiapp.core.models.catalog import find_builtin
    from tests.fuzz import model_cases_files as files

    w = Writer(folder, quick)
    net = sg2.random_generator(sg2.tiny_config())
    nvidia_cases(w, net)
    stylegan3_cases(w)
    tf_cases(w, net)
    files.torch_cases(w, net)
    builtin = find_builtin("builtin:dcgan-digiface")
    assert builtin is not None
    files.safetensors_cases(w, builtin.weights)
    from tests.fuzz.model_cases_pggan import pggan_cases  # hook: pggan

    pggan_cases(w)  # hook: pggan
    from tests.fuzz.model_cases_biggan import biggan_cases  # hook: biggan

    biggan_cases(w)  # hook: biggan
    from tests.fuzz.model_cases_stylegan1 import stylegan1_cases

    stylegan1_cases(w)
    valid = {Path(c.argv[-1]).stem: Path(c.argv[-1]) for c in w.cases if c.family == "valid"}
    files.mutation_cases(w, valid, cuts=cuts, flips=flips, seed=seed)
    files.path_cases(w, valid["stylegan2"], valid["dcgan"])
    return w.cases
