"""System-tier steps for issue 7 checks 3 to 7 (and F44): enrollment by typing through the
emulated keyboard, persistence across a restart and a power cut, the impostor lock and the
escalation, the audit records, injection, restarts of the services around the daemon, a
clean stop, and the measured figures. They need the daemon's decision loop; until it runs,
they FAIL saying so."""
import json
import os
import time

import checks_base
from checks_base import need_session, wait_for, keyboard_node, TEST

# owner.tsv: the first ENROLL_KEYS rows are typed to enroll (the shipped engine defaults
# need ~1200), the rows after them are the held-out genuine control (gen_samples.py).
ENROLL_KEYS = int(os.environ.get("TW_ENROLL_KEYS", "1600"))
GENUINE_KEYS = int(os.environ.get("TW_GENUINE_KEYS", "400"))
IMPOSTOR_KEYS = int(os.environ.get("TW_IMPOSTOR_KEYS", "400"))
CHUNK = 100


def enroll(t):
    """The owner types (in chunks, checking the journal between them) until the shipped
    engine says the profile is mature, at most ENROLL_KEYS keystrokes."""
    need_session(t)
    t.daemon_pid()
    if not in_training(t, "0"):
        raise t.Fail("no degraded_protection(in_training) for alice when her session started: "
                     "the profile checks of 3.2 and 3.3 would prove nothing")
    since = t.now()
    typed, took, done = 0, 0.0, []
    while typed < ENROLL_KEYS and not done:
        n = min(CHUNK, ENROLL_KEYS - typed)
        took += t.type_sample("owner", n, typed)
        typed += n
        done = t.wait_records("enrollment_complete", since, 1, 3)
    done = done or t.wait_records("enrollment_complete", since, 1, 20)
    progress = t.records("enrollment_progress", since)
    if not done:
        raise t.Fail(f"{typed} owner keystrokes in {took:.0f} s: no enrollment_complete record "
                     f"({len(progress)} enrollment_progress); set TW_ENROLL_KEYS if the engine needs more")
    if done[0].get("TYPEWARDEN_UID") != "1000":
        raise t.Fail(f"enrollment_complete for uid {done[0].get('TYPEWARDEN_UID')}, not alice's 1000")
    t.state["enrolled"], t.state["enrolled_at"] = True, time.monotonic()
    return (f"{typed} keystrokes typed over {took:.0f} s; enrolled after {done[0].get('TYPEWARDEN_KEYSTROKES')} "
            f"keystrokes ({len(progress)} enrollment_progress records)")


def genuine_not_locked(t):
    """The negative control of 4.1: the owner keeps typing (held-out rows of the same
    typist, never enrolled on) and must not be locked, nor flagged."""
    sid = need_session(t)
    t.daemon_pid()
    if not t.state.get("enrolled"):
        raise t.Fail("nothing enrolled (step 3.1 failed)")
    time.sleep(6)  # past the post-enrollment grace (grace_s), so every keystroke is scored
    since = t.now()
    took = t.type_sample("owner", GENUINE_KEYS, ENROLL_KEYS)
    time.sleep(3)
    hint = t.check(f"loginctl show-session {sid} -p LockedHint --value").strip()
    flagged = {k: len(t.records(k, since)) for k in ("impostor_detected", "lock_requested", "injected_typing")}
    if hint != "no" or any(flagged.values()):
        raise t.Fail(f"{GENUINE_KEYS} held-out owner keystrokes: LockedHint={hint}, records {flagged}")
    return f"{GENUINE_KEYS} held-out owner keystrokes over {took:.0f} s: not locked, no impostor/lock/injection record"


ALICE = "/var/lib/typewarden/uid-1000.profile"


def in_training(t, since):
    """degraded_protection(in_training) records for alice: the daemon writes one when her
    session starts with no mature profile (the control is checked in step 3.1)."""
    return [r for r in t.records("degraded_protection", since)
            if r.get("TYPEWARDEN_REASON") == "in_training" and r.get("TYPEWARDEN_UID") == "1000"]


