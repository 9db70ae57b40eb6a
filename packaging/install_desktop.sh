#!/usr/bin/env bash
# Install the bundle built by build_bundle.sh as a desktop app: the bundle under
# PREFIX/lib/guiapp, guiapp and guiapp-cli in PREFIX/bin, the launcher, the AppStream
# metainfo and the icons under PREFIX/share. PREFIX defaults to ~/.local (this user only);
# DESTDIR stages the files elsewhere (build_deb.sh uses it).
#   bash packaging/install_desktop.sh [PREFIX]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
prefix=${1:-$HOME/.local}
dest=${DESTDIR:-}$prefix
bundle=$root/dist/guiapp
id=org.guiapp.Guiapp
icons=$root/guiapp/resources/icons
[ -x "$bundle/guiapp" ] || { echo "no bundle at $bundle: run packaging/build_bundle.sh" >&2; exit 2; }

mkdir -p "$dest/lib" "$dest/bin" "$dest/share/applications" "$dest/share/metainfo" \
  "$dest/share/icons/hicolor/scalable/apps"
rm -rf "$dest/lib/guiapp"
cp -a "$bundle" "$dest/lib/guiapp"
ln -sfn ../lib/guiapp/guiapp "$dest/bin/guiapp"
ln -sfn ../lib/guiapp/guiapp-cli "$dest/bin/guiapp-cli"
install -m 644 "$here/linux/$id.desktop" "$dest/share/applications/$id.desktop"
install -m 644 "$here/linux/$id.metainfo.xml" "$dest/share/metainfo/$id.metainfo.xml"
install -m 644 "$icons/$id.svg" "$dest/share/icons/hicolor/scalable/apps/$id.svg"
for png in "$icons/$id"-*.png; do
  size=${png##*-}; size=${size%.png}
  install -D -m 644 "$png" "$dest/share/icons/hicolor/${size}x${size}/apps/$id.png"
done
if [ -z "${DESTDIR:-}" ]; then
  command -v update-desktop-database >/dev/null && update-desktop-database -q "$dest/share/applications" || true
  echo "installed guiapp into $prefix (make sure $prefix/bin is on your PATH)"
fi
