#!/usr/bin/env bash
# What the tests need beyond scripts/setup.sh: Debian's Chromium, for the
# rendering test of the HTML views (tests/html_chromium.rs).
set -euo pipefail
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
