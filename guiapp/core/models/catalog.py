"""The built-in models shipped as package data in ``guiapp/resources/models`` (weights,
model card, licence notice), without torch, so the window can list them before any model
code is imported."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from guiapp.core.package_data import resources_dir

BUILTIN_PREFIX = "builtin:"
DEFAULT_MODEL = "builtin:dcgan-digiface"
__all__ = ["BUILTIN_PREFIX", "DEFAULT_MODEL", "BuiltinModel", "builtin_models", "file_sha256",
           "find_builtin", "resources_dir"]


@dataclass(frozen=True)
class BuiltinModel:
    """A model shipped in ``guiapp/resources/models``: its weights and its model card."""

    name: str
    weights: Path
    card: dict

    @property
    def ref(self) -> str:
        return BUILTIN_PREFIX + self.name


def builtin_models() -> list[BuiltinModel]:
    models_dir = resources_dir() / "models"
    found = []
    for card_path in sorted(models_dir.glob("*.json")):
        card = json.loads(card_path.read_text(encoding="utf-8"))
        if "weights" not in card:
            continue
        found.append(BuiltinModel(card["name"], models_dir / card["weights"], card))
    return found


def find_builtin(name: str) -> BuiltinModel | None:
    name = name.removeprefix(BUILTIN_PREFIX)
    return next((m for m in builtin_models() if m.name == name), None)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