def profile_kept(t, since, settle=10):
    """After a (re)start at guest time `since`: alice's profile file is there, nothing was
    quarantined, and her session did not start in training (her mature profile loaded)."""
    time.sleep(settle)  # the tracker finds her session and the profile is loaded
    t.daemon_pid()
    rc, stat = t.sh(f"stat -c '%s bytes, mode %a, %U' {ALICE}")
    if rc != 0:
        raise t.Fail(f"{ALICE} missing: {t.sh('ls -la /var/lib/typewarden')[1].strip()}")
    quarantined = t.records("profile_quarantined", since)
    if quarantined:
        raise t.Fail(f"profile quarantined: {quarantined[0].get('MESSAGE')}")
    training = in_training(t, since)
    if training:
        raise t.Fail(f"alice's session started in training again: the profile was not loaded ({training[0].get('MESSAGE')})")
    return f"{ALICE} ({stat.strip()}), not quarantined, alice not in training"


def profile_listed(t):
    """Needs the issue-6 CLI: `typewarden profile list --json` (as root: the Admin list) is
    an array of profile dictionaries; it reads uid, state, file_present, quarantined_copies."""
    rc, out = t.sh("typewarden profile list --json")
    if rc != 0:
        raise t.Fail(f"`typewarden profile list --json` exited {rc}: {out.strip()[:200]}")
    try:
        entries = [p for p in json.loads(out) if p.get("uid") == 1000]
    except (ValueError, TypeError, AttributeError):
        raise t.Fail(f"`typewarden profile list --json` is not an array of objects: {out[:200]}") from None
    if not entries:
        raise t.Fail(f"alice (uid 1000) not in `typewarden profile list --json`: {out[:300]}")
    p = entries[0]
    want = {"state": "protecting", "file_present": True, "quarantined_copies": 0}
    wrong = {k: p.get(k) for k, v in want.items() if p.get(k) != v}
    if wrong:
        raise t.Fail(f"alice's profile in the list: {wrong}")
    return "listed: uid 1000, protecting, file present, no quarantined copies"


def restart_keeps_profile(t):
    if not t.state.get("enrolled"):
        raise t.Fail("nothing enrolled (step 3.1 failed)")
    since = t.now()
    t.check("systemctl restart typewarden.service", 120)
    return profile_kept(t, since) + " (4.1 then locks on the first typing after this restart)"


def power_cut(t):
    """SIGKILL of QEMU seconds after enrollment completed (no clean stop, no sync), reboot,
    reinstall on the fresh root: the profile on the state disk is loaded, and scores."""
    if not t.state.get("enrolled"):
        raise t.Fail("nothing enrolled (step 3.1 failed)")
    cut_after = time.monotonic() - t.state["enrolled_at"]
    t.vm.power_cut()
    seconds = t.boot()
    t.check("systemctl is-system-running --wait", 180)
    t.check("mkdir -p /run/tw-test && chmod 755 /run/tw-test")
    t.check(f"dpkg -i {TEST}/typewarden.deb", 120)
    since = t.now()
    t.check("systemctl start typewarden.service", 120)
    checks_base.session(t)
    checks_base.locker(t)
    detail = profile_kept(t, since, settle=5)
    sid = t.state["session"]
    watch_lock_signals(t)
    typed, locked = type_until_locked(t, sid, 200)
    if not locked:
        raise t.Fail(f"{detail}; but {typed} impostor keystrokes after the reboot did not lock")
    t.check(f"loginctl unlock-session {sid}")
    time.sleep(2)
    return (f"power cut {cut_after:.0f} s after enrollment_complete, reboot in {seconds:.0f} s: {detail}; "
            f"an impostor is locked after {typed} keystrokes")


BUSCTL_PID = "/run/tw-test/busctl-monitor.pid"


