#!/usr/bin/env bash
# Installs the packaging tools: cargo-deb and cargo-generate-rpm (crates.io, --locked so
# their own dependency versions are the ones their authors tested), plus the Debian tools
# the package checks use (dpkg-deb is always there; rpm reads the .rpm; lintian is optional).
set -euo pipefail
need_apt=()
command -v rpm >/dev/null || need_apt+=(rpm)
command -v lintian >/dev/null || need_apt+=(lintian)
if ((${#need_apt[@]})) && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi
for tool in cargo-deb cargo-generate-rpm; do
    command -v "$tool" >/dev/null || cargo install --locked "$tool"
done
