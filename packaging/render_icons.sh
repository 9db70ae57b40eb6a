#!/usr/bin/env bash
# Render the application icon's PNG sizes from its SVG (needs rsvg-convert: apt librsvg2-bin).
# Run by a maintainer after changing the SVG; the PNGs are committed as package data.
set -euo pipefail
cd "$(dirname "$0")/../guiapp/resources/icons"
for size in 16 24 32 48 64 128 256; do
  rsvg-convert -w "$size" -h "$size" org.guiapp.Guiapp.svg -o "org.guiapp.Guiapp-$size.png"
done
