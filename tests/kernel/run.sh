#!/usr/bin/env bash
# Kernel test tier: boots Debian's kernel under qemu (TCG) with a busybox initramfs, loads
# evdev and uinput, and runs the kernel_* test binaries against real uinput devices and
# qemu's virtio keyboard/mouse. Results come back over the serial console.
#
# Usage: tests/kernel/run.sh            (from anywhere; needs root for apt-get)
# Env:   TYPEWARDEN_KERNEL_CACHE  cache dir for the kernel package (default ~/.cache/typewarden-kernel)
#        TYPEWARDEN_KERNEL_TIMEOUT seconds before qemu is killed (default 900)
# Exit:  0 only if every kernel test passed inside the guest.
#
# The guest has no udevd: the manager's inotify fallback is what runs there; the udev
# netlink path is exercised by a test that plays udevd (see tests/kernel_hotplug.rs).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${TYPEWARDEN_KERNEL_CACHE:-$HOME/.cache/typewarden-kernel}
TIMEOUT=${TYPEWARDEN_KERNEL_TIMEOUT:-900}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$CACHE"

log() { echo "kernel-tier: $*" >&2; }

# 1. Host tools.
need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
[ -x /bin/busybox ] && /bin/busybox --list | grep -qx cpio || need+=(busybox-static)
if [ ${#need[@]} -gt 0 ]; then
    log "installing ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# 2. Debian's kernel, cached by package name (the name changes with each ABI bump).
PKG=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
if [ -z "$PKG" ]; then
    apt-get update -qq
    PKG=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
fi
KDIR="$CACHE/$PKG"
if [ ! -f "$KDIR/done" ]; then
    log "downloading $PKG"
    rm -rf "$KDIR" && mkdir -p "$KDIR/deb"
    (cd "$KDIR/deb" && apt-get download -qq -o APT::Sandbox::User=root "$PKG")
    dpkg-deb -x "$KDIR"/deb/*.deb "$KDIR/root"
    rm -rf "$KDIR/deb"
    touch "$KDIR/done"
fi
VMLINUZ=$(ls "$KDIR"/root/boot/vmlinuz-*)
MODDIR=$(ls -d "$KDIR"/root/lib/modules/*)

# 3. Test binaries (release: the measured figures should describe optimised code).
log "building test binaries"
cd "$ROOT"
cargo build --release --quiet --bin typewarden
mapfile -t TESTS < <(cargo test --release --no-run --test kernel_reader --test kernel_hotplug --test kernel_measure --message-format=json 2>/dev/null |
    sed -n 's/.*"executable":"\([^"]*\/deps\/kernel_[^"]*\)".*/\1/p')
[ ${#TESTS[@]} -eq 3 ] || { log "could not build the kernel test binaries"; exit 1; }

# 4. Initramfs: busybox, modules, binaries and their shared libraries.
IR="$WORK/root"
mkdir -p "$IR"/{bin,dev,proc,sys,tmp,run,modules,tests}
cp /bin/busybox "$IR/bin/busybox"
cp target/release/typewarden "$IR/bin/typewarden"
for t in "${TESTS[@]}"; do cp "$t" "$IR/tests/$(basename "$t" | sed 's/-[0-9a-f]*$//')"; done
for bin in "$IR"/bin/typewarden "$IR"/tests/*; do
    ldd "$bin" | grep -o '/[^ ]*' | while read -r lib; do
        mkdir -p "$IR$(dirname "$lib")" && cp -nL "$lib" "$IR$lib"
    done
done
MODS="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_input evdev uinput"
for m in $MODS; do
    f=$(find "$MODDIR" -name "$m.ko*" | head -1)
    [ -n "$f" ] || continue # built in
    case "$f" in
        *.xz) xz -dc "$f" >"$IR/modules/$m.ko" ;;
        *.zst) zstd -qdc "$f" >"$IR/modules/$m.ko" ;;
        *) cp "$f" "$IR/modules/$m.ko" ;;
    esac
done
cat >"$IR/init" <<EOF
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev; mount -t tmpfs tmp /tmp
for m in $MODS; do [ -f /modules/\$m.ko ] && insmod /modules/\$m.ko; done
for i in \$(seq 50); do [ -e /dev/uinput ] && break; sleep 0.1; done
export TYPEWARDEN_KERNEL_TIER=1 TYPEWARDEN_BIN=/bin/typewarden RUST_BACKTRACE=1
rc=0
echo "=== typewarden devices"
/bin/typewarden devices || rc=1
for t in /tests/*; do
    echo "=== \$t"
    \$t --test-threads=1 --nocapture || rc=1
done
echo "TYPEWARDEN-KERNEL-EXIT \$rc"
poweroff -f
EOF
chmod +x "$IR/init"
(cd "$IR" && find . | /bin/busybox cpio -o -H newc 2>/dev/null | gzip -1) >"$WORK/initramfs.gz"

# 5. Boot. The serial console carries the test output.
log "booting $(basename "$VMLINUZ") under qemu (TCG)"
OUT="$WORK/console.log"
set +e
timeout "$TIMEOUT" qemu-system-x86_64 -accel tcg -smp 2 -m 1024 -nographic -no-reboot \
    -kernel "$VMLINUZ" -initrd "$WORK/initramfs.gz" \
    -append "console=ttyS0 panic=-1 quiet loglevel=3" \
    -device virtio-keyboard-pci -device virtio-mouse-pci </dev/null >"$OUT" 2>&1
qrc=$?
set -e
cp "$OUT" "$CACHE/last-console.log"
tr -d '\r' <"$OUT" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1bc//g' | sed -n '/^=== /,$p' | grep -Ev '^\s*$' || true
if grep -q 'TYPEWARDEN-KERNEL-EXIT 0' "$OUT"; then
    log "all kernel tests passed"
    exit 0
fi
[ $qrc -eq 124 ] && log "qemu timed out after ${TIMEOUT}s"
grep -q 'TYPEWARDEN-KERNEL-EXIT' "$OUT" || tail -40 "$OUT" >&2
log "FAILED"
exit 1
