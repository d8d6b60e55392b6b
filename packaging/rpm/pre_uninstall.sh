# typewarden %preun ($1 = versions left afterwards: 0 on erase, 1 during an upgrade).
if [ "$1" -eq 0 ]; then
    systemctl --no-reload disable --now typewarden.service >/dev/null 2>&1 || :
fi
