"""The guest machine of the system tier: QEMU (TCG), its QMP socket and the command agent.

One VM object is one boot. The root file system is the initramfs (fresh every boot); only
the state disk (a raw ext4 image labelled twstate, mounted at /var/lib/typewarden) persists
across boots, which is what the power-cut check relies on. The QEMU process is ours: it is
stopped by its PID (QMP quit, then SIGKILL), never by name.
"""
import base64
import json
import os
import select
import signal
import socket
import subprocess
import time


class GuestError(Exception):
    pass


class Channel:
    """A line-oriented stream socket with deadlines."""

    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def send(self, data):
        self.sock.sendall(data)

    def readline(self, deadline, dead):
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or dead():
                return None
            ready, _, _ = select.select([self.sock], [], [], min(left, 1.0))
            if ready:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return None
                self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return line.decode(errors="replace")


class VM:
    def __init__(self, workdir, kernel, initrd, state_img, log):
        self.workdir, self.kernel, self.initrd, self.state_img = workdir, kernel, initrd, state_img
        self.log = log
        self.proc = None
        self.qmp_file = self.agent_file = None
        self.next_id = 0
        self.boot_seconds = None

    def start(self, boot_timeout=300):
        qmp_path = os.path.join(self.workdir, "qmp.sock")
        agent_path = os.path.join(self.workdir, "agent.sock")
        for p in (qmp_path, agent_path):
            if os.path.exists(p):
                os.unlink(p)
        console = os.path.join(self.workdir, "console.log")
        cmd = [
            "qemu-system-x86_64", "-accel", "tcg", "-smp", "2", "-m", "2048",
            "-kernel", self.kernel, "-initrd", self.initrd,
            "-append", "console=ttyS0 rdinit=/lib/systemd/systemd panic=-1 systemd.show_status=0 loglevel=4",
            "-display", "none", "-monitor", "none", "-nic", "none", "-no-reboot",
            "-serial", f"file:{console}",
            "-chardev", f"socket,id=agent,path={agent_path},server=on,wait=off",
            "-serial", "chardev:agent",
            "-qmp", f"unix:{qmp_path},server=on,wait=off",
            "-drive", f"file={self.state_img},if=virtio,format=raw,cache=writeback",
            "-device", "virtio-keyboard-pci,id=kb0",
        ]
        started = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)
        self.qmp_file = self._connect(qmp_path)
        self._qmp_read()  # greeting
        self.qmp("qmp_capabilities")
        self.agent_file = self._connect(agent_path)
        deadline = started + boot_timeout
        while True:
            line = self._readline(self.agent_file, deadline)
            if line.strip() == "TWAGENT READY":
                break
        self.boot_seconds = time.monotonic() - started
        return self.boot_seconds

    def _connect(self, path, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise GuestError(f"qemu exited with {self.proc.returncode}")
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(path)
                return Channel(s)
            except OSError:
                if time.monotonic() > deadline:
                    raise GuestError(f"cannot connect to {path}")
                time.sleep(0.2)

    def _readline(self, channel, deadline):
        line = channel.readline(deadline, lambda: self.proc.poll() is not None)
        if line is None:
            raise GuestError("guest did not answer in time")
        return line

    def _qmp_read(self, timeout=30):
        return json.loads(self._readline(self.qmp_file, time.monotonic() + timeout))

    def qmp(self, command, **arguments):
        msg = {"execute": command}
        if arguments:
            msg["arguments"] = arguments
        self.qmp_file.send(json.dumps(msg).encode() + b"\n")
        while True:
            reply = self._qmp_read()
            if "event" in reply:
                continue
            if "error" in reply:
                raise GuestError(f"QMP {command}: {reply['error'].get('desc')}")
            return reply.get("return")

    def sh(self, command, timeout=60):
        """Runs a bash command in the guest as root: (exit status, stdout+stderr)."""
        self.next_id += 1
        ident = str(self.next_id)
        payload = base64.b64encode(command.encode()).decode()
        self.agent_file.send(f"{ident} {int(timeout)} {payload}\n".encode())
        deadline = time.monotonic() + timeout + 15
        while True:
            parts = self._readline(self.agent_file, deadline).split()
            if len(parts) >= 2 and parts[0] == ident:
                out = base64.b64decode(parts[2]).decode(errors="replace") if len(parts) > 2 else ""
                return int(parts[1]), out

    def check(self, command, timeout=60):
        """Like sh, but a non-zero exit status raises GuestError with the output."""
        rc, out = self.sh(command, timeout)
        if rc != 0:
            raise GuestError(f"`{command}` exited {rc}: {out.strip()[-600:]}")
        return out

    def power_cut(self):
        """Kills QEMU with SIGKILL: the guest gets no chance to sync or unmount."""
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            try:
                self.qmp("quit")
                self.proc.wait(timeout=10)
            except (GuestError, OSError, subprocess.TimeoutExpired):
                self.power_cut()
