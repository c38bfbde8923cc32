#!/usr/bin/env bash
# Peak resident memory and time of `classify` on one long article: copies of
# a seed article joined into one text of SIZE bytes (default 4 MB), measured
# by /usr/bin/time -v (Debian package `time`).
set -euo pipefail
cd "$(dirname "$0")/.."
size="${1:-4000000}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - "$size" "$tmp/long.txt" <<'PY'
import sys
size, out = int(sys.argv[1]), sys.argv[2]
seed = open("examples/seed-kerry-iran-bbc.txt").read()
text = "\n\n".join([seed] * (size // len(seed) + 1))[:size]
open(out, "w").write(text)
PY
/usr/bin/time -v ./target/release/quotestance classify "$tmp/long.txt" 2> "$tmp/time.txt" > "$tmp/out.jsonl"
quotes=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['quotes']))" "$tmp/out.jsonl")
peak=$(awk -F': ' '/Maximum resident/ {printf "%.0f", $2/1024}' "$tmp/time.txt")
wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$tmp/time.txt")
echo "classify, one article of $size bytes: peak resident memory $peak MB, $wall wall clock, $quotes quotes"
