#!/usr/bin/python3
"""Virtual input devices for the system tier, through /dev/uinput (stdlib only).

  uinput.py pointer RATE SECONDS  a mouse sending RATE events/s (REL_X, REL_Y and SYN_REPORT
                                   frames) for SECONDS; prints the number of events written.
  uinput.py type KEYS INTERVAL_MS a keyboard typing KEYS letter keystrokes, press and release
                                   INTERVAL_MS apart: machine-speed injection (issue check 5).
  uinput.py presses DEVNODE N      reads DEVNODE until N key presses arrived; prints their
                                   kernel timestamps in ms, one per line (typing fidelity).
  uinput.py grab DEVNODE          EVIOCGRAB then release DEVNODE: succeeds only when no other
                                   reader holds a grab (typewarden must never grab; F44).
"""
import fcntl
import os
import struct
import sys
import time

UI_SET_EVBIT, UI_SET_KEYBIT, UI_SET_RELBIT = 0x40045564, 0x40045565, 0x40045566
UI_DEV_SETUP, UI_DEV_CREATE, UI_DEV_DESTROY = 0x405C5503, 0x5501, 0x5502
EVIOCGRAB = 0x40044590
EV_SYN, EV_KEY, EV_REL = 0, 1, 2
REL_X, REL_Y, BTN_LEFT = 0, 1, 0x110
KEY_A_TO_Z = [30, 48, 46, 32, 18, 33, 34, 35, 23, 36, 37, 38, 50, 49, 24, 25, 16, 19, 31, 20, 22, 47, 17, 45, 21, 44]
BUS_VIRTUAL = 0x06


def event(kind, code, value):
    return struct.pack("llHHi", 0, 0, kind, code, value)


def create(name, evbits, keybits=(), relbits=()):
    fd = os.open("/dev/uinput", os.O_WRONLY | os.O_NONBLOCK)
    for bit in evbits:
        fcntl.ioctl(fd, UI_SET_EVBIT, bit)
    for bit in keybits:
        fcntl.ioctl(fd, UI_SET_KEYBIT, bit)
    for bit in relbits:
        fcntl.ioctl(fd, UI_SET_RELBIT, bit)
    setup = struct.pack("HHHH80sI", BUS_VIRTUAL, 0x1234, 0x5678, 1, name.encode(), 0)
    fcntl.ioctl(fd, UI_DEV_SETUP, setup)
    fcntl.ioctl(fd, UI_DEV_CREATE)
    time.sleep(2)  # let udev and readers see the new device before it speaks
    return fd


def pointer(rate, seconds):
    fd = create("tw-test pointer", [EV_SYN, EV_KEY, EV_REL], [BTN_LEFT], [REL_X, REL_Y])
    frame = event(EV_REL, REL_X, 1) + event(EV_REL, REL_Y, -1) + event(EV_SYN, 0, 0)
    tick = 0.01
    per_tick = max(1, round(rate * tick / 3))
    sent, start = 0, time.monotonic()
    while (now := time.monotonic()) - start < seconds:
        due = int((now - start) / tick) + 1
        while sent < due * per_tick * 3:
            os.write(fd, frame * per_tick)
            sent += per_tick * 3
        time.sleep(max(0.0, start + due * tick - time.monotonic()))
    elapsed = time.monotonic() - start
    fcntl.ioctl(fd, UI_DEV_DESTROY)
    print(f"events={sent} seconds={elapsed:.2f} rate={sent / elapsed:.0f}")


def typing(keys, interval_ms):
    fd = create("tw-test injector", [EV_SYN, EV_KEY], KEY_A_TO_Z)
    for i in range(keys):
        code = KEY_A_TO_Z[(i * 7) % len(KEY_A_TO_Z)]
        for value in (1, 0):
            os.write(fd, event(EV_KEY, code, value) + event(EV_SYN, 0, 0))
            time.sleep(interval_ms / 1000)
    time.sleep(1)
    fcntl.ioctl(fd, UI_DEV_DESTROY)
    print(f"keys={keys}")


def presses(node, count):
    fd = os.open(node, os.O_RDONLY)
    seen = []
    while len(seen) < count:
        data = os.read(fd, 24 * 64)
        for off in range(0, len(data), 24):
            sec, usec, kind, _code, value = struct.unpack("llHHi", data[off:off + 24])
            if kind == EV_KEY and value == 1:
                seen.append(sec * 1000 + usec / 1000)
    print("\n".join(f"{t:.3f}" for t in seen[:count]))


def grab(node):
    fd = os.open(node, os.O_RDONLY)
    fcntl.ioctl(fd, EVIOCGRAB, 1)
    fcntl.ioctl(fd, EVIOCGRAB, 0)
    print(f"grabbed and released {node}")


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "pointer":
        pointer(int(args[0]), float(args[1]))
    elif mode == "type":
        typing(int(args[0]), float(args[1]))
    elif mode == "presses":
        presses(args[0], int(args[1]))
    elif mode == "grab":
        grab(args[0])
    else:
        sys.exit(f"unknown mode {mode}")
