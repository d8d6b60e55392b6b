#!/usr/bin/env bash
# Builds target/debian/typewarden_*.deb (cargo-deb) and target/generate-rpm/typewarden-*.rpm
# (cargo-generate-rpm) from one release build. Generated assets go to target/packaging/:
# shell completions (`typewarden completions SHELL`), the commented default configuration
# and gzip'd man pages for the rpm (cargo-deb compresses its own).
# Tools: packaging/install-tools.sh. Prints the two package paths on the last two lines.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in cargo-deb cargo-generate-rpm; do
    command -v "$tool" >/dev/null || { echo "build.sh: $tool missing: run packaging/install-tools.sh" >&2; exit 1; }
done

cargo build --locked --release
bin=target/release/typewarden
gen=target/packaging
rm -rf "$gen" && mkdir -p "$gen"

# Packaged binary without debug sections (the build keeps line tables for local backtraces).
strip --strip-unneeded -o "$gen/typewarden" "$bin"
"$bin" completions bash >"$gen/typewarden.bash"
"$bin" completions zsh >"$gen/_typewarden"
"$bin" completions fish >"$gen/typewarden.fish"

# /etc/typewarden/typewarden.toml: the reference text with every setting commented out, so
# the built-in defaults apply (and change with upgrades) until the admin sets a key.
{
    echo "# /etc/typewarden/typewarden.toml: installed with every setting commented out, so the"
    echo "# built-in defaults below apply. Uncomment and change what your site needs, or put"
    echo "# overrides in /etc/typewarden/typewarden.toml.d/*.toml. See typewarden.toml(5)."
    echo "#"
    sed -E 's/^([^#[:space:]])/#\1/' src/config/defaults.toml
} >"$gen/typewarden.toml"
"$bin" check-config "$gen/typewarden.toml" >/dev/null ||
    { echo "build.sh: the generated typewarden.toml does not pass check-config" >&2; exit 1; }

for page in typewarden.8 typewarden.toml.5; do
    gzip -9n <"packaging/man/$page" >"$gen/$page.gz"
done

mkdir -p target/debian target/generate-rpm
cargo deb --no-build --locked --output target/debian/ >&2
cargo generate-rpm --output target/generate-rpm/ >&2
ls -1 target/debian/typewarden_*.deb | tail -1
ls -1 target/generate-rpm/typewarden-*.rpm | tail -1
