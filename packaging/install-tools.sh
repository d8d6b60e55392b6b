#!/usr/bin/env bash
# Installs the packaging tools: cargo-deb and cargo-generate-rpm from crates.io at pinned
# versions, with --locked so their own dependencies are the versions their authors
# released (a new upstream release cannot change our packages behind our back), plus the
# Debian tools the package checks use (dpkg-deb is always there; rpm reads the .rpm,
# lintian and man-db check content, libxml2-utils parses the policies).
# A tool already installed at the pinned version is kept, so a warm machine needs no
# network; a cold one needs crates.io (about 3 minutes of compiling on 2 cores).
set -euo pipefail
CARGO_DEB_VERSION=3.8.0
CARGO_GENERATE_RPM_VERSION=0.21.1

need_apt=()
command -v rpm >/dev/null || need_apt+=(rpm)
command -v lintian >/dev/null || need_apt+=(lintian)
command -v man >/dev/null || need_apt+=(man-db)
command -v xmllint >/dev/null || need_apt+=(libxml2-utils)
if ((${#need_apt[@]})); then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
    else
        echo "install-tools.sh: please install ${need_apt[*]}" >&2
        exit 1
    fi
fi

# tool version: installed at exactly this version?
have() { command -v "$1" >/dev/null && "$1" --version 2>/dev/null | grep -qw "$2"; }
have cargo-deb "$CARGO_DEB_VERSION" || cargo install --locked --quiet cargo-deb --version "=$CARGO_DEB_VERSION"
have cargo-generate-rpm "$CARGO_GENERATE_RPM_VERSION" ||
    cargo install --locked --quiet cargo-generate-rpm --version "=$CARGO_GENERATE_RPM_VERSION"
echo "install-tools.sh: $(cargo-deb --version), $(cargo-generate-rpm --version)"
