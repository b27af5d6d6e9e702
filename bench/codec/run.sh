#!/usr/bin/env bash
# Benchmarks Faxhaven's fax coders against libtiff, and Faxhaven's
# received-TIFF-to-PDF conversion against tiff2pdf, in one run on the same
# pages. Rates are pages per second of CPU time (the machine may be busy);
# wall-clock rates are printed too.
#
# Usage: bench/codec/run.sh [repetitions]
# Needs: gcc, libtiff-dev, libtiff-tools (tiff2pdf), ghostscript (optional,
# for a rendered document page).
set -euo pipefail
n=${1:-20}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

gcc -O2 -Wall -o "$work/libtiff_bench" "$here/libtiff/bench.c" $(pkg-config --cflags --libs libtiff-4 2>/dev/null || echo -ltiff)

# A realistic document page: text, rules and a grey box, rendered by
# Ghostscript at fine resolution.
if command -v gs >/dev/null; then
  cat >"$work/doc.ps" <<'PS'
%!PS
/Helvetica findfont 11 scalefont setfont
72 740 moveto (Faxhaven benchmark document) show
/Times-Roman findfont 10 scalefont setfont
0 1 55 { /i exch def 72 720 i 12 mul sub moveto
  (Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore.) show } for
2 setlinewidth 72 40 moveto 540 40 lineto stroke
0.6 setgray 400 600 120 80 rectfill
showpage
PS
  gs -q -dNOPAUSE -dBATCH -dSAFER -sDEVICE=pbmraw -r204x196 -g1728x2292 \
    -sOutputFile="$work/doc.pbm" "$work/doc.ps"
fi

cd "$root"
go build -o "$work/codec" ./bench/codec
"$work/codec" -dir "$work" -n "$n" >"$work/ours.txt"
args=()
for name in text halftone document; do
  # The Go side rewrote each page without comments, as the C reader wants.
  [[ -f "$work/$name.pbm" ]] && args+=("$name=$work/$name.pbm")
done
"$work/libtiff_bench" "$n" "${args[@]}" >"$work/libtiff.txt"

echo "t4 coding, A4 fine pages, $n repetitions: pages/s of CPU time, mean and best repetition"
echo "(ratio > 1 means Faxhaven is faster)"
printf '%-10s %-11s %9s %9s %6s   %9s %9s %6s %9s\n' page op fh_mean lt_mean ratio fh_best lt_best ratio bytes
sort "$work/ours.txt" >"$work/a"
sort "$work/libtiff.txt" >"$work/b"
join -j1 <(awk '{print $1"/"$2, $3, $4, $5}' "$work/a") <(awk '{print $1"/"$2, $3, $4, $5}' "$work/b") |
  awk '{split($1, k, "/"); printf "%-10s %-11s %9.1f %9.1f %6.2f   %9.1f %9.1f %6.2f %9d\n", k[1], k[2], $2, $5, $2/$5, $3, $6, $3/$6, $4}'
echo
echo "TIFF to PDF, 10 document pages (Faxhaven pdf.FromTIFF in-process vs the tiff2pdf command)"
"$work/codec" -dir "$work" -n "$n" -mode pdf
