# typewarden %post ($1 = number of installed versions: 1 on first install). Same policy as
# the .deb: enable (through the distribution's presets) on first install, never start; an
# upgrade restarts a running daemon.
systemctl daemon-reload >/dev/null 2>&1 || :
udevadm control --reload >/dev/null 2>&1 || :
udevadm trigger --subsystem-match=input --action=change >/dev/null 2>&1 || :
journalctl --update-catalog >/dev/null 2>&1 || :
if [ "$1" -eq 1 ]; then
    systemctl preset typewarden.service >/dev/null 2>&1 || :
else
    systemctl try-restart typewarden.service >/dev/null 2>&1 || :
fi
