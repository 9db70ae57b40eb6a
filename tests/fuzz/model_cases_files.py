"""Hostile torch files, safetensors files, mutations of valid files (truncation at
structural boundaries, bit flips) and non-regular paths, for :mod:`tests.fuzz.model_cases`."""

from __future__ import annotations

import io
import json
import os
import pickle
import pickletools
import random
import warnings
import zipfile
from pathlib import Path
from typing import Any

import stylegan_fixtures as sg2
import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from tests.fuzz.payloads import code_payloads


def torch_bytes(obj: Any, zip_format: bool = True) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf, _use_new_zipfile_serialization=zip_format)
    return buf.getvalue()


def rezip(data: bytes, edit: Any) -> bytes:
    """Rewrite a zip archive member by member through ``edit(name, bytes) -> (bytes, method)``
    (None drops the member)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            result = edit(info.filename, src.read(info))
            if result is None:
                continue
            body, method = result
            dst.writestr(zipfile.ZipInfo(info.filename), body, compress_type=method)
    return out.getvalue()


def torch_cases(w: Any, net: Any) -> None:
    sd = sg2.rosinality_state_dict(net)
    ckpt = {"g_ema": sd, "latent_avg": net.mapping.w_avg.clone()}
    valid = torch_bytes(ckpt)
    w.add("valid", "rosinality.pt", valid, expect_refusal=False)
    w.add("valid", "rosinality-legacy.pt", torch_bytes(ckpt, False), expect_refusal=False)
    key = "style.1.weight"

    def with_tensor(t: torch.Tensor) -> dict:
        return {"g_ema": {**sd, key: t}, "latent_avg": ckpt["latent_avg"]}

    for fmt, zf in (("zip", True), ("legacy", False)):
        w.add("storage", f"{fmt}-zero-stride.pt",
              torch_bytes(with_tensor(torch.zeros(1).expand(2**16, 2**16)), zf))
        w.add("storage", f"{fmt}-overlap.pt",
              torch_bytes(with_tensor(torch.zeros(64).as_strided((32, 32), (1, 1))), zf))
        w.add("storage", f"{fmt}-nan.pt", torch_bytes(with_tensor(sd[key] * float("nan")), zf))
        w.add("storage", f"{fmt}-shape.pt", torch_bytes(with_tensor(torch.zeros(3, 5)), zf))
        w.add("storage", f"{fmt}-string.pt", torch_bytes({**ckpt, "g_ema": {**sd, key: "x"}}, zf))
        for name, payload in code_payloads(w.sentinel).items():
            w.add("code", f"{fmt}-{name}.pt", torch_bytes({"g_ema": payload}, zf))
    big = torch.zeros(2**24 if w.quick else 2**28 // 4 * 3)  # 64 or 768 MiB, deflated tiny
    bomb_src = torch_bytes({"g_ema": {**sd, key: big}, "latent_avg": ckpt["latent_avg"]})
    del big

    def deflate_all(name: str, body: bytes) -> tuple[bytes, int]:
        return body, zipfile.ZIP_DEFLATED

    w.add("zip", "zip-bomb.pt", rezip(bomb_src, deflate_all))
    del bomb_src
    w.add("zip", "zip-deflated.pt", rezip(valid, deflate_all))

    def cut_storage(name: str, body: bytes) -> tuple[bytes, int]:
        return (body[:8] if "/data/" in name else body), zipfile.ZIP_STORED

    w.add("storage", "zip-truncated-storage.pt", rezip(valid, cut_storage))

    def torchscript(name: str, body: bytes) -> tuple[bytes, int]:
        return body, zipfile.ZIP_STORED

    buf = io.BytesIO(rezip(valid, torchscript))
    with zipfile.ZipFile(buf, "a") as zf:
        prefix = zf.namelist()[0].split("/")[0]
        zf.writestr(f"{prefix}/code/__torch__/model.py", "def forward(self, x):\n    return x\n")
        zf.writestr(f"{prefix}/constants.pkl", pickle.dumps(()))
    w.add("zip", "torchscript.pt", buf.getvalue())
    real_ts = io.BytesIO()
    with warnings.catch_warnings():  # torch.jit is deprecated; such files still exist
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), real_ts)
    w.add("zip", "torchscript-real.pt", real_ts.getvalue())
    legacy = torch_bytes(ckpt, False)
    w.add("storage", "legacy-cut-storage.pt", legacy[: len(legacy) - 100])
    # the declared element count of the last storage inflated to 2**40
    inflated = bytearray(legacy)
    last = _legacy_last_storage_header(legacy)
    inflated[last : last + 8] = (2**40).to_bytes(8, "little")
    w.add("storage", "legacy-inflated-count.pt", bytes(inflated))
    w.add("zip", "not-torch.zip", _plain_zip())
    w.add("zip", "zip-empty.zip", _empty_zip())


def _legacy_last_storage_header(data: bytes) -> int:
    """Offset of the 8-byte count in front of the last storage of a legacy torch file."""
    # the storages follow the key list in key order, each an 8-byte count and its bytes
    keys = pickle.loads(data[_pickle_offsets(data)[4] :])
    pos = _pickle_offsets(data)[5]
    header = pos
    for _ in keys:
        header = pos
        count = int.from_bytes(data[pos : pos + 8], "little")
        pos += 8 + count * _elem_size(data)
    return header


def _elem_size(data: bytes) -> int:
    return 4  # every storage of our checkpoints is float32


def _pickle_offsets(data: bytes) -> list[int]:
    """Start offsets of the first six pickles of a legacy torch file (the 6th is the data)."""
    f = io.BytesIO(data)
    out = [0]
    for _ in range(5):
        for _op in pickletools.genops(f):
            pass
        out.append(f.tell())
    return out


def _plain_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.txt", "hello")
    return buf.getvalue()


def _empty_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w"):
        pass
    return buf.getvalue()


# -- safetensors (the built-in format) ------------------------------------------------------


def safetensors_cases(w: Any, valid_path: Path) -> None:
    data = valid_path.read_bytes()
    w.add("valid", "dcgan.safetensors", data, expect_refusal=False)
    tensors = st_load(data)
    header_len = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + header_len])
    meta = header["__metadata__"]

    def saved(t: dict, m: dict) -> bytes:
        return st_save(t, metadata=m)

    for key, values in {"num_blocks": ["0", "-1", "1000", "nan", "1e999", "x", "5.5"],
                        "bn_eps": ["nan", "inf", "-1", "x", "1e999"],
                        "guiapp_format": ["other", ""]}.items():
        for i, value in enumerate(values):
            w.add("settings", f"st-{key}-{i}.safetensors", saved(tensors, {**meta, key: value}))
    first = "conv0.weight"
    variants = {
        "nan": tensors[first] * float("nan"),
        "inf": tensors[first] + float("inf"),
        "shape": torch.zeros(7, 3, 4, 4),
        "latent-0": torch.zeros(0, 512, 4, 4),
        "int": tensors[first].to(torch.int32),
        "half": tensors[first].half(),
    }
    for name, t in variants.items():
        w.add("settings", f"st-weight-{name}.safetensors", saved({**tensors, first: t}, meta),
              expect_refusal=None if name == "half" else True)
    smaller = {k: v for k, v in tensors.items() if k != "bn0.running_var"}
    w.add("settings", "st-missing-tensor.safetensors", saved(smaller, meta))
    w.add("settings", "st-extra-tensor.safetensors", saved({**tensors, "x": torch.ones(2)}, meta))
    running_var = {**tensors, "bn0.running_var": -torch.ones(512)}
    w.add("settings", "st-negative-variance.safetensors", saved(running_var, meta))
    w.add("header", "st-header-huge.safetensors", (2**62).to_bytes(8, "little") + data[8:])
    w.add("header", "st-header-len-past-end.safetensors",
          (len(data)).to_bytes(8, "little") + data[8:])
    for i, cut in enumerate(sorted({0, 1, 7, 8, 9, 8 + header_len // 2, 7 + header_len,
                                     8 + header_len, 8 + header_len + 1, len(data) // 2,
                                     len(data) - 1})):
        w.add("truncate", f"st-cut-{i}.safetensors", data[:cut])
    bad = dict(header)
    name0 = next(k for k in bad if k != "__metadata__")
    for i, offsets in enumerate(([0, 2**50], [100, 0], [0, 4], [-4, 4])):
        h = json.loads(json.dumps(header))
        h[name0]["data_offsets"] = offsets
        w.add("header", f"st-offsets-{i}.safetensors", _with_header(h, data, header_len))
    h = json.loads(json.dumps(header))
    h[name0]["shape"] = [2**40, 2**40]
    w.add("header", "st-shape-huge.safetensors", _with_header(h, data, header_len))
    h = json.loads(json.dumps(header))
    h[name0]["dtype"] = "F64"
    w.add("header", "st-dtype.safetensors", _with_header(h, data, header_len))
    nested = b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    w.add("header", "st-nested-json.safetensors",
          len(nested).to_bytes(8, "little") + nested + data[8 + header_len :])


def _with_header(header: dict, data: bytes, header_len: int) -> bytes:
    body = json.dumps(header).encode()
    body += b" " * (-len(body) % 8)
    return len(body).to_bytes(8, "little") + body + data[8 + header_len :]


# -- mutations of valid files ---------------------------------------------------------------


def pickle_boundaries(data: bytes, count: int, seed: int) -> list[int]:
    """``count`` opcode offsets of a pickle, spread over the file (always the first few)."""
    offsets = [pos for _op, _arg, pos in pickletools.genops(io.BytesIO(data))]
    rng = random.Random(seed)
    chosen = set(offsets[:4]) | set(rng.sample(offsets, min(count, len(offsets))))
    return sorted(chosen)


def zip_boundaries(data: bytes) -> list[int]:
    """Local headers, data starts and the central directory of a zip archive."""
    zf = zipfile.ZipFile(io.BytesIO(data))
    out = {0, 4, 30}
    for info in zf.infolist():
        out |= {info.header_offset, info.header_offset + 30, info.header_offset + 31}
    central = data.rfind(b"PK\x01\x02", 0, len(data))
    end = data.rfind(b"PK\x05\x06")
    out |= {central, central + 10, end, end + 10, len(data) - 1}
    return sorted(p for p in out if 0 <= p < len(data))


def mutation_cases(w: Any, valid: dict[str, Path], *, cuts: int, flips: int, seed: int) -> None:
    """Truncations at structural boundaries and seeded bit flips of each valid file."""
    rng = random.Random(seed)
    for label, path in valid.items():
        data = path.read_bytes()
        if data[:2] == b"PK":
            points = zip_boundaries(data)
        elif data[:1] == b"\x80":
            points = pickle_boundaries(data, cuts, seed)
        else:
            points = sorted(rng.sample(range(len(data)), min(cuts, len(data))))
        for pos in points[: cuts + 8]:
            w.add("truncate", f"{label}-cut-{pos}{path.suffix}", data[:pos])
        for i in range(flips):
            flipped = bytearray(data)
            for _ in range(rng.choice((1, 2, 8))):
                at = rng.randrange(len(flipped)) if rng.random() < 0.5 else rng.randrange(
                    min(len(flipped), 4096))
                flipped[at] ^= 1 << rng.randrange(8)
            w.add("bitflip", f"{label}-flip-{i}{path.suffix}", bytes(flipped),
                  expect_refusal=None)


def path_cases(w: Any, valid: Path, valid_safetensors: Path) -> None:
    """FIFOs, devices, folders, symlink loops, missing files, names that are not UTF-8."""
    fifo = w.path("model-fifo.pkl")
    os.mkfifo(fifo)
    w.add("path", "model-fifo.pkl", path=fifo)
    w.add("path", "zero-device", path=Path("/dev/zero"))
    w.add("path", "null-device", path=Path("/dev/null"))
    folder = w.path("a-folder.pkl")
    folder.mkdir()
    w.add("path", "a-folder.pkl", path=folder)
    loop = w.path("loop.pkl")
    os.symlink(loop, loop)
    w.add("path", "loop.pkl", path=loop)
    dangling = w.path("dangling.pkl")
    os.symlink(w.path("nowhere"), dangling)
    w.add("path", "dangling.pkl", path=dangling)
    w.add("path", "empty.pkl", b"")
    w.add("path", "text.pkl", b"hello, not a model\n")
    for source, raw_name in ((valid, b"model-\xff\xfe.pkl"), (valid_safetensors, b"caf\xe9.st")):
        raw = os.fsencode(w.folder) + b"/" + raw_name
        with open(raw, "wb") as fh:
            fh.write(source.read_bytes())
        w.add("path", f"non-utf8-{source.suffix[1:]}", path=Path(os.fsdecode(raw)),
              expect_refusal=False)
    link = w.path("link-to-valid.pkl")
    os.symlink(valid, link)
    w.add("path", "link-to-valid.pkl", path=link, expect_refusal=False)
