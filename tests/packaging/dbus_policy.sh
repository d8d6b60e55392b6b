#!/usr/bin/env bash
# Exercises packaging/dbus/io.github.typewarden1.conf on a real dbus-daemon running Debian's
# system-bus configuration with only our policy file included (a private socket; the host's
# bus is not touched). A python-dbusmock object owned by root stands in for the daemon: the
# daemon's D-Bus API is not written yet, and the bus policy only looks at names, interfaces
# and message types, which the mock reproduces. An unprivileged caller (nobody) must:
#   - fail to own io.github.typewarden1 (no squatting while the daemon is down);
#   - reach Introspect, Properties.Get and the Manager interface;
#   - be refused Properties.Set and any unlisted interface (the mock's own control API);
#   - receive Manager signals but not Admin signals.
# Needs: dbus, python3-dbusmock, python3-gi, util-linux (setpriv). Debian's /usr/bin/python3.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=/usr/bin/python3
for need in dbus-daemon setpriv; do
    command -v "$need" >/dev/null || { echo "dbus_policy.sh: $need missing (apt-get install dbus util-linux)" >&2; exit 1; }
done
$PY -c 'import dbusmock, gi' 2>/dev/null || { echo "dbus_policy.sh: apt-get install python3-dbusmock python3-gi" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "dbus_policy.sh: must run as root (the policy distinguishes root)" >&2; exit 1; }

tmp=$(mktemp -d)
chmod 755 "$tmp"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT
mkdir "$tmp/system.d"
cp packaging/dbus/io.github.typewarden1.conf "$tmp/system.d/"
sed -e "s|<listen>.*</listen>|<listen>unix:path=$tmp/bus</listen>|" \
    -e '/<user>/d' -e '/<pidfile>/d' -e '/<servicehelper>/d' -e '/<syslog\/>/d' \
    -e "s|<includedir>system.d</includedir>|<includedir>$tmp/system.d</includedir>|" \
    -e '/<includedir>\/etc\/dbus-1\/system.d<\/includedir>/d' \
    -e '/<include ignore_missing="yes">\/etc\/dbus-1\/system/d' \
    /usr/share/dbus-1/system.conf >"$tmp/bus.conf"
dbus-daemon --config-file="$tmp/bus.conf" --nofork --nopidfile &
pids+=($!)
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$tmp/bus
for _ in $(seq 50); do [ -S "$tmp/bus" ] && break; sleep 0.1; done

$PY -m dbusmock --system io.github.typewarden1 /io/github/typewarden1 io.github.typewarden1.Manager &
pids+=($!)
for _ in $(seq 100); do
    busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" status io.github.typewarden1 >/dev/null 2>&1 && break
    sleep 0.1
done
$PY - <<'EOF'
import dbus
o = dbus.SystemBus().get_object("io.github.typewarden1", "/io/github/typewarden1")
m = dbus.Interface(o, "org.freedesktop.DBus.Mock")
m.AddMethod("io.github.typewarden1.Manager", "Status", "", "s", 'ret = "ok"')
m.AddProperty("io.github.typewarden1.Manager", "Mode", "enforce")
EOF

chmod 755 tests/packaging/dbus_policy_client.py
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$PY" tests/packaging/dbus_policy_client.py "$@"; }
as_nobody calls
as_nobody signals &
listener=$!
sleep 2
$PY - <<'EOF'
import dbus
o = dbus.SystemBus().get_object("io.github.typewarden1", "/io/github/typewarden1")
m = dbus.Interface(o, "org.freedesktop.DBus.Mock")
m.EmitSignal("io.github.typewarden1.Admin", "ProfileChanged", "u", [dbus.UInt32(1000)])
m.EmitSignal("io.github.typewarden1.Manager", "StateChanged", "s", ["protected"])
EOF
wait "$listener"
echo "PASS: D-Bus policy behaves as specified"
