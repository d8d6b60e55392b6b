#!/usr/bin/env bash
# The test command of the README: installs the system packages the test suite needs (when
# run as root on Debian) and runs every test of the crate.
#
# Tests that need ../shared/data or ../shared/traces skip with a printed reason when those
# are absent; TYPEWARDEN_REQUIRE_DATA=1 (set by .ci/run) turns those skips into failures.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests talk to: a real dbus-daemon with python-dbusmock's logind and
# polkitd templates (run by Debian's /usr/bin/python3), strace for the fsync-order check.
PACKAGES=(gcc pkg-config dbus python3-dbusmock strace)
missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
    else
        echo "tests/run.sh: please install: ${missing[*]}" >&2
        exit 1
    fi
fi

if ! command -v cargo >/dev/null; then
    echo "tests/run.sh: cargo not found: install Rust >= 1.85 (rustup, or Debian 13's cargo)" >&2
    exit 1
fi

cargo test --locked "$@"
