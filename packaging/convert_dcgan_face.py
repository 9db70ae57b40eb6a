"""Convert the DCGAN face generator of PyPI's ``gan-face-generate`` 1.1.1 to a built-in model.

Run once by a maintainer, never at run time::

    pip download --no-deps gan-face-generate==1.1.1 -d /tmp/gfg
    python packaging/convert_dcgan_face.py /tmp/gfg/gan_face_generate-1.1.1-py3-none-any.whl

It reads ``gan_face_generate/weights.tar`` from the wheel with ``torch.load(weights_only=
True)``, writes ``guiapp/resources/models/dcgan-digiface.safetensors``, its model card and the
licence notice, and
records reference images for a few seeds, computed with the package's own ``Generator``
class (imported from the wheel) in inference mode, so tests can prove our generator gives
the same images.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file

NAME = "dcgan-digiface"
PACKAGE, VERSION = "gan-face-generate", "1.1.1"
REFERENCE_SEEDS = [0, 1, 2, 3, 42, 1234]
ROOT = Path(__file__).resolve().parents[1]


def read_wheel(wheel: Path) -> tuple[dict[str, torch.Tensor], str, Path]:
    """The generator state dict, the licence text, and a folder holding the package."""
    with zipfile.ZipFile(wheel) as zf:
        ckpt = torch.load(
            io.BytesIO(zf.read("gan_face_generate/weights.tar")),
            map_location="cpu",
            weights_only=True,
        )
        licence_name = next(n for n in zf.namelist() if n.endswith("LICENSE"))
        licence = zf.read(licence_name).decode()
        tmp = Path(tempfile.mkdtemp())
        zf.extract("gan_face_generate/models.py", tmp)
        (tmp / "gan_face_generate" / "__init__.py").write_text("")
    return ckpt["netG_state_dict"], licence, tmp


def rename(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """``main.<i>.*`` of the Sequential -> ``conv<k>.weight`` / ``bn<k>.*``."""
    out = {}
    conv_idx = [int(k.split(".")[1]) for k in state if k.endswith(".weight") and state[k].ndim == 4]
    for k, seq_idx in enumerate(sorted(conv_idx)):
        out[f"conv{k}.weight"] = state[f"main.{seq_idx}.weight"].contiguous()
        bn = f"main.{seq_idx + 1}"
        if f"{bn}.running_mean" in state:
            for p in ("weight", "bias", "running_mean", "running_var"):
                out[f"bn{k}.{p}"] = state[f"{bn}.{p}"].contiguous()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("wheel", type=Path)
    ap.add_argument("--out", type=Path, default=ROOT / "guiapp" / "resources" / "models")
    args = ap.parse_args()

    state, licence, pkg_dir = read_wheel(args.wheel)
    tensors = rename(state)
    num_blocks = sum(1 for k in tensors if k.startswith("conv"))
    meta = {"guiapp_format": "guiapp-dcgan", "num_blocks": str(num_blocks), "bn_eps": "1e-05"}
    args.out.mkdir(parents=True, exist_ok=True)
    weights = args.out / f"{NAME}.safetensors"
    save_file(tensors, str(weights), metadata=meta)
    sha = hashlib.sha256(weights.read_bytes()).hexdigest()

    # Reference images from the package's own class, in inference mode (running BN stats).
    sys.path.insert(0, str(pkg_dir))
    from gan_face_generate.models import Generator  # type: ignore[import-not-found]

    z_dim = tensors["conv0.weight"].shape[0]
    ngf = tensors["conv0.weight"].shape[1] // 8
    net = Generator(0, 3, z_dim, ngf)
    net.load_state_dict(state)
    net.eval()
    z = np.stack([np.random.RandomState(s).randn(z_dim) for s in REFERENCE_SEEDS])
    with torch.no_grad():
        images = net(torch.from_numpy(z).float()[:, :, None, None]).numpy()
    np.savez_compressed(
        args.out / f"{NAME}.reference.npz",
        seeds=np.array(REFERENCE_SEEDS),
        images=images.astype(np.float32),
    )

    copyright_line = licence.strip().splitlines()[0]
    (args.out / f"{NAME}.LICENSE").write_text(licence, encoding="utf-8")
    card = {
        "name": NAME,
        "title": "DCGAN faces (DigiFace1M), 64x64",
        "weights": weights.name,
        "sha256": sha,
        "source": {
            "package": PACKAGE,
            "version": VERSION,
            "file": "gan_face_generate/weights.tar",
            "homepage": "https://github.com/chien-liu/DCGAN-PyTorch",
        },
        "licence": {"name": "MIT", "copyright": copyright_line, "text": licence},
        "licence_file": f"{NAME}.LICENSE",
        "architecture": (
            f"DCGAN generator: {num_blocks} ConvTranspose2d layers (no bias), "
            "BatchNorm + ReLU after each hidden layer, tanh output"
        ),
        "resolution": int(images.shape[-1]),
        "z_dim": int(z_dim),
        "training_data": "DigiFace1M (Bae et al., WACV 2023): synthetic rendered faces",
        "inference": (
            "BatchNorm uses its running statistics (eval mode). The package's own "
            "script runs the network in training mode, which normalises each "
            "image by its own statistics and gives different, blurrier faces."
        ),
        "reference": f"{NAME}.reference.npz",
        "converter": "packaging/convert_dcgan_face.py",
    }
    (args.out / f"{NAME}.json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {weights} ({weights.stat().st_size} bytes, sha256 {sha})")


if __name__ == "__main__":
    main()
