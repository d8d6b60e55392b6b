#!/usr/bin/env bash
# Checks systemd/typewarden.service with the installed systemd:
#   1. `systemd-analyze verify` reports nothing (any output on stderr fails the check);
#   2. `systemd-analyze security --offline=true` exposure is at most $MAX_EXPOSURE (1.0).
# verify needs ExecStart= to exist, so it runs on a temporary copy of the unit whose
# ExecStart points at the binary built here (`cargo build --release`, or $TYPEWARDEN_BIN).
set -euo pipefail
cd "$(dirname "$0")/../.."
MAX_EXPOSURE=${MAX_EXPOSURE:-1.0}
UNIT=systemd/typewarden.service

command -v systemd-analyze >/dev/null || { echo "tests/unit/check.sh: systemd-analyze missing (apt-get install systemd)" >&2; exit 1; }
echo "systemd: $(systemd-analyze --version | head -1)"

bin=${TYPEWARDEN_BIN:-}
if [ -z "$bin" ]; then
    cargo build --locked --release --quiet
    bin=$PWD/target/release/typewarden
fi
[ -x "$bin" ] || { echo "FAIL: binary $bin not executable" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed "s|^ExecStart=/usr/bin/typewarden |ExecStart=$bin |" "$UNIT" >"$tmp/typewarden.service"
grep -q "^ExecStart=$bin " "$tmp/typewarden.service" || { echo "FAIL: ExecStart= not rewritten" >&2; exit 1; }

status=0
# --man=no: the man pages are installed by the package, not on this machine.
if ! out=$(systemd-analyze verify --man=no "$tmp/typewarden.service" 2>&1) || [ -n "$out" ]; then
    echo "FAIL: systemd-analyze verify:"
    echo "$out"
    status=1
else
    echo "PASS: systemd-analyze verify is clean"
fi

sec=$(systemd-analyze security --offline=true --no-pager "$UNIT" 2>&1) || true
score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$sec")
if [ -z "$score" ]; then
    echo "FAIL: no exposure score in systemd-analyze output:"
    echo "$sec"
    status=1
else
    echo "$sec" | grep -v '✓' || true
    if awk -v s="$score" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(s <= m) }'; then
        echo "PASS: exposure $score <= $MAX_EXPOSURE"
    else
        echo "FAIL: exposure $score > $MAX_EXPOSURE"
        status=1
    fi
fi
exit $status
