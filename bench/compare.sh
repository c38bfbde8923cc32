#!/usr/bin/env bash
# `make bench`: quotestance's throughput beside the same encoder work done in
# Python by sentence-transformers on the same MiniLM weights, in one run on
# one machine, and the ratios. Usage: bench/compare.sh [ARTICLES]
# (a file or folder; default: examples). BENCH_SECONDS sets each measurement's length (default 10).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
CACHE="${QUOTESTANCE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/quotestance}"
PY="$CACHE/venv/bin/python"
MODEL="$CACHE/all-minilm-l6-v2"
SECS="${BENCH_SECONDS:-10}"
INPUT="${1:-examples}"

# Versions that run on torch 2.4 (the libtorch we link).
if ! "$PY" -c "import sentence_transformers" 2>/dev/null; then
    echo "bench: installing sentence-transformers into $CACHE/venv" >&2
    "$CACHE/venv/bin/pip" install --quiet "sentence-transformers==3.0.1" "transformers==4.44.2" "tokenizers==0.19.1" \
        || { echo "bench: FAILED: pip install sentence-transformers; check that PyPI is reachable" >&2; exit 1; }
fi

run() { echo "$1" >&2; "${@:2}" | tee /dev/stderr | grep -o '[0-9.]* words/s' | cut -d' ' -f1; }
ours_pipeline=$(run "ours, end to end (int8)" ./target/release/quotestance bench pipeline --seconds "$SECS" --input "$INPUT")
ours_int8=$(run "ours, encoder work (int8)" ./target/release/quotestance bench encoder --seconds "$SECS" --input "$INPUT")
ours_f32=$(run "ours, encoder work (f32)" ./target/release/quotestance bench encoder --precision f32 --seconds "$SECS" --input "$INPUT")
py_fp32=$(run "python, encoder work (fp32)" "$PY" bench/python_encode.py "$MODEL" "$INPUT" --seconds "$SECS")
py_int8=$(run "python, encoder work (int8 dynamic quantization)" "$PY" bench/python_encode.py "$MODEL" "$INPUT" --seconds "$SECS" --int8)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
echo
echo "words/s on $INPUT, ${SECS} s each:"
printf '  %-44s %8s\n' "ours, end to end (int8, default)" "$ours_pipeline" "ours, encoder work (int8, default)" "$ours_int8" \
    "ours, encoder work (f32)" "$ours_f32" "python sentence-transformers (fp32)" "$py_fp32" "python sentence-transformers (int8 dynamic)" "$py_int8"
echo "ratios:"
echo "  encoder work, ours (int8) / python (fp32):      $(ratio "$ours_int8" "$py_fp32")"
echo "  encoder work, ours (f32)  / python (fp32):      $(ratio "$ours_f32" "$py_fp32")"
echo "  encoder work, ours (int8) / python (int8):      $(ratio "$ours_int8" "$py_int8")"
echo "  end to end, ours / python encoder alone (fp32): $(ratio "$ours_pipeline" "$py_fp32")"
