#!/usr/bin/env bash
# Package the bundle built by build_bundle.sh as a .deb (dist/guiapp_VERSION_amd64.deb):
# the bundle in /usr/lib/guiapp, guiapp and guiapp-cli in /usr/bin, launcher, metainfo and
# icons in /usr/share. Then unpacks it into a temporary folder and runs its guiapp-cli.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' pyproject.toml)
stage=$root/build/deb/guiapp_${version}_amd64
rm -rf "$stage"
DESTDIR=$stage bash packaging/install_desktop.sh /usr
install -D -m 644 /dev/stdin "$stage/usr/share/doc/guiapp/copyright" <<COPYRIGHT
guiapp $version

$(cat LICENSE)

The built-in face model (/usr/lib/guiapp/_internal/guiapp/resources/models) is converted
from the PyPI package gan-face-generate 1.1.1, under the MIT licence:

$(cat guiapp/resources/models/dcgan-digiface.LICENSE)

The bundle also holds Python, PyTorch, Qt (PySide6) and other libraries under their own
licences; their licence files are in /usr/lib/guiapp/_internal.
COPYRIGHT
mkdir -p "$stage/DEBIAN"
cat > "$stage/DEBIAN/control" <<CONTROL
Package: guiapp
Version: $version
Architecture: amd64
Maintainer: The guiapp maintainers
Section: graphics
Priority: optional
Installed-Size: $(du -sk "$stage/usr" | cut -f1)
Depends: libc6 (>= 2.36), libgl1, libegl1, libwayland-client0, libwayland-cursor0, libwayland-egl1
Description: find and use interpretable directions in a GAN's latent space
 guiapp opens a pretrained GAN (a built-in face model or your own generator file),
 finds interpretable directions in its latent space with GANSpace, SeFa or LatentCLR,
 and edits images along them live. The guiapp-cli command does the same headless.
CONTROL
mkdir -p dist
deb=$root/dist/guiapp_${version}_amd64.deb
dpkg-deb --root-owner-group -Zgzip --build "$stage" "$deb"
echo "built $deb ($(du -h "$deb" | cut -f1))"

check=$(mktemp -d)
trap 'rm -rf "$check"' EXIT
dpkg-deb -x "$deb" "$check"
"$check/usr/bin/guiapp-cli" models | grep -q "builtin:dcgan-digiface"
echo "the unpacked package's guiapp-cli lists the built-in model"
