# typewarden %postun. rpm has no purge: profiles in /var/lib/typewarden are always kept;
# delete them with `rm -rf /var/lib/typewarden` (docs/operations.md).
systemctl daemon-reload >/dev/null 2>&1 || :
udevadm control --reload >/dev/null 2>&1 || :
journalctl --update-catalog >/dev/null 2>&1 || :
