#!/usr/bin/env bash
# Builds (or finds in the cache) the guest of the system tier: a minimal Debian with systemd,
# udev, dbus, logind and journald, packed whole as a gzip'd newc initramfs, plus Debian's own
# kernel. Prints two lines: KERNEL=<path> and INITRD=<path>.
#
# Everything comes from this machine's apt sources (the mirror and suite are read from
# /etc/apt/sources.list{,.d/*}); nothing is hard-coded. The result is cached under
# $TW_SYSTEM_CACHE (~/.cache/typewarden-system) keyed on the suite, mirror, package list,
# kernel package version and this script's own text, so a change to any of them rebuilds.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${TW_SYSTEM_CACHE:-$HOME/.cache/typewarden-system}

# What the checks need in the guest: systemd/udev/dbus/logind/journald, libpam-systemd (no
# logind session without it), python3 (the uinput and injection helper), libglib2.0-bin
# (gdbus: the test locker, which must subscribe as an unprivileged user), procps (ps),
# polkitd (as on a thin client with a desktop: logind and typewarden ask it).
PACKAGES=systemd,systemd-sysv,dbus,udev,kmod,libpam-systemd,polkitd,python3,libglib2.0-bin,procps
# Modules the guest loads: input core pieces, the virtio keyboard, the state disk.
MODULES="evdev uinput virtio_input virtio_blk ext4"

suite=$(. /etc/os-release && echo "${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}")

# The first main-archive URI serving $suite, from one-line and deb822 sources.
mirror() {
    local f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -r "$f" ] || continue
        awk -v s="$suite" '$1 == "deb" { for (i = 2; i < NF; i++) if ($i !~ /^\[/ && $(i+1) == s) { print $i; exit } }' "$f"
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -r "$f" ] || continue
        awk -v s="$suite" 'BEGIN { RS = ""; FS = "\n" }
            { uri = ""; ok = 0
              for (i = 1; i <= NF; i++) {
                if ($i ~ /^URIs:/) { split($i, a, /[ \t]+/); uri = a[2] }
                if ($i ~ /^Suites:/) { n = split($i, b, /[ \t]+/); for (j = 2; j <= n; j++) if (b[j] == s) ok = 1 }
              }
              if (ok && uri != "") { print uri; exit } }' "$f"
    done
}
MIRROR=$(mirror | head -1)
[ -n "$MIRROR" ] || { echo "image.sh: no apt source serves $suite" >&2; exit 1; }

kpkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
kver=$(apt-cache policy "$kpkg" | awk '/Candidate:/ { print $2 }')
[ -n "$kpkg" ] && [ -n "$kver" ] || { echo "image.sh: no linux-image package (apt-get update?)" >&2; exit 1; }

key=$(printf '%s\n' "$suite" "$MIRROR" "$PACKAGES" "$MODULES" "$kpkg=$kver" "$(cat "$0")" | sha256sum | cut -c1-16)
out=$cache/$key
if [ -s "$out/base.cpio.gz" ] && [ -s "$out/vmlinuz" ]; then
    echo "image.sh: cached $out" >&2
    echo "KERNEL=$out/vmlinuz"
    echo "INITRD=$out/base.cpio.gz"
    exit 0
fi

for tool in debootstrap cpio; do
    command -v "$tool" >/dev/null || { echo "image.sh: $tool missing (apt-get install debootstrap cpio)" >&2; exit 1; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/tw-image.XXXXXX")
trap 'rm -rf "$work"' EXIT
start=$(date +%s)

echo "image.sh: kernel $kpkg $kver" >&2
(cd "$work" && apt-get download -q "$kpkg=$kver" >&2)
dpkg-deb -x "$work"/linux-image-*.deb "$work/kernel"
kdir=$(ls -d "$work"/kernel/lib/modules/*/ | head -1)
krel=$(basename "$kdir")

echo "image.sh: debootstrap $suite from $MIRROR" >&2
root=$work/root
debootstrap --variant=minbase --include="$PACKAGES" "$suite" "$root" "$MIRROR" >"$work/debootstrap.log" 2>&1 ||
    { tail -30 "$work/debootstrap.log" >&2; exit 1; }

# Only the modules the guest needs (and what they depend on, found by depmod below).
mkdir -p "$root/lib/modules/$krel/kernel"
for sub in drivers/virtio drivers/block/virtio_blk.ko drivers/input fs/ext4 fs/jbd2 fs/mbcache.ko lib crypto arch; do
    [ -e "$kdir/kernel/$sub" ] || continue
    mkdir -p "$root/lib/modules/$krel/kernel/$(dirname "$sub")"
    cp -a "$kdir/kernel/$sub" "$root/lib/modules/$krel/kernel/$sub"
done
cp -a "$kdir"/modules.builtin* "$kdir"/modules.order "$root/lib/modules/$krel/" 2>/dev/null || true
chroot "$root" depmod "$krel"
printf '%s\n' $MODULES >"$root/etc/modules-load.d/typewarden-test.conf"

# Guest configuration. The state directory lives on a virtio disk labelled twstate so a
# profile can survive a power cut (the root file system is the initramfs, lost each boot).
echo tw-guest >"$root/etc/hostname"
chroot "$root" passwd -qd root
chroot "$root" useradd -m -u 1000 -s /bin/bash alice
echo 'LABEL=twstate /var/lib/typewarden ext4 defaults,nofail,x-systemd.device-timeout=30s 0 2' >>"$root/etc/fstab"
mkdir -p "$root/etc/systemd/logind.conf.d"
# No autovt getty may take tty2, where the test session lives.
printf '[Login]\nNAutoVTs=0\nReserveVT=0\n' >"$root/etc/systemd/logind.conf.d/typewarden-test.conf"
for t in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer; do
    ln -sf /dev/null "$root/etc/systemd/system/$t"
done
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/usr/share/doc/* \
    "$root"/usr/share/locale/* "$root"/usr/share/info/*

mkdir -p "$out.tmp"
cp "$work"/kernel/boot/vmlinuz-* "$out.tmp/vmlinuz"
(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 >"$out.tmp/base.cpio.gz"
rm -rf "$out" && mv "$out.tmp" "$out"
echo "image.sh: built $out in $(($(date +%s) - start)) s ($(du -sh "$out/base.cpio.gz" | cut -f1))" >&2
echo "KERNEL=$out/vmlinuz"
echo "INITRD=$out/base.cpio.gz"