def watch_lock_signals(t):
    """(Re)starts a `busctl monitor` of the Lock signals. The previous monitor is ended by
    the PID it was started with (never by name); the PID is checked to still be that
    busctl, in case it was reused."""
    t.check(f"if [ -f {BUSCTL_PID} ]; then p=$(cat {BUSCTL_PID}); "
            "[ \"$(cat /proc/$p/comm 2>/dev/null)\" = busctl ] && kill $p; rm -f " + BUSCTL_PID + "; fi; "
            "nohup busctl monitor --system "
            "--match \"type='signal',interface='org.freedesktop.login1.Session',member='Lock'\" "
            f">/run/tw-test/lock-signals.log 2>&1 & echo $! >{BUSCTL_PID}")


def type_until_locked(t, sid, budget=IMPOSTOR_KEYS):
    hint = lambda: t.check(f"loginctl show-session {sid} -p LockedHint --value").strip()  # noqa: E731
    typed = 0
    while typed < budget and hint() != "yes":
        t.type_sample("impostor", 40, typed % 760)
        typed += 40
    return typed, hint() == "yes"


def impostor_locks(t):
    sid = need_session(t)
    t.daemon_pid()
    if not t.state.get("enrolled"):
        raise t.Fail("nothing enrolled (step 3.1 failed)")
    watch_lock_signals(t)
    since = t.now()
    typed, locked = type_until_locked(t, sid)
    signal = "Member=Lock" in t.sh("cat /run/tw-test/lock-signals.log")[1]
    requested = t.wait_records("lock_requested", since, 1, 10)
    confirmed = t.wait_records("lock_confirmed", since, 1, 10)
    if not (locked and signal and requested and confirmed):
        raise t.Fail(f"after {typed} impostor keystrokes: Lock signal {signal}, LockedHint {locked}, "
                     f"lock_requested {len(requested)}, lock_confirmed {len(confirmed)}")
    t.check(f"loginctl unlock-session {sid}")
    return f"locked after {typed} impostor keystrokes: Lock signal, LockedHint=yes, audit records"


