#!/usr/bin/env bash
# What the tests need beyond scripts/setup.sh: pyspark in the setup venv (for
# the Spark local-mode test, tests/spark.rs; Spark runs on the machine's Java
# 17), pyarrow (tests/exports.rs reads the Parquet output back with it), and
# Debian's Chromium, for the rendering test of the HTML views
# (tests/html_chromium.rs).
set -euo pipefail
CACHE="${QUOTESTANCE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/quotestance}"
PYSPARK_VERSION=3.5.3
if ! "$CACHE/venv/bin/python" -c "import pyspark" 2>/dev/null; then
    echo "setup-test: installing pyspark==$PYSPARK_VERSION into $CACHE/venv (about 320 MB)" >&2
    "$CACHE/venv/bin/pip" install --quiet "pyspark==$PYSPARK_VERSION" || {
        echo "setup-test: FAILED: pip install pyspark==$PYSPARK_VERSION" >&2
        echo "setup-test: what to do: check that PyPI is reachable, then rerun" >&2
        exit 1
    }
fi
PYARROW_VERSION=17.0.0
if ! "$CACHE/venv/bin/python" -c "import pyarrow" 2>/dev/null; then
    echo "setup-test: installing pyarrow==$PYARROW_VERSION into $CACHE/venv" >&2
    "$CACHE/venv/bin/pip" install --quiet "pyarrow==$PYARROW_VERSION" || {
        echo "setup-test: FAILED: pip install pyarrow==$PYARROW_VERSION" >&2
        echo "setup-test: what to do: check that PyPI is reachable, then rerun" >&2
        exit 1
    }
fi
command -v java >/dev/null 2>&1 || { echo "setup-test: FAILED: no java on PATH; Spark needs Java 8, 11 or 17 (Debian: apt-get install openjdk-17-jre-headless)" >&2; exit 1; }
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then
    exit 0
fi
echo "setup-test: installing Debian's chromium for the HTML rendering test" >&2
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
if ! { $SUDO apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q chromium >/dev/null; }; then
    echo "setup-test: FAILED: could not install chromium with apt-get" >&2
    echo "setup-test: what to do: install Debian's chromium package, or set CHROMIUM to a Chromium binary" >&2
    exit 1
fi
