#!/usr/bin/env bash
# The system tier: typewarden's .deb on a real Debian (kernel, udev, dbus, logind,
# journald) booted under QEMU/TCG, driven from the host over QMP and a command channel.
# Each check of issue 7 is a named step with PASS/FAIL/SKIP(reason); see
# tests/system/README.md. Exit status 1 when any step fails.
#
# Environment:
#   TW_DEB=path          use this .deb instead of building one (packaging/build.sh)
#   TW_SYSTEM_CACHE=dir  image cache (default ~/.cache/typewarden-system)
#   TW_ENROLL_KEYS=N     owner keystrokes typed for enrollment (default 600)
#   TW_IMPOSTOR_KEYS=N   impostor keystrokes before giving up on a lock (default 400)
#   TW_ONLY=1.4,1.5      run only these steps (plus boot and install), for debugging
#   TW_KEEP=1            keep the work directory (initrd, state disk, logs) and print it
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
t0=$(date +%s)
phase() { echo "== [$(($(date +%s) - t0)) s] $*"; }

# Host tools. Debian's python3 runs the harness (stdlib only); pyenv shims are avoided.
PACKAGES=(qemu-system-x86 debootstrap cpio e2fsprogs python3)
missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    [ "$(id -u)" = 0 ] || { echo "run.sh: please install ${missing[*]}" >&2; exit 1; }
    phase "apt-get install ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
[ "$(id -u)" = 0 ] || { echo "run.sh: debootstrap needs root" >&2; exit 1; }

deb=${TW_DEB:-}
if [ -z "$deb" ]; then
    phase "package (packaging/build.sh)"
    packaging/install-tools.sh
    deb=$(packaging/build.sh | tail -2 | head -1)
fi
[ -f "$deb" ] || { echo "run.sh: no .deb at $deb" >&2; exit 1; }

phase "image (tests/system/image.sh)"
image=$(tests/system/image.sh)
kernel=$(sed -n 's/^KERNEL=//p' <<<"$image")
initrd=$(sed -n 's/^INITRD=//p' <<<"$image")

phase "overlay and state disk"
work=$(mktemp -d "${TMPDIR:-/tmp}/tw-system.XXXXXX")
[ -n "${TW_KEEP:-}" ] && echo "run.sh: work directory $work" || trap 'rm -rf "$work"' EXIT
ov=$work/overlay
install -d -m 755 "$ov/usr" "$ov/usr/lib" "$ov/usr/lib/tw-test" "$ov/etc" "$ov/etc/systemd" \
    "$ov/etc/systemd/system" "$ov/etc/systemd/system/multi-user.target.wants"
install -m 755 tests/system/guest/{agent.sh,locker.sh,probe.sh,uinput.py} "$ov/usr/lib/tw-test/"
install -m 644 "$deb" "$ov/usr/lib/tw-test/typewarden.deb"
install -m 644 tests/system/guest/tw-agent.service "$ov/etc/systemd/system/"
ln -s /etc/systemd/system/tw-agent.service "$ov/etc/systemd/system/multi-user.target.wants/"
# Appended to the cached image: the kernel unpacks concatenated cpio archives in order.
(cd "$ov" && find . | cpio -o -H newc --quiet) | gzip -1 >"$work/overlay.cpio.gz"
cat "$initrd" "$work/overlay.cpio.gz" >"$work/initrd.img"
truncate -s 64M "$work/state.img"
mkfs.ext4 -q -F -L twstate "$work/state.img"

phase "checks (tests/system/harness.py)"
status=0
/usr/bin/python3 tests/system/harness.py --work "$work" --kernel "$kernel" --initrd "$work/initrd.img" \
    --state "$work/state.img" --samples tests/system/typing --kinds "$root/src/audit/kind.rs" \
    ${TW_ONLY:+--only "$TW_ONLY"} || status=$?
mkdir -p target/system
cp "$work/console.log" target/system/console.log 2>/dev/null || true
phase "done (exit $status); guest console in target/system/console.log"
exit $status