def escalation_without_locker(t):
    sid = need_session(t)
    t.daemon_pid()
    if not t.state.get("enrolled"):
        raise t.Fail("nothing enrolled (step 3.1 failed)")
    t.check("touch /run/tw-test/locker-off")
    try:
        since = t.now()
        for i in range(IMPOSTOR_KEYS // 40):
            t.type_sample("impostor", 40, (400 + 40 * i) % 760)
            if t.records("lock_requested", since):
                break
        missed = t.wait_records("lock_not_confirmed", since, 1, 20)
        escalated = t.wait_records("escalation", since, 1, 20)
        if not (missed and escalated):
            raise t.Fail(f"lock_not_confirmed {len(missed)}, escalation {len(escalated)}")
        e = escalated[0]
        return (f"no LockedHint: lock_not_confirmed then escalation "
                f"(action {e.get('TYPEWARDEN_ACTION')}, outcome {e.get('TYPEWARDEN_OUTCOME')})")
    finally:
        t.sh(f"rm -f /run/tw-test/locker-off; loginctl unlock-session {sid}")


def journal_records(t):
    started = t.records("daemon_started", "0")
    if not started:
        raise t.Fail("no daemon_started record in the journal")
    s = started[-1]
    if s.get("SYSLOG_IDENTIFIER") != "typewarden" or s.get("_SYSTEMD_UNIT") != "typewarden.service":
        raise t.Fail(f"daemon_started has SYSLOG_IDENTIFIER={s.get('SYSLOG_IDENTIFIER')} _SYSTEMD_UNIT={s.get('_SYSTEMD_UNIT')}")
    explained = t.check(f"journalctl -x --no-pager -u typewarden MESSAGE_ID={t.message_ids['daemon_started']}")
    if "Subject: typewarden started" not in explained and "typewarden started" not in explained:
        raise t.Fail("journalctl -x does not show the catalog text for daemon_started")
    locks = t.records("lock_requested", "0")
    if not locks:
        raise t.Fail("daemon_started ok with catalog text, but no lock_requested record to inspect")
    missing = [f for f in ("TYPEWARDEN_SESSION", "TYPEWARDEN_UID", "TYPEWARDEN_USER") if f not in locks[0]]
    if missing:
        raise t.Fail(f"lock_requested lacks {missing}")
    return "daemon_started (catalog text via -x) and lock_requested with session/uid/user fields"


def injected(t):
    need_session(t)
    t.daemon_pid()
    since = t.now()
    t.check(f"{TEST}/uinput.py type 200 5", 120)
    found = t.wait_records("injected_typing", since, 1, 30)
    # lock_on_injection: the session was locked; later steps need it unlocked.
    time.sleep(3)
    t.sh(f"loginctl unlock-session {t.state['session']}")
    if not found:
        raise t.Fail("200 machine-speed uinput keystrokes (5 ms apart): no injected_typing record")
    return "uinput typing reported as injected_typing"


def threads_ctxt(t, pid):
    out = t.check(f"cat /proc/{pid}/task/*/status | awk '/ctxt_switches/ {{ s += $2 }} END {{ print s }}'")
    return int(out.strip())


def cpu_ticks(t, pid):
    f = t.check(f"cat /proc/{pid}/stat").split(")")[-1].split()
    return int(f[11]) + int(f[12])


def idle_rss(t):
    pid = t.daemon_pid()
    time.sleep(10)
    mem = dict(line.split(":", 1) for line in t.check(f"grep -E '^(VmRSS|RssAnon|RssFile|RssShmem):' /proc/{pid}/status").splitlines())
    kb = {k: int(v.split()[0]) for k, v in mem.items()}
    t.state["rss_kb"] = kb["VmRSS"]
    # The guest's root is an initramfs (tmpfs), so the mapped binary counts as RssShmem.
    mapped = (kb["RssFile"] + kb["RssShmem"]) / 1024
    met = "met" if kb["VmRSS"] < 10 * 1024 else "NOT met"
    detail = (f"idle RSS {kb['VmRSS'] / 1024:.1f} MB (target < 10 MB: {met}): {kb['RssAnon'] / 1024:.1f} MB anonymous, "
              f"{mapped:.1f} MB mapped files (the binary and libraries)")
    # The 10 MB target is measured and reported, not asserted (the anonymous part varies
    # by 2 MB between runs with what the allocator kept from enrollment and locking); only
    # a gross leak fails the step.
    if kb["VmRSS"] >= 32 * 1024:
        raise t.Fail(detail)
    return detail


def idle_wakeups(t):
    pid = t.daemon_pid()
    before = threads_ctxt(t, pid)
    time.sleep(60)
    after = threads_ctxt(t, pid)
    t.state["wakeups_per_min"] = after - before
    return f"{after - before} context switches in 60 s idle (all threads; watchdog pings included)"


def pointer_cpu(t):
    pid = t.daemon_pid()
    hz = int(t.check("getconf CLK_TCK"))
    t.check(f"nohup {TEST}/uinput.py pointer 8000 20 >/run/tw-test/pointer.log 2>&1 &")
    time.sleep(3)
    node = keyboard_node(t, "tw-test pointer")
    opened = t.sh(f"ls -l /proc/{pid}/fd | grep -c '{node}$'")[1].strip() not in ("", "0")
    t0, c0 = time.monotonic(), cpu_ticks(t, pid)
    time.sleep(15)
    t1, c1 = time.monotonic(), cpu_ticks(t, pid)
    wait_for(t, lambda: "events=" in t.sh("cat /run/tw-test/pointer.log")[1], 30, "pointer generator did not finish")
    rate = t.check("cat /run/tw-test/pointer.log").strip()
    t.state["pointer_opened"] = opened
    t.state["pointer_cpu"] = (100 * (c1 - c0) / hz / (t1 - t0), rate)
    return (f"daemon CPU {100 * (c1 - c0) / hz / (t1 - t0):.1f}% of one vCPU (TCG) while a uinput pointer sent {rate}; "
            f"the daemon {'reads' if opened else 'does not open'} the pointer node {node}")


def sleep_inhibitor(t):
    """The daemon holds a logind delay inhibitor on sleep (so profiles are saved before the
    system sleeps): taken through the real logind and polkit under the shipped sandbox, and
    taken again when logind restarted (6.2)."""
    pid = t.daemon_pid()
    rows = t.check("systemd-inhibit --list --no-pager --no-legend").splitlines()
    ours = [r for r in rows if "typewarden" in r.split() and "delay" in r.split()]
    if not any("sleep" in r.split() for r in ours):
        raise t.Fail(f"no sleep delay inhibitor of typewarden (PID {pid}) in: {rows}")
    return f"delay inhibitor held by PID {pid}: {' '.join(ours[0].split())}"


def reload_via_systemctl(t):
    """`systemctl reload` (the unit's ExecReload= sends SIGHUP): the configuration is read
    again and audited, the daemon keeps its PID."""
    pid = t.daemon_pid()
    since = t.now()
    t.check("systemctl reload typewarden.service")
    reloaded = t.wait_records("config_reloaded", since, 1, 20)
    if not reloaded or t.daemon_pid() != pid:
        raise t.Fail(f"config_reloaded records {len(reloaded)}, PID {pid} -> {t.daemon_pid()}")
    return f"config_reloaded ({reloaded[0].get('TYPEWARDEN_MODE')} mode), same PID {pid}"


def survives_restart_of(unit):
    def step(t):
        pid = t.daemon_pid()
        restarts = t.unit()["NRestarts"]
        t.check(f"systemctl restart {unit}", 120)
        time.sleep(8)
        if t.daemon_pid() != pid or t.unit()["NRestarts"] != restarts:
            raise t.Fail(f"typewarden restarted after {unit} restarted")
        return f"PID {pid} kept running through a {unit} restart"
    return step


def works_after_restarts(t):
    """After the journald, logind and dbus restarts of 6.1-6.3: audit records still reach
    the journal (a hot-added keyboard's device_added), and the tracker follows logind on
    the new bus: the test locker (a bus client) and with it alice's session ended with the
    old bus, so a new session is opened, and impostor typing there is locked and
    confirmed."""
    t.daemon_pid()
    since = t.now()
    t.vm.qmp("device_add", driver="virtio-keyboard-pci", id="kbafter")
    try:
        added = t.wait_records("device_added", since, 1, 20)
    finally:
        t.vm.qmp("device_del", id="kbafter")
        time.sleep(3)
    if not added:
        raise t.Fail("no device_added record for a keyboard hot-added after the restarts")
    old = t.state.get("session")
    state = t.sh(f"loginctl show-session {old} -p State --value")[1].strip() if old else ""
    if state not in ("active", "online"):
        t.sh("systemctl stop tw-session.service; systemctl reset-failed tw-session.service")
        checks_base.session(t)
        checks_base.locker(t)
    sid = t.state["session"]
    since = t.now()
    watch_lock_signals(t)
    typed, locked = type_until_locked(t, sid)
    requested = [r for r in t.wait_records("lock_requested", since, 1, 10) if r.get("TYPEWARDEN_SESSION") == sid]
    confirmed = t.wait_records("lock_confirmed", since, 1, 10)
    t.sh(f"loginctl unlock-session {sid}")
    if not (requested and confirmed and locked):
        raise t.Fail(f"{typed} impostor keystrokes after the restarts in session {sid}: lock_requested "
                     f"{len(requested)}, lock_confirmed {len(confirmed)}, LockedHint {locked}")
    fresh = "" if sid == old else f" (new session {sid}: the old one ended with the old bus)"
    return f"device_added recorded; impostor locked and confirmed after {typed} keystrokes{fresh}"


def no_grab(t):
    """F44: the daemon holds no exclusive claim: another reader can still grab the keyboard."""
    pid = t.daemon_pid()
    node = keyboard_node(t)
    held = t.sh(f"ls -l /proc/{pid}/fd | grep -c '{node}$'")[1].strip()
    if held in ("", "0"):
        raise t.Fail(f"the daemon does not have {node} open, so the check would prove nothing")
    t.check(f"{TEST}/uinput.py grab {node}")
    return f"daemon has {node} open; EVIOCGRAB by another reader still succeeds"


def stop_clean(t):
    t.daemon_pid()
    since = t.now()
    started = time.monotonic()
    t.check("systemctl stop typewarden.service", 60)
    took = time.monotonic() - started
    u = t.unit()
    stopping = t.records("daemon_stopping", since)
    if u.get("Result") != "success" or u.get("ExecMainStatus") != "0" or not stopping:
        raise t.Fail(f"Result={u.get('Result')} ExecMainStatus={u.get('ExecMainStatus')} daemon_stopping records {len(stopping)}")
    return f"stopped in {took:.1f} s, Result=success, exit 0, daemon_stopping recorded"


def remove_keeps_purge_deletes(t):
    """The maintainer scripts on the real system: remove stops the daemon and keeps the
    state directory's content (here on its own disk, a mount point); purge empties it."""
    t.check("dpkg -s typewarden >/dev/null 2>&1 || dpkg -i /usr/lib/tw-test/typewarden.deb", 120)
    t.check("touch /var/lib/typewarden/marker-profile")
    t.check("dpkg -r typewarden", 120)
    if t.sh("systemctl is-active typewarden.service")[1].strip() == "active":
        raise t.Fail("the daemon still runs after dpkg -r")
    if t.sh("test -e /var/lib/typewarden/marker-profile")[0] != 0:
        raise t.Fail("dpkg -r deleted the state directory's content")
    t.check("dpkg -P typewarden", 120)
    left = t.check("find /var/lib/typewarden -mindepth 1 2>/dev/null | wc -l").strip()
    if left != "0":
        raise t.Fail(f"dpkg -P left {left} entries in /var/lib/typewarden")
    if t.sh("test -e /etc/typewarden/typewarden.toml")[0] == 0:
        raise t.Fail("dpkg -P left the conffile")
    return "remove: stopped, state kept; purge: state (a mount point) emptied, conffile gone"


STEPS = [
    ("2.4", "sleep-delay-inhibitor", sleep_inhibitor),
    ("2.5", "reload-via-systemctl", reload_via_systemctl),
    ("3.1", "enroll-by-typing", enroll),
    ("3.3", "profile-survives-power-cut", power_cut),
    ("3.3c", "profile-listed-after-power-cut", profile_listed),
    ("4.0", "genuine-typing-not-locked", genuine_not_locked),
    ("3.2", "profile-survives-restart", restart_keeps_profile),
    ("3.2c", "profile-listed-after-restart", profile_listed),
    ("4.1", "impostor-locks-session", impostor_locks),
    ("4.2", "escalation-without-locker", escalation_without_locker),
    ("4.3", "journal-audit-records", journal_records),
    ("5", "injected-typing-reported", injected),
    ("7.1", "idle-rss", idle_rss),
    ("7.2", "idle-wakeups-per-minute", idle_wakeups),
    ("7.3", "cpu-at-8000-pointer-events", pointer_cpu),
    ("F44", "no-exclusive-grab", no_grab),
    ("6.1", "survives-journald-restart", survives_restart_of("systemd-journald")),
    ("6.2", "survives-logind-restart", survives_restart_of("systemd-logind")),
    ("6.3", "survives-dbus-restart", survives_restart_of("dbus")),
    ("6.6", "sleep-inhibitor-after-restarts", sleep_inhibitor),
    ("6.5", "works-after-the-restarts", works_after_restarts),
    ("6.4", "stop-is-clean", stop_clean),
    ("pkg", "remove-keeps-purge-deletes", remove_keeps_purge_deletes),
]
