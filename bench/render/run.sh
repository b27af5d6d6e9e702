#!/usr/bin/env bash
# Render benchmark: a 20-page PDF to a fax TIFF at fine resolution.
#
# Runs "faxhaven convert" (PDFium in WebAssembly, then MMR coding) and
# Ghostscript's tiffg4 device (204x196 dpi) on the same document in one run
# and prints pages per second for each and the ratio, by wall-clock time and
# by CPU time (user + system; fairer on a shared machine). Faxhaven's first
# run with an empty cache includes compiling PDFium and is reported apart
# from the warm runs.
#
# Usage: bench/render/run.sh [runs]          (default 5 warm runs each)
#        FAXHAVEN=/path/to/faxhaven bench/render/run.sh   (use a built binary)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

command -v gs >/dev/null || { echo "gs not found: install the Debian package ghostscript" >&2; exit 1; }
bin=${FAXHAVEN:-}
if [[ -z $bin ]]; then
  bin=$work/faxhaven
  go build -o "$bin" ./cmd/faxhaven
fi
gs -q -dNOPAUSE -dBATCH -dSAFER -sDEVICE=pdfwrite -sOutputFile="$work/doc.pdf" bench/render/doc.ps
pages=20

# measure CMD...: prints "wall cpu" in seconds.
measure() {
  local TIMEFORMAT='%R %U %S' t
  t=$( { time "$@" >/dev/null 2>&1; } 2>&1 )
  awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }' <<<"$t"
}
# best FILE: the smallest wall and the smallest CPU time of the lines.
best() { sort -n -k1 "$1" | head -1 | cut -d' ' -f1; sort -n -k2 "$1" | head -1 | cut -d' ' -f2; }
rate() { awk -v p="$pages" -v t="$1" 'BEGIN { printf "%.1f", p / t }'; }

ours=(convert --resolution fine --encoding mmr --cache-dir "$work/cache" "$work/doc.pdf" -o "$work/ours.tiff")
read -r cold_wall cold_cpu < <(measure "$bin" "${ours[@]}")
: >"$work/ours.t"
: >"$work/gs.t"
for ((i = 0; i < runs; i++)); do
  measure "$bin" "${ours[@]}" >>"$work/ours.t"
  measure gs -q -dNOPAUSE -dBATCH -dSAFER -sDEVICE=tiffg4 -r204x196 -sOutputFile="$work/gs.tiff" "$work/doc.pdf" >>"$work/gs.t"
done
{ read -r ow; read -r oc; } < <(best "$work/ours.t")
{ read -r gw; read -r gc; } < <(best "$work/gs.t")

echo "document: $pages A4 pages of text, rules and a chart (bench/render/doc.ps); fine resolution (204x196); MMR / Group 4 TIFF"
echo "machine: $(nproc) cores, $(uname -m), $(go version | cut -d' ' -f3), $(gs --version | sed 's/^/Ghostscript /')"
printf "%-44s %8s %10s %8s %10s\n" "" "wall s" "pages/s" "CPU s" "pages/CPU-s"
printf "%-44s %8.2f %10s %8.2f %10s\n" "faxhaven convert, first run (compiles PDFium)" "$cold_wall" "$(rate "$cold_wall")" "$cold_cpu" "$(rate "$cold_cpu")"
printf "%-44s %8.2f %10s %8.2f %10s\n" "faxhaven convert, warm (best of $runs)" "$ow" "$(rate "$ow")" "$oc" "$(rate "$oc")"
printf "%-44s %8.2f %10s %8.2f %10s\n" "gs -sDEVICE=tiffg4 -r204x196 (best of $runs)" "$gw" "$(rate "$gw")" "$gc" "$(rate "$gc")"
awk -v ow="$ow" -v gw="$gw" -v oc="$oc" -v gc="$gc" \
  'BEGIN { printf "ratio faxhaven/gs speed: %.2fx by wall clock, %.2fx by CPU time\n", gw / ow, gc / oc }'
printf "output bytes: faxhaven %d, gs %d\n" "$(stat -c %s "$work/ours.tiff")" "$(stat -c %s "$work/gs.tiff")"
