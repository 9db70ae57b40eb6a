#!/usr/bin/env bash
# Build the one-folder desktop bundle dist/guiapp/ with PyInstaller, then smoke-test it
# offscreen from another directory: list and render the built-in model, save PNGs, run each
# method briefly, and open the window on the built-in model until its first image.
# Prints the bundle's size and the seconds from launch to the window's first image.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
python -c "import PyInstaller, av" 2>/dev/null || python -m pip install -q -e ".[bundle,video]"
start=$SECONDS
python -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller packaging/guiapp.spec
bundle=$root/dist/guiapp
ln -sfn guiapp "$bundle/guiapp-cli"  # the same executable runs the CLI under this name
echo "built $bundle in $((SECONDS - start)) s: $(du -sh "$bundle" | cut -f1)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
export QT_QPA_PLATFORM=offscreen GUIAPP_CONFIG_DIR="$tmp/config"
unset GUIAPP_RESOURCES PYTHONPATH
"$bundle/guiapp-cli" --version
"$bundle/guiapp-cli" models | grep -q "builtin:dcgan-digiface"
"$bundle/guiapp-cli" render builtin:dcgan-digiface --seed 1 -o face.png
for method in sefa ganspace latentclr; do
  extra=()
  [ "$method" = latentclr ] && extra=(--iterations 3 --batch 4)
  "$bundle/guiapp-cli" discover builtin:dcgan-digiface --method "$method" -k 3 \
    "${extra[@]}" -o "$method.npz" --no-progress >/dev/null
  "$bundle/guiapp-cli" render builtin:dcgan-digiface --seed 1 --directions "$method.npz" \
    --edit 0=2 -o "edited-$method.png"
done
# the extras the bundle carries: MP4 through PyAV, photo projection (LPIPS weights, face crop)
"$bundle/guiapp-cli" render builtin:dcgan-digiface --seed 1 --directions sefa.npz \
  --animate 0 --alphas -3,3,8 -o walk.mp4
"$bundle/guiapp-cli" project builtin:dcgan-digiface face.png --steps 5 -o projected.npz \
  --no-progress >/dev/null
"$bundle/guiapp-cli" render builtin:dcgan-digiface --latent projected.npz -o projected.png
python - <<'PY'
from pathlib import Path

from PIL import Image

for path in sorted(Path().glob("*.png")):
    with Image.open(path) as im:
        im.load()
        assert im.size == (64, 64), (path, im.size)
print("PNGs decode:", ", ".join(p.name for p in sorted(Path().glob("*.png"))))
PY
for run in cold warm; do
  seconds=$(GUIAPP_T0=$(date +%s.%N) "$bundle/guiapp" --no-restore --benchmark-startup \
    2>"$tmp/window.log") || { cat "$tmp/window.log"; exit 1; }
  [ -n "$seconds" ] || { echo "the window showed no image"; cat "$tmp/window.log"; exit 1; }
  echo "window ($run start): first image after $seconds s"
done
echo "bundle smoke test passed; bundle size $(du -sh "$bundle" | cut -f1)"
