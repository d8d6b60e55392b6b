#!/bin/bash
# The test locker: runs as the session's user inside its logind session (started with
# systemd-run PAMName=login), and answers logind's Lock/Unlock signals on its own session
# object by SetLockedHint true/false, as a desktop's screen locker does. While the file
# /run/tw-test/locker-off exists it ignores Lock (the "no locker" case, issue check 4).
set -u
path=$(gdbus call --system --dest org.freedesktop.login1 --object-path /org/freedesktop/login1 \
    --method org.freedesktop.login1.Manager.GetSession "$XDG_SESSION_ID" | sed -E "s/^\(objectpath '([^']*)',\)$/\1/")
echo "locker: session $XDG_SESSION_ID at $path"
hint() {
    gdbus call --system --dest org.freedesktop.login1 --object-path "$path" \
        --method org.freedesktop.login1.Session.SetLockedHint "$1" >/dev/null
}
gdbus monitor --system --dest org.freedesktop.login1 --object-path "$path" | while read -r line; do
    case "$line" in
    *org.freedesktop.login1.Session.Lock\ *)
        if [ -e /run/tw-test/locker-off ]; then echo "locker: Lock ignored (off)"; else hint true && echo "locker: locked"; fi ;;
    *org.freedesktop.login1.Session.Unlock\ *)
        hint false && echo "locker: unlocked" ;;
    esac
done
