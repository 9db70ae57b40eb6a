#!/usr/bin/env bash
# Build the wheel, install it (not editable) into a fresh virtual environment, and from
# another directory list the built-in models, render one to PNG and open the window
# offscreen for one render. A file missing from the wheel fails here. Called by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
start=$SECONDS

# Build from a copy of the files git sees (tracked and new, not ignored), so a stale build/
# folder cannot put into the wheel a file the checkout no longer has.
mkdir "$tmp/src"
git ls-files -z -co --exclude-standard | while IFS= read -r -d '' f; do
  [ -f "$f" ] && printf '%s\0' "$f"
done | xargs -0 cp --parents -t "$tmp/src"
python -m pip wheel -q --no-deps -w "$tmp/dist" "$tmp/src" >"$tmp/build.log" 2>&1 \
  || { cat "$tmp/build.log"; exit 1; }
wheel=$(ls "$tmp"/dist/guiapp-*.whl)
echo "wheel: $(basename "$wheel") ($(du -k "$wheel" | cut -f1) kB)"

python -m venv "$tmp/venv"
# torch==2.13.0: the CPU build (on disk here); the other dependencies come from the index.
"$tmp/venv/bin/python" -m pip install -q "$wheel" torch==2.13.0 >"$tmp/install.log" 2>&1 \
  || { cat "$tmp/install.log"; exit 1; }

mkdir "$tmp/elsewhere"
cd "$tmp/elsewhere"
export QT_QPA_PLATFORM=offscreen GUIAPP_CONFIG_DIR="$tmp/config"
unset GUIAPP_RESOURCES
"$tmp/venv/bin/python" - "$src" <<'PY'
import sys
from pathlib import Path

import guiapp

where = Path(guiapp.__file__).resolve()
assert Path(sys.argv[1]).resolve() not in where.parents, f"guiapp imported from the source: {where}"
print(f"guiapp imported from {where.parent}")
PY
"$tmp/venv/bin/guiapp-cli" models | grep -q "builtin:dcgan-digiface"
"$tmp/venv/bin/guiapp-cli" render builtin:dcgan-digiface --seed 1 -o face.png
"$tmp/venv/bin/python" -c "
from PIL import Image
im = Image.open('face.png'); im.load()
assert im.size == (64, 64), im.size
print('face.png decodes:', im.size, im.mode)"
# package data beyond the built-in model: BigGAN's class names, the LPIPS weights (from the
# stlpips-pytorch dependency) and the face detector's cascade that photo projection reads
"$tmp/venv/bin/python" -c "
from guiapp.core.models.biggan.classes import imagenet_class_names
assert len(imagenet_class_names()) == 1000"
"$tmp/venv/bin/guiapp-cli" project builtin:dcgan-digiface face.png --steps 3 -o face.npz \
  --no-progress >/dev/null
"$tmp/venv/bin/guiapp-cli" render builtin:dcgan-digiface --latent face.npz -o projected.png
seconds=$(GUIAPP_T0=$(date +%s.%N) "$tmp/venv/bin/guiapp" --no-restore --benchmark-startup \
  2>"$tmp/window.log") || { cat "$tmp/window.log"; exit 1; }
[ -n "$seconds" ] || { echo "the window showed no image"; cat "$tmp/window.log"; exit 1; }
echo "window: first image after ${seconds} s"
echo "wheel smoke test passed in $((SECONDS - start)) s"
