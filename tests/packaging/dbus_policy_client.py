#!/usr/bin/python3
"""The unprivileged side of tests/packaging/dbus_policy.sh (run as nobody).

  calls    owning the name fails; allowed calls get through; refused ones get AccessDenied
  signals  within 6 s, a Manager signal arrives and no Admin signal does
Exits non-zero with a message on the first violation.
"""
import sys

import dbus
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

NAME, PATH = "io.github.typewarden1", "/io/github/typewarden1"
DENIED = "org.freedesktop.DBus.Error.AccessDenied"


def fail(msg):
    sys.exit(f"FAIL: {msg}")


def denied(call):
    try:
        call()
    except dbus.DBusException as e:
        return e.get_dbus_name() == DENIED
    return False


def calls():
    bus = dbus.SystemBus()
    if not denied(lambda: bus.request_name(NAME)):
        fail("an unprivileged user could own the bus name")
    obj = bus.get_object(NAME, PATH, introspect=False)
    obj.Introspect(dbus_interface="org.freedesktop.DBus.Introspectable")
    if dbus.Interface(obj, f"{NAME}.Manager").Status() != "ok":
        fail("Manager.Status did not reach the service")
    props = dbus.Interface(obj, "org.freedesktop.DBus.Properties")
    props.Get(f"{NAME}.Manager", "Mode")
    if not denied(lambda: props.Set(f"{NAME}.Manager", "Mode", "monitor")):
        fail("Properties.Set was not refused")
    if not denied(lambda: dbus.Interface(obj, "org.freedesktop.DBus.Mock").GetCalls()):
        fail("an unlisted interface was reachable")
    print("PASS: name not ownable; Introspect, Properties.Get, Manager allowed; Set and others refused")


def signals():
    DBusGMainLoop(set_as_default=True)
    bus = dbus.SystemBus()
    got = []
    bus.add_signal_receiver(lambda *a, **k: got.append(k["iface"]), sender_keyword="sender",
                            interface_keyword="iface", path=PATH)
    loop = GLib.MainLoop()
    GLib.timeout_add_seconds(6, loop.quit)
    loop.run()
    if f"{NAME}.Admin" in got:
        fail("an Admin signal reached an unprivileged user")
    if f"{NAME}.Manager" not in got:
        fail(f"the Manager signal did not arrive (got {got})")
    print("PASS: Manager signal received, Admin signal withheld")


if __name__ == "__main__":
    {"calls": calls, "signals": signals}[sys.argv[1]]()
