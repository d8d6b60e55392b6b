#!/bin/bash
# Runs as ExecStart of a copy of typewarden.service (same sandbox, tests/system check 1.4/1.5)
# and prints what that sandbox allows, one "key value" line each, to the journal.
#   probe.sh full   devices, D-Bus, journal, state directory, then a keyboard hot-added
#                   after start (F41) and the udev monitor while it arrives (F42);
#   probe.sh udev   only the udev monitor across a hot-add.
set -u
mode=${1:-full}
events() { ls /dev/input | grep '^event' | sort; }
opens() { dd if="$1" of=/dev/null bs=24 count=0 status=none 2>/dev/null; }

if [ "$mode" = full ]; then
    echo "capeff $(awk '/^CapEff/ { print $2 }' /proc/self/status)"
    for n in $(events); do
        opens "/dev/input/$n" && echo "read-ok $n" || echo "read-denied $n"
        (: >>"/dev/input/$n") 2>/dev/null && echo "write-ok $n"
    done
    # PrivateDevices=yes: no /dev/uinput and no disks in the private /dev at all.
    if [ -e /dev/uinput ]; then (: >>/dev/uinput) 2>/dev/null && echo "uinput-ok" || echo "uinput-denied"; else echo "uinput-absent"; fi
    ls /dev/vd* /dev/sd* /dev/mem >/dev/null 2>&1 && echo "disk-visible"
    busctl --system call org.freedesktop.login1 /org/freedesktop/login1 \
        org.freedesktop.login1.Manager ListSessions >/dev/null 2>&1 && echo "dbus-ok" || echo "dbus-failed"
    echo probe | systemd-cat -t tw-probe && echo "journal-ok"
    touch "$STATE_DIRECTORY/probe" 2>/dev/null && rm -f "$STATE_DIRECTORY/probe" && echo "state-ok"
    touch /etc/tw-probe 2>/dev/null && echo "etc-writable"
    [ -n "$(ls -A /home 2>/dev/null)" ] && echo "home-visible"
fi

before=$(events)
udevadm monitor --udev --subsystem-match=input >/tmp/udev.log 2>&1 &
monitor=$!
echo "waiting-for-hotplug"
new=""
for _ in $(seq 1 120); do
    new=$(comm -13 <(echo "$before") <(events))
    [ -n "$new" ] && break
    sleep 0.5
done
sleep 3
for n in $new; do
    if [ "$mode" = full ]; then opens "/dev/input/$n" && echo "hotplug-read-ok $n" || echo "hotplug-read-denied $n"; fi
done
kill "$monitor"
grep '^UDEV *\[' /tmp/udev.log | sed 's/^UDEV *\[[0-9.]*\] */udev-event /'
echo "udev-events $(grep -c '^UDEV *\[' /tmp/udev.log)"
echo "probe-done"
