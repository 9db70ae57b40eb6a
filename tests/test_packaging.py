"""What an installed guiapp needs ships inside the package: the built-in model, its card and
licence notice, and the icon, found through importlib.resources and present in a built wheel;
the launcher files agree with the package and pass the freedesktop validators."""

from __future__ import annotations

import configparser
import hashlib
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from importlib.resources import files
from pathlib import Path

import pytest
from PIL import Image

from guiapp import cli
from guiapp.core.models.catalog import DEFAULT_MODEL, find_builtin
from guiapp.core.package_data import APP_ID, ICON_SIZES, icon_files, resources_dir

ROOT = Path(__file__).resolve().parents[1]
LINUX = ROOT / "packaging" / "linux"
MODEL_FILES = ("dcgan-digiface.safetensors", "dcgan-digiface.json", "dcgan-digiface.LICENSE",
               "dcgan-digiface.reference.npz")


def test_model_card_and_licence_are_package_data(monkeypatch):
    monkeypatch.delenv("GUIAPP_RESOURCES", raising=False)
    models = files("guiapp") / "resources" / "models"
    for name in MODEL_FILES:
        assert models.joinpath(name).is_file(), name
    assert resources_dir() == Path(str(files("guiapp") / "resources"))
    model = find_builtin(DEFAULT_MODEL)
    assert model is not None and model.weights.is_relative_to(Path(str(models)))
    licence = models.joinpath(model.card["licence_file"]).read_text(encoding="utf-8")
    assert licence == model.card["licence"]["text"]
    assert licence.startswith("Copyright (c) 2023, chien liu")


def test_resources_override_that_lacks_models_is_one_clear_cli_line(tmp_path, monkeypatch,
                                                                     capsys):
    monkeypatch.setenv("GUIAPP_RESOURCES", str(tmp_path))
    assert cli.main(["models"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert str(tmp_path / "models") in err and "GUIAPP_RESOURCES" in err


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    """A wheel built by pip (build isolation, the declared setuptools) from a clean copy of the
    sources, so no stale build folder can add a file the checkout lacks."""
    work = tmp_path_factory.mktemp("wheel")
    src = work / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "guiapp", src / "guiapp",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                           "-w", str(work / "dist"), str(src)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    (built,) = (work / "dist").glob("guiapp-*.whl")
    return built


def test_wheel_holds_every_module_the_model_and_the_icon(wheel):
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        card = json.loads(zf.read("guiapp/resources/models/dcgan-digiface.json"))
        weights = zf.read(f"guiapp/resources/models/{card['weights']}")
    for name in MODEL_FILES:
        assert f"guiapp/resources/models/{name}" in names
    assert hashlib.sha256(weights).hexdigest() == card["sha256"]
    assert f"guiapp/resources/models/{card['licence_file']}" in names
    icons = {f"guiapp/resources/icons/{p.name}" for p in icon_files()}
    assert len(icons) == 1 + len(ICON_SIZES) and icons <= names
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "guiapp").rglob("*.py")}
    assert modules - names == set()
    assert "guiapp/py.typed" in names


def test_wheel_metadata_names_licence_authors_and_entry_points(wheel):
    with zipfile.ZipFile(wheel) as zf:
        info = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        dist_info = info.rsplit("/", 1)[0]
        metadata = zf.read(info).decode()
        entry_points = zf.read(f"{dist_info}/entry_points.txt").decode()
        licences = {n for n in zf.namelist() if n.startswith(f"{dist_info}/licenses/")}
    assert "License-Expression: MIT" in metadata.splitlines()
    assert "Author: The guiapp maintainers" in metadata.splitlines()
    assert "Classifier: Topic :: Multimedia :: Graphics" in metadata.splitlines()
    assert {f"{dist_info}/licenses/LICENSE",
            f"{dist_info}/licenses/guiapp/resources/models/dcgan-digiface.LICENSE"} <= licences
    assert "guiapp-cli = guiapp.cli:main" in entry_points
    assert "guiapp = guiapp.app:main" in entry_points


def test_icon_pngs_have_the_size_their_name_says():
    pngs = [p for p in icon_files() if p.suffix == ".png"]
    assert icon_files()[-1].name == f"{APP_ID}.svg"
    assert len(pngs) == len(ICON_SIZES)
    for path in pngs:
        with Image.open(path) as im:
            size = int(path.stem.rsplit("-", 1)[1])
            assert im.size == (size, size) and im.mode == "RGBA", path.name


WINDOW_ICON_PROBE = """
import json, sys
from PySide6.QtWidgets import QApplication
from guiapp import app
code = app.main(["--no-restore", "--benchmark-startup"])
qapp = QApplication.instance()
sizes = sorted({s.width() for s in qapp.windowIcon().availableSizes()})
print(json.dumps({"code": code, "sizes": sizes, "desktop": qapp.desktopFileName()}))
"""


def test_window_started_by_app_main_carries_the_icon_and_desktop_id(tmp_path):
    # Its own process: app.main runs and quits the QApplication, which the tests share.
    env = {**os.environ, "GUIAPP_CONFIG_DIR": str(tmp_path), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", WINDOW_ICON_PROBE], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    first_image, result = done.stdout.strip().splitlines()[-2:]
    assert float(first_image) > 0  # --benchmark-startup printed the seconds to the first image
    result = json.loads(result)
    assert result["code"] == 0
    assert set(ICON_SIZES) <= set(result["sizes"])
    assert result["desktop"] == APP_ID


def _desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # keys are case-sensitive
    parser.read(LINUX / f"{APP_ID}.desktop", encoding="utf-8")
    return parser["Desktop Entry"]


def test_launcher_and_metainfo_name_the_app_its_icon_and_categories():
    entry = _desktop_entry()
    assert entry["Exec"].split()[0] == "guiapp"
    assert entry["Icon"] == APP_ID
    assert entry["Categories"].rstrip(";").split(";")[:3] == [
        "Graphics", "2DGraphics", "RasterGraphics"]
    meta = ET.parse(LINUX / f"{APP_ID}.metainfo.xml").getroot()
    assert meta.findtext("id") == APP_ID
    assert meta.findtext("launchable") == f"{APP_ID}.desktop"
    assert meta.findtext("project_license") == "MIT"
    categories = [c.text for c in meta.iter("category")]
    assert categories == ["Graphics", "2DGraphics", "RasterGraphics"]


@pytest.mark.parametrize("command", [
    ["desktop-file-validate", f"{APP_ID}.desktop"],
    ["appstreamcli", "validate", "--no-net", f"{APP_ID}.metainfo.xml"],
])
def test_launcher_files_pass_the_freedesktop_validators(command):
    if shutil.which(command[0]) is None:
        pytest.skip(f"{command[0]} is not installed (apt: desktop-file-utils, appstream)")
    done = subprocess.run(command, cwd=LINUX, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
