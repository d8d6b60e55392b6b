#!/bin/bash
# Guest side of the system tier's command channel on /dev/ttyS1 (a QEMU chardev socket on
# the host). Host sends "<id> <timeout_s> <base64 command>\n"; this runs the command with
# bash as root and answers "<id> <exit status> <base64 stdout+stderr>\n". Raw mode, no echo:
# nothing but these lines crosses the line. Commands that start background processes must
# redirect their output, or the answer waits for them.
exec </dev/ttyS1 >/dev/ttyS1 2>/dev/null
stty raw -echo
echo "TWAGENT READY"
while IFS=' ' read -r id tmo b64; do
    cmd=$(printf %s "$b64" | base64 -d)
    out=$(timeout -k 5 "$tmo" bash -c "$cmd" 2>&1 </dev/null)
    rc=$?
    printf '%s %s %s\n' "$id" "$rc" "$(printf %s "$out" | base64 -w0)"
done
