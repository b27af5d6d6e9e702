#!/usr/bin/env bash
# Render benchmark: a 20-page PDF to a fax TIFF at fine resolution.
# Runs "faxhaven convert" (PDFium in WebAssembly, then MMR coding) and
# Ghostscript's tiffg4 device (204x196 dpi) on the same document in one run
# and prints pages per second and the ratio. Faxhaven's first run with an
# empty cache includes compiling PDFium; it is reported apart from the warm
# runs.
#
# Usage: bench/render/run.sh [runs]   (default 5 warm runs each)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

command -v gs >/dev/null || { echo "gs not found: install the Debian package ghostscript" >&2; exit 1; }
go build -o "$work/faxhaven" ./cmd/faxhaven
gs -q -dNOPAUSE -dBATCH -dSAFER -sDEVICE=pdfwrite -sOutputFile="$work/doc.pdf" bench/render/doc.ps
pages=20

now() { date +%s.%N; }
rate() { awk -v p="$pages" -v t="$1" 'BEGIN { printf "%.1f", p / t }'; }

# Faxhaven, cold: a fresh cache directory, so PDFium is compiled.
t0=$(now)
"$work/faxhaven" convert --resolution fine --encoding mmr --cache-dir "$work/cache" "$work/doc.pdf" -o "$work/ours.tiff" >/dev/null
t1=$(now)
cold=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')

best_ours=999999
for ((i = 0; i < runs; i++)); do
  t0=$(now)
  "$work/faxhaven" convert --resolution fine --encoding mmr --cache-dir "$work/cache" "$work/doc.pdf" -o "$work/ours.tiff" >/dev/null
  t1=$(now)
  best_ours=$(awk -v a="$t0" -v b="$t1" -v m="$best_ours" 'BEGIN { d = b - a; print (d < m ? d : m) }')
done

best_gs=999999
for ((i = 0; i < runs; i++)); do
  t0=$(now)
  gs -q -dNOPAUSE -dBATCH -dSAFER -sDEVICE=tiffg4 -r204x196 -sOutputFile="$work/gs.tiff" "$work/doc.pdf"
  t1=$(now)
  best_gs=$(awk -v a="$t0" -v b="$t1" -v m="$best_gs" 'BEGIN { d = b - a; print (d < m ? d : m) }')
done

echo "document: $pages pages (A4), fine resolution (204x196), MMR / Group 4 TIFF"
echo "machine: $(nproc) cores, $(uname -m), $(go version | cut -d' ' -f3)"
printf "faxhaven convert, first run (compiles PDFium): %6.2f s  %6s pages/s\n" "$cold" "$(rate "$cold")"
printf "faxhaven convert, warm (best of %d):          %6.2f s  %6s pages/s\n" "$runs" "$best_ours" "$(rate "$best_ours")"
printf "gs -sDEVICE=tiffg4 -r204x196 (best of %d):    %6.2f s  %6s pages/s\n" "$runs" "$best_gs" "$(rate "$best_gs")"
awk -v a="$best_ours" -v b="$best_gs" 'BEGIN { printf "ratio (warm faxhaven speed / gs speed): %.2fx\n", b / a }'
ls -l "$work/ours.tiff" "$work/gs.tiff" | awk '{ printf "output %s: %d bytes\n", $NF ~ /ours/ ? "faxhaven" : "gs", $5 }'
